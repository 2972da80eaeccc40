import Fluent

/// The level-1 units a month's phone-check campaign calls outside office hours (24-hour duty,
/// Annex 2), as the sampled units are kept: ids separated by commas.
struct AddCampaignOutOfHours: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("phone_campaigns").field("out_of_hours", .string, .required, .sql(.default(""))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("phone_campaigns").deleteField("out_of_hours").update()
    }
}
