import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// The working calendar as the database keeps it: one row per year, the year's `HolidayNotice`
/// as JSON (`working_calendar_years`, seeded with 2020–2026 by migration 019).
///
/// Who reads it where: every server keeps the calendar in force in its state
/// (`app.liandong.calendar`) for pages; the import that changes it puts the new calendar in force
/// in its own process at once; every judging round (every five minutes on each server, and
/// `liandong judge`) reads it again first, so on PostgreSQL with several app servers the others
/// follow within one round. What decides something with a working-day deadline (an appeal
/// lodged, plans judged on a save, a rectification's due date) reads the calendar from the
/// database in its own transaction, never a copy that may be a round old.
enum WorkingCalendarStore {
    static let table = "working_calendar_years"
    /// The advisory-lock key of imports (the start-up lock uses 19524, the judging round 19525).
    static let lockKey: Int32 = 19_526

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func body(_ notice: HolidayNotice) throws -> String {
        String(decoding: try encoder.encode(notice), as: UTF8.self)
    }

    struct Row: Decodable {
        var year: Int
        var body: String
        var updated_by: String
        var updated_at: Date
    }

    static func rows(on db: any Database) async throws -> [Row] {
        try await rows(on: db as! any SQLDatabase)
    }

    static func rows(on sql: any SQLDatabase) async throws -> [Row] {
        try await sql.select().columns("year", "body", "updated_by", "updated_at").from(table)
            .orderBy("year").all(decoding: Row.self)
    }

    /// The calendar the database holds now.
    static func load(on db: any Database) async throws -> WorkingCalendar {
        try await load(on: db as! any SQLDatabase)
    }

    static func load(on sql: any SQLDatabase) async throws -> WorkingCalendar {
        WorkingCalendar(notices: try await rows(on: sql).map { try JSONDecoder().decode(HolidayNotice.self, from: Data($0.body.utf8)) })
    }

    /// Reads the calendar again and puts it in force in this process.
    @discardableResult
    static func refresh(_ app: Application, on db: (any Database)? = nil) async throws -> WorkingCalendar {
        let calendar = try await load(on: db ?? app.db)
        app.liandong.calendar = calendar
        return calendar
    }

    /// Stores notices without asking (the seed).
    static func insert(_ notices: [HolidayNotice], by: String, at: Date, on sql: any SQLDatabase) async throws {
        for notice in notices {
            try await sql.insert(into: table).columns("year", "body", "updated_by", "updated_at")
                .values(SQLBind(notice.year), SQLBind(try body(notice)), SQLBind(by), SQLBind(at)).run()
        }
    }

    struct ImportSummary: Content, Equatable {
        /// Years the database did not hold.
        var added: [Int] = []
        /// Years whose schedule the file changed.
        var replaced: [Int] = []
        /// Years the file repeats as stored: nothing written.
        var unchanged: [Int] = []
        /// Plan findings (D4) the new working days added or withdrew.
        var findingsAdded = 0
        var findingsWithdrawn = 0

        var changed: Bool { !added.isEmpty || !replaced.isEmpty }

        var chinese: String {
            func years(_ list: [Int]) -> String { list.isEmpty ? "无" : list.map { "\($0)年" }.joined(separator: "、") }
            var text = "新增 \(years(added))；替换 \(years(replaced))；未变 \(years(unchanged))"
            if changed { text += "；按新日历重新判定应急预案问题：新增 \(findingsAdded) 条，撤销 \(findingsWithdrawn) 条" }
            return text
        }
    }

    /// Reads an import file: JSON Lines, or CSV when `csv` (UTF-8, with or without a BOM).
    static func parse(_ data: Data, csv: Bool) throws(ImportError) -> [HolidayNotice] {
        guard csv else { return try HolidayNoticeFile.parseJSONLines(data) }
        let records: [CSVRecord]
        do { records = try CSV.parse(data) } catch { throw ImportError(row: error.line, field: "", message: error.message) }
        guard let header = records.first else { throw ImportError(row: 1, field: "", message: "文件为空") }
        return try HolidayNoticeFile.parseCSV(header: header.fields, rows: records.dropFirst().map { (line: $0.line, cells: $0.fields) })
    }

    /// An import error in full-width punctuation: `第5行「date」：…`.
    static func describe(_ error: ImportError) -> String {
        error.field.isEmpty ? "第\(error.row)行：\(error.message)" : "第\(error.row)行「\(error.field)」：\(error.message)"
    }

    /// Whether a file's name says CSV (else JSON Lines).
    static func isCSV(_ filename: String) -> Bool { (filename as NSString).pathExtension.lowercased() == "csv" }

    /// Replaces each year of the file whole, all or nothing, audited in the same transaction; a
    /// year sent as stored changes nothing (no write, no audit entry). The plans register is
    /// judged again in the same transaction (D4's deadlines move with the working days), and the
    /// new calendar is put in force in this process. Appeal windows are computed when read, so
    /// they follow at once.
    static func save(_ notices: [HolidayNotice], actor: Actor, app: Application, now: Date, on db: any Database) async throws -> ImportSummary {
        let summary = try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // Two imports at once on PostgreSQL (SQLite's writers queue anyway) take turns, so the
            // second compares against what the first stored.
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey), hashtext(current_schema()))").run()
            }
            let stored = Dictionary(try await rows(on: tx).map { ($0.year, $0.body) }, uniquingKeysWith: { a, _ in a })
            var summary = ImportSummary()
            for notice in notices {
                let text = try body(notice)
                switch stored[notice.year] {
                case text?:
                    summary.unchanged.append(notice.year)
                    continue
                case nil:
                    try await insert([notice], by: actor.principal.name, at: now, on: sql)
                    summary.added.append(notice.year)
                case _?:
                    try await sql.update(table).set("body", to: SQLBind(text)).set("updated_by", to: SQLBind(actor.principal.name))
                        .set("updated_at", to: SQLBind(now)).where("year", .equal, SQLBind(notice.year)).run()
                    summary.replaced.append(notice.year)
                }
                let before = stored[notice.year].flatMap { try? JSONDecoder().decode(HolidayNotice.self, from: Data($0.utf8)) }
                try await AuditLog.append(tx, actor: actor, action: before == nil ? "calendar.add" : "calendar.replace",
                                          entity: "working_calendar", entityID: String(notice.year),
                                          before: before.map(AuditView.init), after: AuditView(notice), at: now)
            }
            if summary.changed {
                let (added, withdrawn) = try await PlanService.judge(try await PlanService.register(on: tx), rules: app.liandong.ruleBook,
                                                                     asOf: LocalDate(now), now: now, on: sql)
                summary.findingsAdded = added.count
                summary.findingsWithdrawn = withdrawn.count
            }
            return summary
        }
        if summary.changed { try await refresh(app, on: db) }
        return summary
    }

    /// What the audit log keeps of a year: the notice and the days, compactly.
    struct AuditView: Encodable {
        var notices: [String]
        var holidays: [String]
        var workdays: [String]

        init(_ notice: HolidayNotice) {
            notices = notice.documents.map(\.number)
            holidays = notice.holidays.map { "\($0.name) \($0.first)–\($0.last)" }
            workdays = notice.makeUpDays.map(\.date.description)
        }
    }
}
