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

    var sqlite: SQLiteData {
        switch self {
        case .text(let v): v.map { .text($0) } ?? .null
        case .int(let v): v.map { .integer($0) } ?? .null
        case .bool(let v): v.map { .integer($0 ? 1 : 0) } ?? .null
        case .date(let v): v.map { .float($0.timeIntervalSince1970) } ?? .null
        }
    }

    var bind: SQLBind {
        switch self {
        case .text(let v): SQLBind(v)
        case .int(let v): SQLBind(v)
        case .bool(let v): SQLBind(v)
        case .date(let v): SQLBind(v)
        }
    }
}

/// Bulk INSERTs (dispatch events, dispatches, findings), inside the caller's transaction. On
/// SQLite one single-row statement is compiled once and run for every row (see `SQLiteRaw`);
/// should the connection's handle be out of reach, multi-row statements are built once per chunk
/// size and the values bound as `SQLiteData` directly. Other databases take SQLKit's builder
/// with the same rows, in multi-row statements.
struct BulkInsert {
    var table: String
    var columns: [String]
    /// Upsert: the conflict target and the columns a conflicting row takes from the new one.
    var conflict: (target: [String], update: [String])?
    /// Rows per multi-row statement; by default as many as the bound-variable budget allows.
    var chunk: Int?

    /// Bound variables per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
    static let bindBudget = 30_000
    /// Rows between two progress reports.
    static let progressEvery = 10_000

    func run(_ rows: [[BulkValue]], on sql: any SQLDatabase) async throws {
        try await run(count: rows.count, on: sql) { rows[$0] }
    }

    /// `row(i)` gives the values of row `i`, in the order of `columns`; `progress` hears how
    /// many rows are written, every `progressEvery` rows and at the end.
    func run(count: Int, on sql: any SQLDatabase, progress: (@Sendable (Int) -> Void)? = nil,
             row: @escaping @Sendable (Int) -> [BulkValue]) async throws {
        guard count > 0 else { return }
        let text = statement(rows: 1), width = columns.count, table = table
        let prepared = try await SQLiteRaw.run(sql) { handle in
            let insert = try SQLitePrepared(handle, text)
            for i in 0..<count {
                let values = row(i)
                precondition(values.count == width, "a bulk row of \(table) has the wrong number of values")
                try insert.execute(values)
                if let progress, (i + 1) % Self.progressEvery == 0 || i + 1 == count { progress(i + 1) }
            }
        }
        if prepared != nil { return }

        let chunk = self.chunk ?? max(1, Self.bindBudget / columns.count)
        var done = 0
        if let sqlite = sql as? any SQLiteDatabase {
            var statements: [Int: String] = [:]
            for start in stride(from: 0, to: count, by: chunk) {
                let part = start..<min(start + chunk, count)
                let text = statements[part.count] ?? statement(rows: part.count)
                statements[part.count] = text
                var binds: [SQLiteData] = []
                binds.reserveCapacity(part.count * columns.count)
                for i in part {
                    let values = row(i)
                    precondition(values.count == width, "a bulk row of \(table) has the wrong number of values")
                    for value in values { binds.append(value.sqlite) }
                }
                try await sqlite.query(text, binds) { _ in }
                done = report(progress, done: done, now: part.upperBound, of: count)
            }
            return
        }
        for start in stride(from: 0, to: count, by: chunk) {
            let part = start..<min(start + chunk, count)
            var insert = sql.insert(into: table).columns(columns)
            for i in part { insert = insert.values(row(i).map(\.bind)) }
            if let conflict {
                insert = insert.onConflict(with: conflict.target) { builder in
                    var builder = builder
                    for column in conflict.update { builder = builder.set(excludedValueOf: column) }
                    return builder
                }
            }
            try await insert.run()
            done = report(progress, done: done, now: part.upperBound, of: count)
        }
    }

    /// Reports progress when another `progressEvery` rows (or all) are written.
    private func report(_ progress: (@Sendable (Int) -> Void)?, done: Int, now: Int, of count: Int) -> Int {
        guard let progress, now / Self.progressEvery > done / Self.progressEvery || now == count else { return done }
        progress(now)
        return now
    }

    /// `INSERT INTO t ("a", "b") VALUES (?, ?), (?, ?) [ON CONFLICT ("k") DO UPDATE SET "a" = excluded."a"]`
    private func statement(rows: Int) -> String {
        let quoted = columns.map { "\"\($0)\"" }
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var text = "INSERT INTO \"\(table)\" (\(quoted.joined(separator: ", "))) VALUES "
        text += Array(repeating: tuple, count: rows).joined(separator: ", ")
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

/// Looking up many keys at once (`WHERE column IN (…)`), for the bulk paths: the events of a
/// batch already stored, the incidents it touches, the findings of judged refs.
enum BulkSelect {
    /// `filter`: further equality conditions (`source = 'dispatch'`). `keys` are distinct.
    static func rows(_ columns: [String], from table: String, where column: String, in keys: [String],
                     filter: [(String, BulkValue)] = [], on sql: any SQLDatabase) async throws -> [any SQLRow] {
        guard !keys.isEmpty else { return [] }
        let head = "SELECT \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \"\(table)\" WHERE "
            + filter.map { "\"\($0.0)\" = ? AND " }.joined()
        // On SQLite: one compiled lookup per key, through the index on `column`.
        let text = head + "\"\(column)\" = ?"
        let filterValues = filter.map(\.1)
        if let found = try await SQLiteRaw.run(sql, { handle -> [PreparedRow] in
            let select = try SQLitePrepared(handle, text)
            let names = Dictionary(select.columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            var found: [PreparedRow] = []
            try select.bind(filterValues)
            let keyIndex = Int32(filterValues.count + 1)
            for key in keys {
                try select.bind(keyIndex, .text(key))
                while try select.step() { found.append(PreparedRow(columns: names, values: select.row)) }
            }
            return found
        }) {
            return found
        }
        let budget = BulkInsert.bindBudget - filter.count
        if let sqlite = sql as? any SQLiteDatabase {
            let found = NIOLockedValueBox<[any SQLRow]>([])
            for chunk in keys.chunked(into: budget) {
                let text = head + "\"\(column)\" IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")"
                try await SQLiteDirect.query(sqlite, text, filter.map(\.1.sqlite) + chunk.map { .text($0) }) { row in
                    found.withLockedValue { $0.append(row.sql()) }
                }
            }
            return found.withLockedValue { $0 }
        }
        var result: [any SQLRow] = []
        for chunk in keys.chunked(into: budget) {
            var select = sql.select().columns(columns.map { SQLColumn($0) }).from(table)
            for (name, value) in filter { select = select.where(SQLColumn(name), .equal, value.bind) }
            result += try await select.where(SQLColumn(column), .in, SQLBind.group(chunk)).all()
        }
        return result
    }
}
