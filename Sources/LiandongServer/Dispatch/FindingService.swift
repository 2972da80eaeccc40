import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// A finding as lists show it.
struct FindingDTO: Content {
    var id: Int
    var unit: String?
    var unitId: Int?
    var agency: String?
    /// The government a D6 finding counts against.
    var jurisdiction: String?
    var item: String
    var kind: String
    var source: String
    var ref: String
    var occurredAt: String
    var proposedPoints: Double
    var reason: String
    var ruleVersion: String
    /// The live-alert failures the police reported by hand that this finding stands for, oldest
    /// first: the evidence kept beside the judgement of the 110 timeline (empty for most).
    var reports: [FindingReportDTO] = []

    enum CodingKeys: String, CodingKey {
        case id, unit, unitId, agency, jurisdiction, item, kind, source, ref, occurredAt, proposedPoints, reason, ruleVersion, reports
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(unit, forKey: .unit); try c.encode(unitId, forKey: .unitId)
        try c.encode(agency, forKey: .agency); try c.encode(jurisdiction, forKey: .jurisdiction); try c.encode(item, forKey: .item); try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source); try c.encode(ref, forKey: .ref); try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(proposedPoints, forKey: .proposedPoints); try c.encode(reason, forKey: .reason); try c.encode(ruleVersion, forKey: .ruleVersion)
        try c.encode(reports, forKey: .reports)
    }
}

struct FindingFilter: Sendable {
    var from: LocalDate?
    /// Inclusive.
    var to: LocalDate?
    var unitID: Int?
    var jurisdictionID: String?
    var source: FindingSource?
    /// Units a search named (by name or pinyin initials); nil: no search.
    var unitIDs: [Int]?
}

/// What filing a live-alert failure did.
struct LiveAlertFiling: Sendable {
    /// The finding the report made, or the one it joined.
    var key: String
    var reason: String
    /// The report joined a finding already there (the judging of the 110 timeline had found the
    /// same shortfall): one finding, one deduction, the report kept with it.
    var joined: Bool
}

/// What the audit log keeps of a filing.
struct LiveAlertFilingAudit: Encodable {
    var report: Finding
    var finding: String
    var joined: Bool
}

