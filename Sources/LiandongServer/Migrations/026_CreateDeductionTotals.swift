import Fluent
import LiandongCore
import SQLKit

/// The assessment's read model (issue 14 item 4): `deduction_totals`, the confirmed points by
/// month (China time), unit, agency and jurisdiction, kept by triggers on `deductions` in the
/// transaction of every write that changes a deduction (proposal, confirmation, change of figure,
/// appeal decision, withdrawal), whichever code makes it. A subject with no unit, agency or
/// jurisdiction is stored as 0 or the empty text, so each key is one row.
struct CreateDeductionTotals: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(DeductionTotals.table)
            .field("month", .string, .required)
            .field("unit_id", .int, .required)
            .field("agency", .string, .required)
            .field("jurisdiction_id", .string, .required)
            .field("points_tenths", .int, .required)
            .field("n", .int, .required)
            .compositeIdentifier(over: "month", "unit_id", "agency", "jurisdiction_id")
            .create()
        let sql = database as! any SQLDatabase
        for statement in DeductionTotals.triggers(dialect: sql.dialect.name, carried: false) {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await DeductionTotals.rebuild(on: sql, carried: false)
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for statement in DeductionTotals.dropTriggers(dialect: sql.dialect.name) {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await database.schema(DeductionTotals.table).delete()
    }
}
