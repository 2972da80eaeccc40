import Vapor

/// An error for the person at the keyboard: an HTTP status, a message in Chinese that says
/// what to fix, and the field it concerns.
public struct AppError: AbortError, Sendable {
    public let status: HTTPResponseStatus
    public let message: String
    public let field: String?

    public init(_ status: HTTPResponseStatus, _ message: String, field: String? = nil) {
        self.status = status; self.message = message; self.field = field
    }

    public var reason: String { message }

    public static func notFound(_ what: String) -> AppError { AppError(.notFound, "未找到\(what)") }
    public static func invalid(_ message: String, field: String? = nil) -> AppError {
        AppError(.unprocessableEntity, message, field: field)
    }
}
