import Fluent
import SQLKit

/// The emergency-plans register (D1–D6), rule-set revisions, and findings and deductions that
/// count against a jurisdiction's government (D6).
struct CreatePlansAndRuleSets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One row per plan, drill, major event or yearly D6 record; the record itself is the
        // import format's JSON, so what a clerk sends and what is stored read the same.
        try await database.schema("plan_records")
            .field("id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("key", .string, .required)
            .field("unit_id", .int)
            .field("body", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "kind", "key")
            .create()
        try await database.schema("rule_sets")
            .field("version", .string, .identifier(auto: false))
            .field("effective_from", .string, .required)
            .field("body", .string, .required)
            .field("published_by", .string, .required)
            .field("published_at", .datetime, .required)
            .create()
        try await database.schema("findings").field("jurisdiction_id", .string).update()
        try await database.schema("deductions").field("jurisdiction_id", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("deductions").deleteField("jurisdiction_id").update()
        try await database.schema("findings").deleteField("jurisdiction_id").update()
        try await database.schema("rule_sets").delete()
        try await database.schema("plan_records").delete()
    }
}
