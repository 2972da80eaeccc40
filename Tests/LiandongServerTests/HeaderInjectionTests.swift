import Fluent
import SQLKit
import Foundation
import LiandongCore
import Testing
import Vapor
import VaporTesting
@testable import LiandongServer

/// No value a person or another system chose ends up as a header of its own: CR, LF and NUL in a
/// redirect target or an id are refused or replaced, whichever route they come through.
@Suite("Header injection")
struct HeaderInjectionTests {
    static let hostile = ["/x\r\nSet-Cookie: planted=ATTACKER; Path=/", "/x\nX-Injected: yes", "/x\r\n\r\n<html>", "/x\u{0}y", "/units%0d%0aX-Injected:%20yes"]

    @Test func aRedirectTargetWithControlCharactersGoesHome() {
        for raw in Self.hostile.dropLast() { #expect(AuthPages.safeNext(raw) == "/", "\(raw.debugDescription)") }
        // Percent-encoded, it is a plain path of this site: the browser asks for it as it is.
        #expect(AuthPages.safeNext("/units%0d%0aX-Injected:%20yes") == "/units%0d%0aX-Injected:%20yes")
        #expect(AuthPages.safeNext("/deductions?awaiting=emb") == "/deductions?awaiting=emb")
    }

    @Test func signingInWithAHostileNextPlantsNoCookie() async throws {
        try await withTestApp { app in
            let liaison = try await app.signIn(.liaison, unitID: 4, username: "liaison-next", totp: false)
            for next in Self.hostile {
                let res = try await app.postLogin(liaison.account.username, TestUser.password, next: next)
                #expect(res.status == .seeOther)
                let location = res.headers.first(name: .location) ?? ""
                #expect(!location.unicodeScalars.contains(where: IdentifierText.isControl), "\(location.debugDescription)")
                #expect(res.headers[.setCookie].allSatisfy { !$0.contains("planted") })
                #expect(!res.headers.contains(name: "X-Injected"))
            }
            // The login page carries the target in its form only as a safe path.
            try await app.testing().test(.GET, "login?next=%2Fx%0D%0ASet-Cookie:%20planted=ATTACKER%3B%20Path=/") { res in
                #expect(res.status == .ok)
                #expect(!res.body.string.contains("planted"))
            }
        }
    }

    @Test func reauthenticationWithAHostileNextGoesHome() async throws {
        try await withTestApp { app in
            app.liandong.security.requireTwoFactor = false
            var emb = try await app.signIn(.emb, totp: false)
            for next in Self.hostile.dropLast() {
                try await app.send(.POST, "account/reauth", as: emb, form: ["password": TestUser.password, "next": next]) { res in
                    #expect(res.headers.first(name: .location) == "/")
                    #expect(!res.headers.contains(name: "X-Injected"))
                    // Each re-authentication gives the session a new cookie.
                    emb = emb.keepingCookie(of: res)
                }
            }
        }
    }

    @Test func aDrillIdWithALineBreakIsRefusedAndNothingIsStored() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            for id in ["CR2\r\nX-Injected: yes", "CR2\nX", "CR2\u{0}"] {
                try await app.send(.POST, "checks/drills", as: police, form: ["check_id": id, "kind": "onsite", "units": "4"]) { res in
                    #expect(res.status == .unprocessableEntity)
                    #expect(res.body.string.contains("控制字符"))
                    #expect(!res.headers.contains(name: "X-Injected"))
                }
            }
            #expect(try await ConcurrentIngestTests.count("drills", app) == 0)
        }
    }

    @Test func anEventIdWithALineBreakIsRefusedNamingTheField() throws {
        let line = #"{"event_id":"E-1\r\nX","incident_id":"110-1","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00"}"#
        let viaAPI = #expect(throws: ImportError.self) { try DispatchEventParser.parseJSON(Data(line.utf8), limit: 10, dates: .unbounded) }
        #expect(viaAPI?.field == "event_id")
        let viaFile = #expect(throws: ImportError.self) { try DispatchEventParser.parseJSONLines(Data(line.utf8), dates: .unbounded) }
        #expect(viaFile?.field == "event_id")
    }

    @Test func anUnsafeHeaderNeverLeaves() {
        var headers = HTTPHeaders([("Location", "/x\r\nSet-Cookie: a=b"), ("Content-Disposition", "attachment; filename=\"a\nb.xlsx\""), ("X-Fine", "ok\tok")])
        HeaderSafety.clean(&headers, logger: Logger(label: "test"))
        #expect(headers.first(name: .location) == "/")
        #expect(!headers.contains(name: .contentDisposition))
        #expect(headers.first(name: "X-Fine") == "ok\tok")
    }
}