enum FindingService {
    /// Files a live-alert failure the police report (§四(一)). One report per failure, incident
    /// and unit. A refusal or a passing-on is the finding the judging of the same dispatch gives
    /// (`Finding.key`): when the judging found it first the report joins it, when the report
    /// comes first the judging later joins the report; either way one finding and one deduction,
    /// at the figure first proposed, with the report kept beside it (`finding_reports`). The
    /// dispatch is judged again with the report known, so that a no-arrival the refusal or
    /// passing-on accounts for is withdrawn with its proposal. A no-arrival of the same incident
    /// and unit on which the agencies have already decided is not counted again: the report joins it.
    static func fileLiveAlertFailure(unitID: Int, incidentID: String, failure: LiveAlertFailure, at: Date, narrative: String,
                                     points: Points?, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> LiveAlertFiling {
        let incident = incidentID.trimmingCharacters(in: .whitespaces)
        guard !incident.isEmpty, incident.count <= 64 else { throw AppError.invalid("请填写警情编号", field: "incident_id") }
        guard !IdentifierText.hasControlCharacters(incident) else { throw AppError.invalid(IdentifierText.controlCharacterMessage, field: "incident_id") }
        let text = narrative.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 5 else { throw AppError.invalid("请写明经过（至少5个字）", field: "narrative") }
        guard at <= now.addingTimeInterval(300) else { throw AppError.invalid("发生时间不能晚于现在", field: "occurred_at") }
        if let problem = FactDates(rules: rules, now: now).problem(at) { throw AppError.invalid(problem, field: "occurred_at") }
        let unit = try await RegisterService.unit(unitID, on: db)
        try await AgencyStore.requireReach(unit, actor: actor, on: db)
        let ruleSet = rules.inForce(at: at)
        let chosen = points ?? ruleSet.defaultPoints(for: failure)
        guard ruleSet.allows(chosen, for: failure.kind.item!) else {
            throw AppError.invalid("扣分应在\(ruleSet.pointsRange.chinese)", field: "points")
        }
        let own = ruleSet.finding(reporting: failure, unitID: unitID, incidentID: incident, at: at, points: chosen,
                                  reason: "\(unit.name)\(failure.name)：\(text)")
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Seen: Decodable { var id: Int }
            if try await sql.select().column("id").from(FindingReports.table).where("incident_id", .equal, SQLBind(incident))
                .where("unit_id", .equal, SQLBind(unitID)).where("failure", .equal, SQLBind(failure.rawValue)).first(decoding: Seen.self) != nil {
                throw AppError(.conflict, "该警情已登记过\(unit.name)的「\(failure.name)」问题", field: "incident_id")
            }
            struct Stored: Decodable { var id: Int; var key: String; var reason: String; var withdrawn_at: Date? }
            func stored(_ key: String) async throws -> Stored? {
                try await sql.select().columns("id", "key", "reason", "withdrawn_at").from("findings").where("key", .equal, SQLBind(key))
                    .first(decoding: Stored.self)
            }
            var target = try await stored(own.key)
            var joined = target.map { $0.withdrawn_at == nil } ?? false
            if target == nil, failure.source == .dispatch, let decided = try await decidedNoArrival(incident: incident, unitID: unitID, on: sql) {
                target = Stored(id: decided.id, key: decided.key, reason: decided.reason, withdrawn_at: nil)
                joined = true
            }
            if let found = target, !joined {
                // Withdrawn (the timeline no longer showed it): the report makes it stand again.
                try await sql.update("findings").set("withdrawn_at", to: SQLBind(Optional<Date>.none)).set("occurred_at", to: SQLBind(at))
                    .set("points_tenths", to: SQLBind(chosen.tenths)).set("reason", to: SQLBind(own.reason))
                    .set("rule_version", to: SQLBind(ruleSet.version)).where("id", .equal, SQLBind(found.id)).run()
            } else if target == nil {
                try await BulkInsert(table: "findings", columns: [
                    "key", "unit_id", "item", "kind", "source", "ref", "occurred_at", "points_tenths", "reason", "rule_version", "created_at",
                ]).run([[.text(own.key), .int(unitID), .text(own.item.rawValue), .text(own.kind.rawValue), .text(own.source.rawValue),
                         .text(incident), .date(at), .int(chosen.tenths), .text(own.reason), .text(ruleSet.version), .date(now)]], on: sql)
                target = try await stored(own.key)
            }
            guard let finding = target else { throw AppError(.internalServerError, "问题未能保存") }
            try await sql.insert(into: FindingReports.table)
                .columns("finding_id", "incident_id", "unit_id", "failure", "occurred_at", "narrative", "points_tenths", "reported_by", "created_at")
                .values(SQLBind(finding.id), SQLBind(incident), SQLBind(unitID), SQLBind(failure.rawValue), SQLBind(at), SQLBind(text),
                        SQLBind(chosen.tenths), SQLBind(actor.principal.name), SQLBind(now)).run()
            try await AuditLog.append(tx, actor: actor, action: "finding.file", entity: "finding", entityID: finding.key,
                                      after: LiveAlertFilingAudit(report: own, finding: finding.key, joined: joined), at: now)
            try await DeductionService.settle(findingKeys: [finding.key], now: now, on: sql)
            if failure.source == .dispatch {
                _ = try await DispatchService.judgeAgain(incident: incident, unitID: unitID, rules: rules, now: now, on: tx)
            }
            return LiveAlertFiling(key: finding.key, reason: joined ? finding.reason : own.reason, joined: joined)
        }
    }

