import Foundation
import Testing
@testable import LiandongCore

@Suite("The working calendar of China")
struct WorkingCalendarTests {
    func day(_ text: String) -> LocalDate { LocalDate(text)! }

    @Test(arguments: [
        ("2026-01-01", false), ("2026-01-02", false), ("2026-01-04", true),   // 元旦, and Sunday 1-4 worked
        ("2026-02-14", true), ("2026-02-16", false), ("2026-02-23", false), ("2026-02-24", true), ("2026-02-28", true),  // 春节
        ("2026-04-06", false), ("2026-05-01", false), ("2026-05-05", false), ("2026-05-09", true),
        ("2026-06-19", false), ("2026-09-20", true), ("2026-09-25", false), ("2026-10-07", false), ("2026-10-08", true),
        ("2026-10-10", true), ("2026-10-11", false),
        ("2025-01-26", true), ("2025-02-04", false), ("2025-10-08", false), ("2025-10-11", true),
        ("2026-03-06", true), ("2026-03-07", false),                           // an ordinary Friday and Saturday
    ])
    func workingDays(_ text: String, _ working: Bool) {
        #expect(WorkingDays.isWorkingDay(day(text)) == working, "\(text)")
    }

    @Test func aYearNotYetPublishedCountsMondayToFriday() {
        #expect(!WorkingDays.calendar.years.contains(2031))
        #expect(WorkingDays.isWorkingDay(day("2031-10-01")))   // a Wednesday
        #expect(!WorkingDays.isWorkingDay(day("2031-10-04")))  // a Saturday
    }

    @Test func theShippedNoticesHoldOnlyWeekdaysOffAndWeekendsWorked() {
        let calendar = WorkingDays.calendar
        #expect(calendar.years == [2025, 2026])
        // A make-up day is a Saturday or Sunday; every holiday period holds its weekdays.
        #expect(calendar.makeUpDays.allSatisfy { [0, 6].contains($0.weekday) })
        #expect(calendar.makeUpDays.isDisjoint(with: calendar.holidays))
        // 2026: 19 weekdays off (元旦 2, 春节 6, 清明 1, 劳动节 3, 端午 1, 中秋 1, 国庆 5).
        let weekdaysOff = calendar.holidays.filter { $0.year == 2026 && ![0, 6].contains($0.weekday) }
        #expect(weekdaysOff.count == 19)
    }
}
