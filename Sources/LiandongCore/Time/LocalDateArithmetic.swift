import Foundation

extension LocalDate {
    /// The same calendar date `years` later; 29 February becomes 28 February in a common year
    /// (a three-year cycle from 2024-02-29 ends on 2027-02-28).
    public func adding(years: Int) -> LocalDate {
        LocalDate(ChinaTime.calendar.date(byAdding: .year, value: years, to: start)!)
    }

    /// The day's last second, China time: when a shortfall of a day or a year becomes final.
    public var lastInstant: Date { adding(days: 1).start.addingTimeInterval(-1) }
}
