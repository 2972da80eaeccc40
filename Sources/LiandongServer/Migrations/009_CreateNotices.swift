import Fluent

/// Notices (通报) of confirmed deductions, published by the PLC.
struct CreateNotices: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("notices")
            .field("id", .int, .identifier(auto: true))
            .field("year", .int)
            .field("seq", .int)
            .field("number", .string)
            .field("title", .string, .required)
            .field("intro", .string, .required)
            .field("period_start", .datetime, .required)
            .field("period_end", .datetime, .required)
            .field("corrects_id", .int, .references("notices", "id"))
            .field("status", .string, .required)
            .field("content", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("published_by", .string)
            .field("published_at", .datetime)
            .unique(on: "number")
            .unique(on: "year", "seq")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("notices").delete()
    }
}
