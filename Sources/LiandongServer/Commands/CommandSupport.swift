import Foundation
import LiandongCore
import LiandongDocuments
import Vapor

/// How a listing command prints.
enum OutputFormat: String, CaseIterable {
    case table, json, csv

    static func parse(_ raw: String?, allowed: [OutputFormat] = OutputFormat.allCases) throws -> OutputFormat {
        guard let raw else { return .table }
        guard let format = OutputFormat(rawValue: raw.lowercased()), allowed.contains(format) else {
            throw CommandFailure("--format 应为 \(allowed.map(\.rawValue).joined(separator: "、")) 之一，而不是“\(raw)”")
        }
        return format
    }
}

/// A command that cannot do what was asked; the message is for the operator.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Where commands print: standard output, or a buffer in tests.
final class CommandOutputSink: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: String?

    /// A sink that keeps what is written instead of printing it.
    static func capturing() -> CommandOutputSink {
        let sink = CommandOutputSink()
        sink.buffer = ""
        return sink
    }

    func write(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if buffer != nil { buffer! += text } else { FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    var captured: String { lock.lock(); defer { lock.unlock() }; return buffer ?? "" }
}

extension Application {
    private struct OutputKey: StorageKey { typealias Value = CommandOutputSink }

    var commandOutput: CommandOutputSink {
        get { storage[OutputKey.self] ?? CommandOutputSink() }
        set { storage[OutputKey.self] = newValue }
    }
}

enum CommandOutput {
    /// Prints a listing in the chosen format: `json` as given, `csv` and `table` from the rows.
    static func emit<T: Encodable>(_ format: OutputFormat, json: T, header: [String], rows: [[String]], footer: String? = nil,
                                   to sink: CommandOutputSink) throws {
        switch format {
        case .json: sink.write(try self.json(json))
        case .csv: sink.write(csv(header: header, rows: rows))
        case .table:
            sink.write(table(header: header, rows: rows))
            if let footer { sink.write(footer + "\n") }
        }
    }


    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func csv(header: [String], rows: [[String]]) -> String {
        // No BOM on a terminal or a pipe: it is for Excel's sake, and export files carry it.
        String(decoding: CSV.write([header] + rows, bom: false), as: UTF8.self)
    }

    /// Columns aligned for a terminal; Chinese characters take two cells.
    static func table(header: [String], rows: [[String]]) -> String {
        func width(_ s: String) -> Int {
            s.unicodeScalars.reduce(0) { $0 + (($1.value >= 0x1100 && ($1.value <= 0x115F || (0x2E80...0xA4CF).contains($1.value) || (0xAC00...0xD7A3).contains($1.value) || (0xF900...0xFAFF).contains($1.value) || (0xFE30...0xFE4F).contains($1.value) || (0xFF00...0xFF60).contains($1.value) || (0xFFE0...0xFFE6).contains($1.value))) ? 2 : 1) }
        }
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? width($0[i]) : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - width(cell))
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
