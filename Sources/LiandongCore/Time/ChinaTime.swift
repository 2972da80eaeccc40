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
        var text = raw
        return text.withUTF8 { parseTimestamp(utf8: $0) }
    }

    /// The parser itself, over the bytes: the bulk paths call it hundreds of thousands of times,
    /// so it neither compiles a pattern nor asks a `Calendar`.
    public static func parseTimestamp(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        var i = start
        func digits(_ n: Int) -> Int? {
            guard end - i >= n else { return nil }
            var value = 0
            for _ in 0..<n {
                let d = Int(bytes[i]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                value = value * 10 + d
                i += 1
            }
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            guard i < end, bytes[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(0x2D), let month = digits(2), take(0x2D), let day = digits(2),
              i < end, bytes[i] == 0x54 || bytes[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), take(0x3A), let minute = digits(2) else { return nil }
        var second = 0
        var fraction = 0.0
        if take(0x3A) {
            guard let s = digits(2) else { return nil }
            second = s
            if take(0x2E) {
                var scale = 0.1, count = 0
                while i < end, bytes[i] >= 48, bytes[i] <= 57 {
                    fraction += Double(bytes[i] - 48) * scale
                    scale /= 10
                    count += 1
                    i += 1
                }
                guard (1...9).contains(count) else { return nil }
            }
        }
        var offset = secondsFromGMT
        if i < end {
            if bytes[i] == 0x5A, i + 1 == end {
                offset = 0
                i += 1
            } else if bytes[i] == 0x2B || bytes[i] == 0x2D {
                let sign = bytes[i] == 0x2D ? -1 : 1
                i += 1
                guard let hh = digits(2) else { return nil }
                _ = take(0x3A)
                guard let mm = digits(2), hh <= 14, mm < 60 else { return nil }
                offset = sign * (hh * 3600 + mm * 60)
            } else {
                return nil
            }
        }
        guard i == end, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Days since 1970-01-01 → (year, month, day): H. Hinnant's `civil_from_days`.
    static func civilFromDays(_ z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The China-time wall clock of an instant, by arithmetic (no DST in China, so the fixed
    /// offset is exact): whole seconds, fractions dropped.
    static func wallClock(_ date: Date) -> (days: Int, year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down)) + secondsFromGMT
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let (y, m, d) = civilFromDays(days)
        return (days, y, m, d, inDay / 3600, inDay % 3600 / 60, inDay % 60)
    }

    /// `2026-03-04T09:10:00+08:00`
    public static func isoString(_ date: Date) -> String {
        let c = wallClock(date)
        var out = String(); out.reserveCapacity(25)
        pad(c.year, 4, &out); out += "-"; pad(c.month, 2, &out); out += "-"; pad(c.day, 2, &out); out += "T"
        pad(c.hour, 2, &out); out += ":"; pad(c.minute, 2, &out); out += ":"; pad(c.second, 2, &out); out += "+08:00"
        return out
    }

    /// `2026年3月4日 09:10`, the way dates are written for users.
    public static func displayString(_ date: Date) -> String {
        let c = wallClock(date)
        var out = "\(c.year)年\(c.month)月\(c.day)日 "
        pad(c.hour, 2, &out); out += ":"; pad(c.minute, 2, &out)
        return out
    }

    /// Appends `value` with leading zeros to `width` digits.
    static func pad(_ value: Int, _ width: Int, _ out: inout String) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }
}

/// A calendar day in China time (effective dates, due dates, periods).
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= ChinaTime.daysIn(month: month, year: year) else { return nil }
        self.year = year; self.month = month; self.day = day
    }

    /// The China-time day on which `date` falls.
    public init(_ date: Date) {
        let c = ChinaTime.wallClock(date)
        self.year = c.year; self.month = c.month; self.day = c.day
    }

    /// The day `dayNumber` days after 1970-01-01.
    public init(dayNumber: Int) {
        let (y, m, d) = ChinaTime.civilFromDays(dayNumber)
        self.year = y; self.month = m; self.day = d
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int { ChinaTime.daysFromCivil(year: year, month: month, day: day) }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { ((dayNumber + 4) % 7 + 7) % 7 }

    /// Parses `2026-03-04`.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Midnight at the start of this day, China time.
    public var start: Date {
        Date(timeIntervalSince1970: Double(dayNumber * 86_400 - ChinaTime.secondsFromGMT))
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(dayNumber: dayNumber + days)
    }

    public var description: String {
        var out = String(); out.reserveCapacity(10)
        ChinaTime.pad(year, 4, &out); out += "-"; ChinaTime.pad(month, 2, &out); out += "-"; ChinaTime.pad(day, 2, &out)
        return out
    }
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
