import Fluent
import FluentSQLiteDriver
import Foundation

extension Database {
    /// A transaction that writes. SQLite lets one connection write at a time; a transaction that
    /// began by reading and then wants to write while another connection writes is refused with
    /// SQLITE_BUSY at once (waiting could deadlock). Such a transaction has been rolled back
    /// whole, so it is run again, after a short random pause, until it gets its turn: concurrent
    /// ingest batches all land instead of failing. PostgreSQL never takes this path.
    /// Inside a transaction already, `body` joins it: only the outermost transaction can be run again.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if inTransaction { return try await body(self) }
        var attempt = 0
        // The driver may run the body in a task of its own: the bulk paths' setting goes along.
        let prepared = SQLiteRaw.enabled
        while true {
            do {
                return try await transaction { tx in try await SQLiteRaw.$enabled.withValue(prepared) { try await body(tx) } }
            } catch let error where Self.isContention(error) && attempt < 200 {
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64.random(in: 500_000...(5_000_000 + UInt64(min(attempt, 20)) * 1_000_000)))
            }
        }
    }
}

extension Database {
    /// SQLite's contention, from SQLiteNIO or from a prepared statement of the bulk paths.
    static func isContention(_ error: any Error) -> Bool {
        (error as? SQLiteError)?.isContention ?? (error as? SQLiteStatementError)?.isContention ?? false
    }
}

extension SQLiteError {
    /// Another connection holds the write lock (or changed the snapshot this one read).
    var isContention: Bool {
        switch reason {
        case .busy, .locked, .busyInSnapshot, .busyInRecovery, .busyTimeout: true
        default: false
        }
    }
}
