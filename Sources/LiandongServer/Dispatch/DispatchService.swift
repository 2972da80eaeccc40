import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// What an ingest did.
struct IngestSummary: Content, Equatable {
    var received = 0
    var new = 0
    var known = 0
    var dispatchesJudged = 0
    var findingsAdded = 0
    var findingsWithdrawn = 0
}

/// What the audit log keeps of an ingest or a re-judgement.
struct IngestAudit: Encodable {
    var summary: IngestSummary
    var findingsAdded: [String]
    var findingsWithdrawn: [String]
}

/// A unit as judging needs it.
struct UnitFacts: Sendable {
    var id: Int
    var name: String
    var jurisdictionID: String
    var level: UnitLevel
    var publicSecurity: Bool
}

/// Ingesting the 110 system's dispatch events and judging every (incident, unit) pair, in one
/// transaction through the bulk paths (`BulkInsert`, `BulkSelect`): stored whole or not at all.
enum DispatchService {
    /// Rows per multi-row INSERT: well under SQLite's bound-variable limit.
    static let insertChunk = 500

    struct StoredEvent: Decodable {
        var event_id: String
        var incident_id: String
        var unit_id: Int
        var type: String
        var at: Date
        var on_site_required: Bool?
        var exercise: Bool
        var note: String?
        var drill_id: String?

        static let columns = ["event_id", "incident_id", "unit_id", "type", "at", "on_site_required", "exercise", "note", "drill_id"]
    }

    /// Every stored event of the incidents.
    static func storedEvents(ofIncidents incidents: [String], on sql: any SQLDatabase) async throws -> [StoredEvent] {
        try await BulkSelect.rows(StoredEvent.columns, from: "dispatch_events", where: "incident_id", in: incidents, on: sql)
            .map { try $0.decode(model: StoredEvent.self) }
    }

