import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Response-time compliance of live dispatches for a period and a grouping (issue: compliance
/// analytics). Drill events never count: exercise dispatches are left out.
enum ComplianceService {
    enum Grouping: String, CaseIterable, Sendable {
        case unit, level, jurisdiction, all

        var name: String {
            switch self {
            case .unit: "单位"
            case .level: "级别"
            case .jurisdiction: "辖区"
            case .all: "全部"
            }
        }
    }

    struct Row: Content {
        var key: String
        var label: String
        var dispatches: Int
        /// Dispatches whose arrival was judged (on-site response needed and an arrival known).
        var arrivalsJudged: Int
        var onTime: Int
        var onTimeRate: Double?
        var p50ArrivalSeconds: Int?
        var p90ArrivalSeconds: Int?
        var p50AcknowledgeSeconds: Int?
        /// Both the arrival and the result reported.
        var completeReports: Int
        var completeReportRate: Double?
        var refusals: Int
        var passedOn: Int
    }

    struct MonthRow: Content {
        var month: String
        var dispatches: Int
        var onTimeRate: Double?
    }

    /// Judged arrivals in one whole minute of elapsed time (`minute` 0 = under one minute).
    struct MinuteBin: Content, Equatable {
        var minute: Int
        var count: Int
    }

    struct Report: Content {
        var period: String
        var from: String
        var to: String
        var by: String
        var rows: [Row]
        var total: Row
        var months: [MonthRow]
        /// The distribution of judged arrival times by whole minutes, for the chart.
        var arrivalMinutes: [MinuteBin]
    }

    private struct Counts: Decodable {
        var grp: String
        var n: Int
        var judged: Int
        var on_time: Int
        var complete: Int
        var refusals: Int
        var passed_on: Int
    }

    /// `scope`: limit to one unit (a liaison) or one jurisdiction (a county's officers).
    ///
    /// The database does the aggregating: counts with one GROUP BY, percentiles with a window
    /// function, months with one CASE over the month boundaries and the distribution by whole
    /// minutes, so a year of a province's dispatches never crosses into Swift row by row.
    /// `summary`: the counts and rates only (no percentiles, monthly trend or histogram), for
    /// the home pages and the wall screen.
    static func report(period: Period, by grouping: Grouping, unitID: Int? = nil, jurisdictionID: String? = nil,
                       summary: Bool = false, on db: any Database) async throws -> Report {
        let sql = db as! any SQLDatabase
        var filter = SQLQueryString("exercise = \(bind: false) AND instructed_at >= \(bind: period.startInstant) AND instructed_at < \(bind: period.endInstant)")
        if let unitID { filter.appendInterpolation(unsafeRaw: " AND unit_id = "); filter.appendInterpolation(bind: unitID) }
        if let jurisdictionID { filter.appendInterpolation(unsafeRaw: " AND jurisdiction_id = "); filter.appendInterpolation(bind: jurisdictionID) }
        // The grouping column; nil puts everything in one group.
        let column: String? = switch grouping {
        case .unit: "unit_id"
        case .level: "level"
        case .jurisdiction: "jurisdiction_id"
        case .all: nil
        }
        let groupKey = column.map { "CAST(\($0) AS TEXT)" } ?? "'all'"

        // PostgreSQL refuses a constant in GROUP BY: one group needs none.
        let groupBy = column.map { " GROUP BY CAST(\($0) AS TEXT)" } ?? ""
        let counts = try await sql.raw("""
            SELECT \(unsafeRaw: groupKey) AS grp, COUNT(*) AS n,
              COALESCE(SUM(CASE WHEN on_time IS NOT NULL THEN 1 ELSE 0 END), 0) AS judged,
              COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time,
              COALESCE(SUM(CASE WHEN arrival_reported_at IS NOT NULL AND result_reported_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS complete,
              COALESCE(SUM(CASE WHEN refused THEN 1 ELSE 0 END), 0) AS refusals,
              COALESCE(SUM(CASE WHEN passed_on THEN 1 ELSE 0 END), 0) AS passed_on
            FROM dispatches WHERE \(filter)\(unsafeRaw: groupBy)
            """).all(decoding: Counts.self).filter { $0.n > 0 }

        let (arrivals, acks, totalArrival, totalAck) = summary ? ([:], [:], nil, nil) : try await percentiles(filter: filter, column: column, on: sql)

        let names: [Int: String] = grouping == .unit ? try await RegisterService.unitNames(on: sql) : [:]
        func label(_ key: String) -> String {
            switch grouping {
            case .unit: Int(key).flatMap { names[$0] } ?? key
            case .level: Int(key).flatMap { UnitLevel(rawValue: $0)?.name } ?? key
            case .jurisdiction: Jurisdictions.named(key)?.name ?? key
            case .all: "全部"
            }
        }
        var rows = counts.map { c in row(key: c.grp, label: label(c.grp), c, arrival: arrivals[c.grp], ack: acks[c.grp]) }
        rows.sort { a, b in
            switch grouping {
            case .level: return a.key < b.key
            case .jurisdiction: return RegisterService.jurisdictionOrder(a.key) < RegisterService.jurisdictionOrder(b.key)
            // Units: the least punctual first, the way officers read a ranking of problems.
            default: return (a.onTimeRate ?? 2, -a.dispatches, a.label) < (b.onTimeRate ?? 2, -b.dispatches, b.label)
            }
        }
        let sum = counts.reduce(into: Counts(grp: "all", n: 0, judged: 0, on_time: 0, complete: 0, refusals: 0, passed_on: 0)) { t, c in
            t.n += c.n; t.judged += c.judged; t.on_time += c.on_time; t.complete += c.complete; t.refusals += c.refusals; t.passed_on += c.passed_on
        }
        let total = row(key: "all", label: "合计", sum, arrival: totalArrival, ack: totalAck)
        if summary {
            return Report(period: period.label, from: period.start.description, to: period.end.adding(days: -1).description,
                          by: grouping.rawValue, rows: rows, total: total, months: [], arrivalMinutes: [])
        }
        let months = try await monthly(period, filter: filter, on: sql)
        let bins = try await sql.raw("""
            SELECT elapsed_seconds / 60 AS minute, COUNT(*) AS count FROM dispatches
            WHERE \(filter) AND on_time IS NOT NULL AND elapsed_seconds IS NOT NULL GROUP BY elapsed_seconds / 60 ORDER BY minute
            """).all(decoding: MinuteBin.self)
        return Report(period: period.label, from: period.start.description, to: period.end.adding(days: -1).description,
                      by: grouping.rawValue, rows: rows, total: total, months: months, arrivalMinutes: bins)
    }

    typealias Percentiles = (p50: Int, p90: Int)

    /// P50 and P90 of arrival and P50 of acknowledgement, per group and overall, by nearest rank
    /// (the ⌈p·n⌉-th smallest value). The values travel as bare integers and are sorted here:
    /// SQLite's window functions took several times as long for the same answer.
    private static func percentiles(filter: SQLQueryString, column: String?, on sql: any SQLDatabase) async throws
        -> (arrival: [String: Percentiles], ack: [String: Percentiles], totalArrival: Percentiles?, totalAck: Percentiles?) {
        let query: SQLQueryString = """
            SELECT \(unsafeRaw: column ?? "'all'") AS g, elapsed_seconds AS e, ack_seconds AS a,
              CASE WHEN on_time IS NULL THEN 0 ELSE 1 END AS j
            FROM dispatches WHERE \(filter) AND (elapsed_seconds IS NOT NULL OR ack_seconds IS NOT NULL)
            """
        var arrivals: [String: [Int]] = [:], acks: [String: [Int]] = [:]
        var allArrivals: [Int] = [], allAcks: [Int] = []
        for sample in try await IntegerRows.fetch(query, columns: ["g", "e", "a", "j"], on: sql) {
            let key = sample.key
            if let e = sample.values[0], sample.values[2] == 1 {
                arrivals[key, default: []].append(e)
                allArrivals.append(e)
            }
            if let a = sample.values[1] {
                acks[key, default: []].append(a)
                allAcks.append(a)
            }
        }
        func pick(_ values: [Int]) -> Percentiles? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            return (sorted[(sorted.count + 1) / 2 - 1], sorted[(9 * sorted.count + 9) / 10 - 1])
        }
        return (arrivals.compactMapValues(pick), acks.compactMapValues(pick), pick(allArrivals), pick(allAcks))
    }

    private static func row(key: String, label: String, _ c: Counts, arrival: (p50: Int, p90: Int)?, ack: (p50: Int, p90: Int)?) -> Row {
        Row(key: key, label: label, dispatches: c.n, arrivalsJudged: c.judged, onTime: c.on_time,
            onTimeRate: c.judged == 0 ? nil : Double(c.on_time) / Double(c.judged),
            p50ArrivalSeconds: arrival?.p50, p90ArrivalSeconds: arrival?.p90, p50AcknowledgeSeconds: ack?.p50,
            completeReports: c.complete, completeReportRate: c.n == 0 ? nil : Double(c.complete) / Double(c.n),
            refusals: c.refusals, passedOn: c.passed_on)
    }

    /// The monthly trend: one scan, bucketed by a CASE over the months' ends.
    private static func monthly(_ period: Period, filter: SQLQueryString, on sql: any SQLDatabase) async throws -> [MonthRow] {
        let months = period.months
        guard !months.isEmpty else { return [] }
        var bucket = SQLQueryString("CASE")
        for (i, month) in months.enumerated() {
            bucket.appendInterpolation(unsafeRaw: " WHEN instructed_at < ")
            bucket.appendInterpolation(bind: month.endInstant)
            bucket.appendInterpolation(unsafeRaw: " THEN \(i)")
        }
        bucket.appendInterpolation(unsafeRaw: " END")
        struct MonthCount: Decodable { var m: Int; var n: Int; var judged: Int; var on_time: Int }
        let found = Dictionary(uniqueKeysWithValues: try await sql.raw("""
            SELECT m, COUNT(*) AS n, SUM(CASE WHEN on_time IS NOT NULL THEN 1 ELSE 0 END) AS judged,
              SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS on_time
            FROM (SELECT \(bucket) AS m, on_time FROM dispatches WHERE \(filter)) bucketed GROUP BY m
            """).all(decoding: MonthCount.self).map { ($0.m, $0) })
        return months.enumerated().map { i, month in
            let c = found[i]
            return MonthRow(month: String(month.start.description.prefix(7)), dispatches: c?.n ?? 0,
                            onTimeRate: c.flatMap { $0.judged == 0 ? nil : Double($0.on_time) / Double($0.judged) })
        }
    }

    /// Reads `period=2026-Q1` or `from=…&to=…` (to inclusive); defaults to this quarter.
    static func period(period: String?, from: String?, to: String?) throws -> Period {
        if let raw = period?.nilIfEmpty {
            guard let p = Period.parse(raw) else { throw AppError(.badRequest, "期间“\(raw)”应为 2026、2026-H1、2026-Q1 或 2026-03", field: "period") }
            return p
        }
        if let f = from?.nilIfEmpty, let t = to?.nilIfEmpty {
            guard let start = LocalDate(f) else { throw AppError(.badRequest, "from 应为日期", field: "from") }
            guard let end = LocalDate(t), start <= end else { throw AppError(.badRequest, "to 应为不早于 from 的日期", field: "to") }
            return Period(start: start, end: end.adding(days: 1))
        }
        return Period.containing(LocalDate(Date()), .quarter)
    }

    static func percent(_ rate: Double?) -> String {
        rate.map { String(format: "%.1f%%", $0 * 100) } ?? "—"
    }

    static func duration(_ seconds: Int?) -> String {
        seconds.map { RuleSet.durationText(seconds: $0) } ?? "—"
    }

    static func table(_ report: Report) -> (header: [String], rows: [[String]]) {
        let header = ["分组", "警情数", "判定到场数", "按时到场", "按时率", "到场用时P50", "到场用时P90", "接收指令P50", "报告齐全率", "有警不出", "推诿"]
        let rows = (report.rows + [report.total]).map { r in
            [r.label, String(r.dispatches), String(r.arrivalsJudged), String(r.onTime), percent(r.onTimeRate),
             duration(r.p50ArrivalSeconds), duration(r.p90ArrivalSeconds), duration(r.p50AcknowledgeSeconds),
             percent(r.completeReportRate), String(r.refusals), String(r.passedOn)]
        }
        return (header, rows)
    }
}
