import Foundation

/// The times a fact the mechanism judges can bear (issue: dates that cannot be): a dispatch
/// event or a check happened on or after the mechanism's first day and no later than a little
/// past now (`RuleSet.mechanismStart`, `RuleSet.futureToleranceHours`). Anything else is a typing
/// or clock error and is refused naming the field, before it is judged.
public struct FactDates: Hashable, Sendable {
    /// 00:00 China time of the mechanism's first day: the earliest instant accepted.
    public var earliest: Date
    /// Now plus the tolerance: the latest instant accepted.
    public var latest: Date
    public var mechanismStart: LocalDate
    public var toleranceHours: Int

    public init(mechanismStart: LocalDate, now: Date, toleranceHours: Int) {
        self.mechanismStart = mechanismStart
        self.toleranceHours = toleranceHours
        self.earliest = mechanismStart.start
        self.latest = now.addingTimeInterval(Double(toleranceHours) * 3600)
    }

    /// The bounds as the rule set in force now sets them.
    public init(rules: RuleBook, now: Date) {
        let set = rules.inForce(at: now)
        self.init(mechanismStart: set.mechanismStart, now: now, toleranceHours: set.futureToleranceHours)
    }

    /// No bounds (tests and tools that replay synthetic years).
    public static let unbounded = FactDates(earliest: .distantPast, latest: .distantFuture, mechanismStart: LocalDate(year: 1, month: 1, day: 1)!)

    init(earliest: Date, latest: Date, mechanismStart: LocalDate) {
        self.earliest = earliest; self.latest = latest; self.mechanismStart = mechanismStart; self.toleranceHours = 0
    }

    /// Why an instant cannot be a fact's time, in words a clerk can read; nil when it can.
    /// `written` is the time as the sender wrote it.
    public func problem(_ instant: Date, written: String? = nil) -> String? {
        let shown = written.map { "“\($0)”" } ?? Self.text(instant)
        if instant < earliest {
            return "时间\(shown)早于机制施行之日（\(mechanismStart.chinese)），不能据以判定"
        }
        if instant > latest {
            return "时间\(shown)晚于当前时间\(toleranceHours)小时以上（最晚可为\(Self.text(latest))），请核对日期和时钟"
        }
        return nil
    }

    /// `2026年6月2日 10:00:01`: to the second, since the bounds are.
    static func text(_ date: Date) -> String {
        var out = ChinaTime.displayString(date) + ":"
        ChinaTime.pad(ChinaTime.wallClock(date).second, 2, &out)
        return out
    }

    /// A day (a meeting, a provincial notice) on or after the mechanism's first day.
    public func problem(day: LocalDate) -> String? {
        day < mechanismStart ? "日期\(day.chinese)早于机制施行之日（\(mechanismStart.chinese)），不能据以判定" : nil
    }
}
