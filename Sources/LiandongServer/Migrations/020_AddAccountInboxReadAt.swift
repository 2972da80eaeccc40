import Fluent

/// When the account last marked its unit's inbox read (`UnitInbox`): the home page shows what
/// came after.
struct AddAccountInboxReadAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("accounts").field("inbox_read_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("accounts").deleteField("inbox_read_at").update()
    }
}
