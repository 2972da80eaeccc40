import Fluent
import SQLKit

/// Deductions proposed from findings, and every step of their joint confirmation.
struct CreateDeductions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("deductions")
            .field("id", .int, .identifier(auto: true))
            .field("finding_id", .int, .required, .references("findings", "id"))
            .field("unit_id", .int, .references(LinkageUnit.schema, "id"))
            .field("agency", .string)
            .field("item", .string, .required)
            .field("status", .string, .required)
            .field("points_tenths", .int, .required)
            .field("occurred_at", .datetime, .required)
            .field("state", .string, .required)
            .field("rule_version", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "finding_id")
            .create()
        try await database.schema("deduction_events")
            .field("id", .int, .identifier(auto: true))
            .field("deduction_id", .int, .required, .references("deductions", "id"))
            .field("action", .string, .required)
            .field("agency", .string)
            .field("officer", .string, .required)
            .field("points_tenths", .int)
            .field("reason", .string)
            .field("at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "deductions_status").on("deductions").column("status").run()
        try await sql.create(index: "deductions_occurred_at").on("deductions").column("occurred_at").run()
        try await sql.create(index: "deduction_events_deduction").on("deduction_events").column("deduction_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("deduction_events").delete()
        try await database.schema("deductions").delete()
    }
}
