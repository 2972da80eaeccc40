import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// The emergency-plans register (D1–D5), major events and the yearly D6 records: stored as the
/// import format's JSON records, judged by the core's `PlanRules` into findings of source `plan`.
enum PlanService {
    enum Kind: String, CaseIterable {
        case plan, drill, event, performance
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The whole register (Lishui keeps hundreds of plans: small enough to judge in memory).
    static func register(on db: any Database) async throws -> PlanRegister {
        struct Row: Decodable { var kind: String; var body: String }
        let rows = try await (db as! any SQLDatabase).select().columns("kind", "body").from("plan_records")
            .orderBy("kind").orderBy("key").all(decoding: Row.self)
        var register = PlanRegister()
        let decoder = JSONDecoder()
        for row in rows {
            let data = Data(row.body.utf8)
            switch Kind(rawValue: row.kind) {
            case .plan: register.plans.append(try decoder.decode(EmergencyPlan.self, from: data))
            case .drill: register.drills.append(try decoder.decode(PlanDrill.self, from: data))
            case .event: register.events.append(try decoder.decode(MajorEvent.self, from: data))
            case .performance: register.performanceRecords.append(try decoder.decode(PerformanceAssessmentRecord.self, from: data))
            case nil: continue
            }
        }
        return register
    }

    struct ImportSummary: Content, Equatable {
        var new = 0
        var updated = 0
        var unchanged = 0
        var findingsAdded = 0
        var findingsWithdrawn = 0
    }

    /// Reads a register file: `{"plans": [...], "drills": [...], "events": [...], "performance_records": [...]}`.
    static func parse(_ data: Data) throws -> PlanRegister {
        // Any of the four parts may be left out.
        struct File: Decodable {
            var plans: [EmergencyPlan]?
            var drills: [PlanDrill]?
            var events: [MajorEvent]?
            var performance_records: [PerformanceAssessmentRecord]?
        }
        do {
            let file = try JSONDecoder().decode(File.self, from: data)
            return PlanRegister(plans: file.plans ?? [], drills: file.drills ?? [], events: file.events ?? [],
                                performanceRecords: file.performance_records ?? [])
        } catch let error as DecodingError {
            throw AppError(.badRequest, "预案台账文件有误：\(RuleSetStore.describe(error))")
        } catch {
            throw AppError(.badRequest, "预案台账文件不是有效的 JSON")
        }
    }

