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

    /// A group's figures: its counts, and the percentiles of its distributions.
    struct Figures {
        var dispatches = 0
        var judged = 0
        var onTime = 0
        var complete = 0
        var refusals = 0
        var passedOn = 0
        var p50Arrival: Int?
        var p90Arrival: Int?
        var p50Acknowledgement: Int?

        init(dispatches: Int, judged: Int, onTime: Int, complete: Int, refusals: Int, passedOn: Int,
             p50Arrival: Int?, p90Arrival: Int?, p50Acknowledgement: Int?) {
            self.dispatches = dispatches; self.judged = judged; self.onTime = onTime; self.complete = complete
            self.refusals = refusals; self.passedOn = passedOn
            self.p50Arrival = p50Arrival; self.p90Arrival = p90Arrival; self.p50Acknowledgement = p50Acknowledgement
        }

        init(_ t: ResponseTally) {
            self.init(dispatches: t.dispatches, judged: t.judged, onTime: t.onTime, complete: t.complete, refusals: t.refusals,
                      passedOn: t.passedOn, p50Arrival: t.p50Arrival, p90Arrival: t.p90Arrival, p50Acknowledgement: t.p50Acknowledgement)
        }
    }

    /// What a report is made of, wherever it was counted.
    struct Counted {
        /// By group key: a unit's id, a level's number, a jurisdiction's code, or `all`.
        var groups: [String: Figures]
        var total: Figures
        /// One for each month of the period, in order; empty for a summary.
        var months: [Figures]
        /// The judged arrival times of the whole scope.
        var arrivals: SecondsHistogram
    }

    /// `scope`: limit to one unit (a liaison) or one jurisdiction (a county's officers).
    ///
    /// A calendar month, quarter, half-year or year is read from the rows kept on write
    /// (`DispatchRollups`): a page reads the groups it shows, not the period's dispatches. Any
    /// other span of days is counted from the dispatches. `summary`: the counts and rates only
    /// (no monthly trend or histogram), for the home pages and the wall screen.
    static func report(period: Period, by grouping: Grouping, unitID: Int? = nil, jurisdictionID: String? = nil,
                       summary: Bool = false, names: [Int: String]? = nil, on db: any Database) async throws -> Report {
        let sql = db as! any SQLDatabase
        let counted: Counted
        if let kept = try await readModel(period: period, by: grouping, unitID: unitID, jurisdictionID: jurisdictionID, summary: summary, on: sql) {
            counted = kept
        } else {
            counted = try await fromFacts(period: period, by: grouping, unitID: unitID, jurisdictionID: jurisdictionID, summary: summary, on: sql)
        }
        return try await build(counted, period: period, by: grouping, summary: summary, names: names, on: sql)
    }

    /// `names`: the units' names when the caller has them (`RegisterCache`); read otherwise.
    static func build(_ counted: Counted, period: Period, by grouping: Grouping, summary: Bool, names known: [Int: String]? = nil,
                      on sql: any SQLDatabase) async throws -> Report {
        let names: [Int: String] = if grouping != .unit { [:] } else if let known { known } else { try await RegisterService.unitNames(on: sql) }
        func label(_ key: String) -> String {
            switch grouping {
            case .unit: Int(key).flatMap { names[$0] } ?? key
            case .level: Int(key).flatMap { UnitLevel(rawValue: $0)?.name } ?? key
            case .jurisdiction: Jurisdictions.named(key)?.name ?? key
            case .all: "全部"
            }
        }
        var rows = counted.groups.filter { $0.value.dispatches > 0 }.map { row(key: $0.key, label: label($0.key), $0.value) }
        rows.sort { a, b in
            switch grouping {
            case .level: return a.key < b.key
            case .jurisdiction: return RegisterService.jurisdictionOrder(a.key) < RegisterService.jurisdictionOrder(b.key)
            // Units: the least punctual first, the way officers read a ranking of problems.
            default: return (a.onTimeRate ?? 2, -a.dispatches, a.label) < (b.onTimeRate ?? 2, -b.dispatches, b.label)
            }
        }
        let total = row(key: "all", label: "合计", counted.total)
        let months = summary ? [] : zip(period.months, counted.months).map { month, f in
            MonthRow(month: String(month.start.description.prefix(7)), dispatches: f.dispatches,
                     onTimeRate: f.judged == 0 ? nil : Double(f.onTime) / Double(f.judged))
        }
        let bins = summary ? [] : counted.arrivals.byMinute.map { MinuteBin(minute: $0.minute, count: $0.count) }
        return Report(period: period.label, from: period.start.description, to: period.end.adding(days: -1).description,
                      by: grouping.rawValue, rows: rows, total: total, months: months, arrivalMinutes: bins)
    }

    private static func row(key: String, label: String, _ f: Figures) -> Row {
        Row(key: key, label: label, dispatches: f.dispatches, arrivalsJudged: f.judged, onTime: f.onTime,
            onTimeRate: f.judged == 0 ? nil : Double(f.onTime) / Double(f.judged),
            p50ArrivalSeconds: f.p50Arrival, p90ArrivalSeconds: f.p90Arrival, p50AcknowledgeSeconds: f.p50Acknowledgement,
            completeReports: f.complete, completeReportRate: f.dispatches == 0 ? nil : Double(f.complete) / Double(f.dispatches),
            refusals: f.refusals, passedOn: f.passedOn)
    }

    /// The group key of a kept row under a grouping.
    private static func groupKey(_ row: DispatchRollups.Stored, _ grouping: Grouping) -> String {
        switch grouping {
        case .unit: row.unit_id.map(String.init) ?? ""
        case .level: row.level.map(String.init) ?? ""
        case .jurisdiction: row.jurisdiction_id ?? ""
        case .all: "all"
        }
    }

    /// Rows as kept: one row is shown as stored; several (a unit that changed level or
    /// jurisdiction within the period, or a liaison's unit grouped otherwise) are added up.
    private static func combine(_ rows: [DispatchRollups.Stored]) -> (figures: Figures, tally: () -> ResponseTally) {
        let tally = {
            rows.reduce(into: ResponseTally()) { $0.add($1.tally) }
        }
        if rows.count == 1 { return (rows[0].figures, tally) }
        let t = tally()
        return (Figures(t), { t })
    }

    /// The report's figures from the read model; nil for a span the model does not keep.
    static func readModel(period: Period, by grouping: Grouping, unitID: Int?, jurisdictionID: String?, summary: Bool,
                          on sql: any SQLDatabase) async throws -> Counted? {
        guard let key = DispatchRollups.key(of: period) else { return nil }
        let monthKeys = DispatchRollups.monthKeys(of: period)
        // Where the groups, the total and the months come from, for each scope.
        let groupRows: [DispatchRollups.Stored], totalRows: [DispatchRollups.Stored], monthRows: [DispatchRollups.Stored]
        if let unitID {
            let units: Set<Int> = [unitID]
            groupRows = try await DispatchRollups.select(kind: .unit, periods: [key], units: units, jurisdictionID: jurisdictionID, on: sql)
            totalRows = groupRows
            monthRows = summary ? [] : try await DispatchRollups.select(kind: .unit, periods: monthKeys, units: units, jurisdictionID: jurisdictionID, on: sql)
        } else if let jurisdictionID {
            let kind: DispatchRollups.Kind = switch grouping {
            case .unit: .unit
            case .level: .jurisdictionLevel
            case .jurisdiction, .all: .jurisdiction
            }
            groupRows = try await DispatchRollups.select(kind: kind, periods: [key], jurisdictionID: jurisdictionID, on: sql)
            totalRows = kind == .jurisdiction ? groupRows
                : try await DispatchRollups.select(kind: .jurisdiction, periods: [key], jurisdictionID: jurisdictionID, on: sql)
            monthRows = summary ? [] : try await DispatchRollups.select(kind: .jurisdiction, periods: monthKeys, jurisdictionID: jurisdictionID, on: sql)
        } else {
            let kind: DispatchRollups.Kind = switch grouping {
            case .unit: .unit
            case .level: .level
            case .jurisdiction: .jurisdiction
            case .all: .all
            }
            groupRows = try await DispatchRollups.select(kind: kind, periods: [key], on: sql)
            totalRows = kind == .all ? groupRows : try await DispatchRollups.select(kind: .all, periods: [key], on: sql)
            monthRows = summary ? [] : try await DispatchRollups.select(kind: .all, periods: monthKeys, on: sql)
        }
        let groups = Dictionary(grouping: groupRows) { groupKey($0, grouping) }.mapValues { combine($0).figures }
        let total = combine(totalRows)
        let byMonth = Dictionary(grouping: monthRows, by: \.period)
        let months = summary ? [] : monthKeys.map { byMonth[$0].map { combine($0).figures } ?? Figures(ResponseTally()) }
        return Counted(groups: groups, total: totalRows.isEmpty ? Figures(ResponseTally()) : total.figures, months: months,
                       arrivals: summary || totalRows.isEmpty ? SecondsHistogram() : total.tally().arrivals)
    }

    /// The report's figures counted from the dispatches: for any span of days, and the
    /// recomputation the read model is tested against. One scan; the database buckets the months.
    static func fromFacts(period: Period, by grouping: Grouping, unitID: Int?, jurisdictionID: String?, summary: Bool,
                          on sql: any SQLDatabase) async throws -> Counted {
        var filter = SQLQueryString("exercise = \(bind: false) AND instructed_at >= \(bind: period.startInstant) AND instructed_at < \(bind: period.endInstant)")
        if let unitID { filter.appendInterpolation(unsafeRaw: " AND unit_id = "); filter.appendInterpolation(bind: unitID) }
        if let jurisdictionID { filter.appendInterpolation(unsafeRaw: " AND jurisdiction_id = "); filter.appendInterpolation(bind: jurisdictionID) }
        let column: String = switch grouping {
        case .unit: "CAST(unit_id AS TEXT)"
        case .level: "CAST(level AS TEXT)"
        case .jurisdiction: "jurisdiction_id"
        case .all: "'all'"
        }
        let months = period.months
        let query: SQLQueryString = """
            SELECT \(unsafeRaw: column) AS g, \(DispatchRollups.monthIndex(months)) AS m,
              CASE WHEN on_time IS NULL THEN NULL WHEN on_time THEN 1 ELSE 0 END AS t, elapsed_seconds AS e, ack_seconds AS a,
              CASE WHEN arrival_reported_at IS NOT NULL AND result_reported_at IS NOT NULL THEN 1 ELSE 0 END AS c,
              CASE WHEN refused THEN 1 ELSE 0 END AS r, CASE WHEN passed_on THEN 1 ELSE 0 END AS p
            FROM dispatches WHERE \(filter)
            """
        var groups: [String: ResponseTally] = [:], total = ResponseTally()
        var byMonth = Array(repeating: ResponseTally(), count: months.count)
        for row in try await IntegerRows.fetch(query, columns: ["g", "m", "t", "e", "a", "c", "r", "p"], on: sql) {
            let v = row.values
            func count(_ t: inout ResponseTally) {
                t.add(onTime: v[1].map { $0 != 0 }, elapsedSeconds: v[2], ackSeconds: v[3], complete: v[4] == 1, refused: v[5] == 1, passedOn: v[6] == 1)
            }
            count(&groups[row.key, default: ResponseTally()])
            count(&total)
            if !summary, let m = v[0], byMonth.indices.contains(m) { count(&byMonth[m]) }
        }
        return Counted(groups: groups.mapValues(Figures.init), total: Figures(total), months: summary ? [] : byMonth.map(Figures.init),
                       arrivals: total.arrivals)
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
