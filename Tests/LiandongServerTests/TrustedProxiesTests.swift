import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Client addresses: X-Forwarded-For only from a trusted proxy")
struct TrustedProxiesTests {
    @Test func parsingAndMatching() throws {
        let proxies = try TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8")
        #expect(proxies.contains("10.200.3.4") && proxies.contains("192.168.1.7") && proxies.contains("fd12::1"))
        #expect(!proxies.contains("11.0.0.1") && !proxies.contains("192.168.1.8") && !proxies.contains("fe80::1"))
        #expect(proxies.contains("::ffff:10.1.2.3"))
        #expect(!proxies.contains("not-an-address"))
        #expect(try TrustedProxies.parse("") == .none)
        #expect(try TrustedProxies.parse("127.0.0.1/31").contains("127.0.0.0"))
        // An IPv4-mapped network is an IPv4 one.
        #expect(try TrustedProxies.parse("::ffff:10.0.0.0/104").contains("10.9.9.9"))
        #expect(throws: ConfigurationError.self) { try TrustedProxies.parse("10.0.0.0/33") }
        #expect(throws: ConfigurationError.self) { try TrustedProxies.parse("proxy.example") }
    }

    @Test func theRightMostUntrustedAddressIsTheClient() throws {
        let proxies = try TrustedProxies.parse("10.0.0.0/8")
        // No trusted proxy in front: the header is the client's own invention.
        #expect(TrustedProxies.none.client(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
        #expect(proxies.client(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
        // Through the proxy: what the proxy saw, not what the client wrote before it.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["6.6.6.6", "198.51.100.7, 10.0.0.9"]) == "198.51.100.7")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        // Entries with a port, as some proxies write them.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["198.51.100.7:51234"]) == "198.51.100.7:51234")
        #expect(TrustedProxies.address("[2001:db8::1]:443") == TrustedProxies.address("2001:db8::1"))
        #expect(TrustedProxies.address("198.51.100.7:51234") == TrustedProxies.address("198.51.100.7"))
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["garbage"]) == "10.0.0.5")
        #expect(proxies.client(peer: nil, forwardedFor: ["1.2.3.4"]) == "unknown")
    }

    /// Thirty wrong passwords, each with another X-Forwarded-For and no trusted proxy: the limit
    /// per address still applies (429), and the audit log never records the forged addresses.
    @Test func aForgedHeaderNeitherEscapesTheLimitNorReachesTheAuditLog() async throws {
        try await withTestApp { app in
            var statuses: [HTTPStatus] = []
            for i in 0..<30 {
                var csrf = ""
                try await app.testing().test(.GET, "login") { res in csrf = res.headers.setCookie?[Auth.loginCSRFCookie]?.string ?? "" }
                try await app.testing().test(.POST, "login", beforeRequest: { req in
                    req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.loginCSRFCookie, .init(string: csrf)))
                    req.headers.replaceOrAdd(name: .xForwardedFor, value: "198.51.100.\(i)")
                    try req.content.encode(["username": "nobody-\(i)", "password": "Wrong-Pass-1", "_csrf": csrf], as: .urlEncodedForm)
                }) { res in statuses.append(res.status) }
            }
            let limit = app.liandong.security.loginAttemptsPerMinute
            #expect(statuses.prefix(limit).allSatisfy { $0 == .unauthorized })
            #expect(statuses.dropFirst(limit).allSatisfy { $0 == .tooManyRequests })
            let sources = try await AuditEntry.query(on: app.db).all().compactMap(\.source)
            #expect(!sources.contains { $0.hasPrefix("198.51.100.") })
        }
    }
}
