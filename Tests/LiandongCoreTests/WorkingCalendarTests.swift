import Foundation
import Testing
@testable import LiandongCore

@Suite("The working calendar of China")
struct WorkingCalendarTests {
    let calendar = WorkingCalendar.shipped

    func day(_ text: String) -> LocalDate { LocalDate(text)! }
    func at(_ text: String) -> Date { ChinaTime.parseTimestamp(text)! }

    @Test(arguments: [
        ("2026-01-01", false), ("2026-01-02", false), ("2026-01-04", true),   // 元旦, and Sunday 1-4 worked
        ("2026-02-14", true), ("2026-02-16", false), ("2026-02-23", false), ("2026-02-24", true), ("2026-02-28", true),  // 春节
        ("2026-04-06", false), ("2026-05-01", false), ("2026-05-05", false), ("2026-05-09", true),
        ("2026-06-19", false), ("2026-09-20", true), ("2026-09-25", false), ("2026-10-07", false), ("2026-10-08", true),
        ("2026-10-10", true), ("2026-10-11", false),
        ("2025-01-26", true), ("2025-02-04", false), ("2025-10-08", false), ("2025-10-11", true),
        ("2026-03-06", true), ("2026-03-07", false),                           // an ordinary Friday and Saturday
        // 2020: the Spring Festival extended to 2 February; Saturday 1 February no longer worked.
        ("2020-01-19", true), ("2020-01-30", false), ("2020-01-31", false), ("2020-02-01", false), ("2020-02-03", true),
        ("2021-02-07", true), ("2021-09-18", true), ("2022-04-02", true), ("2022-10-09", true),
        ("2022-12-31", false), ("2023-01-02", false), ("2023-01-29", true), ("2023-10-06", false), ("2023-10-07", true),
        ("2024-02-04", true), ("2024-02-18", true), ("2024-02-09", true), ("2024-04-07", true), ("2024-10-12", true),
    ])
    func workingDays(_ text: String, _ working: Bool) {
        #expect(calendar.isWorkingDay(day(text)) == working, "\(text)")
    }

    /// The windows of 2025 and 2026 day by day at their edges: the working day before, the first
    /// and the last day of the holiday, the working day after, and the make-up weekend days.
    @Test(arguments: [
        // 2025 春节: Sunday 1-26 worked, 1-28 to 2-4 off, Saturday 2-8 worked.
        ("2025-01-25", "weekend"), ("2025-01-26", "makeup"), ("2025-01-27", "workday"), ("2025-01-28", "holiday"),
        ("2025-02-04", "holiday"), ("2025-02-05", "workday"), ("2025-02-07", "workday"), ("2025-02-08", "makeup"), ("2025-02-09", "weekend"),
        // 2025 国庆节、中秋节: Sunday 9-28 worked, 10-1 to 10-8 off, Saturday 10-11 worked.
        ("2025-09-27", "weekend"), ("2025-09-28", "makeup"), ("2025-09-30", "workday"), ("2025-10-01", "holiday"),
        ("2025-10-08", "holiday"), ("2025-10-09", "workday"), ("2025-10-11", "makeup"), ("2025-10-12", "weekend"),
        // 2026 春节: Saturday 2-14 worked, 2-15 to 2-23 off, Saturday 2-28 worked.
        ("2026-02-13", "workday"), ("2026-02-14", "makeup"), ("2026-02-15", "holiday"), ("2026-02-23", "holiday"),
        ("2026-02-24", "workday"), ("2026-02-28", "makeup"), ("2026-03-01", "weekend"),
        // 2026 国庆节: Sunday 9-20 worked, 10-1 to 10-7 off, Saturday 10-10 worked.
        ("2026-09-19", "weekend"), ("2026-09-20", "makeup"), ("2026-09-30", "workday"), ("2026-10-01", "holiday"),
        ("2026-10-07", "holiday"), ("2026-10-08", "workday"), ("2026-10-10", "makeup"), ("2026-10-11", "weekend"),
    ])
    func holidayWindowsAtTheirBoundaries(_ text: String, _ kind: String) {
        let found: String = switch calendar.kind(of: day(text)) {
        case .workday: "workday"
        case .weekend: "weekend"
        case .holiday: "holiday"
        case .makeUp: "makeup"
        }
        #expect(found == kind, "\(text)")
        #expect(calendar.isWorkingDay(day(text)) == (kind == "workday" || kind == "makeup"), "\(text)")
    }

