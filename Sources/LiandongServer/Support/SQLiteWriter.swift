import FluentKit
import FluentSQL
import FluentSQLiteDriver
import Foundation
import LiandongSQLite
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit

/// The project's own writing connection to an SQLite file: every write transaction on SQLite runs
/// here (`writeTransaction`), one at a time behind the file's `WriteGate`, while pages read on
/// SQLiteNIO's pooled connections (WAL). It is opened through the SQLite library SQLiteNIO vendors
/// (`LiandongSQLite`), so there is one SQLite in the process and one set of file locks.
///
/// Why its own: SQLiteNIO compiles every query it is given anew and keeps its handle to itself; a
/// million-row ingest spends most of its time compiling. Here a transaction begins with `BEGIN
/// IMMEDIATE` (the write lock first, never found taken half-way), and each distinct statement is
/// compiled once per transaction and then bound, stepped and reset for every row.
final class SQLiteWriter: Sendable {
    let path: String
    /// `PRAGMA synchronous` (`LIANDONG_SQLITE_SYNCHRONOUS`): FULL, NORMAL or EXTRA.
    let synchronous: String
    /// How long a transaction waits for another process's write lock before SQLite refuses it.
    let busyTimeoutMilliseconds: Int
    private let connection = NIOLockedValueBox<SQLiteWriterConnection?>(nil)

    init(path: String, synchronous: String, busyTimeoutMilliseconds: Int) {
        self.path = path
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    /// Runs `body` in one transaction on the writing connection (opened on first use). The caller
    /// holds the file's write turn. `context` is the database's, so that what the body asks of
    /// its database (configuration, logger, event loop) is the same as outside.
    func transaction<T: Sendable>(context: DatabaseContext, _ body: @Sendable (any Database) async throws -> T) async throws -> T {
        let connection = try await open()
        try await connection.run { try $0.begin() }
        do {
            let result = try await body(SQLiteWriterDatabase(connection: connection, context: context))
            try await connection.run { try $0.commit() }
            return result
        } catch {
            try? await connection.run { $0.rollback() }
            throw error
        }
    }

    private func open() async throws -> SQLiteWriterConnection {
        if let open = connection.withLockedValue({ $0 }) { return open }
        let path = path, synchronous = synchronous, timeout = busyTimeoutMilliseconds
        let opened = try await NIOThreadPool.singleton.runIfActive {
            try SQLiteWriterConnection(path: path, synchronous: synchronous, busyTimeoutMilliseconds: timeout)
        }
        return connection.withLockedValue { current in
            if let current { return current }
            current = opened
            return opened
        }
    }

    /// Closes the connection (the application shuts down); a later transaction opens it again.
    func close() {
        connection.withLockedValue { current in
            current?.close()
            current = nil
        }
    }
}

/// An open `sqlite3` handle and the statements compiled in the current transaction.
final class SQLiteWriterConnection: @unchecked Sendable {
    // Opened in serialized mode (SQLITE_OPEN_FULLMUTEX) like SQLiteNIO's own connections; `lock`
    // keeps one body at a time on it, and the write gate one transaction.
    private var handle: OpaquePointer?
    private var statements: [String: SQLitePrepared] = [:]
    private let lock = NIOLock()
    /// Distinct statements kept per transaction; past that a statement is compiled for its use.
    static let statementCacheLimit = 512

    init(path: String, synchronous: String, busyTimeoutMilliseconds: Int) throws {
        var db: OpaquePointer?
        let flags = LIANDONG_SQLITE_OPEN_READWRITE | LIANDONG_SQLITE_OPEN_CREATE | LIANDONG_SQLITE_OPEN_FULLMUTEX
            | LIANDONG_SQLITE_OPEN_URI | LIANDONG_SQLITE_OPEN_EXRESCODE
        let code = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard code == LIANDONG_SQLITE_OK, let db else {
            let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            if let db { sqlite_nio_sqlite3_close_v2(db) }
            throw SQLiteStatementError(code: code, message: message)
        }
        handle = db
        sqlite_nio_sqlite3_busy_timeout(db, Int32(busyTimeoutMilliseconds))
        do {
            // WAL persists in the file; `synchronous` and foreign keys belong to the connection
            // (foreign keys on, as the SQLite driver sets them on its own connections).
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = \(synchronous)")
            try execute("PRAGMA foreign_keys = ON")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs `body` on the connection, off the event loops and Swift's cooperative threads (SQLite
    /// blocks while it reads, writes and syncs).
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteWriterConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.lock.withLock { try body(self) } }
    }

    var raw: OpaquePointer {
        get throws {
            guard let handle else { throw SQLiteStatementError(code: 21, message: "the SQLite writer is closed") }
            return handle
        }
    }

    var errorMessage: String {
        handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
    }

    /// Runs statements that return nothing of interest (rows, if any, are stepped over).
    func execute(_ text: String) throws {
        let statement = try SQLitePrepared(self, text, persistent: false)
        while try statement.step() {}
    }

    func begin() throws {
        statements.removeAll()
        try execute("BEGIN IMMEDIATE")
    }

