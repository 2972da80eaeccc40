import Foundation

/// A span of days in China time: a month, a quarter, a half-year, a year, or any range.
/// `end` is exclusive, so consecutive periods meet without overlapping.
public struct Period: Hashable, Sendable, CustomStringConvertible {
    public let start: LocalDate
    /// The first day after the period.
    public let end: LocalDate
    /// `2026年第一季度`, `2026年3月`, `2026年`, `2026年3月1日至2026年3月15日`.
    public let label: String

    public init(start: LocalDate, end: LocalDate, label: String? = nil) {
        self.start = start
        self.end = end
        self.label = label ?? "\(start.chinese)至\(end.adding(days: -1).chinese)"
    }

    public var startInstant: Date { start.start }
    public var endInstant: Date { end.start }
    public var description: String { label }

    public func contains(_ instant: Date) -> Bool { instant >= startInstant && instant < endInstant }

    public static func month(_ year: Int, _ month: Int) -> Period {
        let start = LocalDate(year: year, month: month, day: 1)!
        let end = month == 12 ? LocalDate(year: year + 1, month: 1, day: 1)! : LocalDate(year: year, month: month + 1, day: 1)!
        return Period(start: start, end: end, label: "\(year)年\(month)月")
    }

    public static func quarter(_ year: Int, _ quarter: Int) -> Period {
        let start = LocalDate(year: year, month: (quarter - 1) * 3 + 1, day: 1)!
        let end = quarter == 4 ? LocalDate(year: year + 1, month: 1, day: 1)! : LocalDate(year: year, month: quarter * 3 + 1, day: 1)!
        return Period(start: start, end: end, label: "\(year)年第\(ChineseNumeral.of(quarter))季度")
    }

    public static func halfYear(_ year: Int, _ half: Int) -> Period {
        let start = LocalDate(year: year, month: half == 1 ? 1 : 7, day: 1)!
        let end = half == 1 ? LocalDate(year: year, month: 7, day: 1)! : LocalDate(year: year + 1, month: 1, day: 1)!
        return Period(start: start, end: end, label: "\(year)年\(half == 1 ? "上" : "下")半年")
    }

    public static func year(_ year: Int) -> Period {
        Period(start: LocalDate(year: year, month: 1, day: 1)!, end: LocalDate(year: year + 1, month: 1, day: 1)!, label: "\(year)年")
    }

    /// Parses `2026`, `2026-H1`, `2026-Q1`, `2026-03`.
    public static func parse(_ text: String) -> Period? {
        let key = text.trimmingCharacters(in: .whitespaces).uppercased()
        let parts = key.split(separator: "-").map(String.init)
        guard let first = parts.first, first.count == 4, let year = Int(first), (2000...2100).contains(year) else { return nil }
        if parts.count == 1 { return .year(year) }
        guard parts.count == 2 else { return nil }
        let second = parts[1]
        if second.hasPrefix("Q"), let q = Int(second.dropFirst()), (1...4).contains(q), second.count == 2 { return .quarter(year, q) }
        if second.hasPrefix("H"), let h = Int(second.dropFirst()), (1...2).contains(h), second.count == 2 { return .halfYear(year, h) }
        if second.count == 2, let m = Int(second), (1...12).contains(m) { return .month(year, m) }
        return nil
    }

    /// The month, quarter, half-year or year containing a day.
    public static func containing(_ day: LocalDate, _ kind: SupervisionDuty.Period) -> Period {
        switch kind {
        case .month: .month(day.year, day.month)
        case .quarter: .quarter(day.year, (day.month - 1) / 3 + 1)
        case .halfYear: .halfYear(day.year, day.month <= 6 ? 1 : 2)
        case .year: .year(day.year)
        }
    }

    /// The calendar months the period touches, in order.
    public var months: [Period] {
        var result: [Period] = []
        var cursor = Period.month(start.year, start.month)
        while cursor.start < end {
            result.append(cursor)
            cursor = Period.month(cursor.end.year, cursor.end.month)
        }
        return result
    }
}
