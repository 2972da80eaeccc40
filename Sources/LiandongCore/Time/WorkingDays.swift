import Foundation

/// Working days in China time, Monday to Friday. Public holidays and their make-up working days
/// (调休) are announced year by year; they are not modelled, so a window that spans a holiday is
/// the longer by it only if an officer extends it by hand.
public enum WorkingDays {
    /// The last instant of the `count`-th working day after the day of `start`.
    public static func end(after count: Int, from start: Date) -> Date {
        var day = LocalDate(start)
        var remaining = count
        while remaining > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { remaining -= 1 }
        }
        return day.adding(days: 1).start.addingTimeInterval(-1)
    }

    public static func isWorkingDay(_ day: LocalDate) -> Bool {
        let weekday = day.weekday // 0 = Sunday
        return weekday != 0 && weekday != 6
    }
}