    /// Counting across the windows: holidays are skipped, make-up days counted.
    @Test(arguments: [
        // Before 2025's National Day: 10-9, 10-10, Saturday 10-11, 10-13, 10-14.
        ("2025-09-30T16:00:00+08:00", 5, "2025-10-14"),
        // Notified on the make-up Sunday 9-28: 9-29, 9-30, then 10-9, 10-10, 10-11.
        ("2025-09-28T10:00:00+08:00", 5, "2025-10-11"),
        // Notified on the last holiday, 10-8: 10-9, 10-10, Saturday 10-11, 10-13, 10-14 (10-12 not).
        ("2025-10-08T10:00:00+08:00", 5, "2025-10-14"),
        // 2025's Spring Festival: from Friday 1-24, Sunday 1-26 and Monday 1-27 count, then 2-5 …
        ("2025-01-24T10:00:00+08:00", 5, "2025-02-07"),
        ("2025-02-04T10:00:00+08:00", 4, "2025-02-08"),
        // 2026's Spring Festival: from Friday 2-13, Saturday 2-14 then 2-24 … 2-27.
        ("2026-02-13T10:00:00+08:00", 5, "2026-02-27"),
        // From the last holiday, Monday 2-23: 2-24 … 2-27 and the make-up Saturday 2-28.
        ("2026-02-23T10:00:00+08:00", 5, "2026-02-28"),
        // 2026's National Day: from Wednesday 9-30, 10-8, 10-9, Saturday 10-10, 10-12, 10-13.
        ("2026-09-30T16:00:00+08:00", 5, "2026-10-13"),
        ("2026-09-19T10:00:00+08:00", 1, "2026-09-20"),
        // D4's twenty working days across 中秋 and 国庆 2026: issued 9-10, due 10-14.
        ("2026-09-10T00:00:00+08:00", 20, "2026-10-14"),
    ])
    func deadlinesAcrossTheWindows(_ start: String, _ count: Int, _ last: String) {
        let deadline = calendar.deadline(after: count, from: at(start))
        #expect(deadline.lastDay == day(last), "\(start) + \(count)")
        #expect(deadline.assumedYears.isEmpty)
        #expect(deadline.note.isEmpty)
        #expect(deadline.end == at("\(last)T23:59:59+08:00"))
        #expect(calendar.end(after: count, from: at(start)) == deadline.end)
    }

    @Test func aYearNotYetPublishedCountsMondayToFridayAndSaysSo() {
        #expect(!calendar.covers(2027) && !calendar.covers(2019))
        #expect(calendar.isWorkingDay(day("2027-10-01")))   // a Friday
        #expect(!calendar.isWorkingDay(day("2027-10-02")))  // a Saturday
        // From Monday 2026-12-28: 12-29, 12-30, 12-31, then 2027-01-01 (a Friday, counted) and 01-04.
        let across = calendar.deadline(after: 5, from: at("2026-12-28T10:00:00+08:00"))
        #expect(across.lastDay == day("2027-01-04"))
        #expect(across.assumedYears == [2027])
        #expect(across.note == "（2027年的节假日安排尚未录入工作日历，按周一至周五计算工作日）")
        // Within covered years nothing is assumed; a count that stays in 2026 says nothing.
        #expect(calendar.deadline(after: 2, from: at("2026-12-28T10:00:00+08:00")).assumedYears.isEmpty)
        #expect(WorkingCalendar.mondayToFriday.deadline(after: 1, from: at("2030-03-01T10:00:00+08:00")).assumedYears == [2030])
        #expect(WorkingCalendar.assumptionNote([2027, 2028]) == "（2027年、2028年的节假日安排尚未录入工作日历，按周一至周五计算工作日）")
        #expect(WorkingCalendar.assumptionNote([]) == nil)
    }

    @Test func aDueDayOnADayOffMovesToTheNextWorkingDay() {
        #expect(calendar.firstWorkingDay(onOrAfter: day("2026-10-03")).lastDay == day("2026-10-08"))
        #expect(calendar.firstWorkingDay(onOrAfter: day("2026-10-10")).lastDay == day("2026-10-10"))
        #expect(calendar.firstWorkingDay(onOrAfter: day("2027-01-02")).lastDay == day("2027-01-04"))
        #expect(calendar.firstWorkingDay(onOrAfter: day("2027-01-02")).assumedYears == [2027])
    }

