import Foundation

/// The working calendar of China (mechanism.md, "Working days and office hours"): Monday to
/// Friday, except the public holidays of the State Council's yearly notice
/// (国务院办公厅关于某年部分节假日安排的通知), plus its make-up working days (调休上班, a Saturday or
/// Sunday). The calendar is data: the years published are shipped here; a year not yet published
/// counts Monday to Friday.
public struct WorkingCalendar: Sendable, Equatable {
    /// Weekdays that are holidays (放假).
    public let holidays: Set<LocalDate>
    /// Weekend days that are working days (调休上班).
    public let makeUpDays: Set<LocalDate>
    /// The years whose notice the calendar holds.
    public let years: Set<Int>

    public init(holidays: Set<LocalDate>, makeUpDays: Set<LocalDate>, years: Set<Int>) {
        self.holidays = holidays; self.makeUpDays = makeUpDays; self.years = years
    }

    /// A calendar from each year's notice: holiday periods (first and last day, inclusive;
    /// weekends inside them are days off anyway) and make-up working days.
    public init(notices: [Notice]) {
        var holidays = Set<LocalDate>(), makeUps = Set<LocalDate>()
        for notice in notices {
            for (first, last) in notice.holidays {
                var day = first
                while day <= last { holidays.insert(day); day = day.adding(days: 1) }
            }
            makeUps.formUnion(notice.makeUpDays)
        }
        self.init(holidays: holidays, makeUpDays: makeUps, years: Set(notices.map(\.year)))
    }

    /// One year's notice.
    public struct Notice: Sendable {
        public var year: Int
        public var holidays: [(LocalDate, LocalDate)]
        public var makeUpDays: [LocalDate]

        public init(year: Int, holidays: [(String, String)], makeUpDays: [String]) {
            self.year = year
            self.holidays = holidays.map { (LocalDate($0.0)!, LocalDate($0.1)!) }
            self.makeUpDays = makeUpDays.map { LocalDate($0)! }
        }
    }

    /// Whether the calendar holds the State Council's notice for the year.
    public func covers(_ year: Int) -> Bool { years.contains(year) }

    /// What a reason judged by working days says when the year's notice is not in the calendar.
    public static func uncoveredNote(_ year: Int) -> String {
        "（\(year)年的节假日安排尚未录入，按周一至周五计算工作日）"
    }

    public func isWorkingDay(_ day: LocalDate) -> Bool {
        if makeUpDays.contains(day) { return true }
        if holidays.contains(day) { return false }
        let weekday = day.weekday // 0 = Sunday
        return weekday != 0 && weekday != 6
    }

    /// The last instant of the `count`-th working day after the day of `start`.
    public func end(after count: Int, from start: Date) -> Date {
        var day = LocalDate(start)
        var remaining = count
        while remaining > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { remaining -= 1 }
        }
        return day.adding(days: 1).start.addingTimeInterval(-1)
    }

    /// The notices published so far.
    public static let china = WorkingCalendar(notices: [
        // The State Council's notice on the holidays of 2025.
        Notice(year: 2025,
               holidays: [("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
                          ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08")],
               makeUpDays: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]),
        // The State Council's notice on the holidays of 2026.
        Notice(year: 2026,
               holidays: [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
                          ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
                          ("2026-10-01", "2026-10-07")],
               makeUpDays: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]),
    ])
}

/// Working days by the calendar of China: deadlines counted in working days (the appeal window,
/// the 20 working days to publish a plan) skip holidays and count make-up days.
public enum WorkingDays {
    /// The calendar the system counts with.
    public static let calendar = WorkingCalendar.china

    /// The last instant of the `count`-th working day after the day of `start`.
    public static func end(after count: Int, from start: Date) -> Date {
        calendar.end(after: count, from: start)
    }

    public static func isWorkingDay(_ day: LocalDate) -> Bool { calendar.isWorkingDay(day) }
}
