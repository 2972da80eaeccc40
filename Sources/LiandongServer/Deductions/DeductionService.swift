import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// A deduction as lists show it.
struct DeductionDTO: Content {
    var id: Int
    var findingId: Int
    var unit: String?
    var unitId: Int?
    var agency: String?
    /// The government a D6 deduction counts against (e.g. 莲都区).
    var jurisdiction: String?
    var item: String
    var status: String
    var statusName: String
    var points: Double
    var awaiting: [String]
    /// The codes of the agencies awaited (`longquan-psb`), for the pages to offer the decision.
    var awaitingIds: [String]
    /// The two agencies that decide it (issue 15), by name.
    var deciders: [String]
    /// What the awaited agencies are asked to agree to: `确认1.0分`, `驳回`, `申诉决定：撤销扣分`.
    var onTable: String
    var source: String
    var ref: String
    var occurredAt: String
    var reason: String
    var ruleVersion: String
    /// The last moment the unit may appeal, while it still may.
    var appealDeadline: String?
    /// Said when the appeal window went through a year the working calendar does not hold
    /// (counted Monday to Friday).
    var appealDeadlineNote: String?
    var appealStatement: String?
    var appealDecision: String?
}

struct DeductionFilter: Sendable {
    var status: DeductionStatus?
    var unitID: Int?
    var jurisdictionID: String?
    var from: Date?
    var to: Date?
    /// Proposed deductions this agency has yet to confirm.
    var awaiting: Agency?
    /// Units a search named (by name or pinyin initials); nil: no search.
    var unitIDs: [Int]?
    /// One deduction.
    var id: Int?
    /// These deductions (at most a few hundred: callers chunk).
    var ids: [Int]?
    /// Deductions one jurisdiction's agencies decide (issue 15): units of the jurisdictions they
    /// serve, and for the city's, the deductions against governments and agencies.
    var decidedBy: DecidingSeat?
}

/// The jurisdictions whose deductions a seat's agencies decide.
struct DecidingSeat: Sendable {
    var served: [String]
    /// The city's: deductions with no unit (a government's, an agency's) too.
    var unitless: Bool

    init(_ seat: String, directory: AgencyDirectory) {
        served = directory.served(by: seat)
        unitless = seat == Jurisdictions.city.id
    }
}

/// From finding to deduction: every finding is proposed as a deduction; the EMB and the police
/// confirm (or reject) it, each for itself; every step is kept.
enum DeductionService {
    struct Row: Decodable {
        var id: Int
        var finding_id: Int
        var unit_id: Int?
        var agency: String?
        var item: String
        var status: String
        var points_tenths: Int
        var occurred_at: Date
        var state: String
        var rule_version: String
        /// Issue 15 item 5: the month a deduction carried over from a closed year counts in.
        var assessed_month: String?
        var carried_tenths: Int?
    }

    /// The `awaiting` column: `,emb,psb,` while both agencies have to confirm, empty when none.
    static func awaitingColumn(_ state: DeductionState) -> String {
        let agencies = state.awaiting
        return agencies.isEmpty ? "" : "," + agencies.map(\.rawValue).joined(separator: ",") + ","
    }

    static func encode(_ state: DeductionState) throws -> String {
        String(decoding: try InspectionService.encoder.encode(state), as: UTF8.self)
    }

    /// Proposes a deduction for each active finding that has none, and withdraws proposals whose
    /// finding was withdrawn, over the whole database. The writers of findings do this for what
    /// they write (`settle`); this catches up a database written before they did, and runs with
    /// the scheduled judging. Idempotent: when nothing is due it writes nothing.
    @discardableResult
    static func sync(now: Date = Date(), on db: any Database) async throws -> (proposed: Int, withdrawn: Int) {
        guard try await needsSync(on: db as! any SQLDatabase) else { return (0, 0) }
        return try await db.writeTransaction { tx in try await settle(findingKeys: nil, now: now, on: tx as! any SQLDatabase) }
    }

