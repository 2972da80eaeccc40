import Fluent
import Foundation
import LiandongCore
import SQLKit

/// The compliance read model: the response tallies of live dispatches for every month,
/// quarter, half-year and year, by unit and by the groups the pages show (level, jurisdiction,
/// jurisdiction and level, all). Kept in the transaction that judges the dispatches
/// (`DispatchService.judge` is the only writer of dispatch rows), so a page reads the rows it
/// shows instead of the year's dispatches.
///
/// How it is kept: each judged dispatch's part as stored before (read before its row is
/// replaced) is taken away and its part now is added, to its unit-month, to the quarter,
/// half-year and year of that unit, and to every group row of those periods. A test checks
/// every row against a recount from the facts.
enum DispatchRollups {
    static let table = "dispatch_rollups"

    enum Kind: String, CaseIterable {
        case unit, level, jurisdiction
        case jurisdictionLevel = "jurisdiction_level"
        case all
    }

    struct Key: Hashable {
        var period: String
        var kind: Kind
        var unitID: Int? = nil
        var level: Int? = nil
        var jurisdictionID: String? = nil

        var group: String {
            switch kind {
            case .unit: "\(unitID ?? 0)|\(level ?? 0)|\(jurisdictionID ?? "")"
            case .level: "\(level ?? 0)"
            case .jurisdiction: jurisdictionID ?? ""
            case .jurisdictionLevel: "\(jurisdictionID ?? "")|\(level ?? 0)"
            case .all: "all"
            }
        }
    }

    /// A dispatch's unit, level and jurisdiction as stored, and its month.
    struct UnitMonth: Hashable {
        var unitID: Int
        var level: Int
        var jurisdictionID: String
        var year: Int
        var month: Int
    }

    // MARK: Periods

    static func monthKey(_ year: Int, _ month: Int) -> String { String(format: "%04d-%02d", year, month) }

    /// The stored periods a month belongs to: itself, its quarter, half-year and year.
    static func periods(_ year: Int, _ month: Int) -> (month: String, others: [String]) {
        (monthKey(year, month), ["\(year)-Q\((month - 1) / 3 + 1)", "\(year)-H\(month <= 6 ? 1 : 2)", String(year)])
    }

    /// The key of a stored period, or nil for a range the read model does not keep (any span of
    /// days other than a calendar month, quarter, half-year or year).
    static func key(of period: Period) -> String? {
        let months = period.months
        guard period.start.day == 1, period.end.day == 1, let first = months.first, first.start == period.start,
              months.last?.end == period.end else { return nil }
        let year = period.start.year, month = period.start.month
        switch months.count {
        case 1: return monthKey(year, month)
        case 3 where (month - 1) % 3 == 0: return "\(year)-Q\((month - 1) / 3 + 1)"
        case 6 where month == 1 || month == 7: return "\(year)-H\(month == 1 ? 1 : 2)"
        case 12 where month == 1: return String(year)
        default: return nil
        }
    }

    /// The month keys of a stored period, in order.
    static func monthKeys(of period: Period) -> [String] {
        period.months.map { monthKey($0.start.year, $0.start.month) }
    }

    // MARK: Counting from the facts

