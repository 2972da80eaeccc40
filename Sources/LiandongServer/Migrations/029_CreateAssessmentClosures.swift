import Fluent
import LiandongCore
import SQLKit

/// Issue 15 item 5: the year closed.
/// - `deductions.assessed_month`: for a deduction carried over from a closed year (上年度补扣),
///   the month (`YYYY-MM`) of the open year it counts in; NULL: the month its fact occurred.
/// - `deductions.carried_tenths`: the points closed years already counted for it, taken off what
///   it counts where it is carried (a deduction reduced or withdrawn after the close).
/// - `assessment_closures`: each close of a year, its figures as they stood (the report as JSON)
///   and their SHA-256, which the audit chain records; `active_year` is the year while it stays
///   closed (unique: a year is closed once at a time), NULL once reopened. A reopening asked for
///   by one side waits in `reopen_*` for the other side's agreement.
/// - `assessment_closure_deductions`: the deductions behind the closed figures, each with what it
///   counted and where it was counted then (a reopening puts carried items back from these).
/// The totals' triggers are made again to key on `assessed_month`.
struct CreateAssessmentClosures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("deductions").field("assessed_month", .string).update()
        try await database.schema("deductions").field("carried_tenths", .int, .required, .sql(.default(0))).update()
        try await database.schema(YearClose.closures)
            .field("id", .int, .identifier(auto: true))
            .field("year", .int, .required)
            .field("active_year", .int)
            .field("report", .string, .required)
            .field("hash", .string, .required)
            .field("closed_by", .string, .required)
            .field("closed_at", .datetime, .required)
            .field("reopen_side", .string)
            .field("reopen_requested_by", .string)
            .field("reopen_requested_account", .int)
            .field("reopen_reason", .string)
            .field("reopen_requested_at", .datetime)
            .field("reopened_by", .string)
            .field("reopened_at", .datetime)
            .unique(on: "active_year")
            .create()
        try await database.schema(YearClose.closureDeductions)
            .field("closure_id", .int, .required, .references(YearClose.closures, "id"))
            .field("deduction_id", .int, .required, .references("deductions", "id"))
            .field("entity", .string, .required)
            .field("subject", .string, .required)
            .field("item", .string, .required)
            .field("points_tenths", .int, .required)
            .field("occurred_at", .datetime, .required)
            .field("reason", .string, .required)
            .field("assessed_month", .string)
            .field("carried_tenths", .int, .required)
            .compositeIdentifier(over: "closure_id", "deduction_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "deductions_assessed_month").on("deductions").column("assessed_month").run()
        for statement in DeductionTotals.dropTriggers(dialect: sql.dialect.name) + DeductionTotals.triggers(dialect: sql.dialect.name) {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await DeductionTotals.rebuild(on: sql)
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for statement in DeductionTotals.dropTriggers(dialect: sql.dialect.name) + DeductionTotals.triggers(dialect: sql.dialect.name, carried: false) {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await database.schema(YearClose.closureDeductions).delete()
        try await database.schema(YearClose.closures).delete()
        try await sql.drop(index: "deductions_assessed_month").run()
        try await database.schema("deductions").deleteField("carried_tenths").update()
        try await database.schema("deductions").deleteField("assessed_month").update()
        try await DeductionTotals.rebuild(on: sql, carried: false)
    }
}
