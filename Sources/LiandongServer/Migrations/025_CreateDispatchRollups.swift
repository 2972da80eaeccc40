import Fluent
import SQLKit

/// The compliance read model (issue 14 item 4): `dispatch_rollups`, one row per stored period
/// (month, quarter, half-year, year) and group, counted from the dispatches already stored.
struct CreateDispatchRollups: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(DispatchRollups.table)
            .field("period", .string, .required)
            .field("kind", .string, .required)
            .field("grp", .string, .required)
            .field("unit_id", .int)
            .field("level", .int)
            .field("jurisdiction_id", .string)
            .field("n", .int, .required)
            .field("judged", .int, .required)
            .field("on_time", .int, .required)
            .field("complete", .int, .required)
            .field("refusals", .int, .required)
            .field("passed_on", .int, .required)
            .field("p50_arrival", .int)
            .field("p90_arrival", .int)
            .field("p50_ack", .int)
            .field("arrivals", .data, .required)
            .field("acks", .data, .required)
            .compositeIdentifier(over: "period", "kind", "grp")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "dispatch_rollups_unit").on(DispatchRollups.table).column("unit_id").column("period").run()
        try await DispatchRollups.rebuild(on: sql)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(DispatchRollups.table).delete()
    }
}