    /// The consequences of findings just written, in the writer's transaction: each active finding
    /// among `findingKeys` without a deduction is proposed at its default figure, notified now (the
    /// unit's appeal window starts here), and each proposal whose finding was withdrawn is withdrawn;
    /// one audit entry says which. `findingKeys` nil: every finding.
    @discardableResult
    static func settle(findingKeys: [String]?, now: Date, on sql: any SQLDatabase) async throws -> (proposed: Int, withdrawn: Int) {
        if let keys = findingKeys, keys.isEmpty { return (0, 0) }
        // Bound parameters per statement stay far below both databases' limits.
        let groups: [[String]?] = findingKeys.map { Array(Set($0)).sorted().chunked(into: 500).map { Optional($0) } } ?? [nil]
        struct F: Decodable {
            var id: Int; var unit_id: Int?; var agency: String?; var jurisdiction_id: String?; var item: String; var points_tenths: Int
            var occurred_at: Date; var rule_version: String
        }
        struct W: Decodable { var id: Int; var state: String }
        var fresh: [F] = [], stale: [W] = []
        for keys in groups {
            fresh += try await unproposedFindings(sql.select()
                .columns(SQLColumn("id", table: "findings"), SQLColumn("unit_id", table: "findings"), SQLColumn("agency", table: "findings"),
                         SQLColumn("jurisdiction_id", table: "findings"),
                         SQLColumn("item", table: "findings"), SQLColumn("points_tenths", table: "findings"),
                         SQLColumn("occurred_at", table: "findings"), SQLColumn("rule_version", table: "findings")), keys: keys)
                .all(decoding: F.self)
            stale += try await staleProposals(sql.select().columns(SQLColumn("id", table: "deductions"), SQLColumn("state", table: "deductions")),
                                              keys: keys)
                .all(decoding: W.self)
        }
        fresh.sort { $0.id < $1.id }
        for chunk in fresh.chunked(into: 200) {
            var insert = sql.insert(into: "deductions").columns("finding_id", "unit_id", "agency", "jurisdiction_id", "item", "status", "points_tenths",
                                                               "occurred_at", "state", "awaiting", "rule_version", "created_at", "updated_at")
            for f in chunk {
                let state = DeductionState(item: DeductionItemID(rawValue: f.item) ?? .d12, points: Points(tenths: f.points_tenths), notifiedAt: now)
                insert = insert.values(SQLBind(f.id), SQLBind(f.unit_id), SQLBind(f.agency), SQLBind(f.jurisdiction_id), SQLBind(f.item), SQLBind(DeductionStatus.proposed.rawValue),
                                       SQLBind(f.points_tenths), SQLBind(f.occurred_at), SQLBind(try encode(state)), SQLBind(awaitingColumn(state)), SQLBind(f.rule_version),
                                       SQLBind(now), SQLBind(now))
            }
            try await insert.run()
        }
        // Proposals against an agency, or a unit of its bureau, go to the other agency and the PLC.
        try await AgencyStore.assignDeciders(findingIDs: fresh.map(\.id), on: sql)
        // Proposals whose finding no longer holds.
        for row in stale {
            var state = try InspectionService.decode(DeductionState.self, row.state)
            state.withdraw()
            try await sql.update("deductions").set("status", to: SQLBind(state.status.rawValue)).set("state", to: SQLBind(try encode(state)))
                .set("awaiting", to: SQLBind(awaitingColumn(state)))
                .set("updated_at", to: SQLBind(now)).where("id", .equal, SQLBind(row.id)).run()
            try await sql.insert(into: "deduction_events").columns("deduction_id", "action", "agency", "officer", "points_tenths", "reason", "at")
                .values(SQLBind(row.id), SQLBind("withdraw"), SQLBind(Optional<String>.none), SQLBind("system"), SQLBind(Optional<Int>.none),
                        SQLBind("所依据的问题已撤销"), SQLBind(now)).run()
        }
        // Findings that hold again (a later event undid what withdrew them) whose proposal the system
        // had withdrawn: proposed anew, notified now. A withdrawal the agencies decided stays.
        struct R: Decodable { var id: Int; var item: String; var points_tenths: Int }
        var revived: [R] = []
        for keys in groups {
            var query = sql.select().columns(SQLColumn("id", table: "deductions"), SQLColumn("item", table: "findings"),
                                             SQLColumn("points_tenths", table: "findings"))
                .from("deductions")
                .join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
                .where(SQLColumn("status", table: "deductions"), .equal, SQLBind(DeductionStatus.withdrawn.rawValue))
                .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
                .where(SQLRaw("(SELECT e.officer FROM deduction_events e WHERE e.deduction_id = deductions.id ORDER BY e.id DESC LIMIT 1) = 'system'"))
            if let keys { query = query.where(SQLColumn("key", table: "findings"), .in, SQLBind.group(keys)) }
            revived += try await query.all(decoding: R.self)
        }
        for row in revived {
            let state = DeductionState(item: DeductionItemID(rawValue: row.item) ?? .d12, points: Points(tenths: row.points_tenths), notifiedAt: now)
            try await sql.update("deductions").set("status", to: SQLBind(state.status.rawValue)).set("state", to: SQLBind(try encode(state)))
                .set("awaiting", to: SQLBind(awaitingColumn(state))).set("points_tenths", to: SQLBind(row.points_tenths))
                .set("updated_at", to: SQLBind(now)).where("id", .equal, SQLBind(row.id)).run()
            try await sql.insert(into: "deduction_events").columns("deduction_id", "action", "agency", "officer", "points_tenths", "reason", "at")
                .values(SQLBind(row.id), SQLBind("reopen"), SQLBind(Optional<String>.none), SQLBind("system"), SQLBind(row.points_tenths),
                        SQLBind("所依据的问题重新成立"), SQLBind(now)).run()
        }
        if !fresh.isEmpty || !stale.isEmpty || !revived.isEmpty {
            try await AuditLog.append(sql as! any Database, actor: .system(), action: "deduction.sync", entity: "deductions",
                                      after: ["proposed_from_findings": fresh.map { String($0.id) }.joined(separator: ","),
                                              "withdrawn": stale.map { String($0.id) }.joined(separator: ","),
                                              "reopened": revived.map { String($0.id) }.joined(separator: ",")], at: now)
        }
        return (fresh.count + revived.count, stale.count)
    }

