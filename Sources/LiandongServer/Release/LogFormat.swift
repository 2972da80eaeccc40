import Foundation
import Logging
import NIOConcurrencyHelpers

/// How log lines look on standard error (journald keeps them): `text`, Vapor's usual lines, or
/// `json`, one object a line for a log collector. Chosen with `--log-format json` on any command
/// or `LIANDONG_LOG_FORMAT=json` in the environment file; the flag wins.
enum LogFormat: String, Sendable {
    case text, json

    /// Takes `--log-format X` (or `--log-format=X`) out of the arguments, so that the command
    /// itself never sees it, and returns the format they and the environment ask for.
    static func extract(from arguments: inout [String], environment: [String: String]) throws -> LogFormat {
        var chosen: String? = environment["LIANDONG_LOG_FORMAT"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        var source = "LIANDONG_LOG_FORMAT"
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--log-format" {
                guard index + 1 < arguments.count else { throw ConfigurationError(variable: "--log-format", message: "缺少取值，应为 text 或 json") }
                chosen = arguments[index + 1]
                source = "--log-format"
                arguments.removeSubrange(index...(index + 1))
            } else if argument.hasPrefix("--log-format=") {
                chosen = String(argument.dropFirst("--log-format=".count))
                source = "--log-format"
                arguments.remove(at: index)
            } else {
                index += 1
            }
        }
        guard let raw = chosen else { return .text }
        guard let format = LogFormat(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ConfigurationError(variable: source, message: "应为 text 或 json，而不是“\(raw)”")
        }
        return format
    }
}

/// One JSON object per line on standard error: `time` (UTC, ISO 8601 with milliseconds),
/// `level`, `label`, `message`, the metadata's keys under `metadata`, and where it was logged.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    private static let lock = NIOLock()

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = .string(String(describing: error)) }
        let encoded = Self.line(time: Date(), level: event.level, label: label, message: event.message.description,
                                metadata: merged, source: event.source, file: event.file, lineNumber: event.line)
        Self.lock.withLock {
            FileHandle.standardError.write(encoded)
        }
    }

    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata,
                     source: String, file: String, lineNumber: UInt) -> Data {
        var object: [String: Any] = [
            "time": timestamp(time),
            "level": level.rawValue,
            "label": label,
            "message": message,
            "source": source,
            "location": "\((file as NSString).lastPathComponent):\(lineNumber)",
        ]
        if !metadata.isEmpty { object["metadata"] = metadata.mapValues(json) }
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(#"{"message":"unencodable log line"}"#.utf8)
        data.append(0x0A)
        return data
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): a.map(json)
        case .dictionary(let d): d.mapValues(json)
        }
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
