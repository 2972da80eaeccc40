/// A time limit, exact to the second.
public struct TimeLimit: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let seconds: Int
    public init(seconds: Int) { self.seconds = seconds }
    public static func minutes(_ m: Int) -> TimeLimit { TimeLimit(seconds: m * 60) }
    /// Whole minutes (the limits are stated in minutes).
    public var minutes: Int { seconds / 60 }
    /// `20分钟`, or `20分30秒` for a limit that is not whole minutes.
    public var description: String {
        seconds % 60 == 0 ? "\(minutes)分钟" : "\(minutes)分\(seconds % 60)秒"
    }
    public static func < (a: TimeLimit, b: TimeLimit) -> Bool { a.seconds < b.seconds }

    public init(from decoder: any Decoder) throws { seconds = try decoder.singleValueContainer().decode(Int.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer(); try c.encode(seconds)
    }
}

/// Annex 1 item 9 and Annex 2: how soon the first responders must be on scene, counted from
/// the moment the instruction reached the unit.
public struct ResponseLimits: Hashable, Sendable, Codable {
    /// 公安部门首批应急力量10分钟内到达
    public var publicSecurity: TimeLimit
    /// 一级联动部门首批应急处置力量20分钟到达
    public var levelOne: TimeLimit
    /// 非一级联动部门首批应急处置力量30分钟到达 (level 2)
    public var levelTwo: TimeLimit
    /// Level 3: the same 30 minutes, and only when on-site response is needed (Annex 2 三(二)).
    public var levelThree: TimeLimit

    public init(publicSecurity: TimeLimit, levelOne: TimeLimit, levelTwo: TimeLimit, levelThree: TimeLimit) {
        self.publicSecurity = publicSecurity; self.levelOne = levelOne
        self.levelTwo = levelTwo; self.levelThree = levelThree
    }

    /// The limit that applies to a unit. The public-security flag wins over the level.
    public func limit(for level: UnitLevel, publicSecurity isPolice: Bool) -> TimeLimit {
        if isPolice { return publicSecurity }
        switch level {
        case .one: return levelOne
        case .two: return levelTwo
        case .three: return levelThree
        }
    }
}

/// The D9 points for a late arrival, by how late (mechanism.md §5 default points).
public struct LatenessBand: Hashable, Sendable, Codable {
    /// Late by more than the previous band's bound and at most this; nil: without bound.
    public var upTo: TimeLimit?
    public var points: Points

    public init(upTo: TimeLimit?, points: Points) { self.upTo = upTo; self.points = points }
}

/// The judgement of one arrival against its limit.
public struct ArrivalJudgement: Hashable, Sendable {
    public let limit: TimeLimit
    /// Whole seconds from instruction (or notification) to arrival.
    public let elapsedSeconds: Int
    public var onTime: Bool { elapsedSeconds <= limit.seconds }
    /// Seconds beyond the limit; 0 when on time.
    public var lateBySeconds: Int { max(0, elapsedSeconds - limit.seconds) }
    /// The D9 points the lateness costs by default; nil when on time.
    public let points: Points?
}
