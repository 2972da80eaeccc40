import Fluent
import SQLKit

/// Live dispatches: the 110 system's events, one judged row per (incident, unit), and findings.
struct CreateDispatches: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("dispatch_events")
            .field("event_id", .string, .identifier(auto: false))
            .field("incident_id", .string, .required)
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .field("type", .string, .required)
            .field("at", .datetime, .required)
            .field("on_site_required", .bool)
            .field("exercise", .bool, .required)
            .field("note", .string)
            .field("received_at", .datetime, .required)
            .create()

        try await database.schema("dispatches")
            .field("id", .int, .identifier(auto: true))
            .field("incident_id", .string, .required)
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .field("jurisdiction_id", .string, .required)
            .field("level", .int, .required)
            .field("public_security", .bool, .required)
            .field("exercise", .bool, .required)
            .field("on_site_required", .bool, .required)
            .field("instructed_at", .datetime)
            .field("acknowledged_at", .datetime)
            .field("arrived_at", .datetime)
            .field("arrival_reported_at", .datetime)
            .field("result_reported_at", .datetime)
            .field("closed_at", .datetime)
            .field("refused", .bool, .required)
            .field("passed_on", .bool, .required)
            .field("limit_seconds", .int)
            .field("elapsed_seconds", .int)
            .field("ack_seconds", .int)
            .field("on_time", .bool)
            .field("settled", .bool, .required)
            .field("judged_at", .datetime, .required)
            .unique(on: "incident_id", "unit_id")
            .create()

        try await database.schema("findings")
            .field("id", .int, .identifier(auto: true))
            .field("key", .string, .required)
            .field("unit_id", .int, .references(LinkageUnit.schema, "id"))
            .field("agency", .string)
            .field("item", .string, .required)
            .field("kind", .string, .required)
            .field("source", .string, .required)
            .field("ref", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("points_tenths", .int, .required)
            .field("reason", .string, .required)
            .field("rule_version", .string, .required)
            .field("created_at", .datetime, .required)
            .field("withdrawn_at", .datetime)
            .unique(on: "key")
            .create()

        let sql = database as! any SQLDatabase
        try await sql.create(index: "dispatch_events_incident_unit").on("dispatch_events").column("incident_id").column("unit_id").run()
        try await sql.create(index: "dispatches_instructed_at").on("dispatches").column("instructed_at").run()
        try await sql.create(index: "dispatches_pending").on("dispatches").column("settled").column("instructed_at").run()
        try await sql.create(index: "findings_occurred_at").on("findings").column("occurred_at").run()
        try await sql.create(index: "findings_source_ref").on("findings").column("source").column("ref").run()
    }

    func revert(on database: any Database) async throws {
        for table in ["findings", "dispatches", "dispatch_events"] { try await database.schema(table).delete() }
    }
}
