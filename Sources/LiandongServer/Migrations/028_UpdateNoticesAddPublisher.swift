import Fluent
import Foundation
import LiandongCore
import SQLKit

/// Issue 15 item 4: each PLC publishes its own notices, numbered in its own yearly sequence with
/// its own prefix, and each confirmed deduction appears in exactly one published notice.
/// - `notices.publisher_id`: the PLC (`plc`, `longquan-plc`); `publisher_year`/`publisher_seq`
///   its own sequence (the old `year`/`seq`, unique across the table, stay the city's).
/// - `agencies.notice_prefix`: a PLC's document-number prefix, when set.
/// - `notice_deductions`: the one published notice of each deduction, and the figure and status it
///   was last published with; `notice_changes`: later changes on appeal, each in the next notice,
///   citing the earlier one.
/// Notices published before are the city PLC's; the deductions they listed count as published.
struct UpdateNoticesAddPublisher: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("notices").field("publisher_id", .string).update()
        try await database.schema("notices").field("publisher_year", .int).update()
        try await database.schema("notices").field("publisher_seq", .int).update()
        try await database.schema(AgencyModel.schema).field("notice_prefix", .string).update()
        try await database.schema(NoticeLedger.entries)
            .field("deduction_id", .int, .identifier(auto: false), .references("deductions", "id"))
            .field("notice_id", .int, .required, .references("notices", "id"))
            .field("points_tenths", .int, .required)
            .field("last_points_tenths", .int, .required)
            .field("last_status", .string, .required)
            .create()
        try await database.schema(NoticeLedger.changes)
            .field("id", .int, .identifier(auto: true))
            .field("notice_id", .int, .required, .references("notices", "id"))
            .field("deduction_id", .int, .required, .references("deductions", "id"))
            .field("cites_notice_id", .int, .required, .references("notices", "id"))
            .field("before_points_tenths", .int, .required)
            .field("points_tenths", .int, .required)
            .field("status", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "notices_publisher_sequence").on("notices").column("publisher_id").column("publisher_year").column("publisher_seq").unique().run()
        try await sql.create(index: "notice_changes_notice").on(NoticeLedger.changes).column("notice_id").run()
        try await sql.update("notices").set("publisher_id", to: SQLBind(Agency.plc.rawValue)).run()
        try await sql.update("notices").set("publisher_year", to: SQLColumn("year")).set("publisher_seq", to: SQLColumn("seq")).run()
        // What the published notices listed, first publication first.
        struct N: Decodable { var id: Int; var content: String? }
        struct D: Decodable { var id: Int; var points_tenths: Int; var status: String }
        var seen = Set<Int>()
        for n in try await sql.select().columns("id", "content").from("notices").where("status", .equal, SQLBind("published")).orderBy("id")
            .all(decoding: N.self) {
            guard let text = n.content, let content = try? InspectionService.decode(NoticeContent.self, text) else { continue }
            for e in content.groups.flatMap(\.units).flatMap(\.entries) where !seen.contains(e.deductionId) {
                guard let d = try await sql.select().columns("id", "points_tenths", "status").from("deductions")
                    .where("id", .equal, SQLBind(e.deductionId)).first(decoding: D.self) else { continue }
                seen.insert(e.deductionId)
                let published = Points(e.points).tenths
                try await sql.insert(into: NoticeLedger.entries).columns("deduction_id", "notice_id", "points_tenths", "last_points_tenths", "last_status")
                    .values(SQLBind(d.id), SQLBind(n.id), SQLBind(published), SQLBind(published), SQLBind(DeductionStatus.confirmed.rawValue)).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(NoticeLedger.changes).delete()
        try await database.schema(NoticeLedger.entries).delete()
        try await (database as! any SQLDatabase).drop(index: "notices_publisher_sequence").run()
        for field in ["publisher_id", "publisher_year", "publisher_seq"] { try await database.schema("notices").deleteField(.string(field)).update() }
        try await database.schema(AgencyModel.schema).deleteField("notice_prefix").update()
    }
}