    func commit() throws {
        statements.removeAll()
        try execute("COMMIT")
    }

    /// Rolls back whatever is open (a failed statement, a failed COMMIT on a full disk).
    func rollback() {
        statements.removeAll()
        if let handle, sqlite_nio_sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
    }

    /// `text` compiled once in this transaction.
    func prepared(_ text: String) throws -> SQLitePrepared {
        if let statement = statements[text] { return statement }
        let statement = try SQLitePrepared(self, text, persistent: true)
        if statements.count < Self.statementCacheLimit { statements[text] = statement }
        return statement
    }

    /// Runs a query with its values bound, handing over each row.
    func query(_ text: String, _ binds: [SQLiteData], _ onRow: (PreparedRow) -> Void) throws {
        let statement = try prepared(text)
        for (offset, value) in binds.enumerated() { try statement.bind(Int32(offset + 1), value) }
        while try statement.step() { onRow(PreparedRow(columns: statement.columnIndex, values: statement.row)) }
    }
}

/// An SQLite result code other than OK, ROW or DONE from the writer.
struct SQLiteStatementError: Error, CustomStringConvertible, DatabaseError {
    var code: Int32
    var message: String

    var description: String { "SQLite error \(code): \(message)" }
    /// Another connection holds the write lock: the transaction may be run again.
    var isContention: Bool { [LIANDONG_SQLITE_BUSY, LIANDONG_SQLITE_LOCKED].contains(code & 0xFF) }
    var isFull: Bool { code & 0xFF == LIANDONG_SQLITE_FULL }
    var isSyntaxError: Bool { code & 0xFF == 1 && message.contains("syntax error") }
    var isConstraintFailure: Bool { code & 0xFF == LIANDONG_SQLITE_CONSTRAINT }
    var isConnectionClosed: Bool { false }
}

/// One compiled statement, reused: `bind` values, then `step` through its rows; `step` resets it
/// when the rows are done.
final class SQLitePrepared {
    private let connection: SQLiteWriterConnection
    private var statement: OpaquePointer?
    let columnCount: Int32
    /// The result columns by name (the first of a repeated name).
    let columnIndex: [String: Int]

    init(_ connection: SQLiteWriterConnection, _ text: String, persistent: Bool) throws {
        self.connection = connection
        let code = sqlite_nio_sqlite3_prepare_v3(try connection.raw, text, -1, persistent ? UInt32(LIANDONG_SQLITE_PREPARE_PERSISTENT) : 0,
                                                 &statement, nil)
        guard code == LIANDONG_SQLITE_OK, statement != nil else {
            throw SQLiteStatementError(code: code, message: connection.errorMessage)
        }
        let count = sqlite_nio_sqlite3_column_count(statement)
        columnCount = count
        var index: [String: Int] = [:]
        for i in 0..<count {
            let name = sqlite_nio_sqlite3_column_name(statement, i).map { String(cString: $0) } ?? ""
            if index[name] == nil { index[name] = Int(i) }
        }
        columnIndex = index
    }

    deinit { sqlite_nio_sqlite3_finalize(statement) }

    private func check(_ code: Int32) throws {
        guard code == LIANDONG_SQLITE_OK else {
            sqlite_nio_sqlite3_reset(statement)
            throw SQLiteStatementError(code: code, message: connection.errorMessage)
        }
    }

    /// Binds `value` to the 1-based parameter `index`.
    func bind(_ index: Int32, _ value: BulkValue) throws {
        switch value {
        case .text(nil), .int(nil), .bool(nil), .date(nil):
            try check(sqlite_nio_sqlite3_bind_null(statement, index))
        case .text(var text?):
            try check(text.withUTF8 { utf8 in
                liandong_sqlite_bind_text(statement, index, utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                          Int32(utf8.count))
            })
        case .int(let v?):
            try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(v)))
        case .bool(let v?):
            try check(sqlite_nio_sqlite3_bind_int64(statement, index, v ? 1 : 0))
        case .date(let v?):
            // As SQLite's driver stores a date: seconds since 1970.
            try check(sqlite_nio_sqlite3_bind_double(statement, index, v.timeIntervalSince1970))
        }
    }

    /// Binds a value as SQLKit's encoder gave it.
    func bind(_ index: Int32, _ value: SQLiteData) throws {
        switch value {
        case .null: try check(sqlite_nio_sqlite3_bind_null(statement, index))
        case .integer(let v): try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(v)))
        case .float(let v): try check(sqlite_nio_sqlite3_bind_double(statement, index, v))
        case .text(let text): try bind(index, BulkValue.text(text))
        case .blob(let buffer):
            try check(buffer.withUnsafeReadableBytes { bytes in
                liandong_sqlite_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count))
            })
        }
    }

    /// Binds `values` to the parameters from `first` on.
    func bind(_ values: [BulkValue], from first: Int32 = 1) throws {
        for (offset, value) in values.enumerated() { try bind(first + Int32(offset), value) }
    }

    /// Steps once: true when a row is ready; false when done (and the statement is reset for the
    /// next binding).
    @discardableResult
    func step() throws -> Bool {
        let code = sqlite_nio_sqlite3_step(statement)
        switch code {
        case LIANDONG_SQLITE_ROW: return true
        case LIANDONG_SQLITE_DONE:
            sqlite_nio_sqlite3_reset(statement)
            return false
        default:
            sqlite_nio_sqlite3_reset(statement)
            throw SQLiteStatementError(code: code, message: connection.errorMessage)
        }
    }

    /// Runs a statement that returns no rows, once per binding.
    func execute(_ values: [BulkValue]) throws {
        try bind(values)
        while try step() {}
    }

    /// A column of the current row.
    func column(_ index: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case LIANDONG_SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case LIANDONG_SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case LIANDONG_SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case LIANDONG_SQLITE_NULL: return .null
        default:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let blob = sqlite_nio_sqlite3_column_blob(statement, index) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: blob, count: count))
            }
            return .blob(buffer)
        }
    }

    /// The current row's columns.
    var row: [SQLiteData] { (0..<columnCount).map(column) }
}

