import Fluent
import SQLKit

/// Phone-check campaigns and calls, drills (on-site and video), consultation meetings.
/// A check or drill is stored whole as JSON (the core's Codable value) beside the columns that
/// queries need, so what is judged is exactly what was recorded.
struct CreateInspections: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("phone_campaigns")
            .field("id", .int, .identifier(auto: true))
            .field("month", .string, .required)
            .field("seed", .string, .required)
            .field("size", .int, .required)
            .field("units", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("phone_checks")
            .field("check_id", .string, .identifier(auto: false))
            .field("campaign_id", .int, .references("phone_campaigns", "id"))
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .field("checked_at", .datetime, .required)
            .field("body", .string, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        try await database.schema("drills")
            .field("check_id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("alert_at", .datetime, .required)
            .field("body", .string, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        try await database.schema("consultation_meetings")
            .field("id", .int, .identifier(auto: true))
            .field("held_on", .datetime, .required)
            .field("attendees", .string, .required)
            .field("decisions", .string, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "phone_checks_checked_at").on("phone_checks").column("checked_at").run()
        try await sql.create(index: "drills_alert_at").on("drills").column("alert_at").run()
    }

    func revert(on database: any Database) async throws {
        for table in ["consultation_meetings", "drills", "phone_checks", "phone_campaigns"] { try await database.schema(table).delete() }
    }
}
