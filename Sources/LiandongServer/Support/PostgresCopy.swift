import FluentPostgresDriver
import Foundation
import NIOCore
import PostgresNIO
import SQLKit

/// Bulk rows into PostgreSQL at the speed of `COPY`: the rows stream by `COPY … FROM STDIN`
/// (PostgresNIO's `copyFrom`, text format) into a temporary table of the target's columns, which
/// one `INSERT … SELECT` then merges into the table, with `ON CONFLICT … DO UPDATE` for upserts
/// (a judged dispatch, a finding judged again). All of it on the transaction's own connection:
/// the staging table lives and dies with the transaction (`ON COMMIT DROP`, and dropped once
/// merged so that a second batch into the same table in one transaction starts afresh).
enum PostgresCopy {
    /// Bytes sent per `CopyData` message.
    static let bufferBytes = 256 * 1024

    static func merge(into table: String, columns: [String], conflict: (target: [String], update: [String])?, count: Int,
                      on sql: any SQLDatabase, progress: (@Sendable (Int) -> Void)?,
                      row: @escaping @Sendable (Int) -> [BulkValue]) async throws {
        guard let postgres = sql as? any PostgresDatabase else { throw BulkInsert.NotInWriteTransaction(table: table) }
        let stage = "_bulk_\(table)"
        // The same column types as the table, none of its constraints or defaults.
        try await sql.raw("CREATE TEMPORARY TABLE \(ident: stage) ON COMMIT DROP AS SELECT \(idents: columns, joinedBy: ", ") FROM \(ident: table) WITH NO DATA").run()
        let width = columns.count, logger = sql.logger
        try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                try await connection.copyFrom(table: stage, columns: columns, logger: logger) { writer in
                    var buffer = ByteBufferAllocator().buffer(capacity: bufferBytes + 4096)
                    for i in 0..<count {
                        let values = row(i)
                        precondition(values.count == width, "a bulk row of \(table) has the wrong number of values")
                        for (index, value) in values.enumerated() {
                            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                            write(value, to: &buffer)
                        }
                        buffer.writeInteger(UInt8(ascii: "\n"))
                        if buffer.readableBytes >= bufferBytes {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                        if let progress, (i + 1) % BulkInsert.progressEvery == 0 { progress(i + 1) }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            }
        }.get()
        var merge: SQLQueryString = """
            INSERT INTO \(ident: table) (\(idents: columns, joinedBy: ", ")) SELECT \(idents: columns, joinedBy: ", ") FROM \(ident: stage)
            """
        if let conflict {
            // The names are the program's own, never input.
            let set = conflict.update.map { "\"\($0)\" = EXCLUDED.\"\($0)\"" }.joined(separator: ", ")
            merge = "\(merge) ON CONFLICT (\(idents: conflict.target, joinedBy: ", ")) DO UPDATE SET \(unsafeRaw: set)"
        }
        try await sql.raw(merge).run()
        try await sql.raw("DROP TABLE \(ident: stage)").run()
        if let progress, count % BulkInsert.progressEvery != 0 { progress(count) }
    }

    /// One field in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage
    /// return escaped; booleans `t`/`f`; times in UTC to the microsecond, as PostgresNIO binds them.
    static func write(_ value: BulkValue, to buffer: inout ByteBuffer) {
        switch value {
        case .text(nil), .int(nil), .bool(nil), .date(nil):
            buffer.writeStaticString("\\N")
        case .text(var text?):
            text.withUTF8 { utf8 in
                var start = 0
                for (i, byte) in utf8.enumerated() {
                    let escaped: UInt8
                    switch byte {
                    case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                    case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                    case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                    case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                    default: continue
                    }
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[start..<i]))
                    buffer.writeInteger(UInt8(ascii: "\\"))
                    buffer.writeInteger(escaped)
                    start = i + 1
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[start...]))
            }
        case .int(let v?):
            buffer.writeString(String(v))
        case .bool(let v?):
            buffer.writeInteger(UInt8(ascii: v ? "t" : "f"))
        case .date(let v?):
            buffer.writeString(timestamp(v))
        }
    }

    private static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// `2025-03-01 08:00:00.123456+00`: the microsecond PostgresNIO's binary encoding of the
    /// same `Date` gives (truncated toward zero from 2000-01-01), so both paths store the same.
    static func timestamp(_ date: Date) -> String {
        let since2000 = Int64(date.timeIntervalSince(postgresEpoch) * 1_000_000)
        let micros = since2000 + 946_684_800 * 1_000_000
        let perDay: Int64 = 86_400 * 1_000_000
        var days = micros / perDay, rest = micros % perDay
        if rest < 0 { rest += perDay; days -= 1 }
        // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let seconds = rest / 1_000_000, fraction = rest % 1_000_000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
            + ".\(pad(fraction, 6))+00"
    }
}
