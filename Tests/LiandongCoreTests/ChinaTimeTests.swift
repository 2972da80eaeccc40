import Foundation
import Testing
@testable import LiandongCore

/// China-time arithmetic is done by hand (no Calendar on the hot paths); Foundation's Gregorian
/// calendar in UTC+8 is the reference it must agree with.
@Suite("China time: dates and clocks by arithmetic agree with Foundation's calendar")
struct ChinaTimeTests {
    static var reference: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar
    }

    @Test func wallClockMatchesCalendarOverCenturies() {
        var generator = SystemRandomNumberGenerator()
        let calendar = Self.reference
        // Around the epoch and the day boundaries, then random instants 1900–2200.
        var instants: [Double] = [-1, 0, 1, -28_800, -28_801, 86_399, 86_400, 951_782_400, 1_772_553_599, 1_772_553_600]
        for _ in 0..<5000 { instants.append(Double(Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator)) + Double.random(in: 0..<1)) }
        for t in instants {
            let date = Date(timeIntervalSince1970: t)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
            let mine = ChinaTime.wallClock(date)
            let got: [Int] = [mine.year, mine.month, mine.day, mine.hour, mine.minute, mine.second]
            let want: [Int] = [c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!]
            #expect(got == want, "at \(t)")
            let day = LocalDate(date)
            #expect(day.weekday == c.weekday! - 1, "weekday at \(t)")
            #expect(day.start == calendar.startOfDay(for: date), "start of day at \(t)")
        }
    }

    @Test func formattingIsZeroPadded() {
        let date = ChinaTime.parseTimestamp("2026-03-04T09:05:07+08:00")!
        #expect(ChinaTime.isoString(date) == "2026-03-04T09:05:07+08:00")
        #expect(ChinaTime.displayString(date) == "2026年3月4日 09:05")
        // Midnight in China is 16:00 UTC the day before.
        #expect(ChinaTime.isoString(ChinaTime.parseTimestamp("2026-03-03T16:00:00Z")!) == "2026-03-04T00:00:00+08:00")
        #expect(ChinaTime.isoString(ChinaTime.parseTimestamp("2026-03-03T15:59:59.999Z")!) == "2026-03-03T23:59:59+08:00")
        #expect(LocalDate(year: 987, month: 6, day: 5)!.description == "0987-06-05")
    }

    @Test func invalidDaysAreRefused() {
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2028, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(LocalDate(year: 2026, month: 13, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 1, day: 0) == nil)
        #expect(LocalDate("2026-02-30") == nil)
    }

    @Test func addingDaysAndYearsMatchesCalendar() {
        let calendar = Self.reference
        var day = LocalDate(year: 2023, month: 12, day: 25)!
        for step in [1, 7, 30, 365, -400, 1461, -1] {
            let expected = LocalDate(calendar.date(byAdding: .day, value: step, to: day.start)!)
            #expect(day.adding(days: step) == expected)
            day = day.adding(days: step)
        }
        // 29 February three years on is 28 February; four years on it is 29 February again.
        let leap = LocalDate(year: 2024, month: 2, day: 29)!
        #expect(leap.adding(years: 3) == LocalDate(year: 2027, month: 2, day: 28)!)
        #expect(leap.adding(years: 4) == LocalDate(year: 2028, month: 2, day: 29)!)
        #expect(leap.adding(years: -1) == LocalDate(year: 2023, month: 2, day: 28)!)
    }

    @Test func workingDaysSkipWeekends() {
        // Friday 2026-03-06 10:00 + 5 working days ends Friday 2026-03-13 23:59:59.
        let friday = ChinaTime.parseTimestamp("2026-03-06T10:00:00+08:00")!
        #expect(ChinaTime.isoString(WorkingCalendar.shipped.end(after: 5, from: friday)) == "2026-03-13T23:59:59+08:00")
        // Saturday + 1 working day is Monday.
        let saturday = ChinaTime.parseTimestamp("2026-03-07T23:00:00+08:00")!
        #expect(ChinaTime.isoString(WorkingCalendar.shipped.end(after: 1, from: saturday)) == "2026-03-09T23:59:59+08:00")
    }
}
