import Foundation
import Testing
import Vapor
import LiandongCore
@testable import LiandongServer

@Suite("The OpenAPI document describes exactly the API that is served")
struct OpenAPITests {
    /// `(METHOD, /path/{param})` pairs read from the document's `paths` section.
    static func documentedOperations() throws -> Set<String> {
        let text = try #require(Resources.text("openapi.yaml"))
        var operations = Set<String>()
        var inPaths = false
        var currentPath: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "),
                      let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyAPIRouteIsDocumentedAndNothingElse() async throws {
        try await withTestApp { app in
            let served = Set(app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                guard path.hasPrefix("/api/") || path == "/health" else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
            let documented = try Self.documentedOperations()
            #expect(!served.isEmpty)
            #expect(served == documented, "served but undocumented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))")
        }
    }

    @Test func documentIsAValidOpenAPI31Document() throws {
        // The document as served, written out for the validator.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-openapi-\(UUID().uuidString).yaml").path
        try #require(Resources.data("openapi.yaml")).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runProcess("python3", ["-m", "openapi_spec_validator", path])
        #expect(result.status == 0, "openapi-spec-validator (pip install openapi-spec-validator): \(result.stdout) \(result.stderr)")
    }

    @Test func documentedJurisdictionsAreTheRegistersOwn() throws {
        let text = try #require(Resources.text("openapi.yaml"))
        let line = try #require(text.split(separator: "\n").first { $0.contains("name: jurisdiction, in: query") })
        let list = try #require(line.components(separatedBy: "enum: [").last?.components(separatedBy: "]").first)
        let documented = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(documented == Jurisdictions.all.map(\.id) + Jurisdictions.all.map(\.name))
    }

    @Test func anUndeclaredMethodIs405WithAllow() async throws {
        try await withTestApp { app in
            try await app.send(.DELETE, "api/v1/units/3", as: nil) { res in
                #expect(res.status == .methodNotAllowed)
                #expect(res.headers.first(name: .allow) == "GET, HEAD")
            }
            try await app.send(.GET, "api/v1/nothing-here", as: nil) { res in #expect(res.status == .notFound) }
        }
    }

    @Test func documentIsServed() async throws {
        try await withTestApp { app in
            try await app.testing().test(.GET, "openapi.yaml") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.hasPrefix("openapi: 3.1.0"))
            }
        }
    }
}
