import Foundation

/// A supervision activity that was done: a phone check made, a joint check held, a
/// consultation meeting held.
public struct SupervisionActivity: Hashable, Sendable, Codable {
    public var kind: SupervisionDuty.Kind
    public var at: Date
    /// The agencies that took part, when the record says (a drill's teams); nil when it does
    /// not: phone checks and meetings, and drills recorded before participation was kept.
    public var agencies: Set<Agency>?

    public init(kind: SupervisionDuty.Kind, at: Date, agencies: Set<Agency>? = nil) {
        self.kind = kind; self.at = at; self.agencies = agencies
    }

    /// Whether the activity does the duty: one of its kind, with every agency responsible for
    /// the duty taking part when the record says who took part. A quarterly joint check by the
    /// police alone is not the EMB's and the police's joint check (main text §二).
    public func counts(for duty: SupervisionDuty) -> Bool {
        guard kind == duty.id else { return false }
        return agencies.map { Set(duty.agencies).isSubset(of: $0) } ?? true
    }
}

/// One period of one supervision duty and how it stands.
public struct SupervisionPeriod: Hashable, Sendable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// At least the minimum was done.
        case done
        /// The current period, not yet done.
        case due
        /// Ended without the minimum: a D7 finding against each responsible agency.
        case overdue

        public var chinese: String {
            switch self {
            case .done: "已完成"
            case .due: "待完成"
            case .overdue: "已逾期"
            }
        }
    }

    public let duty: SupervisionDuty
    /// The first day of the period.
    public let start: LocalDate
    /// The first day after the period.
    public let end: LocalDate
    /// How many activities of the duty fall within the period.
    public let count: Int
    /// Activities of the duty's kind within the period that do not count for it: a joint check
    /// without every responsible agency.
    public let incomplete: Int
    public let status: SupervisionPeriod.Status

    /// The period's number within its year (March is month 3, April–June quarter 2).
    var ordinal: Int { (start.month - 1) / duty.period.months + 1 }

    /// `2026-03`, `2026-Q1`, `2026-H1`, `2026`.
    public var label: String {
        switch duty.period {
        case .month: String(format: "%04d-%02d", start.year, start.month)
        case .quarter: "\(start.year)-Q\(ordinal)"
        case .halfYear: "\(start.year)-H\(ordinal)"
        case .year: "\(start.year)"
        }
    }

    /// `2026年3月`, `2026年第一季度`, `2026年上半年`, `2026年`.
    public var chineseLabel: String {
        switch duty.period {
        case .month: "\(start.year)年\(start.month)月"
        case .quarter: "\(start.year)年第\(ChineseNumeral.of(ordinal))季度"
        case .halfYear: "\(start.year)年\(ordinal == 1 ? "上" : "下")半年"
        case .year: "\(start.year)年"
        }
    }

    /// The reference a D7 finding carries: `phone_check-2026-03`.
    public var ref: String { "\(duty.id.rawValue)-\(label)" }

    /// `（另有1次未由市应急管理局、市公安局共同参加，不计入）`, or nothing.
    public var incompleteText: String {
        incomplete == 0 ? "" : "（另有\(incomplete)次未由\(duty.agencies.map(\.name).joined(separator: "、"))共同参加，不计入）"
    }

    /// The period's last instant (China time), when a shortfall becomes final.
    public var lastInstant: Date { end.start.addingTimeInterval(-1) }

    /// Whether an instant falls within the period (China-time days).
    public func contains(_ instant: Date) -> Bool {
        let day = LocalDate(instant)
        return start <= day && day < end
    }
}

/// The supervisors' calendar (main text §二 and §四(二); mechanism.md §5 "Supervision duties"):
/// each duty of the rule set recurs by calendar month, quarter or half-year in China time, and a
/// period that ends with fewer activities than the minimum is a D7 finding (Annex 1 item 7)
/// against every agency responsible for it.
public enum SupervisionCalendar {
    /// The periods of every duty that begin on or after `from` and have begun by `asOf`, duty by
    /// duty in the rule set's order, each in time order. `from` is the first day from which the
    /// system's records of activities are complete: a period that began before it is left out,
    /// since what was done in its first part cannot be known. Pass a period's first day (e.g.
    /// 1 January) to cover whole periods.
    public static func periods(rules: RuleSet, activities: [SupervisionActivity], from: LocalDate,
                               asOf: LocalDate) -> [SupervisionPeriod] {
        guard from <= asOf else { return [] }
        var result: [SupervisionPeriod] = []
        for duty in rules.supervisionDuties {
            let months = duty.period.months
            let days = activities.filter { $0.counts(for: duty) }.map { LocalDate($0.at) }
            let short = activities.filter { $0.kind == duty.id && !$0.counts(for: duty) }.map { LocalDate($0.at) }
            var start = periodStart(containing: from, months: months)
            if start < from { start = advance(start, months: months) }
            while start <= asOf {
                let end = advance(start, months: months)
                let count = days.count { start <= $0 && $0 < end }
                let incomplete = short.count { start <= $0 && $0 < end }
                let status: SupervisionPeriod.Status =
                    count >= duty.minimumCount ? .done : (asOf < end ? .due : .overdue)
                result.append(SupervisionPeriod(duty: duty, start: start, end: end, count: count, incomplete: incomplete, status: status))
                start = end
            }
        }
        return result
    }

    /// One D7 finding per responsible agency for each overdue period (a period still running
    /// yields none, whatever its count so far). Dated at the period's last instant.
    public static func missedDutyFindings(rules: RuleSet, activities: [SupervisionActivity], from: LocalDate,
                                          asOf: LocalDate) -> [Finding] {
        periods(rules: rules, activities: activities, from: from, asOf: asOf)
            .filter { $0.status == .overdue }
            .flatMap { period in
                period.duty.agencies.map { agency in
                    rules.finding(.supervisionMissed, unitID: nil, agency: agency, source: .supervision,
                                  ref: period.ref, at: period.lastInstant,
                                  reason: "\(period.chineseLabel)\(period.duty.title)应至少开展\(period.duty.minimumCount)次，"
                                      + "实际\(period.count)次" + period.incompleteText)
                }
            }
    }

    /// The first day of the calendar period of `months` months that contains `day`. Periods are
    /// aligned on 1 January (quarters begin in January, April, July and October).
    static func periodStart(containing day: LocalDate, months: Int) -> LocalDate {
        LocalDate(year: day.year, month: (day.month - 1) / months * months + 1, day: 1)!
    }

    static func advance(_ start: LocalDate, months: Int) -> LocalDate {
        let index = start.year * 12 + (start.month - 1) + months
        return LocalDate(year: index / 12, month: index % 12 + 1, day: 1)!
    }
}
