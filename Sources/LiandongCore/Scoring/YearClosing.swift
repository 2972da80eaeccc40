import Foundation

/// The closing of a year's assessment (年度考核结算, issue 15 item 5, mechanism §6): the city PLC
/// closes a year once it has ended; its figures then never change, and what is confirmed or
/// changed later for that year counts in the next open year, marked as carried over (上年度补扣).
/// Reopening takes the city PLC and an administrator, two people.
public enum YearClosing {
    /// The mark of a deduction counted in a later year than the one its fact occurred in.
    public static let carriedOverMark = "上年度补扣"

    /// The two sides of a reopening: one asks, the other agrees.
    public enum Side: String, Sendable, Codable, CaseIterable {
        case plc, admin
        public var name: String {
            switch self {
            case .plc: "市委政法委"
            case .admin: "系统管理员"
            }
        }
    }

    /// Why a year may not be closed now; nil: it may.
    /// A year is closed only after it has ended in China time: its last day is over.
    public static func refusalToClose(year: Int, now: Date, closed: Set<Int>) -> String? {
        if closed.contains(year) { return "\(year)年度考核已结算，不能重复结算" }
        if LocalDate(now).year <= year { return "\(year)年度尚未结束（按北京时间），须在\(year + 1)年1月1日以后结算" }
        return nil
    }

    /// Why a year may not be reopened; nil: it may. A later year that is closed has already
    /// counted what was carried over into it, so it is reopened first.
    public static func refusalToReopen(year: Int, closed: Set<Int>) -> String? {
        guard closed.contains(year) else { return "\(year)年度考核未结算，无需重开" }
        if let later = closed.filter({ $0 > year }).min() { return "\(later)年度考核已结算，须先重开\(later)年度" }
        return nil
    }

    /// The first year after `year` that is not closed.
    public static func nextOpenYear(after year: Int, closed: Set<Int>) -> Int {
        var y = year + 1
        while closed.contains(y) { y += 1 }
        return y
    }

    /// The month (`YYYY-MM`) a carried-over deduction counts in: the month of the decision when
    /// it falls in the receiving year, otherwise that year's last month (the decision came after
    /// the receiving year ended, before it was closed).
    public static func carriedMonth(into year: Int, decidedAt: Date) -> String {
        let day = LocalDate(decidedAt)
        let month = day.year == year ? day.month : (day.year > year ? 12 : 1)
        return String(format: "%04d-%02d", year, month)
    }

    /// The year of a `YYYY-MM` month key.
    public static func year(ofMonth key: String) -> Int? { Int(key.prefix(4)) }
}