    @Test func theShippedNoticesHoldOnlyWeekendsWorkedAndEveryHolidayOfTheYear() {
        #expect(calendar.years == Set(2020...2026))
        #expect(calendar.makeUpDays.allSatisfy { [0, 6].contains($0.weekday) })
        #expect(calendar.makeUpDays.isDisjoint(with: calendar.holidays))
        // Weekdays off a year: 2020 with the extension (元旦 1, 春节 6, 清明 1, 劳动节 3, 端午 2, 国庆 6).
        func weekdaysOff(_ year: Int) -> Int { calendar.holidays.filter { $0.year == year && ![0, 6].contains($0.weekday) }.count }
        #expect(weekdaysOff(2020) == 19)
        // 2025: 18 (元旦 1, 春节 6, 清明 1, 劳动节 3, 端午 1, 国庆 6).
        #expect(weekdaysOff(2025) == 18)
        // 2026: 19 weekdays off (元旦 2, 春节 6, 清明 1, 劳动节 3, 端午 1, 中秋 1, 国庆 5).
        #expect(weekdaysOff(2026) == 19)
        for notice in HolidayNotice.shipped {
            #expect(notice.documents.first?.title == "国务院办公厅关于\(notice.year)年部分节假日安排的通知")
            #expect(notice.documents.first?.number.hasPrefix("国办发明电〔\(notice.year - 1)〕") == true)
            let names = Set(notice.holidays.flatMap { $0.name.components(separatedBy: "、") })
            #expect(names == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"], "\(notice.year)")
        }
    }

    /// The shipped data passes the import checks, and writing it out and reading it back gives it again.
    @Test func theShippedNoticesRoundTripThroughTheImportFormat() throws {
        let lines = HolidayNoticeFile.jsonLines(HolidayNotice.shipped)
        #expect(try HolidayNoticeFile.parseJSONLines(Data(lines.utf8)) == HolidayNotice.shipped)
        let rows = HolidayNoticeFile.csvRows(HolidayNotice.shipped)
        let csv = try HolidayNoticeFile.parseCSV(header: rows[0], rows: rows.dropFirst().enumerated().map { (line: $0.offset + 2, cells: $0.element) })
        #expect(csv == HolidayNotice.shipped)
        #expect(WorkingCalendar(notices: csv) == calendar)
    }
}

@Suite("The working calendar's import format")
struct HolidayNoticeFileTests {
    static let good = """
    {"year":2027,"type":"notice","number":"国办发明电〔2026〕9号","title":"国务院办公厅关于2027年部分节假日安排的通知","issued_on":"2026-11-10"}
    {"year":2027,"type":"holiday","name":"元旦","from":"2027-01-01"}
    {"year":2027,"type":"holiday","name":"国庆节","from":"2027-10-01","to":"2027-10-07"}
    {"year":2027,"type":"workday","date":"2027-09-26","name":"国庆节"}
    """

    func parse(_ text: String) throws(ImportError) -> [HolidayNotice] { try HolidayNoticeFile.parseJSONLines(Data(text.utf8)) }

    func error(_ text: String) -> ImportError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test func aGoodFile() throws {
        let notices = try parse("\u{FEFF}" + Self.good + "\n\n")
        #expect(notices.count == 1)
        let n = notices[0]
        #expect(n.year == 2027 && n.notice?.number == "国办发明电〔2026〕9号" && n.notice?.issuedOn == LocalDate("2026-11-10"))
        #expect(n.holidays.map(\.days.count) == [1, 7])
        #expect(n.makeUpDays == [HolidayNotice.MakeUpDay(LocalDate("2027-09-26")!, for: "国庆节")])
        let calendar = WorkingCalendar(notices: notices)
        #expect(!calendar.isWorkingDay(LocalDate("2027-10-07")!) && calendar.isWorkingDay(LocalDate("2027-09-26")!))
    }

