import Fluent

/// Which agencies took part in each drill (`emb,psb`): a quarterly joint check counts for D7
/// only when both did. Drills recorded before this keep no value (NULL) and count as they did.
struct AddDrillAgencies: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("drills").field("agencies", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("drills").deleteField("agencies").update()
    }
}
