import Foundation

/// The working calendar of China (mechanism.md, "Working days and office hours"): Monday to
/// Friday, except the public holidays of the State Council's yearly notice
/// (国务院办公厅关于某年部分节假日安排的通知), plus its make-up working days (调休上班, a Saturday or
/// Sunday). The calendar is data, passed in as a value: the server builds it from the years its
/// database holds (`HolidayNotice.shipped` seeds 2020–2026; administrators import the others).
/// A year the calendar does not cover counts Monday to Friday, and every count that went
/// through such a year says so (`WorkingDeadline.assumedYears`).
public struct WorkingCalendar: Sendable, Equatable {
    /// The years held, by year.
    public let notices: [HolidayNotice]
    /// Days off (放假): weekdays and weekend days of the holiday periods.
    public let holidays: Set<LocalDate>
    /// Weekend days that are working days (调休上班).
    public let makeUpDays: Set<LocalDate>
    /// The years whose notice the calendar holds.
    public let years: Set<Int>
    private let names: [LocalDate: String]

    public init(notices: [HolidayNotice]) {
        // One notice per year: a later one for the same year replaces the earlier.
        var byYear: [Int: HolidayNotice] = [:]
        for notice in notices { byYear[notice.year] = notice }
        let sorted = byYear.values.sorted { $0.year < $1.year }
        var holidays = Set<LocalDate>(), makeUps = Set<LocalDate>(), names: [LocalDate: String] = [:]
        for notice in sorted {
            for holiday in notice.holidays {
                for day in holiday.days { holidays.insert(day); names[day] = holiday.name }
            }
            for day in notice.makeUpDays {
                makeUps.insert(day.date)
                if let name = day.name { names[day.date] = name }
            }
        }
        self.notices = sorted
        self.holidays = holidays
        self.makeUpDays = makeUps
        self.years = Set(sorted.map(\.year))
        self.names = names
    }

    /// No notice at all: Monday to Friday throughout.
    public static let mondayToFriday = WorkingCalendar(notices: [])

    /// The notices shipped with the system (2020–2026).
    public static let shipped = WorkingCalendar(notices: HolidayNotice.shipped)

    public func notice(for year: Int) -> HolidayNotice? { notices.first { $0.year == year } }

    /// Whether the year's notice is in the calendar; a year that is not counts Monday to Friday.
    public func covers(_ year: Int) -> Bool { years.contains(year) }


    public func isWorkingDay(_ day: LocalDate) -> Bool {
        if makeUpDays.contains(day) { return true }
        if holidays.contains(day) { return false }
        let weekday = day.weekday // 0 = Sunday
        return weekday != 0 && weekday != 6
    }

    /// What a day is, for the people reading the calendar.
    public enum DayKind: Equatable, Sendable {
        case workday
        case weekend
        /// A day off of a holiday period (its name: 春节 …).
        case holiday(String)
        /// A weekend day worked (the holiday it belongs to, when the notice says).
        case makeUp(String?)
    }

    public func kind(of day: LocalDate) -> DayKind {
        if makeUpDays.contains(day) { return .makeUp(names[day]) }
        if holidays.contains(day) { return .holiday(names[day] ?? "") }
        return day.weekday == 0 || day.weekday == 6 ? .weekend : .workday
    }

    /// The years among `first...last` the calendar does not cover, in order.
    public func uncoveredYears(from first: LocalDate, through last: LocalDate) -> [Int] {
        guard first <= last else { return [] }
        return (first.year...last.year).filter { !covers($0) }
    }

    /// The last instant of the `count`-th working day after the day of `start`.
    public func end(after count: Int, from start: Date) -> Date {
        deadline(after: count, from: start).end
    }

    /// The `count`-th working day after the day of `start` (the day of `start` itself not
    /// counted), and the years counted Monday to Friday on the way for want of their notice.
    public func deadline(after count: Int, from start: Date) -> WorkingDeadline {
        deadline(after: count, fromDay: LocalDate(start))
    }

    public func deadline(after count: Int, fromDay first: LocalDate) -> WorkingDeadline {
        var day = first
        var remaining = count
        while remaining > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { remaining -= 1 }
        }
        return WorkingDeadline(lastDay: day, assumedYears: count > 0 ? uncoveredYears(from: first.adding(days: 1), through: day) : [])
    }

    /// The first working day on or after `day` (a due date that falls on a day off moves to the
    /// next working day), with the years assumed Monday to Friday on the way.
    public func firstWorkingDay(onOrAfter day: LocalDate) -> WorkingDeadline {
        var current = day
        while !isWorkingDay(current) { current = current.adding(days: 1) }
        return WorkingDeadline(lastDay: current, assumedYears: uncoveredYears(from: day, through: current))
    }

    /// The words a finding's reason (or a page) carries when a count went through years the
    /// calendar does not cover; nil when it did not.
    public static func assumptionNote(_ years: [Int]) -> String? {
        guard !years.isEmpty else { return nil }
        return "（\(years.map { "\($0)年" }.joined(separator: "、"))的节假日安排尚未录入工作日历，按周一至周五计算工作日）"
    }
}

/// A deadline counted in working days.
public struct WorkingDeadline: Hashable, Sendable {
    /// The last working day allowed.
    public var lastDay: LocalDate
    /// Years counted Monday to Friday because the calendar does not hold their notice.
    public var assumedYears: [Int]

    /// The last instant of the last day, China time.
    public var end: Date { lastDay.adding(days: 1).start.addingTimeInterval(-1) }

    /// What a reason says when years were assumed; empty otherwise.
    public var note: String { WorkingCalendar.assumptionNote(assumedYears) ?? "" }
}
