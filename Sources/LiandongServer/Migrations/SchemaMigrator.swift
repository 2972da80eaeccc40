import Fluent
import Foundation
import Logging
import SQLKit

/// Brings the schema up to date one migration at a time, each in a transaction of its own together
/// with its row in Fluent's migration log (`_fluent_migrations`: id, name, batch, timestamps, the
/// table and rows Fluent's own migrator writes, so a database migrated by either is read by both).
/// SQLite and PostgreSQL both roll DDL back with the transaction: a start killed part-way leaves
/// the database as the last committed migration left it, and the next start goes on from there.
/// Fluent's migrator runs `prepare` and records it separately, outside any transaction, so a kill
/// between the two left tables that the next start tried to create again.
enum SchemaMigrator {
    /// Runs, in order, every migration the log does not list yet; returns the names of those run.
    /// All of one run share a batch number, as with Fluent's migrator.
    /// A log naming a migration not in `migrations` means a newer version migrated the database:
    /// nothing is run and `NewerDatabaseError` is thrown. `beforeApplying` is called with the
    /// names to run and those already recorded before the first is applied (the SQLite backup
    /// of an upgrade, `UpgradeSafety`); it is not called when nothing is pending.
    @discardableResult
    static func run(_ migrations: [any Migration], on database: any Database, logger: Logger,
                    beforeApplying: ((_ pending: [String], _ recorded: Set<String>) async throws -> Void)? = nil) async throws -> [String] {
        // The log's own table (CREATE TABLE IF NOT EXISTS).
        try await database.writeTransaction { tx in
            try await SetupLock.take(tx, logExists: false)
            try await MigrationLog.migration.prepare(on: tx).get()
        }
        let recorded = Set(try await MigrationLog.query(on: database).all().map(\.name))
        let unknown = recorded.subtracting(migrations.map(\.name))
        guard unknown.isEmpty else { throw NewerDatabaseError(unknownMigrations: unknown.sorted()) }
        let pending = migrations.filter { !recorded.contains($0.name) }
        guard !pending.isEmpty else { return [] }
        try await beforeApplying?(pending.map(\.name), recorded)
        let batch = (try await MigrationLog.query(on: database).sort(\.$batch, .descending).first()?.batch ?? 0) + 1
        var ran: [String] = []
        for migration in pending {
            let name = migration.name
            let applied = try await database.writeTransaction { tx -> Bool in
                try await SetupLock.take(tx, logExists: true)
                // Read again under the lock: a process starting at the same moment may have run it.
                guard try await MigrationLog.query(on: tx).filter(\.$name == name).count() == 0 else { return false }
                do {
                    try await migration.prepare(on: tx).get()
                } catch {
                    logger.error("migration failed, rolled back", metadata: ["migration": .string(name), "error": .string(String(reflecting: error))])
                    throw error
                }
                try await MigrationLog(name: name, batch: batch).create(on: tx)
                return true
            }
            if applied {
                logger.info("migration applied", metadata: ["migration": .string(name), "batch": .stringConvertible(batch)])
                ran.append(name)
            }
        }
        return ran
    }
}

/// Serialises the one-time work of a start (migrations, the first administrator) between
/// processes that start at the same moment, for the rest of the transaction it is taken in.
enum SetupLock {
    /// An advisory lock on PostgreSQL, one per schema (tests run many schemas side by side);
    /// SQLite's write lock, taken by a write that changes nothing, on SQLite.
    static func take(_ tx: any Database, logExists: Bool = true) async throws {
        guard let sql = tx as? any SQLDatabase else { return }
        switch sql.dialect.name {
        case "postgresql":
            try await sql.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: "19524"), hashtext(current_schema()))").run()
        case "sqlite" where logExists:
            try await sql.raw("UPDATE \(ident: MigrationLog.schema) SET batch = batch WHERE 0 = 1").run()
        default:
            // SQLite before the log exists: the statement that creates it is a write of its own.
            break
        }
    }
}
