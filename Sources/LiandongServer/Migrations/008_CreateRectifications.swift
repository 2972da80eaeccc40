import Fluent

/// Corrective actions (整改) on confirmed deductions.
struct CreateRectifications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rectifications")
            .field("id", .int, .identifier(auto: true))
            .field("deduction_id", .int, .required, .references("deductions", "id"))
            .field("action", .string, .required)
            .field("owner", .string, .required)
            .field("due_at", .datetime, .required)
            .field("evidence", .string)
            .field("completed_at", .datetime)
            .field("verified_by", .string)
            .field("verified_at", .datetime)
            .field("verification_note", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "deduction_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rectifications").delete()
    }
}
