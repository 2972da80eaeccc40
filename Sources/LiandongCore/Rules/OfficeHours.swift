import Foundation

/// Office hours (mechanism.md §5 "Working days and office hours"): 08:30–12:00 and 14:00–17:30
/// on working days by the calendar. Outside them (nights, weekends, holidays) a level-1 unit
/// must still answer its duty phone: Annex 2 asks level-1 units for a 24-hour duty, and Annex 1
/// item 8 begins 一级应急联动部门未按规定建立24小时值班制度.
public struct OfficeHours: Hashable, Sendable, Codable {
    /// One stretch of the working day, `from` included, `to` excluded: a call at 17:29:59 is in
    /// office hours, one at 17:30:00 is not.
    public struct Span: Hashable, Sendable, Codable {
        /// `08:30`, China time.
        public var from: String
        public var to: String

        public init(from: String, to: String) { self.from = from; self.to = to }

        /// Seconds since midnight of `from` and `to`; nil when either is not `HH:mm`.
        public var seconds: (from: Int, to: Int)? {
            guard let a = Self.seconds(from), let b = Self.seconds(to) else { return nil }
            return (a, b)
        }

        static func seconds(_ text: String) -> Int? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let h = Int(parts[0]), let m = Int(parts[1]),
                  (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 24 * 60 else { return nil }
            return (h * 60 + m) * 60
        }
    }

    public var spans: [Span]
    /// How many times a quarter the monthly phone-check campaigns call each level-1 unit's duty
    /// phone outside office hours, to see that its 24-hour duty stands (0: never).
    public var outOfHoursChecksPerQuarter: Int

    public init(spans: [Span], outOfHoursChecksPerQuarter: Int) {
        self.spans = spans; self.outOfHoursChecksPerQuarter = outOfHoursChecksPerQuarter
    }

    public static let standard = OfficeHours(
        spans: [Span(from: "08:30", to: "12:00"), Span(from: "14:00", to: "17:30")], outOfHoursChecksPerQuarter: 1)

    /// Whether an instant falls in office hours: a working day by the calendar, within a span.
    public func contains(_ instant: Date, calendar: WorkingCalendar) -> Bool {
        guard calendar.isWorkingDay(LocalDate(instant)) else { return false }
        let c = ChinaTime.wallClock(instant)
        let second = c.hour * 3600 + c.minute * 60 + c.second
        return spans.contains { span in span.seconds.map { $0.from <= second && second < $0.to } ?? false }
    }

    /// `08:30–12:00、14:00–17:30`, as pages and reasons say it.
    public var chinese: String { spans.map { "\($0.from)–\($0.to)" }.joined(separator: "、") }

    /// What is wrong with the figures, for a rule-set revision.
    var problems: [String] {
        var found: [String] = []
        var previousEnd = -1
        for span in spans {
            guard let s = span.seconds else { found.append("办公时间“\(span.from)–\(span.to)”应写作 HH:mm"); continue }
            if s.from >= s.to { found.append("办公时间“\(span.from)–\(span.to)”的开始应早于结束") }
            if s.from < previousEnd { found.append("办公时间各段不应重叠，且应按时间先后排列") }
            previousEnd = s.to
        }
        if spans.isEmpty { found.append("至少应有一段办公时间") }
        if !(0...3).contains(outOfHoursChecksPerQuarter) { found.append("每季度非工作时间抽查次数应为0至3次") }
        return found
    }
}
