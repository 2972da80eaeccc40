import Foundation
import Logging
import Testing
import Vapor
import VaporTesting
@testable import LiandongServer

/// What a release carries in its one binary (issue 22): every file of Assets/, the version of
/// the VERSION file, the logs' format.
@Suite("The release binary: embedded files, version, log format")
struct ReleaseTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func everyFileOfAssetsIsEmbeddedAsItIs() throws {
        let assets = Self.packageRoot.appendingPathComponent("Sources/LiandongServer/Assets").resolvingSymlinksInPath()
        var onDisk: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: assets, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let path = url.resolvingSymlinksInPath().path
            onDisk[String(path.dropFirst(assets.path.count + 1))] = try Data(contentsOf: url)
        }
        #expect(onDisk.keys.contains("Views/base.leaf"))
        #expect(onDisk.keys.contains("Public/app.css"))
        #expect(onDisk.keys.contains("openapi.yaml"))
        #expect(Set(Resources.files.keys) == Set(onDisk.keys))
        for (path, data) in onDisk { #expect(Resources.files[path] == data, "\(path) differs from its embedded copy") }
    }

    @Test func theVersionIsTheVersionFiles() throws {
        let file = try String(contentsOf: Self.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
        #expect(LiandongVersion.string == file.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(!LiandongVersion.string.isEmpty)
    }

    @Test func administratorsSeeTheVersionInTheFooterOthersDoNot() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "/", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("系统版本 \(LiandongVersion.string)</footer>"))
            }
            try await app.send(.GET, "/units", as: admin) { res in
                #expect(res.body.string.contains("系统版本 \(LiandongVersion.string)"))
            }
            let officer = try await app.signIn(.emb)
            try await app.send(.GET, "/units", as: officer) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("</footer>"))
                #expect(!res.body.string.contains("系统版本"))
            }
        }
    }

    @Test func stylesAndScriptsAreServedFromTheBinaryWithAnETag() async throws {
        try await withTestApp { app in
            var etag: String?
            try await app.send(.GET, "/app.css", as: nil) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "css")
                #expect(res.body.string.utf8.count == Resources.files["Public/app.css"]?.count)
                etag = res.headers.first(name: .eTag)
            }
            let tag = try #require(etag)
            try await app.testing().test(.GET, "/app.css", beforeRequest: { req in
                req.headers.replaceOrAdd(name: .ifNoneMatch, value: tag)
            }) { res in
                #expect(res.status == .notModified)
                #expect(res.body.readableBytes == 0)
            }
            try await app.send(.GET, "/checks.js", as: nil) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "javascript")
            }
            try await app.send(.GET, "/openapi.yaml", as: nil) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.hasPrefix("openapi:"))
            }
            // Views are templates, not files to download.
            try await app.send(.GET, "/Views/base.leaf", as: nil) { res in #expect(res.status != .ok) }
            try await app.send(.GET, "/base.leaf", as: nil) { res in #expect(res.status != .ok) }
        }
    }

    @Test func logFormatComesFromTheFlagOrTheEnvironmentAndLeavesTheArguments() throws {
        var arguments = ["liandong", "serve", "--log-format", "json", "--port", "8081"]
        #expect(try LogFormat.extract(from: &arguments, environment: [:]) == .json)
        #expect(arguments == ["liandong", "serve", "--port", "8081"])
        arguments = ["liandong", "serve", "--log-format=text"]
        #expect(try LogFormat.extract(from: &arguments, environment: ["LIANDONG_LOG_FORMAT": "json"]) == .text)
        #expect(arguments == ["liandong", "serve"])
        arguments = ["liandong", "serve"]
        #expect(try LogFormat.extract(from: &arguments, environment: ["LIANDONG_LOG_FORMAT": "JSON"]) == .json)
        #expect(try LogFormat.extract(from: &arguments, environment: [:]) == .text)
        arguments = ["liandong", "serve", "--log-format", "xml"]
        #expect(throws: ConfigurationError.self) { try LogFormat.extract(from: &arguments, environment: [:]) }
        arguments = ["liandong", "serve", "--log-format"]
        #expect(throws: ConfigurationError.self) { try LogFormat.extract(from: &arguments, environment: [:]) }
    }

    @Test func aJSONLogLineIsOneObjectWithTheMessageAndMetadata() throws {
        let data = JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_764_664_800), level: .notice, label: "codes.vapor.application",
                                       message: "升级前已备份 SQLite 数据库：/var/lib/liandong/a.sqlite\n第二行",
                                       metadata: ["backup": .string("/var/lib/liandong/a.sqlite"), "n": .stringConvertible(3)],
                                       source: "LiandongServer", file: "/x/UpgradeSafety.swift", lineNumber: 42)
        #expect(data.last == 0x0A)
        #expect(data.dropLast().firstIndex(of: 0x0A) == nil, "one line, whatever the message holds")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["level"] as? String == "notice")
        #expect(object["time"] as? String == "2025-12-02T08:40:00.000Z")
        #expect((object["message"] as? String)?.hasPrefix("升级前已备份") == true)
        #expect(object["location"] as? String == "UpgradeSafety.swift:42")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["backup"] as? String == "/var/lib/liandong/a.sqlite")
        #expect(metadata["n"] as? String == "3")
    }

    /// Keeps the messages logged through it.
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            captured.append(event.message.description)
        }
    }

    @Test func theAuditAnchorIsLoggedOnceADayAsTheCommandPrintsIt() async throws {
        try await withTestApp { app in
            let captured = Captured()
            app.logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
            let anchor = AuditAnchorLog()
            let now = app.liandong.clock.now()
            await anchor.logIfDue(app, now: now)
            await anchor.logIfDue(app, now: now.addingTimeInterval(60))
            let logged = captured.all.filter { $0.hasPrefix("审计链头 ") }
            #expect(logged.count == 1)
            // The head the command prints (after its own time stamp) ends the logged line.
            let printed = try await app.run(["audit", "anchor"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let head = printed.split(separator: " ").dropFirst().joined(separator: " ")
            #expect(head.hasPrefix("seq="))
            #expect(logged.first?.hasSuffix(head) == true, "\(logged) against \(printed)")
            // The next day, once more.
            await anchor.logIfDue(app, now: now.addingTimeInterval(86_400))
            #expect(captured.all.filter { $0.hasPrefix("审计链头 ") }.count == 2)
        }
    }
}
