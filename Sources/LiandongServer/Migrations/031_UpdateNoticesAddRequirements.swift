import Fluent

/// Issue 18: the 有关要求 paragraph of a notice, edited in the draft like its title and 导语
/// (`notices.requirements`; NULL: the standard paragraph).
struct UpdateNoticesAddRequirements: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("notices").field("requirements", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("notices").deleteField("requirements").update()
    }
}
