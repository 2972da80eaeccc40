import Fluent
import SQLKit

/// A covering index for compliance: the period scan reads every column it needs from the index
/// in instruction order, without visiting the wide dispatch rows.
struct AddComplianceIndex: AsyncMigration {
    static let columns = ["instructed_at", "exercise", "unit_id", "level", "jurisdiction_id", "on_time", "elapsed_seconds",
                          "ack_seconds", "arrival_reported_at", "result_reported_at", "refused", "passed_on"]

    func prepare(on database: any Database) async throws {
        var index = (database as! any SQLDatabase).create(index: "dispatches_compliance").on("dispatches")
        for column in Self.columns { index = index.column(column) }
        try await index.run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "dispatches_compliance").run()
    }
}