    /// One bad line fails the whole file, naming the line and the field.
    @Test(arguments: [
        (#"{"year":2027,"type":"workday","date":"2027-09-27","name":"国庆节"}"#, 5, "date"),             // a Monday
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2027-02-10","to":"2027-02-05"}"#, 5, "to"),
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2027-02-01","to":"2027-02-28"}"#, 5, "to"), // 28 days
        (#"{"year":2027,"type":"holiday","name":"国庆","from":"2027-10-06","to":"2027-10-09"}"#, 5, "from"), // overlaps
        (#"{"year":2027,"type":"workday","date":"2027-10-02"}"#, 5, "date"),                             // inside a holiday
        (#"{"year":2027,"type":"workday","date":"2027-09-26"}"#, 5, "date"),                             // twice
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2028-02-01"}"#, 5, "from"),               // another year
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2027-02-30"}"#, 5, "from"),
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2027-02-06","colour":"red"}"#, 5, "colour"),
        (#"{"year":2027,"type":"holiday","name":"春节","from":"2027-02-06","date":"2027-02-06"}"#, 5, "date"),
        (#"{"year":2027,"type":"holiday","from":"2027-02-06"}"#, 5, "name"),
        (#"{"year":2027,"type":"festival","name":"春节","from":"2027-02-06"}"#, 5, "type"),
        (#"{"year":"二〇二七","type":"holiday","name":"春节","from":"2027-02-06"}"#, 5, "year"),
        (#"{"year":1999,"type":"holiday","name":"春节","from":"1999-02-16"}"#, 5, "year"),
        (#"{"year":2027,"type":"notice","title":"国务院办公厅关于2027年部分节假日安排的通知"}"#, 5, "number"),
        (#"{"year":2028,"type":"holiday","name":"元旦","from":"2028-01-01"}"#, 5, "type"),              // no notice for 2028
        ("not json", 5, ""),
    ])
    func aBadLineFailsTheFile(_ line: String, _ row: Int, _ field: String) {
        let found = error(Self.good + "\n" + line)
        #expect(found?.row == row && found?.field == field, "\(String(describing: found))")
    }

    @Test func theMessagesNameWhatIsWrong() {
        #expect(error(Self.good + "\n" + #"{"year":2027,"type":"workday","date":"2027-09-27"}"#)?.message
                == "2027年9月27日是星期一，本来就是工作日；调休上班日应为星期六或星期日")
        #expect(error(Self.good + "\n" + #"{"year":2027,"type":"workday","date":"2027-10-02"}"#)?.message
                == "在第3行的放假时间（国庆节）之内")
        #expect(error("") == ImportError(row: 1, field: "", message: "文件中没有日历记录"))
        #expect(error(#"{"year":2027,"type":"notice","number":"x","title":"y"}"#)?.message == "2027年没有 holiday 行（放假安排）")
    }

    /// 元旦 may begin in the last days of the year before (2023's began on 2022-12-31).
    @Test func aNewYearHolidayMayStartInDecember() throws {
        let text = """
        {"year":2023,"type":"notice","number":"国办发明电〔2022〕16号","title":"国务院办公厅关于2023年部分节假日安排的通知"}
        {"year":2023,"type":"holiday","name":"元旦","from":"2022-12-31","to":"2023-01-02"}
        """
        #expect(try parse(text)[0].holidays[0].days.count == 3)
        #expect(error(text.replacingOccurrences(of: "2022-12-31", with: "2022-11-30"))?.field == "from")
    }

    @Test func csvWithTheSameFields() throws {
        let notices = try HolidayNoticeFile.parseCSV(
            header: ["year", "type", "name", "from", "to", "date", "number", "title"],
            rows: [(2, ["2027", "notice", "", "", "", "", "国办发明电〔2026〕9号", "国务院办公厅关于2027年部分节假日安排的通知"]),
                   (3, ["2027", "holiday", "国庆节", "2027-10-01", "2027-10-07", "", "", ""]),
                   (4, ["", "", "", "", "", "", "", ""]),
                   (5, ["2027", "workday", "国庆节", "", "", "2027-09-26", "", ""])])
        #expect(notices == (try parse(Self.good)).map { n in
            var n = n
            n.documents[0].issuedOn = nil
            n.holidays.removeFirst()
            return n
        })
        #expect(throws: ImportError(row: 1, field: "weekday", message: "未知列；可用列：year、type、name、from、to、date、number、title、issued_on、note")) {
            try HolidayNoticeFile.parseCSV(header: ["year", "weekday"], rows: [])
        }
        do {
            _ = try HolidayNoticeFile.parseCSV(header: ["year", "type", "date"], rows: [(7, ["2027", "workday", "2027-09-27"])])
            Issue.record("accepted")
        } catch {
            #expect(error.row == 7 && error.field == "date")
        }
    }
}