    /// Tallies of the live dispatches instructed in `[from, to)`, by unit, level, jurisdiction
    /// and month. One scan, the months bucketed by the database.
    static func countFacts(from: LocalDate, to: LocalDate, on sql: any SQLDatabase) async throws -> [UnitMonth: ResponseTally] {
        let months = Period(start: from, end: to).months
        guard !months.isEmpty else { return [:] }
        let query: SQLQueryString = """
            SELECT jurisdiction_id AS j, unit_id AS u, \(monthIndex(months)) AS m, level AS l,
              CASE WHEN on_time IS NULL THEN NULL WHEN on_time THEN 1 ELSE 0 END AS t, elapsed_seconds AS e, ack_seconds AS a,
              CASE WHEN arrival_reported_at IS NOT NULL AND result_reported_at IS NOT NULL THEN 1 ELSE 0 END AS c,
              CASE WHEN refused THEN 1 ELSE 0 END AS r, CASE WHEN passed_on THEN 1 ELSE 0 END AS p
            FROM dispatches WHERE exercise = \(bind: false) AND instructed_at >= \(bind: from.start) AND instructed_at < \(bind: to.start)
            """
        var result: [UnitMonth: ResponseTally] = [:]
        for row in try await IntegerRows.fetch(query, columns: ["j", "u", "m", "l", "t", "e", "a", "c", "r", "p"], on: sql) {
            let v = row.values
            guard let unit = v[0], let m = v[1], let level = v[2] else { continue }
            let month = months[m].start
            let key = UnitMonth(unitID: unit, level: level, jurisdictionID: row.key, year: month.year, month: month.month)
            result[key, default: ResponseTally()].add(onTime: v[3].map { $0 != 0 }, elapsedSeconds: v[4], ackSeconds: v[5],
                                                       complete: v[6] == 1, refused: v[7] == 1, passedOn: v[8] == 1)
        }
        return result
    }

    /// The index of the month a dispatch's instruction falls in, among `months` (consecutive and
    /// in order), as an SQL expression: one CASE over the months' ends, so the database buckets.
    static func monthIndex(_ months: [Period]) -> SQLQueryString {
        var bucket = SQLQueryString("CASE")
        for (i, month) in months.enumerated() {
            bucket.appendInterpolation(unsafeRaw: " WHEN instructed_at < ")
            bucket.appendInterpolation(bind: month.endInstant)
            bucket.appendInterpolation(unsafeRaw: " THEN \(i)")
        }
        bucket.appendInterpolation(unsafeRaw: " ELSE 0 END")
        return bucket
    }

    /// Every stored row a unit-month's tally counts in.
    static func keys(of m: UnitMonth) -> (unitMonth: Key, derived: [Key]) {
        let (month, others) = periods(m.year, m.month)
        var derived = others.map { Key(period: $0, kind: .unit, unitID: m.unitID, level: m.level, jurisdictionID: m.jurisdictionID) }
        for period in [month] + others {
            derived.append(Key(period: period, kind: .level, level: m.level))
            derived.append(Key(period: period, kind: .jurisdiction, jurisdictionID: m.jurisdictionID))
            derived.append(Key(period: period, kind: .jurisdictionLevel, level: m.level, jurisdictionID: m.jurisdictionID))
            derived.append(Key(period: period, kind: .all))
        }
        return (Key(period: month, kind: .unit, unitID: m.unitID, level: m.level, jurisdictionID: m.jurisdictionID), derived)
    }

    // MARK: Keeping

    /// One dispatch's part in the read model: the unit-month it counts in and what it counts.
    struct Contribution {
        var unitMonth: UnitMonth
        var tally: ResponseTally

        /// Nil for a dispatch that counts nowhere: an exercise, or one without an instruction.
        init?(unitID: Int, level: Int, jurisdictionID: String, instructedAt: Date?, exercise: Bool, onTime: Bool?,
              elapsedSeconds: Int?, ackSeconds: Int?, complete: Bool, refused: Bool, passedOn: Bool) {
            guard !exercise, let instructedAt else { return nil }
            let day = LocalDate(instructedAt)
            unitMonth = UnitMonth(unitID: unitID, level: level, jurisdictionID: jurisdictionID, year: day.year, month: day.month)
            tally = ResponseTally()
            tally.add(onTime: onTime, elapsedSeconds: elapsedSeconds, ackSeconds: ackSeconds, complete: complete, refused: refused, passedOn: passedOn)
        }
    }

