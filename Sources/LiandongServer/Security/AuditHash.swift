import Crypto
import Foundation

/// The hash function used to chain audit-log entries. SHA-256 is the
/// default; SM3 (GB/T 32905-2016) is offered for deployments that must use
/// Chinese national algorithms (密评 / GM/T requirements).
///
/// The raw value is what is stored alongside each entry ("sha256", "sm3"),
/// so an existing chain stays verifiable after the configured algorithm
/// changes.
public enum AuditHashAlgorithm: String, Codable, Sendable, CaseIterable {
    case sha256
    case sm3

    /// Parses a configuration value: "sha256", "SHA-256", "sha_256", "sm3",
    /// "SM3" (case-insensitive, surrounding whitespace ignored).
    public init?(configValue: String) {
        switch configValue.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "sha256", "sha-256", "sha_256": self = .sha256
        case "sm3": self = .sm3
        default: return nil
        }
    }

    /// Like `init?(configValue:)`, but throws an error whose description
    /// (in Chinese) can be shown to the operator at start-up.
    public static func parse(configValue: String) throws -> AuditHashAlgorithm {
        guard let algorithm = AuditHashAlgorithm(configValue: configValue) else {
            throw ConfigError.unsupported(configValue)
        }
        return algorithm
    }

    public enum ConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
        case unsupported(String)

        public var description: String {
            switch self {
            case .unsupported(let value):
                return "不支持的审计哈希算法“\(value)”，可选值：sha256、sm3。"
            }
        }

        public var errorDescription: String? { description }
    }

    /// Name for display: "SHA-256" or "SM3".
    public var displayName: String {
        switch self {
        case .sha256: return "SHA-256"
        case .sm3: return "SM3"
        }
    }

    /// The digest of `data` as lower-case hex (64 characters for both). SM3 is the project's
    /// Swift implementation (`SM3`), tested against the standard's examples.
    public func hexDigest(_ data: Data) -> String {
        let digest: [UInt8]
        switch self {
        case .sha256: digest = Array(SHA256.hash(data: data))
        case .sm3: digest = SM3.hash(data: data)
        }
        return SM3.hexString(digest)
    }
}
