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

    enum CodingKeys: String, CodingKey {
        case id, unit, unitId, agency, jurisdiction, item, kind, source, ref, occurredAt, proposedPoints, reason, ruleVersion
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(unit, forKey: .unit); try c.encode(unitId, forKey: .unitId)
        try c.encode(agency, forKey: .agency); try c.encode(jurisdiction, forKey: .jurisdiction); try c.encode(item, forKey: .item); try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source); try c.encode(ref, forKey: .ref); try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(proposedPoints, forKey: .proposedPoints); try c.encode(reason, forKey: .reason); try c.encode(ruleVersion, forKey: .ruleVersion)
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

/// A failure on a live alert that the police report by hand (§四(一)).
enum LiveAlertFailure: String, CaseIterable, Sendable {
    /// 指令不畅: the instruction could not reach the unit.
    case instructionFailed = "instruction_failed"
    /// 推诿扯皮
    case passedOn = "passed_on"
    /// 有警不出
    case refused

    var name: String {
        switch self {
        case .instructionFailed: "指令不畅"
        case .passedOn: "推诿扯皮"
        case .refused: "有警不出"
        }
    }

    /// The item and default figure: refusal and passing on as the automatic D10 findings; an
    /// instruction that cannot get through is a duty-phone failure (D8).
    func defaults(_ rules: RuleSet) -> (DeductionItemID, Points) {
        switch self {
        case .instructionFailed: (.d8, rules.defaultPoints(for: .phoneUnanswered)!)
        case .passedOn: (.d10, rules.defaultPoints(for: .passedOn)!)
        case .refused: (.d10, rules.defaultPoints(for: .refused)!)
        }
    }
}