    /// Brings the rows up to date after dispatches were judged, in the caller's transaction: each
    /// judged dispatch's part as it was stored before is taken away and its part now is added,
    /// to its unit-month and to every row derived from it. What a batch costs depends on the
    /// dispatches it judged, not on how many a unit's month already holds.
    static func record(_ changes: [(old: Contribution?, new: Contribution?)], on sql: any SQLDatabase) async throws {
        var deltas: [UnitMonth: ResponseTally] = [:]
        for (old, new) in changes {
            if let old { deltas[old.unitMonth, default: ResponseTally()].add(old.tally, sign: -1) }
            if let new { deltas[new.unitMonth, default: ResponseTally()].add(new.tally) }
        }
        try await apply(deltas: deltas, on: sql)
    }

    /// Counts every row again from the dispatches (the migration that creates the table, and a
    /// repair should a tally ever go below zero).
    static func rebuild(on sql: any SQLDatabase) async throws {
        try await sql.delete(from: table).run()
        struct Range: Decodable { var first: Date?; var last: Date? }
        let range = try await sql.raw("""
            SELECT MIN(instructed_at) AS first, MAX(instructed_at) AS last FROM dispatches WHERE exercise = \(bind: false)
            """).first(decoding: Range.self)
        guard let first = range?.first, let last = range?.last else { return }
        let a = LocalDate(first), b = LocalDate(last)
        let fresh = try await countFacts(from: LocalDate(year: a.year, month: a.month, day: 1)!, to: Period.month(b.year, b.month).end, on: sql)
        try await apply(deltas: fresh, on: sql)
    }

    /// Adds what changed in each unit-month to its row and to the rows derived from it.
    private static func apply(deltas: [UnitMonth: ResponseTally], on sql: any SQLDatabase) async throws {
        var changes: [Key: ResponseTally] = [:]
        for (m, delta) in deltas where !delta.isEmpty {
            let (unitMonth, derived) = keys(of: m)
            for key in [unitMonth] + derived { changes[key, default: ResponseTally()].add(delta) }
        }
        changes = changes.filter { !$0.value.isEmpty }
        guard !changes.isEmpty else { return }

        // The rows as stored, plus what changed.
        var stored: [Key: ResponseTally] = [:]
        let byKind = Dictionary(grouping: changes.keys, by: \.kind)
        for (kind, keys) in byKind {
            let wanted = Set(keys)
            let periods = Array(Set(keys.map(\.period)))
            let units = kind == .unit ? Set(keys.compactMap(\.unitID)) : nil
            for (key, tally) in try await readRows(kind: kind, periods: periods, units: units, on: sql) where wanted.contains(key) {
                stored[key] = tally
            }
        }
        var updated: [(Key, ResponseTally)] = [], emptied: [Key] = []
        for (key, delta) in changes {
            var tally = stored[key] ?? ResponseTally()
            tally.add(delta)
            guard tally.isValid else {
                // Taken away what was never added: the rows no longer match the dispatches.
                // Count them all again rather than store a wrong figure.
                try await rebuild(on: sql)
                return
            }
            if tally.isEmpty { emptied.append(key) } else { updated.append((key, tally)) }
        }
        for key in emptied {
            try await sql.delete(from: table).where("period", .equal, SQLBind(key.period)).where("kind", .equal, SQLBind(key.kind.rawValue))
                .where("grp", .equal, SQLBind(key.group)).run()
        }
        try await write(updated, on: sql)
    }

    static let valueColumns = ["n", "judged", "on_time", "complete", "refusals", "passed_on",
                               "p50_arrival", "p90_arrival", "p50_ack", "arrivals", "acks"]

