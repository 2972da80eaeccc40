import Foundation

/// All times of the mechanism are China Standard Time (UTC+08:00, mechanism.md §5 "Time").
/// China has no daylight saving time, so a fixed offset is exact.
public enum ChinaTime {
    public static let secondsFromGMT = 8 * 3600
    public static let zone = TimeZone(secondsFromGMT: secondsFromGMT)!

    public static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.locale = Locale(identifier: "zh_CN")
        return calendar
    }

    /// Parses an ISO 8601 timestamp. An explicit offset (`+08:00`, `Z`) is honoured; a timestamp
    /// without one is read as China time. Seconds are optional; fractional seconds are accepted.
    /// A space may stand for the `T` (as spreadsheets write it).
    public static func parseTimestamp(_ raw: String) -> Date? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        func group(_ i: Int) -> String? {
            guard let range = Range(match.range(at: i), in: text) else { return nil }
            return String(text[range])
        }
        guard let year = Int(group(1)!), let month = Int(group(2)!), let day = Int(group(3)!),
              let hour = Int(group(4)!), let minute = Int(group(5)!)
        else { return nil }
        let second = group(6).flatMap(Int.init) ?? 0
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        var offset = secondsFromGMT
        if let zoneText = group(8) {
            if zoneText == "Z" {
                offset = 0
            } else {
                let sign = zoneText.hasPrefix("-") ? -1 : 1
                let digits = zoneText.dropFirst().replacingOccurrences(of: ":", with: "")
                guard digits.count == 4, let hh = Int(digits.prefix(2)), let mm = Int(digits.suffix(2)),
                      hh <= 14, mm < 60
                else { return nil }
                offset = sign * (hh * 3600 + mm * 60)
            }
        }
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset)!
        guard let date = calendar.date(from: components) else { return nil }
        // Reject dates the calendar silently rolled over (2026-02-30 → 2026-03-02).
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        var fraction = 0.0
        if let frac = group(7) { fraction = Double("0." + frac) ?? 0 }
        return date.addingTimeInterval(fraction)
    }

    /// `2026-03-04T09:10:00+08:00`
    public static func isoString(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d+08:00", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// `2026年3月4日 09:10`, the way dates are written for users.
    public static func displayString(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%d年%d月%d日 %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }
}

/// A calendar day in China time (effective dates, due dates, periods).
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        guard (1...12).contains(month), (1...31).contains(day),
              let date = ChinaTime.calendar.date(from: components),
              ChinaTime.calendar.component(.day, from: date) == day
        else { return nil }
        self.year = year; self.month = month; self.day = day
    }

    /// The China-time day on which `date` falls.
    public init(_ date: Date) {
        let c = ChinaTime.calendar.dateComponents([.year, .month, .day], from: date)
        self.year = c.year!; self.month = c.month!; self.day = c.day!
    }

    /// Parses `2026-03-04`.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Midnight at the start of this day, China time.
    public var start: Date {
        var components = DateComponents()
        components.year = year; components.month = month; components.day = day
        return ChinaTime.calendar.date(from: components)!
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(ChinaTime.calendar.date(byAdding: .day, value: days, to: start)!)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
    /// `2026年3月4日` (GB/T 9704 writes dates in Arabic numerals without leading zeros).
    public var chinese: String { "\(year)年\(month)月\(day)日" }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date YYYY-MM-DD: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
