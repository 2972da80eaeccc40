import Fluent
import Foundation
import LiandongCore
import SQLKit

/// The confirmed points by month, unit, agency and jurisdiction: what the assessment adds up,
/// kept by the database's own triggers on `deductions` (see `CreateDeductionTotals`), so the
/// assessment of a year reads a row per subject and month instead of every deduction.
enum DeductionTotals {
    static let table = "deduction_totals"

    static func monthKey(_ day: LocalDate) -> String { String(format: "%04d-%02d", day.year, day.month) }

    /// The month (China time) of a stored instant, as each database writes it: SQLite keeps an
    /// instant as seconds since 1970, PostgreSQL as a `timestamptz`.
    static func month(_ column: String, dialect: String) -> String {
        dialect == "postgresql"
            ? "to_char((\(column) AT TIME ZONE 'UTC') + interval '\(ChinaTime.secondsFromGMT) seconds', 'YYYY-MM')"
            : "strftime('%Y-%m', \(column) + \(ChinaTime.secondsFromGMT), 'unixepoch')"
    }

    /// The key of a deduction's row. `carried` (migration 029 on): a deduction carried over
    /// from a closed year counts in its `assessed_month` (上年度补扣), the others in the month
    /// their fact occurred. Migration 026 creates the first form, before the column exists.
    private static func key(_ row: String, dialect: String, carried: Bool = true) -> (month: String, unit: String, agency: String, jurisdiction: String) {
        let occurred = month("\(row).occurred_at", dialect: dialect)
        return (carried ? "COALESCE(\(row).assessed_month, \(occurred))" : occurred, "COALESCE(\(row).unit_id, 0)", "COALESCE(\(row).agency, '')",
                "COALESCE(\(row).jurisdiction_id, '')")
    }

    private static var confirmed: String { DeductionStatus.confirmed.rawValue }

    /// Whether a row counts: confirmed, or carried over with points a closed year already counted
    /// (a deduction withdrawn after its year was closed gives those points back in the next year).
    static func counts(_ row: String, carried: Bool = true) -> String {
        carried ? "(\(row).status = '\(confirmed)' OR \(row).carried_tenths <> 0)" : "\(row).status = '\(confirmed)'"
    }

    /// The points a row counts: its figure when confirmed, less what a closed year already counted.
    static func points(_ row: String, carried: Bool = true) -> String {
        carried ? "(CASE WHEN \(row).status = '\(confirmed)' THEN \(row).points_tenths ELSE 0 END - \(row).carried_tenths)" : "\(row).points_tenths"
    }

    private static func add(_ row: String, dialect: String, carried: Bool) -> String {
        let k = key(row, dialect: dialect, carried: carried)
        return """
            INSERT INTO \(table) (month, unit_id, agency, jurisdiction_id, points_tenths, n)
            VALUES (\(k.month), \(k.unit), \(k.agency), \(k.jurisdiction), \(points(row, carried: carried)), 1)
            ON CONFLICT (month, unit_id, agency, jurisdiction_id)
            DO UPDATE SET points_tenths = \(table).points_tenths + excluded.points_tenths, n = \(table).n + 1;
            """
    }

    private static func takeAway(_ row: String, dialect: String, carried: Bool) -> String {
        let k = key(row, dialect: dialect, carried: carried)
        let match = "month = \(k.month) AND unit_id = \(k.unit) AND agency = \(k.agency) AND jurisdiction_id = \(k.jurisdiction)"
        return """
            UPDATE \(table) SET points_tenths = points_tenths - \(points(row, carried: carried)), n = n - 1 WHERE \(match);
            DELETE FROM \(table) WHERE n = 0 AND \(match);
            """
    }