    /// Adds or replaces records by their ids, all or nothing: the register as it would be is
    /// checked whole (every unit known, every drill's plan known, dates consistent) before
    /// anything is stored; records sent again unchanged change nothing. Then the plans are judged.
    static func save(_ incoming: PlanRegister, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> ImportSummary {
        let unitIDs = Set(try await LinkageUnit.query(on: db).all().compactMap(\.id))
        func unknownUnit(_ id: Int, _ field: String) -> AppError { AppError(.badRequest, "「\(field)」：登记册中没有编号为 \(id) 的单位", field: field) }
        for (i, p) in incoming.plans.enumerated() where !unitIDs.contains(p.unitID) { throw unknownUnit(p.unitID, "plans[\(i)].unit_id") }
        for (i, d) in incoming.drills.enumerated() where !unitIDs.contains(d.unitID) { throw unknownUnit(d.unitID, "drills[\(i)].unit_id") }
        for (i, e) in incoming.events.enumerated() {
            for (j, u) in e.unitIDs.enumerated() where !unitIDs.contains(u) { throw unknownUnit(u, "events[\(i)].unit_ids[\(j)]") }
        }
        for (i, r) in incoming.performanceRecords.enumerated() where Jurisdictions.named(r.jurisdictionID) == nil {
            throw AppError(.badRequest, "「performance_records[\(i)].jurisdiction_id」：没有辖区“\(r.jurisdictionID)”", field: "performance_records[\(i)].jurisdiction_id")
        }
        // Problems of the incoming records, named by their place in the file; references to plans
        // are checked below against the register as it will be (a drill of a plan stored earlier).
        if let problem = incoming.problems(today: LocalDate(now)).first(where: { !$0.field.contains(".plan_id") }) {
            throw AppError(.badRequest, problem.description, field: problem.field)
        }

        let records: [(Kind, String, Int?, String)] = try
            incoming.plans.map { (.plan, $0.id, $0.unitID, try json($0)) }
            + incoming.drills.map { (.drill, $0.id, $0.unitID, try json($0)) }
            + incoming.events.map { (.event, $0.id, nil, try json($0)) }
            + incoming.performanceRecords.map { (.performance, "\($0.year)|\($0.jurisdictionID)", nil, try json($0)) }
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // The register as it will be, checked whole (a drill of a plan stored earlier, say).
            var merged = try await register(on: tx)
            merge(incoming, into: &merged)
            if let problem = merged.problems().first {
                throw AppError(.badRequest, "与已登记的台账不一致：\(problem.message)", field: problem.field)
            }
            struct Existing: Decodable { var kind: String; var key: String; var body: String }
            let stored = try await sql.select().columns("kind", "key", "body").from("plan_records").all(decoding: Existing.self)
            let bodies = Dictionary(stored.map { ("\($0.kind)|\($0.key)", $0.body) }, uniquingKeysWith: { a, _ in a })
            var summary = ImportSummary()
            var changed: [[BulkValue]] = []
            for (kind, key, unit, body) in records {
                switch bodies["\(kind.rawValue)|\(key)"] {
                case body?: summary.unchanged += 1; continue
                case nil: summary.new += 1
                default: summary.updated += 1
                }
                changed.append([.text(kind.rawValue), .text(key), .int(unit), .text(body), .text(actor.principal.name), .date(now), .date(now)])
            }
            try await BulkInsert(table: "plan_records", columns: ["kind", "key", "unit_id", "body", "updated_by", "updated_at", "created_at"],
                                 conflict: (["kind", "key"], ["unit_id", "body", "updated_by", "updated_at"])).run(changed, on: sql)
            if !changed.isEmpty {
                try await AuditLog.append(tx, actor: actor, action: "plans.save", entity: "plan_records",
                                          after: ["new": String(summary.new), "updated": String(summary.updated),
                                                  "records": records.filter { r in bodies["\(r.0.rawValue)|\(r.1)"] != r.3 }.map { "\($0.0.rawValue):\($0.1)" }.joined(separator: ",")],
                                          at: now)
            }
            let (added, withdrawn) = try await judge(merged, rules: rules, asOf: LocalDate(now), now: now, on: sql)
            summary.findingsAdded = added.count
            summary.findingsWithdrawn = withdrawn.count
            return summary
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }

    static func merge(_ incoming: PlanRegister, into register: inout PlanRegister) {
        func upsert<T>(_ list: inout [T], _ items: [T], key: (T) -> String) {
            for item in items {
                if let i = list.firstIndex(where: { key($0) == key(item) }) { list[i] = item } else { list.append(item) }
            }
        }
        upsert(&register.plans, incoming.plans) { $0.id }
        upsert(&register.drills, incoming.drills) { $0.id }
        upsert(&register.events, incoming.events) { $0.id }
        upsert(&register.performanceRecords, incoming.performanceRecords) { "\($0.year)|\($0.jurisdictionID)" }
    }

    /// Brings the plan findings up to date: new shortfalls are added, those that no longer hold
    /// (a drill entered, a revision recorded) are withdrawn.
    static func judge(_ register: PlanRegister, rules: RuleBook, asOf: LocalDate, now: Date, on sql: any SQLDatabase) async throws
        -> (added: [String], withdrawn: [String]) {
        // The register is judged from the year its first record was entered: one never used
        // (a new deployment) is not charged with the years before it.
        // The working days D4 counts, as the database holds them in this very transaction.
        let calendar = try await WorkingCalendarStore.load(on: sql)
        let findings = try await recordsBegan(on: sql).map {
            PlanRules(book: rules, register: register, from: $0, calendar: calendar).findings(asOf: asOf)
        } ?? []
        struct Ref: Decodable { var ref: String }
        let known = try await sql.select().distinct().column("ref").from("findings").where("source", .equal, SQLBind(FindingSource.plan.rawValue))
            .all(decoding: Ref.self).map(\.ref)
        return try await FindingStore.reconcile(source: .plan, refs: Array(Set(known + findings.map(\.ref))), scope: nil,
                                                findings: findings, now: now, on: sql)
    }

    /// Judges the stored register as of today (run daily with the other time-based findings).
    @discardableResult
    static func judge(rules: RuleBook, asOf: LocalDate = LocalDate(Date()), now: Date = Date(), on db: any Database) async throws
        -> (added: [String], withdrawn: [String]) {
        try await db.writeTransaction { tx in
            let result = try await judge(try await register(on: tx), rules: rules, asOf: asOf, now: now, on: tx as! any SQLDatabase)
            if !result.added.isEmpty || !result.withdrawn.isEmpty {
                try await AuditLog.append(tx, actor: .system(), action: "plans.judge", entity: "findings",
                                          after: IngestAudit(summary: IngestSummary(findingsAdded: result.added.count, findingsWithdrawn: result.withdrawn.count),
                                                             findingsAdded: result.added.sorted(), findingsWithdrawn: result.withdrawn.sorted()), at: now)
            }
            return result
        }
    }

    static func warnings(rules: RuleBook, calendar: WorkingCalendar, asOf: LocalDate = LocalDate(Date()), on db: any Database) async throws -> [PlanWarning] {
        PlanRules(book: rules, register: try await register(on: db), from: try await recordsBegan(on: db as! any SQLDatabase),
                  calendar: calendar).warnings(asOf: asOf)
    }

    /// The register is judged from the first day of the year its first record was entered: the
    /// system does not reach back into years nobody kept in it (as the supervision calendar
    /// starts with the period its records begin), while a shortfall still open then counts.
    static func recordsBegan(on sql: any SQLDatabase) async throws -> LocalDate? {
        struct First: Decodable { var first: Date? }
        let first = try await sql.select().column(SQLFunction("MIN", args: SQLColumn("created_at")), as: "first").from("plan_records")
            .first(decoding: First.self)?.first
        return first.map { LocalDate(year: LocalDate($0).year, month: 1, day: 1)! }
    }
}