    static func unitFacts(on db: any Database) async throws -> [Int: UnitFacts] {
        struct Row: Decodable { var id: Int; var name: String; var jurisdiction_id: String; var level: Int; var public_security: Bool }
        let rows = try await (db as! any SQLDatabase).select().columns("id", "name", "jurisdiction_id", "level", "public_security")
            .from(LinkageUnit.schema).all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map {
            ($0.id, UnitFacts(id: $0.id, name: $0.name, jurisdictionID: $0.jurisdiction_id, level: UnitLevel(rawValue: $0.level) ?? .three, publicSecurity: $0.public_security))
        })
    }

    /// Resolves each event's unit (a registered name or an id). `positionName` words the error.
    static func resolveUnits(_ events: [DispatchEventInput], units: [Int: UnitFacts], positions: [Int]) throws -> [Int] {
        var byName: [String: [Int]] = [:]
        for unit in units.values { byName[unit.name, default: []].append(unit.id) }
        return try events.enumerated().map { index, event in
            if let id = Int(event.unit), units[id] != nil { return id }
            guard let ids = byName[event.unit] else {
                throw ImportError(row: positions[index], field: "unit", message: "登记册中没有单位“\(event.unit)”")
            }
            guard ids.count == 1 else {
                throw ImportError(row: positions[index], field: "unit", message: "单位名称“\(event.unit)”在多个辖区重复，请使用单位编号")
            }
            return ids[0]
        }
    }

    /// A part of an ingest: events with the positions (file lines, or 1…n) that errors name.
    struct EventBatch: Sendable {
        var events: [DispatchEventInput]
        var positions: [Int]
    }

    /// Stores new events and re-judges every dispatch they touch. Resent events with the same
    /// content are counted as known; the same id with different content is refused (409).
    static func ingest(_ events: [DispatchEventInput], positions: [Int]? = nil, actor: Actor, rules: RuleBook,
                       now: Date = Date(), on db: any Database, progress: (@Sendable (Int) -> Void)? = nil) async throws -> IngestSummary {
        let batch = EventBatch(events: events, positions: positions ?? Array(1...max(1, events.count)))
        let pending = NIOLockedValueBox<EventBatch?>(batch)
        return try await ingest(batches: { pending.withLockedValue { taken in defer { taken = nil }; return taken } },
                                actor: actor, rules: rules, now: now, on: db, progress: progress)
    }

    /// Stores the events of every batch `next` gives (until it gives nil) in one transaction: the
    /// whole stream or nothing. Each batch is checked and stored before the next is read, so
    /// memory holds about one batch (a file of any size streams through). A batch's dispatches
    /// are judged once the next batch is stored and does not touch them (events of one dispatch
    /// come together; one that a later batch continues is judged again with it, as a later
    /// request would judge it). `progress` hears the events written so far.
    static func ingest(batches next: @escaping @Sendable () async throws -> EventBatch?, actor: Actor, rules: RuleBook,
                       now: Date = Date(), on db: any Database, progress: (@Sendable (Int) -> Void)? = nil) async throws -> IngestSummary {
        let units = try await unitFacts(on: db)
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await lockDispatches(on: sql)
            var summary = IngestSummary()
            // Pairs judged (by hash: a province's year is a million of them), and each finding's
            // state before the first and after the last judgement that changed it.
            var judged = Set<Int>()
            var findings = FindingChanges()
            var pending: [PairKey: [StoredEvent]] = [:]
            func judgeNow(_ groups: [PairKey: [StoredEvent]]) async throws {
                guard !groups.isEmpty else { return }
                let (added, withdrawn) = try await judge(groups, units: units, rules: rules, now: now, on: sql)
                for key in groups.keys { judged.insert(key.hashValue) }
                findings.record(added: added, withdrawn: withdrawn)
            }
            while let batch = try await next() {
                let written = summary.new
                let (part, touched) = try await storeBatch(batch, units: units, now: now, on: tx,
                                                           progress: progress.map { report in { @Sendable done in report(written + done) } })
                summary.received += part.received
                summary.known += part.known
                summary.new += part.new
                try await judgeNow(pending.filter { touched[$0.key] == nil })
                // A pair both batches touch: this batch's events of it include the last one's.
                pending = touched
            }
            try await judgeNow(pending)
            summary.dispatchesJudged = judged.count
            let (added, withdrawn) = findings.net
            summary.findingsAdded = added.count
            summary.findingsWithdrawn = withdrawn.count
            guard summary.new > 0 else { return summary }
            // The end of the dispatch write: the events, every dispatch they touch (judged, with
            // its part of the compliance read model), the findings (FindingStore.reconcile) and
            // the deductions those settle (and their totals, by trigger) are all stored above, in
            // this transaction.
            // One entry per ingest, naming every finding it added or withdrew.
            try await AuditLog.append(tx, actor: actor, action: "dispatch.ingest", entity: "dispatch_events",
                                      after: IngestAudit(summary: summary, findingsAdded: added.sorted(), findingsWithdrawn: withdrawn.sorted()), at: now)
            return summary
        }
    }

    /// What a finding went through in one ingest: active before its first change, after its last.
    struct FindingChanges {
        private var before: [String: Bool] = [:]
        private var after: [String: Bool] = [:]

        mutating func record(added: [String], withdrawn: [String]) {
            for key in added { before[key] = before[key] ?? false; after[key] = true }
            for key in withdrawn { before[key] = before[key] ?? true; after[key] = false }
        }

        /// Findings active now that were not before, and the reverse.
        var net: (added: [String], withdrawn: [String]) {
            (after.filter { $0.value && before[$0.key] == false }.map(\.key), after.filter { !$0.value && before[$0.key] == true }.map(\.key))
        }
    }

    /// One batch, in the ingest's transaction: its events checked against each other and against
    /// what is stored, and the new ones stored. Returns the (incident, unit) pairs they touch,
    /// each with every event of it now stored, for judging.
    static func storeBatch(_ batch: EventBatch, units: [Int: UnitFacts], now: Date, on tx: any Database,
                           progress: (@Sendable (Int) -> Void)?) async throws -> (summary: IngestSummary, touched: [PairKey: [StoredEvent]]) {
        let events = batch.events, positions = batch.positions
        let unitIDs = try resolveUnits(events, units: units, positions: positions)
        try await checkDrills(events, positions: positions, on: tx)
        var summary = IngestSummary(received: events.count)

        // The same id twice in one batch: fine if identical, refused otherwise.
        var firstIndex: [String: Int] = [:]
        var unique: [Int] = []
        for (index, event) in events.enumerated() {
            if let first = firstIndex[event.eventID] {
                if let field = difference(events[first], unitIDs[first], event, unitIDs[index]) {
                    throw AppError(.conflict, "第\(positions[index])条事件的 event_id“\(event.eventID)”与第\(positions[first])条相同，但 \(field) 不同", field: field)
                }
                summary.known += 1
                continue
            }
            firstIndex[event.eventID] = index
            unique.append(index)
        }

        let sql = tx as! any SQLDatabase
        // Already stored?
        var stored: [String: StoredEvent] = [:]
        for row in try await BulkSelect.rows(StoredEvent.columns, from: "dispatch_events", where: "event_id",
                                             in: unique.map { events[$0].eventID }, on: sql) {
            let event = try row.decode(model: StoredEvent.self)
            stored[event.event_id] = event
        }
        var fresh: [Int] = []
        for index in unique {
            let event = events[index]
            if let existing = stored[event.eventID] {
                if let field = difference(existing, event, unitIDs[index]) {
                    throw AppError(.conflict, "第\(positions[index])条事件的 event_id“\(event.eventID)”已存在，但 \(field) 与已保存的不同；事件一经接收不能修改", field: field)
                }
                summary.known += 1
            } else {
                fresh.append(index)
            }
        }
        summary.new = fresh.count
        guard !fresh.isEmpty else { return (summary, [:]) }

        // Everything already known about the incidents this batch touches.
        let incidents = Array(Set(fresh.map { events[$0].incidentID }))
        let known = try await storedEvents(ofIncidents: incidents, on: sql)
        let incoming = fresh.map { index in
            StoredEvent(event_id: events[index].eventID, incident_id: events[index].incidentID, unit_id: unitIDs[index],
                        type: events[index].type.rawValue, at: events[index].at, on_site_required: events[index].onSiteRequired,
                        exercise: events[index].exercise, note: events[index].note, drill_id: events[index].drillID)
        }
        try checkOrder(incoming: Array(zip(fresh, incoming)), known: known, positions: positions)

        try await BulkInsert(table: "dispatch_events", columns: StoredEvent.columns + ["received_at"])
            .run(count: incoming.count, on: sql, progress: progress) { i in
                let e = incoming[i]
                return [.text(e.event_id), .text(e.incident_id), .int(e.unit_id), .text(e.type), .date(e.at),
                        .bool(e.on_site_required), .bool(e.exercise), .text(e.note), .text(e.drill_id), .date(now)]
            }

        // The pairs the batch touches, each with its stored events first, then the new ones.
        var grouped = Dictionary(grouping: incoming) { PairKey(incident: $0.incident_id, unit: $0.unit_id) }
        var earlier: [PairKey: [StoredEvent]] = [:]
        for e in known {
            let key = PairKey(incident: e.incident_id, unit: e.unit_id)
            if grouped[key] != nil { earlier[key, default: []].append(e) }
        }
        for (key, events) in earlier { grouped[key] = events + grouped[key]! }
        return (summary, grouped)
    }

    struct PairKey: Hashable {
        var incident: String
        var unit: Int
    }

    /// The field in which a resent event differs from the stored one, if any.
    static func difference(_ stored: StoredEvent, _ event: DispatchEventInput, _ unitID: Int) -> String? {
        if stored.incident_id != event.incidentID { return "incident_id" }
        if stored.unit_id != unitID { return "unit" }
        if stored.type != event.type.rawValue { return "type" }
        if abs(stored.at.timeIntervalSince(event.at)) >= 0.001 { return "at" }
        if stored.on_site_required != event.onSiteRequired { return "on_site_required" }
        if stored.exercise != event.exercise { return "exercise" }
        if (stored.note ?? "") != (event.note ?? "") { return "note" }
        if stored.drill_id != event.drillID { return "drill_id" }
        return nil
    }

    static func difference(_ a: DispatchEventInput, _ aUnit: Int, _ b: DispatchEventInput, _ bUnit: Int) -> String? {
        difference(StoredEvent(event_id: a.eventID, incident_id: a.incidentID, unit_id: aUnit, type: a.type.rawValue, at: a.at,
                               on_site_required: a.onSiteRequired, exercise: a.exercise, note: a.note, drill_id: a.drillID), b, bUnit)
    }

    /// Every `drill_id` must name a recorded on-site or video check.
    static func checkDrills(_ events: [DispatchEventInput], positions: [Int], on db: any Database) async throws {
        let named = Set(events.lazy.compactMap(\.drillID))
        guard !named.isEmpty else { return }
        struct Row: Decodable { var check_id: String }
        var known: Set<String> = []
        for chunk in Array(named).chunked(into: insertChunk) {
            known.formUnion(try await (db as! any SQLDatabase).select().column("check_id").from("drills")
                .where("check_id", .in, SQLBind.group(chunk)).all(decoding: Row.self).map(\.check_id))
        }
        if let index = events.firstIndex(where: { $0.drillID.map { !known.contains($0) } ?? false }) {
            throw ImportError(row: positions[index], field: "drill_id", message: "没有编号为“\(events[index].drillID!)”的实地或视频检查")
        }
    }

    /// The events linked to a drill, by unit.
    static func drillEvents(_ checkID: String, on db: any Database) async throws -> [Int: [DispatchTimeline.Event]] {
        let rows = try await (db as! any SQLDatabase).select().columns(StoredEvent.columns).from("dispatch_events")
            .where("drill_id", .equal, SQLBind(checkID)).all(decoding: StoredEvent.self)
        var byUnit: [Int: [DispatchTimeline.Event]] = [:]
        for e in rows {
            guard let type = DispatchEventType(rawValue: e.type) else { continue }
            byUnit[e.unit_id, default: []].append(.init(type: type, at: e.at, onSiteRequired: e.on_site_required, exercise: e.exercise))
        }
        return byUnit
    }

    /// An arrival, arrival report or result report before the instruction of the same incident
    /// and unit is impossible: the batch that brings it is refused, naming the event.
    static func checkOrder(incoming: [(Int, StoredEvent)], known: [StoredEvent], positions: [Int]) throws {
        var instructed: [PairKey: Date] = [:]
        for e in known + incoming.map(\.1) where e.type == DispatchEventType.instructed.rawValue {
            let key = PairKey(incident: e.incident_id, unit: e.unit_id)
            instructed[key] = min(instructed[key] ?? e.at, e.at)
        }
        let after: Set<String> = [DispatchEventType.arrived.rawValue, DispatchEventType.arrivalReported.rawValue, DispatchEventType.resultReported.rawValue]
        func violates(_ e: StoredEvent) -> Bool {
            guard after.contains(e.type), let start = instructed[PairKey(incident: e.incident_id, unit: e.unit_id)] else { return false }
            return e.at < start
        }
        for (index, e) in incoming where violates(e) {
            throw ImportError(row: positions[index], field: "at", message: "\(DispatchEventType(rawValue: e.type)?.name ?? e.type)时间早于同一警情同一单位的下达指令时间")
        }
        // An incoming instruction later than an arrival already stored.
        for e in known where violates(e) {
            if let (index, _) = incoming.first(where: { $0.1.type == DispatchEventType.instructed.rawValue && $0.1.incident_id == e.incident_id && $0.1.unit_id == e.unit_id }) {
                throw ImportError(row: positions[index], field: "at", message: "下达指令时间晚于已收到的到达或反馈时间")
            }
        }
    }

    /// Judges dispatches and brings their rows and findings up to date. Returns the findings
    /// added and withdrawn (a later event can take a finding back, e.g. a late-arriving report).
    static func judge(_ groups: [PairKey: [StoredEvent]], units: [Int: UnitFacts], rules: RuleBook, now: Date,
                      on sql: any SQLDatabase) async throws -> (added: [String], withdrawn: [String]) {
        var rows: [(PairKey, DispatchTimeline, ArrivalJudgement?, Bool)] = []
        var findings: [Finding] = []
        // Failures the police reported by hand for these pairs: part of what is known.
        let reports = try await FindingReports.known(incidents: Array(Set(groups.keys.map(\.incident))), on: sql)
        for (key, events) in groups {
            guard let unit = units[key.unit] else { continue }
            let timeline = DispatchTimeline(incidentID: key.incident, unitID: key.unit, level: unit.level, publicSecurity: unit.publicSecurity,
                                            events: events.compactMap { e in
                                                DispatchEventType(rawValue: e.type).map { .init(type: $0, at: e.at, onSiteRequired: e.on_site_required, exercise: e.exercise) }
                                            })
            let ruleSet = rules.inForce(at: timeline.instructedAt ?? now)
            let (arrival, found) = timeline.judge(rules: ruleSet, unitName: unit.name, now: now, reported: reports.failures[key] ?? [])
            let settled = timeline.exercise || timeline.settled(rules: ruleSet, now: now)
            rows.append((key, timeline, arrival, settled))
            findings += found
        }
        // In key order: each index takes its new entries in order rather than scattered across it.
        // (Sorting positions by the keys' bytes: moving the wide rows and comparing Unicode strings cost more.)
        let order = rows.indices.sorted { a, b in
            let x = rows[a].0, y = rows[b].0
            return x.incident == y.incident ? x.unit < y.unit : x.incident.utf8.lexicographicallyPrecedes(y.incident.utf8)
        }
        rows = order.map { rows[$0] }
        // What the read model counted of these dispatches before they are written again.
        let before = try await storedContributions(Set(rows.map(\.0)), on: sql)
        let judged = ["jurisdiction_id", "level", "public_security", "exercise", "on_site_required", "instructed_at",
                      "acknowledged_at", "arrived_at", "arrival_reported_at", "result_reported_at", "closed_at", "refused",
                      "passed_on", "limit_seconds", "elapsed_seconds", "ack_seconds", "on_time", "settled", "judged_at"]
        try await BulkInsert(table: "dispatches", columns: ["incident_id", "unit_id"] + judged,
                             conflict: (["incident_id", "unit_id"], judged)).run(rows.map { key, t, arrival, settled in
            let unit = units[key.unit]!
            var ack: Int?
            if let i = t.instructedAt, let a = t.acknowledgedAt { ack = RuleSet.elapsedSeconds(from: i, to: a) }
            return [.text(key.incident), .int(key.unit), .text(unit.jurisdictionID), .int(unit.level.rawValue),
                    .bool(unit.publicSecurity), .bool(t.exercise), .bool(t.onSiteRequired),
                    .date(t.instructedAt), .date(t.acknowledgedAt), .date(t.arrivedAt), .date(t.arrivalReportedAt),
                    .date(t.resultReportedAt), .date(t.closedAt), .bool(t.refused), .bool(t.passedOn),
                    .int(arrival?.limit.seconds), .int(arrival?.elapsedSeconds), .int(ack), .bool(arrival?.onTime),
                    .bool(settled), .date(now)]
        }, on: sql)
        // The compliance read model: each dispatch's part as stored before, and now.
        try await DispatchRollups.record(rows.map { key, t, arrival, _ in
            let unit = units[key.unit]!
            var ack: Int?
            if let i = t.instructedAt, let a = t.acknowledgedAt { ack = RuleSet.elapsedSeconds(from: i, to: a) }
            let now = DispatchRollups.Contribution(
                unitID: key.unit, level: unit.level.rawValue, jurisdictionID: unit.jurisdictionID, instructedAt: t.instructedAt,
                exercise: t.exercise, onTime: arrival?.onTime, elapsedSeconds: arrival?.elapsedSeconds, ackSeconds: ack,
                complete: t.arrivalReportedAt != nil && t.resultReportedAt != nil, refused: t.refused, passedOn: t.passedOn)
            return (before[key], now)
        }, on: sql)

        // Findings: the judged set replaces the previous one for each judged pair.
        return try await FindingStore.reconcile(
            source: .dispatch, refs: rows.map(\.0.incident), scope: Set(rows.map { Finding.scope(ref: $0.0.incident, subject: String($0.0.unit)) }),
            findings: findings, reported: reports.keys, now: now, on: sql)
    }

    /// The read model's part of dispatches already stored, by incident and unit.
    static func storedContributions(_ pairs: Set<PairKey>, on sql: any SQLDatabase) async throws -> [PairKey: DispatchRollups.Contribution] {
        struct Row: Decodable {
            var incident_id: String; var unit_id: Int; var level: Int; var jurisdiction_id: String; var instructed_at: Date?
            var exercise: Bool; var on_time: Bool?; var elapsed_seconds: Int?; var ack_seconds: Int?
            var arrival_reported_at: Date?; var result_reported_at: Date?; var refused: Bool; var passed_on: Bool
        }
        var result: [PairKey: DispatchRollups.Contribution] = [:]
        for chunk in Array(Set(pairs.map(\.incident))).sorted().chunked(into: 500) {
            let found = try await sql.select()
                .columns("incident_id", "unit_id", "level", "jurisdiction_id", "instructed_at", "exercise", "on_time", "elapsed_seconds",
                         "ack_seconds", "arrival_reported_at", "result_reported_at", "refused", "passed_on")
                .from("dispatches").where("incident_id", .in, SQLBind.group(chunk)).all(decoding: Row.self)
            for r in found {
                let key = PairKey(incident: r.incident_id, unit: r.unit_id)
                guard pairs.contains(key) else { continue }
                result[key] = DispatchRollups.Contribution(
                    unitID: r.unit_id, level: r.level, jurisdictionID: r.jurisdiction_id, instructedAt: r.instructed_at, exercise: r.exercise,
                    onTime: r.on_time, elapsedSeconds: r.elapsed_seconds, ackSeconds: r.ack_seconds,
                    complete: r.arrival_reported_at != nil && r.result_reported_at != nil, refused: r.refused, passedOn: r.passed_on)
            }
        }
        return result
    }

    /// The advisory-lock key of the writers of dispatches (start-up 19524, the judging round 19525,
    /// calendar imports 19526).
    static let lockKey: Int32 = 19_527

    /// On PostgreSQL, writers of dispatches take turns, as SQLite's single writer does: each reads
    /// the events and read-model rows it then writes again (a dispatch's part before and after,
    /// the rollups' totals), and two side by side would each write over the other's part, or
    /// deadlock on the same rollup rows. Held to the end of the caller's transaction; taken again
    /// within it costs nothing. Pages read on, unblocked.
    static func lockDispatches(on sql: any SQLDatabase) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey), hashtext(current_schema()))").run()
    }

    /// Judges one unit's part in an incident again, in the caller's transaction (a report by
    /// hand changed what is known of it), or in one of its own outside any. Nothing when no event
    /// of it is stored.
    static func judgeAgain(incident: String, unitID: Int, rules: RuleBook, now: Date,
                           on db: any Database) async throws -> (added: [String], withdrawn: [String]) {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await lockDispatches(on: sql)
            let events = try await storedEvents(ofIncidents: [incident], on: sql).filter { $0.unit_id == unitID }
            guard !events.isEmpty else { return ([], []) }
            return try await judge([PairKey(incident: incident, unit: unitID): events], units: try await unitFacts(on: tx), rules: rules,
                                   now: now, on: sql)
        }
    }

    /// Re-judges dispatches still open whose grace period has run out: their missing reports
    /// become findings without waiting for another event.
    @discardableResult
    static func judgePending(rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Int {
        let grace = Double(rules.latest.reportGraceHours * 3600)
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await lockDispatches(on: sql)
            struct Pair: Decodable { var incident_id: String; var unit_id: Int }
            let due = try await sql.select().columns("incident_id", "unit_id").from("dispatches")
                .where("settled", .equal, SQLBind(false)).where("instructed_at", .lessThan, SQLBind(now.addingTimeInterval(-grace)))
                .all(decoding: Pair.self)
            guard !due.isEmpty else { return 0 }
            let units = try await unitFacts(on: tx)
            let events = try await storedEvents(ofIncidents: Array(Set(due.map(\.incident_id))), on: sql)
            let wanted = Set(due.map { PairKey(incident: $0.incident_id, unit: $0.unit_id) })
            let groups = Dictionary(grouping: events.filter { wanted.contains(PairKey(incident: $0.incident_id, unit: $0.unit_id)) }) {
                PairKey(incident: $0.incident_id, unit: $0.unit_id)
            }
            let (added, withdrawn) = try await judge(groups, units: units, rules: rules, now: now, on: sql)
            if !added.isEmpty || !withdrawn.isEmpty {
                try await AuditLog.append(tx, actor: .system(), action: "dispatch.judge_pending", entity: "dispatches",
                                          after: IngestAudit(summary: IngestSummary(dispatchesJudged: groups.count, findingsAdded: added.count, findingsWithdrawn: withdrawn.count),
                                                             findingsAdded: added.sorted(), findingsWithdrawn: withdrawn.sorted()), at: now)
            }
            return groups.count
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

extension Actor {
    /// The system itself (scheduled judging).
    static func system() -> Actor {
        Actor(principal: Principal(kind: .console, name: "system"), source: "scheduler")
    }
}
