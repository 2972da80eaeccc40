import Fluent
import SQLKit

/// A covering index for compliance: the period scan reads every column it needs from the index
/// in instruction order, without visiting the wide dispatch rows. It begins with
/// `instructed_at`, so the index on that column alone goes: one index less to keep on ingest.
struct AddComplianceIndex: AsyncMigration {
    static let columns = ["instructed_at", "exercise", "unit_id", "level", "jurisdiction_id", "on_time", "elapsed_seconds",
                          "ack_seconds", "arrival_reported_at", "result_reported_at", "refused", "passed_on"]

    func prepare(on database: any Database) async throws {
        var index = (database as! any SQLDatabase).create(index: "dispatches_compliance").on("dispatches")
        for column in Self.columns { index = index.column(column) }
        try await index.run()
        try await (database as! any SQLDatabase).drop(index: "dispatches_instructed_at").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).create(index: "dispatches_instructed_at").on("dispatches").column("instructed_at").run()
        try await (database as! any SQLDatabase).drop(index: "dispatches_compliance").run()
    }
}