    /// Active findings that have no deduction yet (among `keys`, when given).
    private static func unproposedFindings(_ select: SQLSelectBuilder, keys: [String]? = nil) -> SQLSelectBuilder {
        var query = select.from("findings")
            .join("deductions", method: SQLJoinMethod.left, on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
            .where(SQLColumn("id", table: "deductions"), .is, SQLLiteral.null)
        if let keys { query = query.where(SQLColumn("key", table: "findings"), .in, SQLBind.group(keys)) }
        return query
    }

    /// Proposals whose finding was withdrawn (among `keys`, when given).
    private static func staleProposals(_ select: SQLSelectBuilder, keys: [String]? = nil) -> SQLSelectBuilder {
        var query = select.from("deductions")
            .join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .where(SQLColumn("status", table: "deductions"), .equal, SQLBind(DeductionStatus.proposed.rawValue))
            .where(SQLColumn("withdrawn_at", table: "findings"), .isNot, SQLLiteral.null)
        if let keys { query = query.where(SQLColumn("key", table: "findings"), .in, SQLBind.group(keys)) }
        return query
    }

    /// Whether an active finding has no deduction yet, or a proposal's finding was withdrawn.
    static func needsSync(on sql: any SQLDatabase) async throws -> Bool {
        if try await unproposedFindings(sql.select().column(SQLColumn("id", table: "findings"))).limit(1).first() != nil { return true }
        return try await staleProposals(sql.select().column(SQLColumn("id", table: "deductions"))).limit(1).first() != nil
    }

    /// The deductions a filter selects, joined to their findings and units.
    static func filtered(_ select: SQLSelectBuilder, _ filter: DeductionFilter) -> SQLSelectBuilder {
        var query = select.from("deductions")
            .join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .join("linkage_units", method: SQLJoinMethod.left, on: SQLColumn("unit_id", table: "deductions"), .equal, SQLColumn("id", table: "linkage_units"))
        if let id = filter.id { query = query.where(SQLColumn("id", table: "deductions"), .equal, SQLBind(id)) }
        if let ids = filter.ids {
            query = ids.isEmpty ? query.where(SQLRaw("1 = 0")) : query.where(SQLColumn("id", table: "deductions"), .in, SQLBind.group(ids))
        }
        if let s = filter.status { query = query.where(SQLColumn("status", table: "deductions"), .equal, SQLBind(s.rawValue)) }
        if let u = filter.unitID { query = query.where(SQLColumn("unit_id", table: "deductions"), .equal, SQLBind(u)) }
        if let j = filter.jurisdictionID { query = query.where(SQLColumn("jurisdiction_id", table: "linkage_units"), .equal, SQLBind(j)) }
        if let f = filter.from { query = query.where(SQLColumn("occurred_at", table: "deductions"), .greaterThanOrEqual, SQLBind(f)) }
        if let t = filter.to { query = query.where(SQLColumn("occurred_at", table: "deductions"), .lessThan, SQLBind(t)) }
        if let a = filter.awaiting {
            query = query.where(SQLColumn("status", table: "deductions"), .in, SQLBind.group([DeductionStatus.proposed.rawValue, DeductionStatus.appealed.rawValue]))
                .where(SQLColumn("awaiting", table: "deductions"), .like, SQLBind("%,\(a.rawValue),%"))
        }
        if let ids = filter.unitIDs { query = RegisterService.whereUnit(query, SQLColumn("unit_id", table: "deductions"), in: ids) }
        if let seat = filter.decidedBy {
            query = query.where(group: { group in
                let units = group.where(SQLColumn("jurisdiction_id", table: "linkage_units"), .in, SQLBind.group(seat.served))
                return seat.unitless ? units.orWhere(SQLColumn("unit_id", table: "deductions"), .is, SQLLiteral.null) : units
            })
        }
        return query
    }

    /// How many deductions a filter selects and their points, counted by the database.
    static func summary(_ filter: DeductionFilter, on db: any Database) async throws -> (count: Int, points: Points) {
        try await PointsSummary.of(filtered((db as! any SQLDatabase).select(), filter), table: "deductions")
    }

    /// The keys a deductions list sorts by (`ListSort`), in SQL.
    static let sortColumns = [
        SortColumn("编号", "id", numeric: true), SortColumn("发生时间", "occurred", first: .desc), SortColumn("单位或部门", "subject"),
        SortColumn("项目", "item"), SortColumn("分值", "points", numeric: true, first: .desc), SortColumn("状态", "status"),
        SortColumn("待确认"), SortColumn("事由"),
    ]

    static func ordered(_ query: SQLSelectBuilder, _ sort: ListSort?) -> SQLSelectBuilder {
        let d: (String) -> SQLColumn = { SQLColumn($0, table: "deductions") }
        guard let sort else { return query.orderBy(d("occurred_at")).orderBy(d("id")) }
        return sort.orderBy(query, [
            "id": [d("id")], "occurred": [d("occurred_at")],
            // Unit names in pinyin order; deductions of agencies and governments after them.
            "subject": [SQLColumn("name_initials", table: "linkage_units"), SQLColumn("name", table: "linkage_units"), d("agency"), d("jurisdiction_id")],
            "item": [d("item")], "points": [d("points_tenths")], "status": [d("status")],
        ], nullable: ["subject"], then: [d("occurred_at"), d("id")])
    }

    /// `page`: the rows of one page only (`offset`, `limit`), read with LIMIT/OFFSET.
    /// `calendar`: the working days appeal windows count (`app.liandong.calendar`).
    static func list(_ filter: DeductionFilter, rules: RuleBook, calendar: WorkingCalendar, page: (offset: Int, limit: Int)? = nil,
                     sort: ListSort? = nil, directory known: AgencyDirectory? = nil, on db: any Database) async throws -> [DeductionDTO] {
        struct R: Decodable {
            var id: Int; var finding_id: Int; var unit_id: Int?; var name: String?; var agency: String?; var jurisdiction_id: String?; var item: String; var status: String
            var points_tenths: Int; var occurred_at: Date; var state: String; var rule_version: String; var source: String; var ref: String; var reason: String
            var unit_jurisdiction: String?
        }
        let directory = if let known { known } else { try await AgencyStore.load(on: db) }
        var query = filtered((db as! any SQLDatabase).select(), filter)
            .columns(SQLColumn("id", table: "deductions"), SQLColumn("finding_id", table: "deductions"), SQLColumn("unit_id", table: "deductions"),
                     SQLColumn("name", table: "linkage_units"), SQLColumn("agency", table: "deductions"),
                     SQLColumn("jurisdiction_id", table: "deductions"), SQLColumn("item", table: "deductions"),
                     SQLColumn("status", table: "deductions"), SQLColumn("points_tenths", table: "deductions"),
                     SQLColumn("occurred_at", table: "deductions"), SQLColumn("state", table: "deductions"),
                     SQLColumn("rule_version", table: "deductions"), SQLColumn("source", table: "findings"), SQLColumn("ref", table: "findings"),
                     SQLColumn("reason", table: "findings"))
            .column(SQLColumn("jurisdiction_id", table: "linkage_units"), as: "unit_jurisdiction")
        if let page { query = query.limit(page.limit).offset(page.offset) }
        return try await ordered(query, sort)
            .all(decoding: R.self).map { r in
                let state = try InspectionService.decode(DeductionState.self, r.state)
                let subject = AgencyStore.Subject(id: r.id, unit_id: r.unit_id, agency: r.agency, jurisdiction_id: r.jurisdiction_id,
                                                  unit_name: r.name, unit_jurisdiction: r.unit_jurisdiction).decisionSubject
                let deciders = directory.deciders(for: subject)
                let awaited = state.awaiting.compactMap { kind in deciders.first { $0.kind == kind } }
                let window = state.appeal == nil && (state.status == .proposed || state.status == .confirmed)
                    ? state.appealWindow(workingDays: rules.inForce(at: r.occurred_at).appealWindowWorkingDays, calendar: calendar) : nil
                return DeductionDTO(id: r.id, findingId: r.finding_id, unit: r.name, unitId: r.unit_id, agency: r.agency.flatMap { Agency(rawValue: $0)?.name },
                                    jurisdiction: r.jurisdiction_id.flatMap { Jurisdictions.named($0)?.name },
                                    item: r.item, status: r.status, statusName: DeductionStatus(rawValue: r.status)?.name ?? r.status,
                                    points: Points(tenths: r.points_tenths).value, awaiting: awaited.map(\.name), awaitingIds: awaited.map(\.id),
                                    deciders: deciders.map(\.name), onTable: state.onTable, source: r.source, ref: r.ref,
                                    occurredAt: ChinaTime.isoString(r.occurred_at), reason: r.reason, ruleVersion: r.rule_version,
                                    appealDeadline: window.map { ChinaTime.isoString($0.end) },
                                    appealDeadlineNote: window.flatMap { WorkingCalendar.assumptionNote($0.assumedYears) },
                                    appealStatement: state.appeal?.statement,
                                    appealDecision: state.appeal?.decision.map { "\($0.name)：\(state.appeal?.reason ?? "")" })
            }
    }

    enum Decision: Sendable {
        case confirm(points: Points?, reason: String?)
        case reject(reason: String)
        /// The unit's appeal (申诉).
        case appeal(statement: String)
        /// The agencies' final decision on an appeal.
        case decideAppeal(DeductionState.Appeal.Decision, points: Points?, reason: String)
    }

    /// Confirms or rejects deductions for an agency, as one officer. All or nothing: a problem
    /// with any of them refuses the whole request, naming the deduction.
    ///
    /// Issue 15: the deciders of each deduction are the EMB and the police of its jurisdiction
    /// (the other one and the PLC when it is against one of them). An officer acts for their own
    /// jurisdiction's agency; the console names the agency (`seat`: its jurisdiction; nil: the
    /// deciding one). Anyone else is refused, naming those who decide.
    static func decide(_ ids: [Int], decision: Decision, agency: Agency?, seat: String? = nil, officer: String, actor: Actor, rules: RuleBook,
                       now: Date = Date(), on db: any Database) async throws {
        guard !ids.isEmpty else { throw AppError.invalid("请指定扣分编号", field: "id") }
        let person = officer.trimmingCharacters(in: .whitespaces)
        guard !person.isEmpty else { throw AppError.invalid("请填写确认人", field: "officer") }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // An appeal's window counts the working days the database holds now, not a copy.
            var calendar: WorkingCalendar?
            if case .appeal = decision { calendar = try await WorkingCalendarStore.load(on: sql) }
            let directory = try await AgencyStore.load(on: sql)
            let subjects = try await AgencyStore.subjects({ $0.where(SQLColumn("id", table: "deductions"), .in, SQLBind.group(ids)) }, on: sql)
            for id in ids {
                guard let row = try await sql.select().columns("*").from("deductions").where("id", .equal, SQLBind(id)).first(decoding: Row.self) else {
                    throw AppError.notFound("编号为 \(id) 的扣分")
                }
                var state = try InspectionService.decode(DeductionState.self, row.state)
                let before = state
                let ruleSet = rules.inForce(at: row.occurred_at)
                var acting: SupervisingAgency?
                if case .appeal = decision {} else {
                    guard let subject = subjects[id] else { throw AppError.notFound("编号为 \(id) 的扣分") }
                    let deciders = directory.deciders(for: subject.decisionSubject)
                    acting = Self.actingAgency(agency, seat: seat, deciders: deciders, principal: actor.principal, directory: directory)
                    guard let acting, deciders.contains(acting) else {
                        throw AppError(.forbidden, AgencyDirectory.refusal(deduction: id, deciders: deciders,
                                                                           actor: acting ?? agency.flatMap { directory.agency($0, of: seat ?? Jurisdictions.city.id) }))
                    }
                    // The register decides who decides, for what is still open.
                    if state.status == .proposed || state.status == .appealed { state.deciders = deciders.map(\.kind) }
                }
                do {
                    switch (decision, agency) {
                    case (.confirm(let points, let reason), _?):
                        try state.confirm(by: acting!.kind, officer: person, points: points, reason: reason, at: now, rules: ruleSet)
                    case (.reject(let reason), _?):
                        try state.reject(by: acting!.kind, officer: person, reason: reason, at: now)
                    case (.appeal(let statement), _):
                        // Only the unit itself appeals its own deductions.
                        guard let unit = actor.principal.unitID, unit == row.unit_id else {
                            throw AppError(.forbidden, "只能对本单位的扣分提出申诉")
                        }
                        try state.lodgeAppeal(statement: statement, by: person, at: now, rules: ruleSet, calendar: calendar ?? .mondayToFriday)
                    case (.decideAppeal(let outcome, let points, let reason), _?):
                        try state.decideAppeal(outcome, agency: acting!.kind, officer: person, points: points, reason: reason, at: now, rules: ruleSet)
                    default:
                        throw AppError(.forbidden, "须代表市应急管理局或市公安局")
                    }
                } catch let error as AppError {
                    throw error
                } catch {
                    throw AppError(.unprocessableEntity, "扣分 \(id)：\((error as? DeductionState.Problem)?.description ?? String(describing: error))", field: "id")
                }
                // A deduction of a closed year that this decision counts differently goes to the
                // next open year (上年度补扣), in this same write.
                let carried = try await YearClose.carry(id: id, status: row.status, points: row.points_tenths, occurredAt: row.occurred_at,
                                                        assessedMonth: row.assessed_month, carriedTenths: row.carried_tenths ?? 0,
                                                        newStatus: state.status.rawValue, newPoints: state.points.tenths, now: now, on: sql)
                var update = sql.update("deductions").set("status", to: SQLBind(state.status.rawValue))
                    .set("points_tenths", to: SQLBind(state.points.tenths)).set("state", to: SQLBind(try encode(state)))
                    .set("awaiting", to: SQLBind(awaitingColumn(state)))
                    .set("updated_at", to: SQLBind(now))
                if let carried {
                    update = update.set("assessed_month", to: SQLBind(carried.month)).set("carried_tenths", to: SQLBind(carried.carried))
                }
                try await update.where("id", .equal, SQLBind(id)).run()
                if let carried {
                    try await AuditLog.append(tx, actor: actor, action: "deduction.carry_over", entity: "deduction", entityID: String(id),
                                              before: ["assessed_month": row.assessed_month ?? "", "carried_tenths": String(row.carried_tenths ?? 0)],
                                              after: ["assessed_month": carried.month, "carried_tenths": String(carried.carried),
                                                      "mark": YearClosing.carriedOverMark], at: now)
                }
                let (action, reason): (String, String?) = switch decision {
                case .confirm(_, let r): ("confirm", r)
                case .reject(let r): ("reject", r)
                case .appeal(let statement): ("appeal", statement)
                case .decideAppeal(let outcome, _, let r): ("appeal_\(outcome.rawValue)", r)
                }
                try await sql.insert(into: "deduction_events").columns("deduction_id", "action", "agency", "officer", "points_tenths", "reason", "at")
                    .values(SQLBind(id), SQLBind(action), SQLBind(acting?.id ?? agency?.rawValue), SQLBind(person), SQLBind(state.points.tenths),
                            SQLBind(reason?.nilIfEmpty), SQLBind(now)).run()
                try await AuditLog.append(tx, actor: actor, action: "deduction.\(action)", entity: "deduction", entityID: String(id),
                                          before: before, after: state, at: now)
            }
        }
    }

