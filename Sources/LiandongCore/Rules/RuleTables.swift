/// A default figure as users read it: which finding, in words, and its points.
public struct DefaultFigure: Hashable, Sendable {
    public let kind: FindingKind
    public let label: String
    public let points: Points
}

/// The rule set laid out for people: what each item costs by default. Pages, the API and
/// `rules list` all read these, so the figures shown are those applied.
public enum RuleTables {
    public static func defaultFigures(for item: DeductionItemID, rules: RuleSet) -> [DefaultFigure] {
        if item == .d9 {
            var lower = 0
            return rules.latenessBands.map { band in
                defer { lower = band.upTo?.minutes ?? lower }
                let label: String
                switch (lower, band.upTo) {
                case (0, let upper?): label = "迟到不超过\(upper.minutes)分钟"
                case (_, let upper?): label = "迟到超过\(lower)分钟、不超过\(upper.minutes)分钟"
                case (_, nil): label = "迟到超过\(lower)分钟"
                }
                return DefaultFigure(kind: .lateArrival, label: label, points: band.points)
            }
        }
        return FindingKind.allCases.compactMap { kind in
            guard kind.item == item, let points = rules.defaultPoints(for: kind) else { return nil }
            return DefaultFigure(kind: kind, label: kind.label, points: points)
        }
    }
}
