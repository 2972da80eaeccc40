import Foundation
import LiandongCore
import Vapor

/// `/admin/calendar`: the working calendar, kept by administrators. A year's holidays and
/// make-up working days as a list and as twelve months; importing a file adds or replaces years.
enum CalendarPages {
    static func requireAdmin(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canManageRules(actor.principal), "工作日历由系统管理员维护")
        return actor
    }

    struct YearRow: Encodable {
        var year: Int
        var notices: String
        var holidays: Int
        var workdays: Int
        var updatedBy: String
        var updatedAt: String
        var selected: Bool
    }

    struct Day: Encodable {
        var number: String
        /// `workday`, `weekend`, `holiday`, `makeup`, or `blank` for the cells before the 1st.
        var kind: String
        var label: String
    }

    struct Month: Encodable {
        var title: String
        var weeks: [[Day]]
    }

    struct Document: Encodable {
        var number: String
        var title: String
        var issuedOn: String
        var note: String
        var hasNote: Bool
    }

    struct Context: Encodable {
        var frame: PageFrame
        var years: [YearRow]
        var year: Int
        var previousYear: Int
        var nextYear: Int
        var covered: Bool
        var documents: [Document]
        var rows: [CalendarView.Row]
        var months: [Month]
        /// `2026年、2027年`: years near today the calendar does not hold.
        var uncovered: String
        var hasUncovered: Bool
        var draft: String
        var example: String
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
    }

    /// Years near today that the calendar does not cover: the current year, and the years the
    /// next 60 days reach into (a 20-working-day deadline set in December ends in the next year).
    static func uncoveredSoon(_ calendar: WorkingCalendar, today: LocalDate) -> [Int] {
        calendar.uncoveredYears(from: today, through: today.adding(days: 60))
    }

    static func months(of year: Int, _ calendar: WorkingCalendar) -> [Month] {
        (1...12).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let count = ChinaTime.daysIn(month: month, year: year)
            // Weeks from Monday, as Chinese calendars print them.
            var cells = Array(repeating: Day(number: "", kind: "blank", label: ""), count: (first.weekday + 6) % 7)
            for d in 1...count {
                let day = LocalDate(year: year, month: month, day: d)!
                let (kind, label): (String, String) = switch calendar.kind(of: day) {
                case .workday: ("workday", "工作日")
                case .weekend: ("weekend", "休息日")
                case .holiday(let name): ("holiday", name.isEmpty ? "放假" : "\(name)放假")
                case .makeUp(let name): ("makeup", "\(name ?? "")调休上班")
                }
                cells.append(Day(number: String(d), kind: kind, label: "\(day.chinese)：\(label)"))
            }
            while cells.count % 7 != 0 { cells.append(Day(number: "", kind: "blank", label: "")) }
            return Month(title: "\(month)月", weeks: stride(from: 0, to: cells.count, by: 7).map { Array(cells[$0..<($0 + 7)]) })
        }
    }

    static func render(_ req: Request, year asked: Int? = nil, draft: String = "", error: String? = nil, notice: String? = nil,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let calendar = req.application.liandong.calendar
        let today = LocalDate(req.now)
        struct Query: Decodable { var year: Int? }
        let queried = (try? req.query.decode(Query.self))?.year
        let year = min(max(asked ?? queried ?? today.year, HolidayNoticeFile.years.lowerBound), HolidayNoticeFile.years.upperBound)
        let stored = try await WorkingCalendarStore.rows(on: req.db)
        let byYear = Dictionary(stored.map { ($0.year, $0) }, uniquingKeysWith: { a, _ in a })
        let selected = calendar.notice(for: year)
        let missing = uncoveredSoon(calendar, today: today)
        let example = HolidayNoticeFile.jsonLines(calendar.notice(for: today.year).map { [$0] } ?? Array(calendar.notices.suffix(1)))
        return try await req.page("admin_calendar", Context(
            frame: PageFrame(req, title: "工作日历", active: "calendar"),
            years: calendar.notices.reversed().map { n in
                YearRow(year: n.year, notices: n.documents.map(\.number).joined(separator: "、"), holidays: n.holidays.count,
                        workdays: n.makeUpDays.count, updatedBy: byYear[n.year]?.updated_by ?? "",
                        updatedAt: byYear[n.year].map { ChinaTime.displayString($0.updated_at) } ?? "", selected: n.year == year)
            },
            year: year, previousYear: year - 1, nextYear: year + 1, covered: selected != nil,
            documents: (selected?.documents ?? []).map {
                Document(number: $0.number, title: $0.title, issuedOn: $0.issuedOn?.chinese ?? "", note: $0.note ?? "", hasNote: $0.note != nil)
            },
            rows: selected.map(CalendarView.rows) ?? [],
            months: months(of: year, calendar),
            uncovered: missing.map { "\($0)年" }.joined(separator: "、"),
            hasUncovered: !missing.isEmpty,
            draft: draft, example: example,
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil), status: status)
    }

    @Sendable static func page(req: Request) async throws -> Response {
        _ = try requireAdmin(req)
        return try await render(req)
    }

    /// POST /admin/calendar: a file (JSON Lines or CSV) or the text pasted in the form.
    @Sendable static func save(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        struct Form: Decodable { var body: String?; var file: File? }
        let form: Form
        do { form = try req.content.decode(Form.self) } catch { throw AppError(.badRequest, "表单内容无法读取") }
        let pasted = form.body ?? ""
        do {
            let notices: [HolidayNotice]
            do {
                if let file = form.file, file.data.readableBytes > 0 {
                    notices = try WorkingCalendarStore.parse(Data(buffer: file.data), csv: WorkingCalendarStore.isCSV(file.filename))
                } else {
                    guard !pasted.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                        throw AppError.invalid("请选择日历文件，或粘贴 JSON Lines 记录", field: "body")
                    }
                    notices = try WorkingCalendarStore.parse(Data(pasted.utf8), csv: false)
                }
            } catch let error as ImportError {
                throw AppError(.unprocessableEntity, "未导入，日历未作任何改动：\(WorkingCalendarStore.describe(error))",
                               field: error.field.isEmpty ? nil : error.field)
            }
            let summary = try await WorkingCalendarStore.save(notices, actor: actor, app: req.application, now: req.now, on: req.db)
            return try await render(req, year: notices.first?.year,
                                    notice: summary.changed ? "工作日历已导入：\(summary.chinese)。申诉期限等按新日历计算。"
                                        : "内容与已录入的相同，未作改动（\(summary.chinese)）。")
        } catch let error as AppError {
            return try await render(req, draft: pasted, error: error.message, status: error.status)
        }
    }
}
