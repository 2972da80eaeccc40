import Fluent
import SQLKit

/// Exercise events name the on-site or video check (drill) they belong to, so the drill's page
/// can set the 110 timeline beside the inspectors' record.
struct AddDrillIDToDispatchEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("dispatch_events").field("drill_id", .string).update()
        // Partial: live events (nearly all) carry no drill and cost the index nothing on ingest.
        try await (database as! any SQLDatabase)
            .raw("CREATE INDEX dispatch_events_drill ON dispatch_events (drill_id) WHERE drill_id IS NOT NULL").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "dispatch_events_drill").run()
        try await database.schema("dispatch_events").deleteField("drill_id").update()
    }
}