enum FindingService {
    /// Files a live-alert failure report as a finding. One report per failure, incident and unit.
    static func fileLiveAlertFailure(unitID: Int, incidentID: String, failure: LiveAlertFailure, at: Date, narrative: String,
                                     points: Points?, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Finding {
        let incident = incidentID.trimmingCharacters(in: .whitespaces)
        guard !incident.isEmpty, incident.count <= 64 else { throw AppError.invalid("请填写警情编号", field: "incident_id") }
        let text = narrative.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 5 else { throw AppError.invalid("请写明经过(至少5个字)", field: "narrative") }
        guard at <= now.addingTimeInterval(300) else { throw AppError.invalid("发生时间不能晚于现在", field: "occurred_at") }
        if let problem = FactDates(rules: rules, now: now).problem(at) { throw AppError.invalid(problem, field: "occurred_at") }
        let unit = try await RegisterService.unit(unitID, on: db)
        let ruleSet = rules.inForce(at: at)
        let (item, defaultPoints) = failure.defaults(ruleSet)
        let chosen = points ?? defaultPoints
        guard ruleSet.allows(chosen, for: item) else {
            throw AppError.invalid("扣分应在\(ruleSet.pointsRange.chinese)", field: "points")
        }
        let finding = Finding(unitID: unitID, item: item, kind: .manual, source: .manual, ref: incident, occurredAt: at, proposedPoints: chosen,
                              reason: "\(unit.name)\(failure.name):\(text)", ruleVersion: ruleSet.version)
        let key = "manual|\(incident)|\(unitID)|\(failure.rawValue)"
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var key: String }
            if try await sql.select().column("key").from("findings").where("key", .equal, SQLBind(key)).first(decoding: Row.self) != nil {
                throw AppError(.conflict, "该警情已登记过\(unit.name)的“\(failure.name)”问题", field: "incident_id")
            }
            try await sql.insert(into: "findings").columns(
                "key", "unit_id", "agency", "item", "kind", "source", "ref", "occurred_at", "points_tenths", "reason", "rule_version", "created_at")
                .values(SQLBind(key), SQLBind(unitID), SQLBind(Optional<String>.none), SQLBind(item.rawValue), SQLBind(FindingKind.manual.rawValue),
                        SQLBind(FindingSource.manual.rawValue), SQLBind(incident), SQLBind(at), SQLBind(chosen.tenths), SQLBind(finding.reason),
                        SQLBind(ruleSet.version), SQLBind(now)).run()
            try await AuditLog.append(tx, actor: actor, action: "finding.file", entity: "finding", entityID: key, after: finding, at: now)
            try await DeductionService.settle(findingKeys: [key], now: now, on: sql)
        }
        return finding
    }

    /// Files any other shortfall by hand (Annex 1 items 1–12, chiefly D12 其他): a unit, the item,
    /// when it happened, the facts and the points the officer proposes. Each filing is its own
    /// finding, under a reference the officer gives or one made from the time of filing.
    static func fileManual(unitID: Int, item: DeductionItemID, at: Date, narrative: String, points: Points, reference: String?,
                           actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Finding {
        let text = narrative.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 5 else { throw AppError.invalid("请写明问题事实(至少5个字)", field: "narrative") }
        guard at <= now.addingTimeInterval(300) else { throw AppError.invalid("发生时间不能晚于现在", field: "occurred_at") }
        if let problem = FactDates(rules: rules, now: now).problem(at) { throw AppError.invalid(problem, field: "occurred_at") }
        let ref = reference?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? "M-" + ChinaTime.isoString(now).prefix(19).filter(\.isNumber)
        guard ref.count <= 64 else { throw AppError.invalid("关联编号不能超过64个字符", field: "reference") }
        let unit = try await RegisterService.unit(unitID, on: db)
        let ruleSet = rules.inForce(at: at)
        guard item != .d11 else { throw AppError.invalid("被省通报扣分请在“省通报”中登记,按省扣分加倍计算", field: "item") }
        guard ruleSet.allows(points, for: item) else { throw AppError.invalid("扣分应在\(ruleSet.pointsRange.chinese)", field: "points") }
        let finding = Finding(unitID: unitID, item: item, kind: .manual, source: .manual, ref: ref, occurredAt: at, proposedPoints: points,
                              reason: "\(unit.name):\(text)", ruleVersion: ruleSet.version)
        let key = "manual|\(ref)|\(unitID)|\(item.rawValue)"
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var key: String }
            if try await sql.select().column("key").from("findings").where("key", .equal, SQLBind(key)).first(decoding: Row.self) != nil {
                throw AppError(.conflict, "关联编号“\(ref)”下已登记过\(unit.name)的\(item.rawValue)问题", field: "reference")
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
        SortColumn("拟扣分", "points", numeric: true, first: .desc), SortColumn("事由"), SortColumn("规则版本", "rule"),
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
        return rows.map {
            FindingDTO(id: $0.id, unit: $0.name, unitId: $0.unit_id, agency: $0.agency.flatMap { Agency(rawValue: $0)?.name },
                       jurisdiction: $0.jurisdiction_id.flatMap { Jurisdictions.named($0)?.name }, item: $0.item,
                       kind: $0.kind, source: $0.source, ref: $0.ref, occurredAt: ChinaTime.isoString($0.occurred_at),
                       proposedPoints: Points(tenths: $0.points_tenths).value, reason: $0.reason, ruleVersion: $0.rule_version)
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
        if let source = filter.source { query = query.where(SQLColumn("source", table: "findings"), .equal, SQLBind(source.rawValue)) }
        if let ids = filter.unitIDs { query = RegisterService.whereUnit(query, SQLColumn("unit_id", table: "findings"), in: ids) }
        return query
    }

    /// How many findings a filter selects and their proposed points, counted by the database.
    static func summary(_ filter: FindingFilter, on db: any Database) async throws -> (count: Int, points: Points) {
        try await PointsSummary.of(filtered((db as! any SQLDatabase).select(), filter), table: "findings")
    }

    static func table(_ findings: [FindingDTO]) -> (header: [String], rows: [[String]]) {
        (["编号", "发生时间", "单位", "项目", "来源", "关联编号", "拟扣分", "事由", "规则版本"],
         findings.map { f in
             [String(f.id), ChinaTime.parseTimestamp(f.occurredAt).map(ChinaTime.displayString) ?? f.occurredAt,
              f.unit ?? f.agency ?? f.jurisdiction.map { "\($0)人民政府" } ?? "",
              f.item, FindingSource(rawValue: f.source)?.name ?? f.source, f.ref, Points(f.proposedPoints).description, f.reason, f.ruleVersion]
         })
    }
}
