import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Phone checks, drills, campaigns and the supervision calendar: recording, judging, importing.
enum InspectionService {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func encode<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    enum Outcome: Equatable { case stored, unchanged }

    // MARK: Phone checks

    /// Stores a phone check (new, or a correction of the same check_id when `replace`) and
    /// judges it. The same check again changes nothing; different content under a known id is
    /// refused unless it is a correction.
    /// The supervision calendar (D7) is judged again in the same transaction: the check may be
    /// the month's duty done (`judgingSupervision` false: the caller does it once for many).
    static func record(_ check: PhoneCheck, campaignID: Int? = nil, replace: Bool = false, actor: Actor, rules: RuleBook,
                       now: Date = Date(), judgingSupervision: Bool = true, on db: any Database) async throws -> Outcome {
        guard let first = check.attempts.first?.at else { throw AppError.invalid("至少记录一次拨打", field: "attempts") }
        // Not before the mechanism began, nor more than a day ahead of the clock.
        let dates = FactDates(rules: rules, now: now)
        for (i, attempt) in check.attempts.enumerated() {
            if let problem = dates.problem(attempt.at) { throw AppError.invalid("「attempts[\(i)].at」：\(problem)", field: "attempts[\(i)].at") }
        }
        let ruleSet = rules.inForce(at: first)
        do { try check.validate(rules: ruleSet) } catch { throw AppError.invalid(error.message, field: error.field) }
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var body: String }
            if let stored = try await sql.select().column("body").from("phone_checks").where("check_id", .equal, SQLBind(check.checkID))
                .first(decoding: Row.self) {
                let old = try decode(PhoneCheck.self, stored.body)
                if old == check { return .unchanged }
                guard replace else { throw AppError(.conflict, "检查编号 \(check.checkID) 已存在且内容不同", field: "check_id") }
                try await sql.update("phone_checks").set("body", to: SQLBind(try encode(check))).set("unit_id", to: SQLBind(check.unitID))
                    .set("checked_at", to: SQLBind(first)).where("check_id", .equal, SQLBind(check.checkID)).run()
                try await AuditLog.append(tx, actor: actor, action: "check.phone.correct", entity: "phone_check", entityID: check.checkID,
                                          before: old, after: check, at: now)
            } else {
                try await sql.insert(into: "phone_checks").columns("check_id", "campaign_id", "unit_id", "checked_at", "body", "recorded_by", "recorded_at")
                    .values(SQLBind(check.checkID), SQLBind(campaignID), SQLBind(check.unitID), SQLBind(first), SQLBind(try encode(check)),
                            SQLBind(actor.principal.name), SQLBind(now)).run()
                try await AuditLog.append(tx, actor: actor, action: "check.phone.record", entity: "phone_check", entityID: check.checkID,
                                          after: check, at: now)
            }
            // A level-1 unit's duty phone unanswered out of hours is judged as no 24-hour duty.
            // Office hours follow the calendar the database holds now, not a copy.
            let level = try await LinkageUnit.find(check.unitID, on: tx)?.unitLevel
            let calendar = try await WorkingCalendarStore.load(on: sql)
            _ = try await FindingStore.reconcile(source: .phone, refs: [check.checkID], scope: nil,
                                                 findings: check.judge(rules: ruleSet, level: level, calendar: calendar),
                                                 now: now, on: sql)
            if judgingSupervision { try await judgeSupervision(rules: rules, now: now, on: tx) }
            return .stored
        }
    }

    // MARK: Drills

    /// A drill as stored: its record, when it ended, and the agencies that took part as the
    /// `agencies` column says (nil for a drill recorded before participation was kept).
    struct StoredDrill: Sendable {
        var drill: Drill
        var finishedAt: Date?
        var agencies: Set<Agency>?
    }

    /// The drill with its row locked for the rest of the transaction on PostgreSQL (SQLite's
    /// writers take turns already): a tap and an amendment never overwrite each other.
    /// `locking` false: a page reading it.
    static func stored(_ checkID: String, locking: Bool = true, on sql: any SQLDatabase) async throws -> StoredDrill? {
        struct Row: Decodable { var body: String; var finished_at: Date?; var agencies: String? }
        var query = sql.select().columns("body", "finished_at", "agencies").from("drills").where("check_id", .equal, SQLBind(checkID))
        if locking { query = query.for(.update) }
        guard let row = try await query.first(decoding: Row.self) else { return nil }
        return StoredDrill(drill: try decode(Drill.self, row.body), finishedAt: row.finished_at, agencies: row.agencies.map(agencies(column:)))
    }

    /// The `agencies` column: the codes of the agencies that took part, `emb,psb`; empty when the
    /// record names none.
    static func agenciesColumn(_ drill: Drill) -> String {
        Agency.allCases.filter { drill.participatingAgencies?.contains($0) == true }.map(\.rawValue).joined(separator: ",")
    }

    static func agencies(column: String) -> Set<Agency> {
        Set(column.split(separator: ",").compactMap { Agency(rawValue: String($0)) })
    }

    /// Why a change to an ended drill is refused: its record is frozen; a correction is an amendment.
    static func frozen(_ checkID: String, endedAt: Date, field: String? = nil) -> AppError {
        AppError(.conflict, "检查「\(checkID)」已于\(ChinaTime.displayString(endedAt))结束，到达时间和现场检查结果已锁定，不再接受登记；"
                 + "如需更正，请使用「更正检查记录」并写明理由", field: field)
    }

    /// `finished`: the drill is over (imported past records are); until then a unit not yet
    /// arrived is on its way and no no-show is found. A drill that has ended is not changed
    /// here (`replace` is refused): a correction after the end is an `amend`.
    static func record(_ drill: Drill, replace: Bool = false, finished: Bool = true, actor: Actor, rules: RuleBook, now: Date = Date(),
                       judgingSupervision: Bool = true, on db: any Database) async throws -> Outcome {
        do { try drill.validate() } catch { throw AppError.invalid(error.message, field: error.field) }
        let dates = FactDates(rules: rules, now: now)
        var times: [(String, Date)] = [("alert_at", drill.alertAt)]
        for (i, unit) in drill.units.enumerated() {
            times.append(("units[\(i)].notified_at", unit.notifiedAt))
            if let arrived = unit.arrivedAt { times.append(("units[\(i)].arrived_at", arrived)) }
        }
        for (field, time) in times {
            if let problem = dates.problem(time) { throw AppError.invalid("「\(field)」：\(problem)", field: field) }
        }
        let ruleSet = rules.inForce(at: drill.alertAt)
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            if let stored = try await stored(drill.checkID, on: sql) {
                if stored.drill == drill { return .unchanged }
                guard replace else { throw AppError(.conflict, "检查编号 \(drill.checkID) 已存在且内容不同", field: "check_id") }
                if let end = stored.finishedAt { throw frozen(drill.checkID, endedAt: end) }
                try await update(drill, on: sql)
                try await AuditLog.append(tx, actor: actor, action: "check.drill.update", entity: "drill", entityID: drill.checkID,
                                          before: stored.drill, after: drill, at: now)
            } else {
                try await sql.insert(into: "drills").columns("check_id", "kind", "alert_at", "body", "recorded_by", "recorded_at", "finished_at", "agencies")
                    .values(SQLBind(drill.checkID), SQLBind(drill.kind.rawValue), SQLBind(drill.alertAt), SQLBind(try encode(drill)),
                            SQLBind(actor.principal.name), SQLBind(now), SQLBind(finished ? now : nil), SQLBind(agenciesColumn(drill))).run()
                try await AuditLog.append(tx, actor: actor, action: "check.drill.record", entity: "drill", entityID: drill.checkID,
                                          after: drill, at: now)
            }
            try await judge(drill, rules: ruleSet, now: now, on: sql)
            if judgingSupervision { try await judgeSupervision(rules: rules, now: now, on: tx) }
            return .stored
        }
    }

    /// Writes a changed record. The agencies column follows the record when it names them; a
    /// drill recorded before participation was kept keeps its column until a record names them.
    private static func update(_ drill: Drill, on sql: any SQLDatabase) async throws {
        var update = sql.update("drills").set("body", to: SQLBind(try encode(drill))).set("kind", to: SQLBind(drill.kind.rawValue))
            .set("alert_at", to: SQLBind(drill.alertAt))
        if drill.teams != nil { update = update.set("agencies", to: SQLBind(agenciesColumn(drill))) }
        try await update.where("check_id", .equal, SQLBind(drill.checkID)).run()
    }

    /// One unit's record on a drill under way (a tap on arrival, what was seen on site), read,
    /// changed and written in one transaction. Refused once the drill has ended.
    static func updateUnit(_ checkID: String, unitID: Int, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database,
                           _ change: @escaping @Sendable (inout DrillUnit) throws -> Void) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard var stored = try await stored(checkID, on: sql) else { throw AppError.notFound("检查「\(checkID)」") }
            if let end = stored.finishedAt { throw frozen(checkID, endedAt: end, field: "unit_id") }
            guard let index = stored.drill.units.firstIndex(where: { $0.unitID == unitID }) else {
                throw AppError.invalid("该单位未参加本次检查", field: "unit_id")
            }
            try change(&stored.drill.units[index])
            _ = try await record(stored.drill, replace: true, finished: false, actor: actor, rules: rules, now: now, on: tx)
        }
    }

    static func judge(_ drill: Drill, rules: RuleSet, now: Date, on sql: any SQLDatabase) async throws {
        struct Row: Decodable { var finished_at: Date? }
        let finished = try await sql.select().column("finished_at").from("drills").where("check_id", .equal, SQLBind(drill.checkID))
            .first(decoding: Row.self)?.finished_at != nil
        let findings = drill.judge(rules: rules).filter { finished || $0.kind != .drillNoShow }
        _ = try await FindingStore.reconcile(source: drill.kind.source, refs: [drill.checkID], scope: nil, findings: findings, now: now, on: sql)
    }

    /// Ends a drill: units that never arrived now count as not having turned out, and its
    /// arrivals and clocks stop: from now on only an amendment changes it. Ending it twice is refused.
    static func finish(_ checkID: String, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let stored = try await stored(checkID, on: sql) else { throw AppError.notFound("检查「\(checkID)」") }
            if let end = stored.finishedAt {
                throw AppError(.conflict, "检查「\(checkID)」已于\(ChinaTime.displayString(end))结束")
            }
            let drill = stored.drill
            try await sql.update("drills").set("finished_at", to: SQLBind(now)).where("check_id", .equal, SQLBind(checkID)).run()
            try await AuditLog.append(tx, actor: actor, action: "check.drill.finish", entity: "drill", entityID: checkID,
                                      after: ["finished_at": ChinaTime.isoString(now),
                                              "not_arrived": drill.units.filter { $0.arrivedAt == nil }.map { String($0.unitID) }.joined(separator: ",")],
                                      at: now)
            try await judge(drill, rules: rules.inForce(at: drill.alertAt), now: now, on: sql)
        }
    }

    /// What an amendment records in the audit log beside the record before it.
    struct Amendment: Encodable {
        var reason: String
        var drill: Drill
    }

    static let minimumReasonLength = 5

    /// Corrects a drill after its end: an explicit amendment, with the reason, audited with the
    /// record before and after, the drill's findings and the supervision calendar (who took part
    /// may have changed) judged again in the same transaction.
    static func amend(_ checkID: String, reason rawReason: String, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database,
                      _ change: @escaping @Sendable (inout Drill, _ finishedAt: Date) throws -> Void) async throws {
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= minimumReasonLength else {
            throw AppError.invalid("请写明更正理由（至少\(minimumReasonLength)个字），更正将记入审计日志", field: "reason")
        }
        guard reason.count <= 500 else { throw AppError.invalid("更正理由不能超过500个字", field: "reason") }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            guard let stored = try await stored(checkID, on: sql) else { throw AppError.notFound("检查「\(checkID)」") }
            guard let end = stored.finishedAt else {
                throw AppError(.conflict, "检查「\(checkID)」尚未结束，请直接在检查页面登记；结束后的更正才需写明理由")
            }
            var drill = stored.drill
            try change(&drill, end)
            do throws(CheckProblem) { try drill.validate() } catch { throw AppError.invalid(error.message, field: error.field) }
            guard drill != stored.drill else { throw AppError.invalid("更正内容与原记录相同，未作更改") }
            try await update(drill, on: sql)
            try await AuditLog.append(tx, actor: actor, action: "check.drill.amend", entity: "drill", entityID: checkID,
                                      before: stored.drill, after: Amendment(reason: reason, drill: drill), at: now)
            try await judge(drill, rules: rules.inForce(at: drill.alertAt), now: now, on: sql)
            try await judgeSupervision(rules: rules, now: now, on: tx)
        }
    }

    static func isFinished(_ checkID: String, on db: any Database) async throws -> Bool {
        try await finishedAt(checkID, on: db) != nil
    }

    static func finishedAt(_ checkID: String, on db: any Database) async throws -> Date? {
        struct Row: Decodable { var finished_at: Date? }
        return try await (db as! any SQLDatabase).select().column("finished_at").from("drills").where("check_id", .equal, SQLBind(checkID))
            .first(decoding: Row.self)?.finished_at
    }

    static func drill(_ checkID: String, on db: any Database) async throws -> Drill {
        struct Row: Decodable { var body: String }
        guard let row = try await (db as! any SQLDatabase).select().column("body").from("drills")
            .where("check_id", .equal, SQLBind(checkID)).first(decoding: Row.self)
        else { throw AppError.notFound("检查“\(checkID)”") }
        return try decode(Drill.self, row.body)
    }

    static func drills(on db: any Database) async throws -> [Drill] {
        struct Row: Decodable { var body: String }
        return try await (db as! any SQLDatabase).select().column("body").from("drills").orderBy("alert_at", .descending)
            .all(decoding: Row.self).map { try decode(Drill.self, $0.body) }
    }

    static func phoneChecks(from: Date, to: Date, on db: any Database) async throws -> [PhoneCheck] {
        struct Row: Decodable { var body: String }
        return try await (db as! any SQLDatabase).select().column("body").from("phone_checks")
            .where("checked_at", .greaterThanOrEqual, SQLBind(from)).where("checked_at", .lessThan, SQLBind(to))
            .orderBy("checked_at").all(decoding: Row.self).map { try decode(PhoneCheck.self, $0.body) }
    }

    // MARK: Import of past records

    struct ImportResult: Content, Equatable {
        var phoneChecks = 0
        var drills = 0
        var unchanged = 0
    }

    /// Loads a JSON Lines file of phone checks and drills: all or nothing, idempotent on check_id.
    static func importChecks(_ data: Data, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> ImportResult {
        let records = try ChecksFile.parse(data, rules: rules, dates: FactDates(rules: rules, now: now))
        let units = try await LinkageUnit.query(on: db).all()
        var names: [String: [LinkageUnit]] = [:]
        for u in units { names[u.name, default: []].append(u) }
        let byName = names
        @Sendable func resolve(_ ref: String) -> LinkageUnit? {
            if let id = Int(ref), let u = units.first(where: { $0.id == id }) { return u }
            guard let matches = byName[ref], matches.count == 1 else { return nil }
            return matches[0]
        }
        return try await db.writeTransaction { tx in
            var result = ImportResult()
            for item in records {
                let outcome: Outcome
                do {
                    switch item {
                    case .phone(let p):
                        guard let unit = resolve(p.unit), let id = unit.id else {
                            throw ImportError(row: p.line, field: "unit", message: "登记册中没有唯一的单位“\(p.unit)”")
                        }
                        let reported = try await changeReported(unitID: id, before: p.attempts.first?.at ?? now, on: tx)
                        outcome = try await record(p.check(unitID: id, changeReportedInRegister: reported), actor: actor, rules: rules, now: now,
                                                   judgingSupervision: false, on: tx)
                        if outcome == .stored { result.phoneChecks += 1 }
                    case .drill(let d):
                        let drill = try d.drill { ref in resolve(ref).flatMap { u in u.id.map { ($0, u.profile) } } }
                        outcome = try await record(drill, actor: actor, rules: rules, now: now, judgingSupervision: false, on: tx)
                        if outcome == .stored { result.drills += 1 }
                    }
                } catch let error as AppError {
                    throw ImportError(row: item.line, field: error.field ?? "", message: error.message)
                }
                if outcome == .unchanged { result.unchanged += 1 }
            }
            try await judgeSupervision(rules: rules, now: now, on: tx)
            return result
        }
    }

    /// Whether the unit reported a contact change in the 30 days before a call: a number no
    /// longer the unit's is then a change the register should already have caught, not an
    /// unreported one.
    static func changeReported(unitID: Int, before: Date, on db: any Database) async throws -> Bool {
        try await ContactChange.query(on: db).filter(\.$unitID == unitID)
            .filter(\.$reportedAt <= before).filter(\.$reportedAt >= before.addingTimeInterval(-30 * 86_400)).count() > 0
    }

    // MARK: Campaigns

    struct Campaign: Sendable {
        var id: Int
        var month: String
        var seed: UInt64
        var units: [Int]
        /// Level-1 units whose duty phone is to be called outside office hours this month.
        var outOfHours: [Int] = []
        /// The size the police asked for; the sample is larger when the coverage guarantee needs it.
        var requested = 0
    }

    /// The month's phone-check sample of in-scope units (main text §二: 市本级, 莲都区, 开发区),
    /// random, stratified and reproducible from its stored seed, preferring units not yet called
    /// in the coverage period so that every unit is called at least once in it.
    static func createCampaign(month: Period, size: Int, seed: UInt64? = nil, actor: Actor, rules: RuleBook,
                               now: Date = Date(), on db: any Database) async throws -> Campaign {
        guard (1...200).contains(size) else { throw AppError.invalid("抽查数量应为1至200", field: "size") }
        let ruleSet = rules.inForce(on: month.start)
        let scope = Set(Jurisdictions.all.filter(\.phoneCheckScope).map(\.id))
        let units = try await LinkageUnit.query(on: db).all().filter { scope.contains($0.jurisdictionID) }
        let coverage = Period.containing(month.start, ruleSet.phoneCheckCoverage)
        let called = Set(try await phoneChecks(from: coverage.startInstant, to: month.startInstant, on: db).map(\.unitID))
        let monthIndex = coverage.months.firstIndex { $0.start == month.start }.map { $0 + 1 } ?? 1
        let chosenSeed = seed ?? UInt64.random(in: .min ... .max)
        let sample = PhoneCheckSampler.sample(
            units: units.map { SampleUnit(id: $0.id ?? 0, jurisdictionID: $0.jurisdictionID, level: $0.unitLevel) },
            calledThisPeriod: called, monthIndexInPeriod: monthIndex, monthsInPeriod: coverage.months.count, size: size, seed: chosenSeed)
        // Each level-1 unit's duty phone is also called outside office hours, the rule set's
        // number of times a period (Annex 2: 24-hour duty).
        let levelOne = units.filter { $0.unitLevel == .one }.compactMap(\.id)
        let calendar = try await WorkingCalendarStore.load(on: db)
        let calledOut = Dictionary(
            try await phoneChecks(from: coverage.startInstant, to: month.startInstant, on: db)
                .filter { $0.dialled == .duty && $0.outOfHours(rules: ruleSet, calendar: calendar) }.map { ($0.unitID, 1) },
            uniquingKeysWith: +)
        let outOfHours = PhoneCheckSampler.outOfHours(levelOne: levelOne, calledOutOfHours: calledOut,
                                                      perPeriod: ruleSet.officeHours.outOfHoursChecksPerQuarter,
                                                      monthIndexInPeriod: monthIndex, monthsInPeriod: coverage.months.count, seed: chosenSeed)
        let label = String(month.start.description.prefix(7))
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct IDRow: Decodable { var id: Int }
            let row = try await sql.insert(into: "phone_campaigns").columns("month", "seed", "size", "units", "out_of_hours", "created_by", "created_at")
                .values(SQLBind(label), SQLBind(String(chosenSeed)), SQLBind(size), SQLBind(sample.map(String.init).joined(separator: ",")),
                        SQLBind(outOfHours.map(String.init).joined(separator: ",")), SQLBind(actor.principal.name), SQLBind(now))
                .returning("id").first(decoding: IDRow.self)
            let id = row?.id ?? 0
            try await AuditLog.append(tx, actor: actor, action: "check.campaign.create", entity: "phone_campaign", entityID: String(id),
                                      after: ["month": label, "seed": String(chosenSeed), "units": sample.map(String.init).joined(separator: ","),
                                              "out_of_hours": outOfHours.map(String.init).joined(separator: ",")], at: now)
            return Campaign(id: id, month: label, seed: chosenSeed, units: sample, outOfHours: outOfHours, requested: size)
        }
    }

    static func latestCampaign(on db: any Database) async throws -> Campaign? {
        struct Row: Decodable { var id: Int; var month: String; var seed: String; var size: Int; var units: String; var out_of_hours: String }
        guard let row = try await (db as! any SQLDatabase).select().columns("id", "month", "seed", "size", "units", "out_of_hours").from("phone_campaigns")
            .orderBy("id", .descending).limit(1).first(decoding: Row.self) else { return nil }
        return Campaign(id: row.id, month: row.month, seed: UInt64(row.seed) ?? 0, units: row.units.split(separator: ",").compactMap { Int($0) },
                        outOfHours: row.out_of_hours.split(separator: ",").compactMap { Int($0) }, requested: row.size)
    }

    // MARK: Supervision calendar (D7)

    static func activities(on db: any Database) async throws -> [SupervisionActivity] {
        let sql = db as! any SQLDatabase
        struct At: Decodable { var at: Date }
        let phone = try await sql.select().column(SQLColumn("checked_at"), as: "at").from("phone_checks").all(decoding: At.self)
        struct DrillAt: Decodable { var at: Date; var agencies: String? }
        let drills = try await sql.select().column(SQLColumn("alert_at"), as: "at").column("agencies").from("drills").all(decoding: DrillAt.self)
        let meetings = try await sql.select().column(SQLColumn("held_on"), as: "at").from("consultation_meetings").all(decoding: At.self)
        // A joint check counts when both agencies took part; one recorded before participation
        // was kept (no column) counts as it did when it was recorded.
        return phone.map { SupervisionActivity(kind: .phoneCheck, at: $0.at) }
            + drills.map { SupervisionActivity(kind: .jointCheck, at: $0.at, agencies: $0.agencies.map(agencies(column:))) }
            + meetings.map { SupervisionActivity(kind: .consultation, at: $0.at) }
    }

    /// The day records start: the system's first start (its first audit entry), so a new
    /// deployment is not charged with the months before it existed.
    static func recordsFrom(on db: any Database) async throws -> LocalDate {
        struct First: Decodable { var at_ms: Int64 }
        guard let first = try await (db as! any SQLDatabase).select().column("at_ms").from(AuditEntry.schema).orderBy("seq").limit(1)
            .first(decoding: First.self) else { return LocalDate(Date()) }
        return LocalDate(Date(timeIntervalSince1970: Double(first.at_ms) / 1000))
    }

    /// Periods of each duty from `from` to `asOf`, and the D7 findings of those that ended short.
    /// Without an explicit `from`, each duty starts with the period in which records began: its
    /// duty could still be done in time, while earlier periods are not the system's to judge.
    static func calendar(from: LocalDate? = nil, asOf: LocalDate = LocalDate(Date()), rules: RuleBook, on db: any Database)
        async throws -> (periods: [SupervisionPeriod], findings: [Finding]) {
        let recordsStart = try await recordsFrom(on: db)
        let ruleSet = rules.inForce(on: asOf)
        let acts = try await activities(on: db)
        var periods: [SupervisionPeriod] = [], findings: [Finding] = []
        for duty in ruleSet.supervisionDuties {
            var one = ruleSet
            one.supervisionDuties = [duty]
            let start = from ?? Period.containing(recordsStart, duty.period).start
            periods += SupervisionCalendar.periods(rules: one, activities: acts, from: start, asOf: asOf)
            findings += SupervisionCalendar.missedDutyFindings(rules: one, activities: acts, from: start, asOf: asOf)
        }
        return (periods, findings)
    }

    /// Stores the calendar's D7 findings as of `now`'s day: a period ended without its duty is a
    /// finding, and a later record of the duty withdraws it. Run by the writers of checks, drills
    /// and meetings in their transaction and by the scheduled judging when a period ends.
    @discardableResult
    static func judgeSupervision(from: LocalDate? = nil, asOf: LocalDate? = nil, rules: RuleBook, now: Date = Date(),
                                 on db: any Database) async throws -> (added: [String], withdrawn: [String]) {
        try await db.writeTransaction { tx in
            let (periods, findings) = try await calendar(from: from, asOf: asOf ?? LocalDate(now), rules: rules, on: tx)
            let result = try await FindingStore.reconcile(source: .supervision, refs: periods.map(\.ref), scope: nil,
                                                          findings: findings, now: now, on: tx as! any SQLDatabase)
            if !result.added.isEmpty || !result.withdrawn.isEmpty {
                try await AuditLog.append(tx, actor: .system(), action: "supervision.judge", entity: "supervision",
                                          after: ["added": result.added.joined(separator: ","), "withdrawn": result.withdrawn.joined(separator: ",")], at: now)
            }
            return result
        }
    }

    static func recordMeeting(heldOn: Date, attendees: String, decisions: String, actor: Actor, rules: RuleBook, now: Date = Date(),
                              on db: any Database) async throws {
        let a = attendees.trimmingCharacters(in: .whitespacesAndNewlines), d = decisions.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !a.isEmpty else { throw AppError.invalid("请填写参会人员", field: "attendees") }
        guard !d.isEmpty else { throw AppError.invalid("请填写会商决定事项", field: "decisions") }
        guard heldOn <= now.addingTimeInterval(300) else { throw AppError.invalid("会商日期不能晚于今天", field: "held_on") }
        if let problem = FactDates(rules: rules, now: now).problem(day: LocalDate(heldOn)) { throw AppError.invalid(problem, field: "held_on") }
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).insert(into: "consultation_meetings").columns("held_on", "attendees", "decisions", "recorded_by", "recorded_at")
                .values(SQLBind(heldOn), SQLBind(a), SQLBind(d), SQLBind(actor.principal.name), SQLBind(now)).run()
            try await AuditLog.append(tx, actor: actor, action: "supervision.meeting", entity: "consultation_meeting",
                                      after: ["held_on": ChinaTime.isoString(heldOn), "attendees": a, "decisions": d], at: now)
            try await judgeSupervision(rules: rules, now: now, on: tx)
        }
    }
}
