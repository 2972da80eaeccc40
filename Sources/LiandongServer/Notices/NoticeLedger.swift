import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Which deductions a PLC's next notice carries (issue 15 item 4): every deduction its
/// jurisdiction's agencies confirmed that no published notice has carried yet, whatever the date
/// it occurred; and every change on appeal to one already published (a figure reduced, a
/// deduction withdrawn), citing the notice that carried it. Publishing records both, so each
/// confirmed deduction appears in exactly one published notice.
enum NoticeLedger {
    static let entries = "notice_deductions"
    static let changes = "notice_changes"

    /// A change to a deduction a published notice carried.
    struct Change: Content, Equatable {
        var deductionId: Int
        var citesNoticeId: Int
        var citesNumber: String
        var subject: String
        var beforePoints: Double
        var points: Double
        /// `confirmed` (the figure changed) or `withdrawn`.
        var status: String
    }

    /// The deductions a publisher's agencies decide: its jurisdiction's seat.
    static func seat(_ publisher: SupervisingAgency, directory: AgencyDirectory) -> DecidingSeat {
        DecidingSeat(publisher.jurisdictionID, directory: directory)
    }

    /// Confirmed deductions of the publisher's seat that no published notice carries.
    static func unpublished(_ publisher: SupervisingAgency, directory: AgencyDirectory, on db: any Database) async throws -> [Int] {
        var filter = DeductionFilter(status: .confirmed)
        filter.decidedBy = seat(publisher, directory: directory)
        struct R: Decodable { var id: Int }
        return try await DeductionService.filtered((db as! any SQLDatabase).select().column(SQLColumn("id", table: "deductions")), filter)
            .where(SQLColumn("id", table: "deductions"), .notIn, SQLRaw("(SELECT deduction_id FROM \(entries))"))
            .orderBy(SQLColumn("id", table: "deductions")).all(decoding: R.self).map(\.id)
    }

    /// Deductions already published whose figure or status has changed since (an appeal decided).
    static func changed(_ publisher: SupervisingAgency, directory: AgencyDirectory, on db: any Database) async throws -> [Change] {
        let sql = db as! any SQLDatabase
        struct R: Decodable {
            var id: Int; var points_tenths: Int; var status: String; var notice_id: Int; var last_points_tenths: Int; var last_status: String
            var number: String?; var name: String?; var agency: String?; var jurisdiction_id: String?
        }
        var filter = DeductionFilter()
        filter.decidedBy = seat(publisher, directory: directory)
        let rows = try await DeductionService.filtered(sql.select(), filter)
            .column(SQLColumn("id", table: "deductions")).column(SQLColumn("points_tenths", table: "deductions"))
            .column(SQLColumn("status", table: "deductions")).column(SQLColumn("agency", table: "deductions"))
            .column(SQLColumn("jurisdiction_id", table: "deductions")).column(SQLColumn("name", table: LinkageUnit.schema))
            .column(SQLColumn("notice_id", table: entries)).column(SQLColumn("last_points_tenths", table: entries))
            .column(SQLColumn("last_status", table: entries)).column(SQLColumn("number", table: "notices"))
            .join(entries, on: SQLColumn("deduction_id", table: entries), .equal, SQLColumn("id", table: "deductions"))
            .join("notices", on: SQLColumn("id", table: "notices"), .equal, SQLColumn("notice_id", table: entries))
            .where(SQLColumn("status", table: "deductions"), .in, SQLBind.group([DeductionStatus.confirmed.rawValue, DeductionStatus.withdrawn.rawValue]))
            .orderBy(SQLColumn("id", table: "deductions")).all(decoding: R.self)
        return rows.filter { $0.points_tenths != $0.last_points_tenths || $0.status != $0.last_status }.map { r in
            Change(deductionId: r.id, citesNoticeId: r.notice_id, citesNumber: r.number ?? "", subject: r.name ?? r.agency.flatMap { directory.agency(id: $0)?.name }
                       ?? r.jurisdiction_id.flatMap { Jurisdictions.named($0)?.governmentName } ?? "",
                   beforePoints: Points(tenths: r.last_points_tenths).value, points: Points(tenths: r.points_tenths).value, status: r.status)
        }
    }

    /// Records what a notice just published carried, in the publisher's transaction. A deduction
    /// another notice carried meanwhile refuses the publication, naming it.
    static func record(notice id: Int, content: NoticeContent, on sql: any SQLDatabase) async throws {
        let ids = content.deductionIds
        if !ids.isEmpty {
            struct T: Decodable { var deduction_id: Int; var notice_id: Int }
            if let taken = try await sql.select().columns("deduction_id", "notice_id").from(entries)
                .where("deduction_id", .in, SQLBind.group(ids)).first(decoding: T.self) {
                throw AppError(.conflict, "扣分 \(taken.deduction_id) 已由另一期通报发布，请刷新草稿后再发布", field: "id")
            }
        }
        for e in content.groups.flatMap(\.units).flatMap(\.entries) {
            let tenths = Points(e.points).tenths
            try await sql.insert(into: entries).columns("deduction_id", "notice_id", "points_tenths", "last_points_tenths", "last_status")
                .values(SQLBind(e.deductionId), SQLBind(id), SQLBind(tenths), SQLBind(tenths), SQLBind(DeductionStatus.confirmed.rawValue)).run()
        }
        for c in content.changes ?? [] {
            try await sql.insert(into: changes).columns("notice_id", "deduction_id", "cites_notice_id", "before_points_tenths", "points_tenths", "status")
                .values(SQLBind(id), SQLBind(c.deductionId), SQLBind(c.citesNoticeId), SQLBind(Points(c.beforePoints).tenths),
                        SQLBind(Points(c.points).tenths), SQLBind(c.status)).run()
            try await sql.update(entries).set("last_points_tenths", to: SQLBind(Points(c.points).tenths)).set("last_status", to: SQLBind(c.status))
                .where("deduction_id", .equal, SQLBind(c.deductionId)).run()
        }
    }
}
