import Foundation

extension LocalDate {
    /// The same calendar date `years` later; 29 February becomes 28 February in a common year
    /// (a three-year cycle from 2024-02-29 ends on 2027-02-28).
    public func adding(years: Int) -> LocalDate {
        let y = year + years
        return LocalDate(year: y, month: month, day: min(day, ChinaTime.daysIn(month: month, year: y)))!
    }

    /// The day's last second, China time: when a shortfall of a day or a year becomes final.
    public var lastInstant: Date { adding(days: 1).start.addingTimeInterval(-1) }
}
