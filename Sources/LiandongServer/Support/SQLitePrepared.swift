import FluentSQLiteDriver
import Foundation
import NIOCore
import NIOPosix
import SQLKit
import VaporCSQLite

/// Statements compiled once and run for many rows (bind, step, reset) on the `sqlite3` handle of
/// the connection a transaction holds, for the bulk paths. SQLiteNIO compiles every query it is
/// given anew; for a million-row ingest that compiling dominated. The work runs inside the
/// caller's transaction, on the same connection (so its WAL mode, busy handling and
/// `synchronous` setting apply), on the connection's thread pool.
///
/// SQLiteNIO keeps the handle to itself; it is read by reflection. Should a later SQLiteNIO store
/// it differently, `run` returns nil and the callers fall back to SQLKit's statements (the tests
/// check that the handle is found).
enum SQLiteRaw {
    /// Off: the bulk paths take SQLKit's statements (for comparing the two paths in tests). It
    /// follows the caller into `writeTransaction`.
    @TaskLocal static var enabled = true

    /// Runs `body` with the raw handle of the connection `sql` stands for, or returns nil when
    /// `sql` is not SQLite or the handle cannot be reached. Use it inside a transaction: outside
    /// one, each call may get another pooled connection.
    static func run<T: Sendable>(_ sql: any SQLDatabase, _ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T? {
        guard enabled, let sqlite = sql as? any SQLiteDatabase else { return nil }
        return try await sqlite.withConnection { connection -> T? in
            guard let handle = SQLiteHandle(connection) else { return nil }
            return try await handle.pool.runIfActive { try body(handle) }
        }
    }
}

/// The `sqlite3*` of an open SQLiteNIO connection and the thread pool its queries run on.
struct SQLiteHandle: @unchecked Sendable {
    // SQLite is built in serialized mode (SQLITE_THREADSAFE=1): a handle may be used from any
    // thread; the transaction holding the connection keeps other work off it meanwhile.
    let raw: OpaquePointer
    let pool: NIOThreadPool

    init?(_ connection: SQLiteConnection) {
        let mirror = Mirror(reflecting: connection)
        guard let raw = mirror.descendant("handle", "raw") as? OpaquePointer else { return nil }
        self.raw = raw
        self.pool = mirror.descendant("threadPool") as? NIOThreadPool ?? .singleton
    }

    var errorMessage: String {
        sqlite_nio_sqlite3_errmsg(raw).map { String(cString: $0) } ?? "unknown error"
    }
}

/// An SQLite result code other than OK, ROW or DONE from a prepared statement.
struct SQLiteStatementError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    var description: String { "SQLite error \(code): \(message)" }
    /// Another connection holds the write lock: the transaction may be run again.
    var isContention: Bool { [SQLITE_BUSY, SQLITE_LOCKED].contains(code & 0xFF) }
    var isFull: Bool { code & 0xFF == SQLITE_FULL }
}

/// One compiled statement, reused: `bind` values, then `step` through its rows; `step`
/// resets it when the rows are done.
final class SQLitePrepared {
    private let handle: SQLiteHandle
    private var statement: OpaquePointer?
    let columnCount: Int32

    init(_ handle: SQLiteHandle, _ text: String) throws {
        self.handle = handle
        let code = sqlite_nio_sqlite3_prepare_v3(handle.raw, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, statement != nil else {
            throw SQLiteStatementError(code: code, message: handle.errorMessage)
        }
        columnCount = sqlite_nio_sqlite3_column_count(statement)
    }

    deinit { sqlite_nio_sqlite3_finalize(statement) }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            sqlite_nio_sqlite3_reset(statement)
            throw SQLiteStatementError(code: code, message: handle.errorMessage)
        }
    }

    /// Binds `value` to the 1-based parameter `index`.
    func bind(_ index: Int32, _ value: BulkValue) throws {
        switch value {
        case .text(nil), .int(nil), .bool(nil), .date(nil):
            try check(sqlite_nio_sqlite3_bind_null(statement, index))
        case .text(var text?):
            try check(text.withUTF8 { utf8 in
                // An empty buffer may have no address, which SQLite would take for NULL.
                utf8.isEmpty ? sqlite_nio_sqlite3_bind_text(statement, index, "", 0, SQLITE_TRANSIENT)
                    : sqlite_nio_sqlite3_bind_text(statement, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                                   Int32(utf8.count), SQLITE_TRANSIENT)
            })
        case .int(let v?):
            try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(v)))
        case .bool(let v?):
            try check(sqlite_nio_sqlite3_bind_int64(statement, index, v ? 1 : 0))
        case .date(let v?):
            // As SQLiteNIO stores a date: seconds since 1970.
            try check(sqlite_nio_sqlite3_bind_double(statement, index, v.timeIntervalSince1970))
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
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            sqlite_nio_sqlite3_reset(statement)
            return false
        default:
            sqlite_nio_sqlite3_reset(statement)
            throw SQLiteStatementError(code: code, message: handle.errorMessage)
        }
    }

    /// Runs a statement that returns no rows, once per binding.
    func execute(_ values: [BulkValue]) throws {
        try bind(values)
        while try step() {}
    }

    var columnNames: [String] {
        (0..<columnCount).map { sqlite_nio_sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? "" }
    }

    /// A column of the current row.
    func column(_ index: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_NULL: return .null
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

/// A row read through a prepared statement, for SQLKit's decoding.
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

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
