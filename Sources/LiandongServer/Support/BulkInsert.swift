import FluentSQLiteDriver
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// A value of a bulk row, bound natively by each driver.
enum BulkValue: Sendable {
    case text(String?)
    case int(Int?)
    case bool(Bool?)
    case date(Date?)

    var bind: SQLBind {
        switch self {
        case .text(let v): SQLBind(v)
        case .int(let v): SQLBind(v)
        case .bool(let v): SQLBind(v)
        case .date(let v): SQLBind(v)
        }
    }
}

/// Bulk INSERTs (dispatch events, dispatches, findings, plan records), inside the caller's write
/// transaction, one way per database. On SQLite, in the project's own writer (`SQLiteWriter`):
/// one single-row statement compiled once and run for every row. On PostgreSQL, by `COPY … FROM
/// STDIN` into a temporary staging table of the same columns, merged into the table by one
/// `INSERT … SELECT … [ON CONFLICT … DO UPDATE]` (`PostgresCopy`).
struct BulkInsert {
    var table: String
    var columns: [String]
    /// Upsert: the conflict target and the columns a conflicting row takes from the new one.
    var conflict: (target: [String], update: [String])?

    /// Rows between two progress reports.
    static let progressEvery = 10_000

    /// Bulk writes run inside a write transaction (`writeTransaction`), on SQLite or PostgreSQL.
    struct NotInWriteTransaction: Error, CustomStringConvertible {
        var table: String
        var description: String { "bulk write of \(table) outside a write transaction" }
    }

    func run(_ rows: [[BulkValue]], on sql: any SQLDatabase) async throws {
        try await run(count: rows.count, on: sql) { rows[$0] }
    }

    /// `row(i)` gives the values of row `i`, in the order of `columns`; `progress` hears how
    /// many rows are written, every `progressEvery` rows and at the end.
    func run(count: Int, on sql: any SQLDatabase, progress: (@Sendable (Int) -> Void)? = nil,
             row: @escaping @Sendable (Int) -> [BulkValue]) async throws {
        guard count > 0 else { return }
        let width = columns.count, table = table
        if let writer = sql as? SQLiteWriterDatabase {
            let text = statement()
            try await writer.connection.run { connection in
                let insert = try connection.prepared(text)
                for i in 0..<count {
                    let values = row(i)
                    precondition(values.count == width, "a bulk row of \(table) has the wrong number of values")
                    try insert.execute(values)
                    if let progress, (i + 1) % Self.progressEvery == 0 || i + 1 == count { progress(i + 1) }
                }
            }
            return
        }
        guard sql.dialect.name == "postgresql", (sql as? any Database)?.inTransaction == true else { throw NotInWriteTransaction(table: table) }
        try await PostgresCopy.merge(into: table, columns: columns, conflict: conflict, count: count, on: sql, progress: progress, row: row)
    }

    /// `INSERT INTO t ("a", "b") VALUES (?, ?) [ON CONFLICT ("k") DO UPDATE SET "a" = excluded."a"]`
    private func statement() -> String {
        let quoted = columns.map { "\"\($0)\"" }
        var text = "INSERT INTO \"\(table)\" (\(quoted.joined(separator: ", "))) VALUES ("
        text += Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        if let conflict {
            text += " ON CONFLICT (\(conflict.target.map { "\"\($0)\"" }.joined(separator: ", "))) DO UPDATE SET "
            text += conflict.update.map { "\"\($0)\" = excluded.\"\($0)\"" }.joined(separator: ", ")
        }
        return text
    }
}

/// Reading many rows of a key and a few integers, for the analytic paths. On SQLite each row is
/// read straight from the driver's values; elsewhere through SQLKit's decoder.
enum IntegerRows {
    struct Row: Sendable {
        /// The first column, as text (an integer key is written in decimal).
        var key: String
        /// The other columns, in order.
        var values: [Int?]
    }

    static func fetch(_ query: SQLQueryString, columns: [String], on sql: any SQLDatabase) async throws -> [Row] {
        precondition(!columns.isEmpty)
        if let sqlite = sql as? any SQLiteDatabase {
            let (text, binds) = sql.serialize(query)
            let encoder = SQLiteDataEncoder()
            let values = try binds.map { try encoder.encode($0) }
            let rows = NIOLockedValueBox<[Row]>([])
            try await SQLiteDirect.query(sqlite, text, values) { row in
                let key: String = switch row.column(columns[0]) {
                case .integer(let i)?: String(i)
                case .text(let t)?: t
                default: ""
                }
                let ints = columns.dropFirst().map { name -> Int? in
                    if case .integer(let i)? = row.column(name) { return i }
                    return nil
                }
                rows.withLockedValue { $0.append(Row(key: key, values: ints)) }
            }
            return rows.withLockedValue { $0 }
        }
        return try await sql.raw(query).all().map { row in
            // An integer first: PostgreSQL would hand a BIGINT's raw bytes to a String decode.
            let key = (try? row.decode(column: columns[0], as: Int.self)).map(String.init)
                ?? (try? row.decode(column: columns[0], as: String.self)) ?? ""
            return Row(key: key, values: columns.dropFirst().map { (try? row.decode(column: $0, as: Int?.self)) ?? nil })
        }
    }
}

/// Queries on SQLite's own connection: rows are handed over on the database thread as they are
/// stepped (the futures API schedules an event-loop task per row, which dominated large reads).
enum SQLiteDirect {
    static func query(_ db: any SQLiteDatabase, _ text: String, _ binds: [SQLiteData],
                      _ onRow: @escaping @Sendable (SQLiteRow) -> Void) async throws {
        try await db.withConnection { connection in
            try await connection.query(text, binds, onRow)
        }
    }
}

/// Looking up many keys at once, for the bulk paths: the events of a batch already stored, the
/// incidents it touches, the findings of judged refs. In SQLite's writer, one compiled lookup per
/// key through the index on `column`; elsewhere `WHERE column IN (…)` in chunks.
enum BulkSelect {
    /// Keys per `IN (…)` list: far below both databases' limits on bound values.
    static let chunk = 5_000

    /// `filter`: further equality conditions (`source = 'dispatch'`). `keys` are distinct.
    static func rows(_ columns: [String], from table: String, where column: String, in keys: [String],
                     filter: [(String, BulkValue)] = [], on sql: any SQLDatabase) async throws -> [any SQLRow] {
        guard !keys.isEmpty else { return [] }
        if let writer = sql as? SQLiteWriterDatabase {
            let text = "SELECT \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \"\(table)\" WHERE "
                + filter.map { "\"\($0.0)\" = ? AND " }.joined() + "\"\(column)\" = ?"
            let filterValues = filter.map(\.1)
            return try await writer.connection.run { connection -> [PreparedRow] in
                let select = try connection.prepared(text)
                var found: [PreparedRow] = []
                try select.bind(filterValues)
                let keyIndex = Int32(filterValues.count + 1)
                for key in keys {
                    try select.bind(keyIndex, BulkValue.text(key))
                    while try select.step() { found.append(PreparedRow(columns: select.columnIndex, values: select.row)) }
                }
                return found
            }.map { $0 as any SQLRow }
        }
        var result: [any SQLRow] = []
        for chunk in keys.chunked(into: chunk) {
            var select = sql.select().columns(columns.map { SQLColumn($0) }).from(table)
            for (name, value) in filter { select = select.where(SQLColumn(name), .equal, value.bind) }
            result += try await select.where(SQLColumn(column), .in, SQLBind.group(chunk)).all()
        }
        return result
    }
}