/// A row read through the writer, for SQLKit's decoding.
struct PreparedRow: SQLRow {
    struct MissingColumn: Error { var column: String }
    let columns: [String: Int]
    let values: [SQLiteData]

    var allColumns: [String] { columns.sorted { $0.value < $1.value }.map(\.key) }
    func contains(column: String) -> Bool { columns[column] != nil }
    func decodeNil(column: String) throws -> Bool {
        guard let index = columns[column] else { return true }
        return values[index] == .null
    }
    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let index = columns[column] else { throw MissingColumn(column: column) }
        return try SQLiteDataDecoder().decode(D.self, from: values[index])
    }
}

/// The writer's transaction as a database: SQLKit's queries and builders, and Fluent's models
/// (the audit log's entries, the migrations' schema), all on the one connection.
struct SQLiteWriterDatabase: Database, SQLDatabase {
    let connection: SQLiteWriterConnection
    let context: DatabaseContext

    var inTransaction: Bool { true }

    // SQLDatabase

    var dialect: any SQLDialect { SQLiteDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (text, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let values = try binds.map { try encoder.encode($0) }
        try await connection.run { connection in try connection.query(text, values) { onRow($0) } }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    // Database (as the SQLite driver converts Fluent's queries and schema)

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        var expression = SQLQueryConverter(delegate: WriterConverterDelegate()).convert(query)
        // A create returns the generated id (not for composite ids, marked by an empty key).
        if case .create = query.action, query.customIDKey != .some(.string("")) {
            expression = SQLKit.SQLList([expression, SQLReturning(SQLColumn((query.customIDKey ?? .id).description))], separator: SQLRaw(" "))
        }
        return execute(sql: expression) { onOutput(WriterRowOutput(row: $0, schema: nil)) }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        var schema = schema
        if schema.action == .update {
            schema.updateFields = schema.updateFields.filter {
                if case .dataType(_, .enum(_)) = $0 { return false }
                return true
            }
            // SQLite alters a table by adding columns only.
            guard schema.createConstraints.isEmpty, schema.updateFields.isEmpty, schema.deleteConstraints.isEmpty else {
                return eventLoop.makeFailedFuture(SQLiteStatementError(code: 1, message: "SQLite only supports adding columns in ALTER TABLE statements"))
            }
            if schema.createFields.isEmpty, schema.deleteFields.isEmpty { return eventLoop.makeSucceededFuture(()) }
        }
        return execute(sql: SQLSchemaConverter(delegate: WriterConverterDelegate()).convert(schema)) { _ in }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { eventLoop.makeSucceededFuture(()) }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { closure(self) }

    func transaction<T: Sendable>(_ closure: @escaping @Sendable (any Database) async throws -> T) async throws -> T { try await closure(self) }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { closure(self) }

    func withConnection<T: Sendable>(_ closure: @escaping @Sendable (any Database) async throws -> T) async throws -> T { try await closure(self) }
}

/// SQLite's column types for Fluent's data types, as the SQLite driver maps them.
private struct WriterConverterDelegate: SQLConverterDelegate {
    func customDataType(_ dataType: DatabaseSchema.DataType) -> (any SQLExpression)? {
        switch dataType {
        case .string: SQLRaw("TEXT")
        case .datetime: SQLRaw("REAL")
        case .int64: SQLRaw("INTEGER")
        case .enum: SQLRaw("TEXT")
        default: nil
        }
    }
}

/// A row as Fluent's models read it (a column of a joined schema is `schema_field`).
private struct WriterRowOutput: DatabaseOutput {
    let row: any SQLRow
    let schema: String?

    var description: String { String(describing: row) }

    private func column(_ key: FieldKey) -> String {
        (schema.map { .prefix(.prefix(.string($0), "_"), key) } ?? key).description
    }

    func schema(_ schema: String) -> any DatabaseOutput { WriterRowOutput(row: row, schema: schema) }
    func contains(_ key: FieldKey) -> Bool { row.contains(column: column(key)) }
    func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: column(key)) }
    func decode<T: Decodable>(_ key: FieldKey, as: T.Type) throws -> T { try row.decode(column: column(key), as: T.self) }
}
