import Foundation
import Testing
import Vapor
@testable import LiandongServer

/// A real browser: headless Chromium loads pages from a running server, and the test reads the
/// DOM it rendered. Screenshots are kept in `artifacts/` for a person to look at.
@Suite("Browser: headless Chromium", .serialized)
struct BrowserTests {
    static func chromium() throws -> String {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if let found = try? runProcess("which", [name]), found.status == 0 {
                return found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        throw BrowserMissing()
    }

    struct BrowserMissing: Error, CustomStringConvertible {
        var description: String { "Chromium is not installed: apt-get install -y chromium fonts-wqy-zenhei (scripts/test does this)" }
    }

    static func render(_ url: String, screenshot: String) throws -> String {
        let browser = try chromium()
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=zh-CN"]
        let shot = Fixtures.artifacts.appendingPathComponent(screenshot).path
        let picture = try runProcess(browser, flags + ["--screenshot=\(shot)", url])
        #expect(picture.status == 0, "\(picture.stderr)")
        #expect(FileManager.default.fileExists(atPath: shot))
        let dom = try runProcess(browser, flags + ["--dump-dom", url])
        #expect(dom.status == 0, "\(dom.stderr)")
        return dom.stdout
    }

    @Test func unitsPageRendersInChinese() async throws {
        try await withTestApp { app in
            app.http.server.configuration.hostname = "127.0.0.1"
            app.http.server.configuration.port = 0
            try await app.server.start()
            do {
                let port = try #require(app.http.server.shared.localAddress?.port)
                let dom = try Self.render("http://127.0.0.1:\(port)/units?jurisdiction=city", screenshot: "units.png")
                #expect(dom.contains("联动单位登记册"))
                #expect(dom.contains("共 46 个单位"))
                #expect(dom.contains("市自然资源和规划局(市林业局)"))
                #expect(dom.contains("人行丽水市中心支行"))
                let unit = try Self.render("http://127.0.0.1:\(port)/units/1", screenshot: "unit.png")
                #expect(unit.contains("登记联系方式变更(报备)"))
            } catch {
                await app.server.shutdown()
                throw error
            }
            await app.server.shutdown()
        }
    }
}