    /// The no-arrival finding of an incident and unit when the agencies have already decided on
    /// its deduction (confirmed, rejected, appealed, or withdrawn on appeal); nil when there is none.
    private static func decidedNoArrival(incident: String, unitID: Int, on sql: any SQLDatabase) async throws
        -> (id: Int, key: String, reason: String)? {
        struct Row: Decodable { var id: Int; var key: String; var reason: String }
        let key = Finding.key(source: .dispatch, ref: incident, subject: Finding.subject(unitID: unitID), shortfall: FindingKind.noArrival.rawValue)
        guard let row = try await sql.select()
            .columns(SQLColumn("id", table: "findings"), SQLColumn("key", table: "findings"), SQLColumn("reason", table: "findings"))
            .from("findings")
            .join("deductions", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .where(SQLColumn("key", table: "findings"), .equal, SQLBind(key))
            .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
            .where(SQLColumn("status", table: "deductions"), .notEqual, SQLBind(DeductionStatus.proposed.rawValue))
            .first(decoding: Row.self) else { return nil }
        return (row.id, row.key, row.reason)
    }

    /// Files any other shortfall by hand (Annex 1 items 1–12, chiefly D12 其他): a unit, the item,
    /// when it happened, the facts and the points the officer proposes. Each filing is its own
    /// finding, under a reference the officer gives or one made from the time of filing.
    static func fileManual(unitID: Int, item: DeductionItemID, at: Date, narrative: String, points: Points, reference: String?,
                           actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Finding {
        let text = narrative.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 5 else { throw AppError.invalid("请写明问题事实（至少5个字）", field: "narrative") }
        guard at <= now.addingTimeInterval(300) else { throw AppError.invalid("发生时间不能晚于现在", field: "occurred_at") }
        if let problem = FactDates(rules: rules, now: now).problem(at) { throw AppError.invalid(problem, field: "occurred_at") }
        let ref = reference?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? "M-" + ChinaTime.isoString(now).prefix(19).filter(\.isNumber)
        guard ref.count <= 64 else { throw AppError.invalid("关联编号不能超过64个字符", field: "reference") }
        let unit = try await RegisterService.unit(unitID, on: db)
        try await AgencyStore.requireReach(unit, actor: actor, on: db)
        let ruleSet = rules.inForce(at: at)
        guard item != .d11 else { throw AppError.invalid("被省通报扣分请在「登记省通报扣分」页面（/findings/provincial）登记，按省扣分加倍计算", field: "item") }
        guard ruleSet.allows(points, for: item) else { throw AppError.invalid("扣分应在\(ruleSet.pointsRange.chinese)", field: "points") }
        let finding = Finding(unitID: unitID, item: item, kind: .manual, source: .manual, ref: ref, occurredAt: at, proposedPoints: points,
                              reason: "\(unit.name)：\(text)", ruleVersion: ruleSet.version)
        let key = finding.key
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var key: String }
            if try await sql.select().column("key").from("findings").where("key", .equal, SQLBind(key)).first(decoding: Row.self) != nil {
                throw AppError(.conflict, "关联编号「\(ref)」下已登记过\(unit.name)的\(item.rawValue)问题", field: "reference")
            }
            try await BulkInsert(table: "findings", columns: [
                "key", "unit_id", "item", "kind", "source", "ref", "occurred_at", "points_tenths", "reason", "rule_version", "created_at",
            ]).run([[.text(key), .int(unitID), .text(item.rawValue), .text(FindingKind.manual.rawValue), .text(FindingSource.manual.rawValue),
                     .text(ref), .date(at), .int(points.tenths), .text(finding.reason), .text(ruleSet.version), .date(now)]], on: sql)
            try await AuditLog.append(tx, actor: actor, action: "finding.file", entity: "finding", entityID: key, after: finding, at: now)
            try await DeductionService.settle(findingKeys: [key], now: now, on: sql)
        }
        return finding
    }

    /// Active (not withdrawn) findings, oldest first.
    /// `page`: the rows of one page only (`offset`, `limit`), read with LIMIT/OFFSET.
    /// The keys a findings list sorts by (`ListSort`), in SQL.
    static let sortColumns = [
        SortColumn("编号", "id", numeric: true), SortColumn("发生时间", "occurred", first: .desc), SortColumn("单位", "unit"),
        SortColumn("项目", "item"), SortColumn("来源", "source"), SortColumn("关联编号", "ref"),
        SortColumn("拟扣分", "points", numeric: true, first: .desc), SortColumn("事由"), SortColumn("规则版本", "rule"), SortColumn("人工报告"),
    ]

    static func ordered(_ query: SQLSelectBuilder, _ sort: ListSort?) -> SQLSelectBuilder {
        let f: (String) -> SQLColumn = { SQLColumn($0, table: "findings") }
        guard let sort else { return query.orderBy(f("occurred_at")).orderBy(f("id")) }
        return sort.orderBy(query, [
            "id": [f("id")], "occurred": [f("occurred_at")],
            // Unit names in pinyin order; agency and government findings after them.
            "unit": [SQLColumn("name_initials", table: "linkage_units"), SQLColumn("name", table: "linkage_units")],
            "item": [f("item")], "source": [f("source")], "ref": [f("ref")], "points": [f("points_tenths")], "rule": [f("rule_version")],
        ], nullable: ["unit"], then: [f("occurred_at"), f("id")])
    }

