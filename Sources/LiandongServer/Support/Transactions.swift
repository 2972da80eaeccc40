import Fluent
import FluentSQLiteDriver
import Foundation
import PostgresNIO
import SQLKit

extension Database {
    /// A transaction that writes. On SQLite the writers of this process take turns through the
    /// file's `WriteGate` (first come, first served; waiting holds no connection), and each runs
    /// on the project's own writing connection (`SQLiteWriter`), beginning with `BEGIN IMMEDIATE`:
    /// the write lock first, never found taken half-way. Another process writing the same file (a
    /// `liandong` command beside the server) is waited for by the busy timeout; should SQLite
    /// still refuse, the transaction has been rolled back whole and runs again after a short
    /// random pause. PostgreSQL takes none of this: its writers run side by side, and a
    /// transaction the server rolled back to break a deadlock or a serialization conflict (two
    /// ingests upserting the same read-model rows in different orders) runs again the same way.
    /// Inside a transaction already, `body` joins it: only the outermost transaction can be run again.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if inTransaction { return try await body(self) }
        guard let gate = writeGate, let writer = sqliteWriter else {
            var attempt = 0
            while true {
                do {
                    return try await transaction(body)
                } catch let error where isWriteConflict(error) && attempt < 20 {
                    attempt += 1
                    try await Task.sleep(nanoseconds: UInt64.random(in: 1_000_000...(10_000_000 + UInt64(attempt) * 10_000_000)))
                }
            }
        }
        // A write inside a write of this task on another handle (`req.db` within a transaction
        // body): it joins the transaction under way, which holds the file's only write lock.
        if WriteGate.held == ObjectIdentifier(gate), let outer = WriteGate.transaction { return try await body(outer) }
        let context = self.context
        return try await gate.withTurn {
            var attempt = 0
            while true {
                do {
                    return try await writer.transaction(context: context) { tx in
                        try await WriteGate.$transaction.withValue(tx) { try await body(tx) }
                    }
                } catch let error where isWriteContention(error) && attempt < 50 {
                    attempt += 1
                    try await Task.sleep(nanoseconds: UInt64.random(in: 1_000_000...(10_000_000 + UInt64(min(attempt, 20)) * 5_000_000)))
                }
            }
        }
    }
}

extension Database {
    /// Bookkeeping (a session's or a token's last use): written if the turn to write comes within
    /// a moment, skipped if the database is busy or the write fails; the request goes on either way.
    func bookkeeping(_ what: String, logger: Logger, _ body: @escaping @Sendable (any Database) async throws -> Void) async {
        do {
            try await WriteGate.$patience.withValue(.milliseconds(200)) { try await writeTransaction(body) }
        } catch {
            logger.warning("\(what) not recorded: \(String(reflecting: error))")
        }
    }
}

/// SQLite's contention, from SQLiteNIO or from the project's writer; PostgreSQL's conflicts.
func isWriteContention(_ error: any Error) -> Bool {
    (error as? SQLiteError)?.isContention ?? (error as? SQLiteStatementError)?.isContention ?? isWriteConflict(error)
}

/// PostgreSQL rolled the transaction back so that another could go on: deadlock_detected
/// (40P01) or serialization_failure (40001). Nothing of it was stored; it may run again.
func isWriteConflict(_ error: any Error) -> Bool {
    guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
    return state == "40P01" || state == "40001"
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
