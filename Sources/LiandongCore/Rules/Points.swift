/// Deduction points, exact to a tenth (the notice counts in 0.5 steps; provincial figures may be
/// finer). Stored as an integer number of tenths so that sums never drift.
public struct Points: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, AdditiveArithmetic {
    public let tenths: Int

    public init(tenths: Int) { self.tenths = tenths }

    /// `Points(1.5)`; values are rounded to the nearest tenth.
    public init(_ value: Double) { self.tenths = Int((value * 10).rounded()) }

    /// Parses `1.5`, `1`, `0.5`, `1.5分`. Returns nil for anything finer than a tenth or not a number.
    public init?(parsing text: String) {
        var key = text.trimmingCharacters(in: .whitespaces)
        if key.hasSuffix("分") { key.removeLast() }
        guard let value = Double(key), value.isFinite else { return nil }
        let tenths = value * 10
        guard abs(tenths - tenths.rounded()) < 1e-9 else { return nil }
        self.tenths = Int(tenths.rounded())
    }

    public var value: Double { Double(tenths) / 10 }

    /// One decimal, always: `1.0`, `0.5`, `100.0`.
    public var description: String {
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// As prose writes a figure (「扣2分」, 「扣1.5分」): no trailing 「.0」. Tables, CSV and JSON
    /// keep `description` and `value`.
    public var wording: String {
        tenths % 10 == 0 ? String(tenths / 10) : description
    }

    public static let zero = Points(tenths: 0)
    public static func + (a: Points, b: Points) -> Points { Points(tenths: a.tenths + b.tenths) }
    public static func - (a: Points, b: Points) -> Points { Points(tenths: a.tenths - b.tenths) }
    public static func * (a: Points, factor: Int) -> Points { Points(tenths: a.tenths * factor) }
    public static func < (a: Points, b: Points) -> Bool { a.tenths < b.tenths }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(Double.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The range within which the two agencies may set an item's points (Annex 1: 每项扣0.5至2分).
public struct PointsRange: Hashable, Sendable, Codable {
    public var minimum: Points
    public var maximum: Points
    /// Figures move in steps of this size (mechanism.md §5: steps of 0.5).
    public var step: Points

    public init(minimum: Points, maximum: Points, step: Points) {
        self.minimum = minimum; self.maximum = maximum; self.step = step
    }

    public func allows(_ points: Points) -> Bool {
        points >= minimum && points <= maximum && (points.tenths - minimum.tenths) % step.tenths == 0
    }

    /// Every figure allowed, low to high (for pickers).
    public var allowedValues: [Points] {
        stride(from: minimum.tenths, through: maximum.tenths, by: step.tenths).map(Points.init(tenths:))
    }

    /// `0.5至2.0分,以0.5分为单位`
    public var chinese: String { "\(minimum)至\(maximum)分，以\(step)分为单位" }
}
