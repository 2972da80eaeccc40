import FluentPostgresDriver
import FluentSQLiteDriver
import Vapor
import LiandongCore

/// Turns every error into a response a clerk can act on: JSON for the API, a page for people.
/// Bad input is always 4xx; only a fault of the system is 500, and its details go to the log,
/// not to the user.
struct LiandongErrorMiddleware: AsyncMiddleware {
    struct Body: Content {
        var error = true
        var reason: String
        var field: String?
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            var (status, message, field) = Self.describe(error)
            var allow: [HTTPMethod] = []
            // No route for this method, but the path exists: 405 with the methods it takes.
            if status == .notFound, request.route == nil {
                allow = Self.allowedMethods(for: request)
                if !allow.isEmpty { (status, message, field) = (.methodNotAllowed, "该地址不支持 \(request.method.rawValue) 请求", nil) }
            }
            if status == .internalServerError || status == .insufficientStorage {
                request.logger.report(error: error)
            } else {
                request.logger.debug("\(status.code) \(request.url.path): \(message)")
            }
            let wantsJSON = request.url.path.hasPrefix("/api/") || request.headers.accept.mediaTypes.first == .json
            let response: Response
            if wantsJSON {
                response = Response(status: status)
                try response.content.encode(Body(reason: message, field: field))
            } else {
                response = try await ErrorPage(status: status, message: message).encodeResponse(for: request)
                response.status = status
            }
            if !allow.isEmpty { response.headers.replaceOrAdd(name: .allow, value: allow.map(\.rawValue).joined(separator: ", ")) }
            if let abort = error as? any AbortError {
                for (name, value) in abort.headers where name.lowercased() != "content-type" { response.headers.replaceOrAdd(name: name, value: value) }
            }
            // Busy, not broken: the client sends the same request again a little later.
            if status == .serviceUnavailable, !response.headers.contains(name: .retryAfter) {
                response.headers.replaceOrAdd(name: .retryAfter, value: String(Self.retryAfterSeconds))
            }
            return response
        }
    }

    static func describe(_ error: any Error) -> (HTTPResponseStatus, String, String?) {
        switch error {
        case let e as AppError:
            return (e.status, e.message, e.field)
        case let e as ImportError:
            return (.unprocessableEntity, e.description, e.field)
        case let e as ContactDetails.Invalid:
            return (.unprocessableEntity, e.description, e.field.rawValue)
        case let e as DecodingError:
            return (.badRequest, decodingMessage(e), decodingField(e))
        case let e as any AbortError:
            return (e.status, chineseReason(e.status, e.reason), nil)
        case _ where isStorageFull(error):
            return (.insufficientStorage, storageFullMessage, nil)
        case _ where isBusy(error):
            return (.serviceUnavailable, busyMessage, nil)
        default:
            return (.internalServerError, "服务器内部错误，请稍后重试或联系管理员", nil)
        }
    }

    static let busyMessage = "系统正忙，本次请求未保存任何内容；请稍后重试"
    /// What `Retry-After` says when the database is busy.
    static let retryAfterSeconds = 2

    /// The request could not get its turn in time: the write queue (`WriteGate`), a pooled
    /// connection, or another process's SQLite write lock. Nothing of it was stored.
    static func isBusy(_ error: any Error) -> Bool {
        if error is WriteGate.Busy { return true }
        if let e = error as? ConnectionPoolTimeoutError, case .connectionRequestTimeout = e { return true }
        return isWriteContention(error)
    }

    static let storageFullMessage = "服务器磁盘空间不足，本次写入未保存；请联系管理员释放空间后重试"

    /// The database refused a write for lack of space: SQLite's SQLITE_FULL ("database or disk
    /// is full"), PostgreSQL's disk_full (53100). The transaction was rolled back.
    static func isStorageFull(_ error: any Error) -> Bool {
        if let e = error as? SQLiteError { return e.reason == .full }
        if let e = error as? SQLiteStatementError { return e.isFull }
        if let e = error as? PSQLError { return e.serverInfo?[.sqlState] == "53100" }
        return false
    }

    static func allowedMethods(for request: Request) -> [HTTPMethod] {
        let parts = request.url.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var methods: [HTTPMethod] = []
        for route in request.application.routes.all where !methods.contains(route.method) {
            guard route.path.count == parts.count || route.path.last == .catchall else { continue }
            let matches = zip(route.path, parts).allSatisfy { component, part in
                switch component {
                case .constant(let c): c == part
                case .parameter, .anything, .catchall: true
                }
            }
            if matches { methods.append(route.method) }
        }
        if methods.contains(.GET) && !methods.contains(.HEAD) { methods.append(.HEAD) }
        return methods
    }

    static func decodingField(_ error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return nil
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? ContactChangeRequest.snakeCase($0.stringValue) }
        return names.isEmpty ? nil : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func decodingMessage(_ error: DecodingError) -> String {
        let field = decodingField(error).map { "字段“\($0)”" } ?? "请求内容"
        switch error {
        case .keyNotFound: return "缺少必填的\(field)"
        case .typeMismatch(let type, _): return "\(field)的类型不正确，应为\(typeName(type))"
        case .valueNotFound(let type, _): return "\(field)不能为空，应为\(typeName(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "请求内容不是有效的 JSON" : "\(field)的值无效：\(context.debugDescription)"
        @unknown default: return "请求内容无效"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "文本"
        case is Int.Type, is Double.Type: "数字"
        case is Bool.Type: "true 或 false"
        default: "\(type)"
        }
    }

    static func chineseReason(_ status: HTTPResponseStatus, _ reason: String) -> String {
        switch status.code {
        case 400: "请求无效：\(reason)"
        case 401: "请先登录"
        case 403: "无权进行此操作"
        case 404: "未找到该页面或记录"
        case 405: "不支持该请求方法"
        case 413: "请求内容过大"
        case 415: "不支持的内容类型，请使用 application/json"
        case 429: "请求过于频繁，请稍后再试"
        default: reason
        }
    }
}