    /// Inserts or replaces rows.
    private static func write(_ rows: [(Key, ResponseTally)], on sql: any SQLDatabase) async throws {
        let columns = ["period", "kind", "grp", "unit_id", "level", "jurisdiction_id"] + valueColumns
        // 17 values a row: well under either database's limit of bound values per statement.
        for chunk in rows.chunked(into: 1_000) {
            var insert = sql.insert(into: table).columns(columns)
            for (key, t) in chunk {
                insert = insert.values([
                    SQLBind(key.period), SQLBind(key.kind.rawValue), SQLBind(key.group), SQLBind(key.unitID), SQLBind(key.level),
                    SQLBind(key.jurisdictionID), SQLBind(t.dispatches), SQLBind(t.judged), SQLBind(t.onTime), SQLBind(t.complete),
                    SQLBind(t.refusals), SQLBind(t.passedOn), SQLBind(t.p50Arrival), SQLBind(t.p90Arrival), SQLBind(t.p50Acknowledgement),
                    SQLBind(Data(t.arrivals.bytes)), SQLBind(Data(t.acknowledgements.bytes)),
                ])
            }
            try await insert.onConflict(with: ["period", "kind", "grp"]) { builder in
                var builder = builder
                for column in valueColumns { builder = builder.set(excludedValueOf: column) }
                return builder
            }.run()
        }
    }

    // MARK: Reading

    struct Stored: Decodable {
        var period: String
        var kind: String
        var unit_id: Int?
        var level: Int?
        var jurisdiction_id: String?
        var n: Int
        var judged: Int
        var on_time: Int
        var complete: Int
        var refusals: Int
        var passed_on: Int
        var p50_arrival: Int?
        var p90_arrival: Int?
        var p50_ack: Int?
        var arrivals: Data
        var acks: Data

        var key: Key? {
            Kind(rawValue: kind).map { Key(period: period, kind: $0, unitID: unit_id, level: level, jurisdictionID: jurisdiction_id) }
        }

        var tally: ResponseTally {
            var t = ResponseTally()
            t.dispatches = n; t.judged = judged; t.onTime = on_time; t.complete = complete; t.refusals = refusals; t.passedOn = passed_on
            t.arrivals = SecondsHistogram(bytes: arrivals) ?? SecondsHistogram()
            t.acknowledgements = SecondsHistogram(bytes: acks) ?? SecondsHistogram()
            return t
        }

        /// The figures without reading the distributions: for a row shown as it is stored.
        var figures: ComplianceService.Figures {
            ComplianceService.Figures(dispatches: n, judged: judged, onTime: on_time, complete: complete, refusals: refusals, passedOn: passed_on,
                                      p50Arrival: p50_arrival, p90Arrival: p90_arrival, p50Acknowledgement: p50_ack)
        }
    }

    static func select(kind: Kind, periods: [String], units: Set<Int>? = nil, jurisdictionID: String? = nil,
                       on sql: any SQLDatabase) async throws -> [Stored] {
        var query = sql.select().columns("period", "kind", "unit_id", "level", "jurisdiction_id", "n", "judged", "on_time", "complete",
                                         "refusals", "passed_on", "p50_arrival", "p90_arrival", "p50_ack", "arrivals", "acks")
            .from(table).where("kind", .equal, SQLBind(kind.rawValue))
        query = periods.count == 1 ? query.where("period", .equal, SQLBind(periods[0])) : query.where("period", .in, SQLBind.group(periods))
        if let units { query = query.where("unit_id", .in, SQLBind.group(Array(units))) }
        if let jurisdictionID { query = query.where("jurisdiction_id", .equal, SQLBind(jurisdictionID)) }
        return try await query.all(decoding: Stored.self)
    }

    private static func readRows(kind: Kind, periods: [String], units: Set<Int>?, on sql: any SQLDatabase) async throws -> [Key: ResponseTally] {
        var result: [Key: ResponseTally] = [:]
        for chunk in periods.chunked(into: 500) {
            for row in try await select(kind: kind, periods: chunk, units: units, on: sql) {
                if let key = row.key { result[key] = row.tally }
            }
        }
        return result
    }

    /// Every stored row, for the test that compares them with a recomputation.
    static func all(on sql: any SQLDatabase) async throws -> [Key: ResponseTally] {
        var result: [Key: ResponseTally] = [:]
        for row in try await sql.select().column("*").from(table).all(decoding: Stored.self) {
            if let key = row.key { result[key] = row.tally }
        }
        return result
    }
}