    /// The statements that create the triggers (`carried`: the form of migration 029).
    static func triggers(dialect: String, carried: Bool = true) -> [String] {
        if dialect == "postgresql" {
            return ["""
                CREATE OR REPLACE FUNCTION deduction_totals_keep() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP <> 'INSERT' THEN
                    IF \(counts("OLD", carried: carried)) THEN
                      \(takeAway("OLD", dialect: dialect, carried: carried))
                    END IF;
                  END IF;
                  IF TG_OP <> 'DELETE' THEN
                    IF \(counts("NEW", carried: carried)) THEN
                      \(add("NEW", dialect: dialect, carried: carried))
                    END IF;
                  END IF;
                  RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER deduction_totals_keep AFTER INSERT OR UPDATE OR DELETE ON deductions FOR EACH ROW EXECUTE FUNCTION deduction_totals_keep()"]
        }
        return [
            "CREATE TRIGGER deduction_totals_insert AFTER INSERT ON deductions WHEN \(counts("NEW", carried: carried)) BEGIN \(add("NEW", dialect: dialect, carried: carried)) END",
            "CREATE TRIGGER deduction_totals_update_old AFTER UPDATE ON deductions WHEN \(counts("OLD", carried: carried)) BEGIN \(takeAway("OLD", dialect: dialect, carried: carried)) END",
            "CREATE TRIGGER deduction_totals_update_new AFTER UPDATE ON deductions WHEN \(counts("NEW", carried: carried)) BEGIN \(add("NEW", dialect: dialect, carried: carried)) END",
            "CREATE TRIGGER deduction_totals_delete AFTER DELETE ON deductions WHEN \(counts("OLD", carried: carried)) BEGIN \(takeAway("OLD", dialect: dialect, carried: carried)) END",
        ]
    }

    static func dropTriggers(dialect: String) -> [String] {
        dialect == "postgresql"
            ? ["DROP TRIGGER IF EXISTS deduction_totals_keep ON deductions", "DROP FUNCTION IF EXISTS deduction_totals_keep()"]
            : ["deduction_totals_insert", "deduction_totals_update_old", "deduction_totals_update_new", "deduction_totals_delete"].map { "DROP TRIGGER IF EXISTS \($0)" }
    }

    struct Total: Decodable, Hashable {
        var month: String
        var unit_id: Int
        var agency: String
        var jurisdiction_id: String
        var points_tenths: Int
        var n: Int
    }

    /// The totals counted again from the deductions.
    static func recount(on sql: any SQLDatabase) async throws -> [Total] {
        let k = key("deductions", dialect: sql.dialect.name)
        return try await sql.raw(SQLQueryString("""
            SELECT \(k.month) AS month, \(k.unit) AS unit_id, \(k.agency) AS agency, \(k.jurisdiction) AS jurisdiction_id,
              CAST(SUM(\(points("deductions"))) AS BIGINT) AS points_tenths, CAST(COUNT(*) AS BIGINT) AS n
            FROM deductions WHERE \(counts("deductions")) GROUP BY 1, 2, 3, 4
            """)).all(decoding: Total.self)
    }

    static func stored(on sql: any SQLDatabase) async throws -> [Total] {
        try await sql.select().columns("month", "unit_id", "agency", "jurisdiction_id", "points_tenths", "n").from(table).all(decoding: Total.self)
    }

    /// Counts every total again (the migration that creates them).
    static func rebuild(on sql: any SQLDatabase, carried: Bool = true) async throws {
        try await sql.delete(from: table).run()
        let k = key("deductions", dialect: sql.dialect.name, carried: carried)
        try await sql.raw(SQLQueryString("""
            INSERT INTO \(table) (month, unit_id, agency, jurisdiction_id, points_tenths, n)
            SELECT \(k.month), \(k.unit), \(k.agency), \(k.jurisdiction), SUM(\(points("deductions", carried: carried))), COUNT(*)
            FROM deductions WHERE \(counts("deductions", carried: carried)) GROUP BY 1, 2, 3, 4
            """)).run()
    }

    /// The confirmed deductions of a period of whole months, one total per subject; nil for a
    /// span that does not begin and end with a month.
    static func deductions(in period: Period, on sql: any SQLDatabase) async throws -> [Assessment.Deduction]? {
        guard period.start.day == 1, period.end.day == 1 else { return nil }
        struct Row: Decodable { var unit_id: Int; var agency: String; var jurisdiction_id: String; var p: Int; var n: Int }
        return try await sql.raw("""
            SELECT unit_id, agency, jurisdiction_id, CAST(SUM(points_tenths) AS BIGINT) AS p, CAST(SUM(n) AS BIGINT) AS n FROM \(ident: table)
            WHERE month >= \(bind: monthKey(period.start)) AND month < \(bind: monthKey(period.end)) GROUP BY unit_id, agency, jurisdiction_id
            """).all(decoding: Row.self).map {
            Assessment.Deduction(total: Points(tenths: $0.p), count: $0.n, unitID: $0.unit_id == 0 ? nil : $0.unit_id,
                                 agency: Agency(rawValue: $0.agency), jurisdictionID: $0.jurisdiction_id.nilIfEmpty)
        }
    }
}
