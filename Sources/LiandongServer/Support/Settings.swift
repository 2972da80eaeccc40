import Foundation

/// Where the data lives, read from `DATABASE_URL` (architecture.md principle 6: configuration
/// from the environment, fail fast with a message that names the variable).
public enum DatabaseSetting: Equatable, Sendable {
    /// An SQLite file (created on first start), in WAL mode.
    case sqlite(path: String)
    /// A PostgreSQL server; `searchPath` puts the schema elsewhere than `public` (tests use it).
    case postgres(url: String, searchPath: [String]? = nil)

    public static let defaultSQLitePath = "liandong.sqlite"

    /// `DATABASE_URL` unset or empty: `liandong.sqlite` in the working directory.
    /// `postgres://…` or `postgresql://…`: PostgreSQL. `sqlite:///abs/path`, `sqlite://rel/path`,
    /// `file:path` or a plain path: an SQLite file.
    public static func parse(_ value: String?) throws -> DatabaseSetting {
        guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            return .sqlite(path: defaultSQLitePath)
        }
        let lower = raw.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            guard URL(string: raw)?.host != nil else {
                throw ConfigurationError(variable: "DATABASE_URL", message: "无法解析 PostgreSQL 地址“\(raw)”；格式为 postgres://用户:密码@主机:端口/数据库")
            }
            return .postgres(url: raw)
        }
        for prefix in ["sqlite://", "sqlite:", "file://", "file:"] where lower.hasPrefix(prefix) {
            let path = String(raw.dropFirst(prefix.count))
            guard !path.isEmpty else { break }
            return .sqlite(path: path)
        }
        if raw.contains("://") {
            throw ConfigurationError(variable: "DATABASE_URL", message: "不支持的数据库地址“\(raw)”；应为 postgres://… 或 SQLite 文件路径")
        }
        return .sqlite(path: raw)
    }

    public var dialectName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgresql"
        }
    }
}

/// A setting that cannot be used; the message names the variable.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let variable: String
    public let message: String
    public var description: String { "配置错误 \(variable)：\(message)" }
}
