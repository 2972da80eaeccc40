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
    var item: String
    var kind: String
    var source: String
    var ref: String
    var occurredAt: String
    var proposedPoints: Double
    var reason: String
    var ruleVersion: String

    enum CodingKeys: String, CodingKey {
        case id, unit, unitId, agency, item, kind, source, ref, occurredAt, proposedPoints, reason, ruleVersion
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(unit, forKey: .unit); try c.encode(unitId, forKey: .unitId)
        try c.encode(agency, forKey: .agency); try c.encode(item, forKey: .item); try c.encode(kind, forKey: .kind)
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
}

enum FindingService {
    /// Active (not withdrawn) findings, oldest first.
    static func list(_ filter: FindingFilter, on db: any Database) async throws -> [FindingDTO] {
        struct Row: Decodable {
            var id: Int; var unit_id: Int?; var name: String?; var agency: String?; var item: String; var kind: String
            var source: String; var ref: String; var occurred_at: Date; var points_tenths: Int; var reason: String; var rule_version: String
        }
        var query = (db as! any SQLDatabase).select()
            .columns(SQLColumn("id", table: "findings"), SQLColumn("unit_id", table: "findings"), SQLColumn("name", table: "linkage_units"),
                     SQLColumn("agency", table: "findings"), SQLColumn("item", table: "findings"), SQLColumn("kind", table: "findings"),
                     SQLColumn("source", table: "findings"), SQLColumn("ref", table: "findings"), SQLColumn("occurred_at", table: "findings"),
                     SQLColumn("points_tenths", table: "findings"), SQLColumn("reason", table: "findings"), SQLColumn("rule_version", table: "findings"))
            .from("findings")
            .join("linkage_units", method: SQLJoinMethod.left, on: SQLColumn("unit_id", table: "findings"), .equal, SQLColumn("id", table: "linkage_units"))
            .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
        if let from = filter.from { query = query.where(SQLColumn("occurred_at", table: "findings"), .greaterThanOrEqual, SQLBind(from.start)) }
        if let to = filter.to { query = query.where(SQLColumn("occurred_at", table: "findings"), .lessThan, SQLBind(to.adding(days: 1).start)) }
        if let unit = filter.unitID { query = query.where(SQLColumn("unit_id", table: "findings"), .equal, SQLBind(unit)) }
        if let j = filter.jurisdictionID { query = query.where(SQLColumn("jurisdiction_id", table: "linkage_units"), .equal, SQLBind(j)) }
        if let source = filter.source { query = query.where(SQLColumn("source", table: "findings"), .equal, SQLBind(source.rawValue)) }
        let rows = try await query.orderBy(SQLColumn("occurred_at", table: "findings")).orderBy(SQLColumn("id", table: "findings"))
            .all(decoding: Row.self)
        return rows.map {
            FindingDTO(id: $0.id, unit: $0.name, unitId: $0.unit_id, agency: $0.agency.flatMap { Agency(rawValue: $0)?.name }, item: $0.item,
                       kind: $0.kind, source: $0.source, ref: $0.ref, occurredAt: ChinaTime.isoString($0.occurred_at),
                       proposedPoints: Points(tenths: $0.points_tenths).value, reason: $0.reason, ruleVersion: $0.rule_version)
        }
    }

    static func table(_ findings: [FindingDTO]) -> (header: [String], rows: [[String]]) {
        (["编号", "发生时间", "单位", "项目", "来源", "关联编号", "拟扣分", "事由"],
         findings.map { f in
             [String(f.id), ChinaTime.parseTimestamp(f.occurredAt).map(ChinaTime.displayString) ?? f.occurredAt, f.unit ?? f.agency ?? "",
              f.item, FindingSource(rawValue: f.source)?.name ?? f.source, f.ref, Points(f.proposedPoints).description, f.reason]
         })
    }
}