    static func list(_ filter: FindingFilter, page: (offset: Int, limit: Int)? = nil, sort: ListSort? = nil,
                     on db: any Database) async throws -> [FindingDTO] {
        struct Row: Decodable {
            var id: Int; var unit_id: Int?; var name: String?; var agency: String?; var jurisdiction_id: String?; var item: String; var kind: String
            var source: String; var ref: String; var occurred_at: Date; var points_tenths: Int; var reason: String; var rule_version: String
        }
        var query = filtered((db as! any SQLDatabase).select(), filter)
            .columns(SQLColumn("id", table: "findings"), SQLColumn("unit_id", table: "findings"), SQLColumn("name", table: "linkage_units"),
                     SQLColumn("agency", table: "findings"), SQLColumn("jurisdiction_id", table: "findings"),
                     SQLColumn("item", table: "findings"), SQLColumn("kind", table: "findings"),
                     SQLColumn("source", table: "findings"), SQLColumn("ref", table: "findings"), SQLColumn("occurred_at", table: "findings"),
                     SQLColumn("points_tenths", table: "findings"), SQLColumn("reason", table: "findings"), SQLColumn("rule_version", table: "findings"))
        query = ordered(query, sort)
        if let page { query = query.limit(page.limit).offset(page.offset) }
        let rows = try await query.all(decoding: Row.self)
        // Reports by hand stand behind live-alert findings only.
        let reports = try await FindingReports.of(findings: rows.filter { $0.source == FindingSource.dispatch.rawValue || $0.source == FindingSource.manual.rawValue }.map(\.id),
                                                  on: db as! any SQLDatabase)
        return rows.map {
            FindingDTO(id: $0.id, unit: $0.name, unitId: $0.unit_id, agency: $0.agency.flatMap { Agency(rawValue: $0)?.name },
                       jurisdiction: $0.jurisdiction_id.flatMap { Jurisdictions.named($0)?.name }, item: $0.item,
                       kind: $0.kind, source: $0.source, ref: $0.ref, occurredAt: ChinaTime.isoString($0.occurred_at),
                       proposedPoints: Points(tenths: $0.points_tenths).value, reason: $0.reason, ruleVersion: $0.rule_version,
                       reports: reports[$0.id] ?? [])
        }
    }

    /// The active findings a filter selects, joined to their units.
    static func filtered(_ select: SQLSelectBuilder, _ filter: FindingFilter) -> SQLSelectBuilder {
        var query = select.from("findings")
            .join("linkage_units", method: SQLJoinMethod.left, on: SQLColumn("unit_id", table: "findings"), .equal, SQLColumn("id", table: "linkage_units"))
            .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
        if let from = filter.from { query = query.where(SQLColumn("occurred_at", table: "findings"), .greaterThanOrEqual, SQLBind(from.start)) }
        if let to = filter.to { query = query.where(SQLColumn("occurred_at", table: "findings"), .lessThan, SQLBind(to.adding(days: 1).start)) }
        if let unit = filter.unitID { query = query.where(SQLColumn("unit_id", table: "findings"), .equal, SQLBind(unit)) }
        if let j = filter.jurisdictionID { query = query.where(SQLColumn("jurisdiction_id", table: "linkage_units"), .equal, SQLBind(j)) }
        if let source = filter.source {
            let column = SQLColumn("source", table: "findings")
            if source == .manual {
                // Filed by hand: also the live-alert findings the police reported, whoever found them first.
                query = query.where(group: { group in
                    group.where(column, .equal, SQLBind(source.rawValue))
                        .orWhere(SQLRaw("EXISTS (SELECT 1 FROM finding_reports WHERE finding_reports.finding_id = findings.id)"))
                })
            } else {
                query = query.where(column, .equal, SQLBind(source.rawValue))
            }
        }
        if let ids = filter.unitIDs { query = RegisterService.whereUnit(query, SQLColumn("unit_id", table: "findings"), in: ids) }
        return query
    }

    /// How many findings a filter selects and their proposed points, counted by the database.
    static func summary(_ filter: FindingFilter, on db: any Database) async throws -> (count: Int, points: Points) {
        try await PointsSummary.of(filtered((db as! any SQLDatabase).select(), filter), table: "findings")
    }

    static func table(_ findings: [FindingDTO]) -> (header: [String], rows: [[String]]) {
        (["编号", "发生时间", "单位", "项目", "来源", "关联编号", "拟扣分", "事由", "规则版本", "人工报告"],
         findings.map { f in
             [String(f.id), ChinaTime.parseTimestamp(f.occurredAt).map(ChinaTime.displayString) ?? f.occurredAt,
              f.unit ?? f.agency ?? f.jurisdiction.map { name in Jurisdictions.all.first { $0.name == name }?.governmentName ?? name } ?? "",
              f.item, FindingSource(rawValue: f.source)?.name ?? f.source, f.ref, Points(f.proposedPoints).description, f.reason, f.ruleVersion,
              f.reports.map(\.text).joined(separator: "；")]
         })
    }
}
