import Fluent
import SQLKit
import Vapor

enum SystemController {
    struct Health: Content {
        var status: String
        var database: String
    }

    /// Liveness and database reachability, for load balancers and monitoring.
    struct Pong: Content { var status: String }

    @Sendable static func health(req: Request) async throws -> Response {
        let dialect = req.application.liandong.database.dialectName
        do {
            try await (req.db as! any SQLDatabase).raw("SELECT 1").run()
            return try await Health(status: "ok", database: dialect).encodeResponse(for: req)
        } catch {
            req.logger.error("health check: database unreachable: \(String(reflecting: error))")
            let response = try await Health(status: "database_unavailable", database: dialect).encodeResponse(for: req)
            response.status = .serviceUnavailable
            return response
        }
    }

    @Sendable static func metrics(req: Request) async throws -> Response {
        guard let principal = req.principal else { throw AppError(.unauthorized, "读取运行指标需要 metrics:read 权限的接口令牌") }
        try req.authorize(principal.has(.metricsRead) || principal.role == .admin, "读取运行指标需要 metrics:read 权限的接口令牌")
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(buffer: Telemetry.exposition()))
    }

    @Sendable static func openAPI(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "yaml", parameters: ["charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(data: Resources.data("openapi.yaml") ?? Data()))
    }
}
