import Fluent

/// A drill under way has no finish time: units not yet arrived are on their way, not absent.
struct UpdateDrillsAddFinishedAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("drills").field("finished_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("drills").deleteField("finished_at").update()
    }
}