    /// The agency a decision is made for: a signed-in officer's own (their role's agency in their
    /// jurisdiction); for the console, the agency named (`agency` in `seat`), or the deciding
    /// agency of that kind.
    static func actingAgency(_ agency: Agency?, seat: String?, deciders: [SupervisingAgency], principal: Principal,
                             directory: AgencyDirectory) -> SupervisingAgency? {
        if case .account = principal.kind {
            guard let mine = directory.acting(for: principal), agency == nil || agency == mine.kind else { return nil }
            return mine
        }
        guard let agency else { return nil }
        if let seat { return directory.agency(agency, of: seat) }
        return deciders.first { $0.kind == agency }
    }

    /// The last decision on each deduction that changed its figure or gave a reason, in words for
    /// the agency asked to agree: `市应急管理局改为1.5分（原1.0分）：理由`.
    static func lastChanges(_ ids: [Int], directory known: AgencyDirectory? = nil, on db: any Database) async throws -> [Int: String] {
        guard !ids.isEmpty else { return [:] }
        struct R: Decodable { var deduction_id: Int; var action: String; var agency: String?; var points_tenths: Int?; var reason: String? }
        var previous: [Int: Int] = [:], result: [Int: String] = [:]
        let directory = if let known { known } else { try await AgencyStore.load(on: db) }
        for chunk in ids.chunked(into: 500) {
            // Each deduction's events in order: the figure before a change is the one after the event before it.
            let finding = try await (db as! any SQLDatabase).select()
                .columns(SQLColumn("id", table: "deductions"), SQLColumn("points_tenths", table: "findings"))
                .from("deductions").join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
                .where(SQLColumn("id", table: "deductions"), .in, SQLBind.group(chunk)).all(decoding: Start.self)
            for f in finding { previous[f.id] = f.points_tenths }
            for e in try await (db as! any SQLDatabase).select().columns("deduction_id", "action", "agency", "points_tenths", "reason")
                .from("deduction_events").where("deduction_id", .in, SQLBind.group(chunk)).orderBy("id").all(decoding: R.self) {
                let who = e.agency.flatMap { directory.agency(id: $0)?.name } ?? ""
                let before = previous[e.deduction_id]
                if let now = e.points_tenths, let before, now != before, e.action == "confirm" || e.action.hasPrefix("appeal_") {
                    result[e.deduction_id] = "\(who)改为\(Points(tenths: now))分（原\(Points(tenths: before))分）" + (e.reason?.nilIfEmpty.map { "：\($0)" } ?? "")
                } else if let reason = e.reason?.nilIfEmpty, e.action != "appeal" {
                    result[e.deduction_id] = "\(who)：\(reason)"
                }
                if let now = e.points_tenths { previous[e.deduction_id] = now }
            }
        }
        return result
    }

    private struct Start: Decodable { var id: Int; var points_tenths: Int }

    struct Event: Content {
        var action: String
        var agency: String?
        var officer: String
        var points: Double?
        var reason: String?
        var at: String
    }

    static func events(_ id: Int, directory known: AgencyDirectory? = nil, on db: any Database) async throws -> [Event] {
        struct R: Decodable { var action: String; var agency: String?; var officer: String; var points_tenths: Int?; var reason: String?; var at: Date }
        let directory = if let known { known } else { try await AgencyStore.load(on: db) }
        return try await (db as! any SQLDatabase).select().columns("action", "agency", "officer", "points_tenths", "reason", "at")
            .from("deduction_events").where("deduction_id", .equal, SQLBind(id)).orderBy("id").all(decoding: R.self)
            .map { Event(action: $0.action, agency: $0.agency.flatMap { directory.agency(id: $0)?.name }, officer: $0.officer,
                         points: $0.points_tenths.map { Points(tenths: $0).value }, reason: $0.reason, at: ChinaTime.isoString($0.at)) }
    }
}
