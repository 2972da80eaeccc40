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

    struct Report: Content {
        var period: String
        var from: String
        var to: String
        var by: String
        var rows: [Row]
        var total: Row
        var months: [MonthRow]
        /// Arrival times of judged dispatches, in seconds (for the distribution chart).
        var arrivalSeconds: [Int]
    }

    struct Record: Decodable {
        var unit_id: Int
        var jurisdiction_id: String
        var level: Int
        var instructed_at: Date
        var elapsed_seconds: Int?
        var on_time: Bool?
        var ack_seconds: Int?
        var arrival_reported_at: Date?
        var result_reported_at: Date?
        var refused: Bool
        var passed_on: Bool
    }

    /// `scope`: limit to one unit (a liaison) or one jurisdiction (a county's officers).
    static func report(period: Period, by grouping: Grouping, unitID: Int? = nil, jurisdictionID: String? = nil,
                       on db: any Database) async throws -> Report {
        var query = (db as! any SQLDatabase).select()
            .columns("unit_id", "jurisdiction_id", "level", "instructed_at", "elapsed_seconds", "on_time", "ack_seconds",
                     "arrival_reported_at", "result_reported_at", "refused", "passed_on")
            .from("dispatches")
            .where("exercise", .equal, SQLBind(false))
            .where("instructed_at", .greaterThanOrEqual, SQLBind(period.startInstant))
            .where("instructed_at", .lessThan, SQLBind(period.endInstant))
        if let unitID { query = query.where("unit_id", .equal, SQLBind(unitID)) }
        if let jurisdictionID { query = query.where("jurisdiction_id", .equal, SQLBind(jurisdictionID)) }
        let records = try await query.all(decoding: Record.self)
        let names: [Int: String] = grouping == .unit
            ? Dictionary(uniqueKeysWithValues: try await LinkageUnit.query(on: db).all().map { ($0.id ?? 0, $0.name) }) : [:]

        func key(_ r: Record) -> (String, String) {
            switch grouping {
            case .unit: (String(r.unit_id), names[r.unit_id] ?? String(r.unit_id))
            case .level: (String(r.level), UnitLevel(rawValue: r.level)?.name ?? String(r.level))
            case .jurisdiction: (r.jurisdiction_id, Jurisdictions.named(r.jurisdiction_id)?.name ?? r.jurisdiction_id)
            case .all: ("all", "全部")
            }
        }
        var groups: [String: (label: String, records: [Record])] = [:]
        for r in records {
            let (k, label) = key(r)
            groups[k, default: (label, [])].records.append(r)
        }
        var rows = groups.map { summarize(key: $0.key, label: $0.value.label, $0.value.records) }
        rows.sort { a, b in
            switch grouping {
            case .level: return a.key < b.key
            case .jurisdiction: return RegisterService.jurisdictionOrder(a.key) < RegisterService.jurisdictionOrder(b.key)
            // Units: the least punctual first, the way officers read a ranking of problems.
            default: return (a.onTimeRate ?? 2, -a.dispatches, a.label) < (b.onTimeRate ?? 2, -b.dispatches, b.label)
            }
        }
        let months = period.months.map { month -> MonthRow in
            let inMonth = records.filter { month.contains($0.instructed_at) }
            let row = summarize(key: "", label: "", inMonth)
            return MonthRow(month: month.start.description.prefix(7).description, dispatches: row.dispatches, onTimeRate: row.onTimeRate)
        }
        return Report(period: period.label, from: period.start.description, to: period.end.adding(days: -1).description,
                      by: grouping.rawValue, rows: rows, total: summarize(key: "all", label: "合计", records), months: months,
                      arrivalSeconds: records.compactMap(\.elapsed_seconds))
    }

    static func summarize(key: String, label: String, _ records: [Record]) -> Row {
        let judged = records.filter { $0.on_time != nil }
        let onTime = judged.filter { $0.on_time == true }.count
        let arrivals = judged.compactMap(\.elapsed_seconds).sorted()
        let acks = records.compactMap(\.ack_seconds).sorted()
        let complete = records.filter { $0.arrival_reported_at != nil && $0.result_reported_at != nil }.count
        return Row(key: key, label: label, dispatches: records.count, arrivalsJudged: judged.count, onTime: onTime,
                   onTimeRate: judged.isEmpty ? nil : Double(onTime) / Double(judged.count),
                   p50ArrivalSeconds: percentile(arrivals, 0.5), p90ArrivalSeconds: percentile(arrivals, 0.9),
                   p50AcknowledgeSeconds: percentile(acks, 0.5), completeReports: complete,
                   completeReportRate: records.isEmpty ? nil : Double(complete) / Double(records.count),
                   refusals: records.filter(\.refused).count, passedOn: records.filter(\.passed_on).count)
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int], _ p: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
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
