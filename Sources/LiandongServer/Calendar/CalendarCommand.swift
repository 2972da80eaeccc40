import Foundation
import LiandongCore
import Vapor

/// `liandong calendar import FILE | list [--year Y]`: the working calendar (holidays and make-up
/// working days by the State Council's yearly notice).
struct CalendarCommand: AsyncCommandGroup {
    var help: String { "工作日历（国务院办公厅节假日安排）：import 导入或替换年度安排，list 查看" }
    var commands: [String: any AnyAsyncCommand] { ["import": CalendarImportCommand(), "list": CalendarListCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { CalendarListCommand() }
}

struct CalendarImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: ".jsonl（每行一条记录）或 .csv（列名同字段名）：year、type（notice、holiday、workday）及各自的字段")
        var file: String
    }

    var help: String { "导入国务院办公厅的年度节假日安排；文件中的每个年度整体替换；任一行有误则整个文件不导入；重复导入不变" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
        let notices: [HolidayNotice]
        do { notices = try WorkingCalendarStore.parse(data, csv: WorkingCalendarStore.isCSV(signature.file)) } catch {
            throw CommandFailure("未导入，日历未作任何改动：\(WorkingCalendarStore.describe(error))")
        }
        let summary = try await WorkingCalendarStore.save(notices, actor: .console(), app: app, now: app.liandong.clock.now(), on: app.db)
        app.commandOutput.write("工作日历：\(summary.chinese)\n")
        if summary.changed {
            app.commandOutput.write("运行中的服务器在下一次定时判定（5分钟内）时读取新日历\n")
        }
    }
}

struct CalendarListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "year", help: "年度，如 2026（默认列出已录入的各年度）") var year: Int?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv（json、csv 即导入格式）") var format: String?
    }

    var help: String { "查看工作日历：已录入的年度，或某一年度的放假和调休上班日" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        let calendar = try await WorkingCalendarStore.load(on: app.db)
        let out = app.commandOutput
        guard let year = signature.year else {
            let notices = calendar.notices
            switch format {
            case .json: out.write(HolidayNoticeFile.jsonLines(notices))
            case .csv: out.write(CommandOutput.csv(header: HolidayNoticeFile.fields, rows: Array(HolidayNoticeFile.csvRows(notices).dropFirst())))
            case .table:
                out.write(CommandOutput.table(header: ["年度", "通知", "放假", "调休上班"], rows: notices.map { n in
                    [String(n.year), n.documents.map(\.number).joined(separator: "、"), "\(n.holidays.count) 段", "\(n.makeUpDays.count) 天"]
                }))
                let today = LocalDate(app.liandong.clock.now())
                for year in [today.year, today.year + 1] where !calendar.covers(year) {
                    out.write("\(year)年的节假日安排尚未录入，该年按周一至周五计算工作日\n")
                }
            }
            return
        }
        guard HolidayNoticeFile.years.contains(year) else { throw CommandFailure("--year 应为 \(HolidayNoticeFile.years.lowerBound) 至 \(HolidayNoticeFile.years.upperBound) 之间的年份") }
        guard let notice = calendar.notice(for: year) else {
            if format == .table {
                out.write("\(year)年的节假日安排尚未录入工作日历：该年按周一至周五计算工作日。请用 liandong calendar import 导入国务院办公厅的通知\n")
                return
            }
            throw CommandFailure("\(year)年的节假日安排尚未录入工作日历")
        }
        switch format {
        case .json: out.write(HolidayNoticeFile.jsonLines([notice]))
        case .csv: out.write(CommandOutput.csv(header: HolidayNoticeFile.fields, rows: Array(HolidayNoticeFile.csvRows([notice]).dropFirst())))
        case .table:
            for d in notice.documents {
                out.write("\(d.title)（\(d.number)\(d.issuedOn.map { "，\($0.chinese)" } ?? "")）\n")
                if let note = d.note { out.write("  \(note)\n") }
            }
            out.write("\n")
            out.write(CommandOutput.table(header: ["类别", "节日", "日期", "天数"], rows: CalendarView.rows(notice).map { [$0.kind, $0.name, $0.dates, $0.days] }))
        }
    }
}

/// A year as people read it: each holiday with its dates and length, each make-up working day.
enum CalendarView {
    struct Row: Encodable {
        var kind: String
        var name: String
        var dates: String
        var days: String
        var isWorkday: Bool
    }

    static func weekday(_ day: LocalDate) -> String { ["周日", "周一", "周二", "周三", "周四", "周五", "周六"][day.weekday] }

    static func rows(_ notice: HolidayNotice) -> [Row] {
        var rows: [(LocalDate, Row)] = notice.holidays.map { h in
            let span = h.first == h.last ? "\(h.first.chinese)（\(weekday(h.first))）"
                : "\(h.first.chinese)（\(weekday(h.first))）至\(h.last.chinese)（\(weekday(h.last))）"
            return (h.first, Row(kind: "放假", name: h.name, dates: span, days: "\(h.days.count)天", isWorkday: false))
        }
        rows += notice.makeUpDays.map { w in
            (w.date, Row(kind: "调休上班", name: w.name ?? "", dates: "\(w.date.chinese)（\(weekday(w.date))）", days: "", isWorkday: true))
        }
        return rows.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
