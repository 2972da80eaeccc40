/// The level (级别) of a linkage unit, Annex 2.
public enum UnitLevel: Int, Sendable, Codable, CaseIterable, Comparable {
    case one = 1
    case two = 2
    case three = 3

    public var name: String {
        switch self {
        case .one: "一级"
        case .two: "二级"
        case .three: "三级"
        }
    }

    /// Accepts `1`, `一级`, `1级`, `一`, `一级联动单位`.
    public init?(parsing text: String) {
        var key = text.trimmingCharacters(in: .whitespaces)
        for suffix in ["联动单位", "联动部门", "级"] where key.hasSuffix(suffix) {
            key = String(key.dropLast(suffix.count))
        }
        switch key {
        case "1", "一", "1.0": self = .one
        case "2", "二", "2.0": self = .two
        case "3", "三", "3.0": self = .three
        default: return nil
        }
    }

    public static func < (a: UnitLevel, b: UnitLevel) -> Bool { a.rawValue < b.rawValue }

    /// Annex 2 asks the responders of level-1 and level-2 units to wear the 应急联动 vest (units
    /// with their own uniform excepted); level-3 units have no such duty.
    public var wearsVest: Bool { self != .three }
}

/// What kind of body a unit is. It decides the default of the `ranked` flag: companies, the
/// military and vertically managed bodies are notified of their deductions but not ranked
/// in the comprehensive assessment (mechanism.md §5 "Assessment score").
public enum UnitKind: String, Sendable, Codable, CaseIterable {
    /// 市直部门 / 政府机关
    case department
    /// 事业单位
    case institution
    /// 企业
    case enterprise
    /// 军队、武警
    case military
    /// 垂直管理单位 (managed by a provincial or national body)
    case vertical

    public var name: String {
        switch self {
        case .department: "部门"
        case .institution: "事业单位"
        case .enterprise: "企业"
        case .military: "军队武警"
        case .vertical: "垂直管理"
        }
    }

    public var rankedByDefault: Bool { self == .department || self == .institution }

    public init?(parsing text: String) {
        let key = text.trimmingCharacters(in: .whitespaces)
        guard let kind = Self.allCases.first(where: { $0.rawValue == key.lowercased() || $0.name == key }) else { return nil }
        self = kind
    }
}
