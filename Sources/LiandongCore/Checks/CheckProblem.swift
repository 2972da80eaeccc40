import Foundation

/// A problem with a check or drill record as entered, named by field so the form (or the import
/// file) can point at it. Field names are those of the import format (`attempts[1].at`,
/// `units[0].arrived_at`), so an import error and a form error name the same thing.
public struct CheckProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    /// What is wrong, in words a clerk can read (Chinese).
    public let message: String

    public init(field: String, message: String) {
        self.field = field; self.message = message
    }

    public var description: String { field.isEmpty ? message : "「\(field)」：\(message)" }
}

/// Times as reasons print them: `09:10`, or `09:10:30` when the seconds are not zero.
enum ClockText {
    static func of(_ date: Date) -> String {
        let c = ChinaTime.wallClock(date)
        var text = String()
        ChinaTime.pad(c.hour, 2, &text); text += ":"; ChinaTime.pad(c.minute, 2, &text)
        if c.second != 0 { text += ":"; ChinaTime.pad(c.second, 2, &text) }
        return text
    }
}

/// Identifiers and names that people and other systems give (check ids, event ids, unit names)
/// end up in page addresses and in headers: none may carry a control character (a CR or LF
/// there would end a header and start another).
public enum IdentifierText {
    /// A control character (C0 or DEL).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }

    public static func hasControlCharacters(_ text: String) -> Bool { text.utf8.contains { $0 < 0x20 || $0 == 0x7F } }

    /// What a clerk is told when an identifier has one.
    public static let controlCharacterMessage = "不能包含换行等控制字符"
}
