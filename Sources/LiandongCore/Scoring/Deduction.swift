import Foundation

/// Where a deduction stands (§三.1: decided jointly by the EMB and the police).
public enum DeductionStatus: String, Sendable, Codable, CaseIterable {
    /// Proposed from a finding, awaiting the two agencies.
    case proposed
    /// Both agencies confirmed the same figure: it takes effect.
    case confirmed
    /// Both deciding agencies rejected it, each with a reason.
    case rejected
    /// The finding it came from no longer holds, or an appeal withdrew it.
    case withdrawn
    /// The unit appealed (申诉); the two agencies decide.
    case appealed

    public var name: String {
        switch self {
        case .proposed: "待确认"
        case .confirmed: "已确认"
        case .rejected: "已驳回"
        case .withdrawn: "已撤销"
        case .appealed: "申诉中"
        }
    }
}

/// One agency's confirmation: who, at which figure, when, why (when the figure changed).
public struct Confirmation: Hashable, Sendable, Codable {
    public var officer: String
    public var points: Points
    public var at: Date
    public var reason: String?

    public init(officer: String, points: Points, at: Date, reason: String?) {
        self.officer = officer; self.points = points; self.at = at; self.reason = reason
    }
}

/// A deduction's state and the rules that move it. Pure: the server stores the state and every
/// step, the rules live here.
public struct DeductionState: Hashable, Sendable, Codable {
    public var item: DeductionItemID
    public var status: DeductionStatus
    /// The figure on the table: the finding's default until an agency sets another.
    public var points: Points
    /// The confirmations standing at `points`, by agency (raw value).
    public var confirmations: [String: Confirmation]
    /// The final rejection (the last of the deciders to agree to it).
    public var rejection: Confirmation?
    /// While a rejection is on the table: the deciders that stand on it, by agency (raw value).
    /// A confirmation puts the figure back on the table and clears them (a disagreement stays
    /// open, awaiting the other agency).
    public var rejections: [String: Confirmation]?
    public var appeal: Appeal?
    /// The kinds of agency that decide this deduction (its jurisdiction's EMB and police; the
    /// other one and the PLC when it is against one of them). Nil in states stored before
    /// issue 15: the EMB and the police.
    public var deciders: [Agency]?
    /// When the unit was notified of the current figure: the proposal, then the confirmation.
    public var notifiedAt: Date?

    public init(item: DeductionItemID, points: Points, notifiedAt: Date? = nil) {
        self.item = item; self.status = .proposed; self.points = points; self.confirmations = [:]; self.rejection = nil
        self.notifiedAt = notifiedAt
    }

    /// A unit's appeal and the agencies' decision on it.
    public struct Appeal: Hashable, Sendable, Codable {
        public enum Decision: String, Sendable, Codable, CaseIterable {
            case uphold, reduce, withdraw
            public var name: String {
                switch self {
                case .uphold: "维持"
                case .reduce: "减少扣分"
                case .withdraw: "撤销扣分"
                }
            }
        }
        public var statement: String
        public var by: String
        public var at: Date
        public var priorStatus: DeductionStatus
        public var decision: Decision?
        public var decidedBy: String?
        public var decidedAgency: Agency?
        public var decidedAt: Date?
        public var reason: String?
        /// Each decider's position on the appeal while they have not all agreed, by agency (raw
        /// value). Nil in states stored before issue 15.
        public var positions: [String: Position]?
    }

    /// One agency's position on an appeal: the outcome, the figure for a reduction, why.
    public struct Position: Hashable, Sendable, Codable {
        public var decision: Appeal.Decision
        public var points: Points?
        public var officer: String
        public var reason: String
        public var at: Date

        /// Whether two positions are the same outcome (the figure too, for a reduction).
        public func agrees(with other: Position) -> Bool { decision == other.decision && points == other.points }
    }

    /// The agencies deciding this deduction.
    public var deciding: [Agency] { deciders ?? Agency.confirming }

    /// Whether a rejection (rather than a figure) is on the table.
    public var rejectionOnTable: Bool { !(rejections ?? [:]).isEmpty }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notPending(DeductionStatus)
        /// The agency is not one of those deciding this deduction (named).
        case notADecider(Agency, [Agency])
        case alreadyConfirmed(Agency)
        case alreadyRejected(Agency)
        case samePersonForBothAgencies(String)
        case pointsOutOfRange(Points, String)
        case fixedFigure
        case reasonRequired
        case appealClosed(Date)
        case alreadyAppealed
        case notAppealed
        case reductionMustLower

        public var description: String {
            switch self {
            case .notPending(let s): "该扣分\(s.name)，不能进行此操作"
            case .alreadyConfirmed(let a): "\(a.name)已按该分值确认过"
            case .alreadyRejected(let a): "\(a.name)已驳回，待另一部门表态"
            case .notADecider(let a, let deciders): "该扣分由\(deciders.map(\.name).joined(separator: "和"))共同决定，\(a.name)不参与决定"
            case .samePersonForBothAgencies(let who): "\(who)已代表另一部门确认，同一人不能代表两个部门确认"
            case .pointsOutOfRange(let p, let range): "分值\(p)不符合规定：\(range)"
            case .fixedFigure: "被省通报扣分按省扣分加倍，分值不能调整"
            case .reasonRequired: "调整分值、驳回、申诉或申诉决定须说明理由"
            case .appealClosed(let deadline): "申诉期已于\(ChinaTime.displayString(deadline))截止"
            case .alreadyAppealed: "该扣分已申诉过，申诉决定为最终决定"
            case .notAppealed: "该扣分没有待决定的申诉"
            case .reductionMustLower: "减少扣分须低于原分值"
            }
        }
    }

    /// An agency confirms, at the figure on the table or at another with a reason. A different
    /// figure becomes the new proposal and sends it back to the other agency for agreement; the
    /// deduction takes effect when both agencies stand on the same figure.
    public mutating func confirm(by agency: Agency, officer: String, points newPoints: Points? = nil, reason: String? = nil,
                                 at: Date, rules: RuleSet) throws(Problem) {
        guard status == .proposed else { throw .notPending(status) }
        guard deciding.contains(agency) else { throw .notADecider(agency, deciding) }
        let figure = newPoints ?? points
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank
        if actedByOther(than: agency, officer: officer) { throw .samePersonForBothAgencies(officer) }
        // Confirming against a rejection on the table: the figure is back on the table, the
        // agency that rejected is asked again.
        if rejectionOnTable {
            rejections = nil
            confirmations = [:]
        }
        if figure != points {
            guard item != .d11 else { throw .fixedFigure }
            guard rules.allows(figure, for: item) else { throw .pointsOutOfRange(figure, rules.pointsRange.chinese) }
            guard why != nil else { throw .reasonRequired }
            points = figure
            confirmations = [agency.rawValue: Confirmation(officer: officer, points: figure, at: at, reason: why)]
        } else {
            if confirmations[agency.rawValue]?.points == figure { throw .alreadyConfirmed(agency) }
            confirmations[agency.rawValue] = Confirmation(officer: officer, points: figure, at: at, reason: why)
        }
        if deciding.allSatisfy({ confirmations[$0.rawValue]?.points == points }) {
            status = .confirmed
            notifiedAt = at
        }
    }

    /// Whether the officer already stands for another agency on this deduction.
    private func actedByOther(than agency: Agency, officer: String) -> Bool {
        confirmations.contains { $0.key != agency.rawValue && $0.value.officer == officer }
            || (rejections ?? [:]).contains { $0.key != agency.rawValue && $0.value.officer == officer }
            || (appeal?.positions ?? [:]).contains { $0.key != agency.rawValue && $0.value.officer == officer }
    }

    /// The last moment the unit may appeal: the end of the given number of working days after it
    /// was notified, by the working calendar of China (holidays skipped, make-up days counted).
    public func appealDeadline(workingDays: Int, calendar: WorkingCalendar) -> Date? {
        appealWindow(workingDays: workingDays, calendar: calendar)?.end
    }

    /// The appeal window's last day, with the years it counted Monday to Friday for want of
    /// their holiday notice.
    public func appealWindow(workingDays: Int, calendar: WorkingCalendar) -> WorkingDeadline? {
        guard let notifiedAt else { return nil }
        return calendar.deadline(after: workingDays, from: notifiedAt)
    }

    /// The unit appeals a proposed or confirmed deduction, once, within the window.
    public mutating func lodgeAppeal(statement: String, by person: String, at: Date, rules: RuleSet,
                                     calendar: WorkingCalendar) throws(Problem) {
        guard status == .proposed || status == .confirmed else { throw .notPending(status) }
        guard appeal == nil else { throw .alreadyAppealed }
        guard let text = statement.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank else { throw .reasonRequired }
        if let deadline = appealDeadline(workingDays: rules.appealWindowWorkingDays, calendar: calendar), at > deadline {
            throw .appealClosed(deadline)
        }
        appeal = Appeal(statement: text, by: person, at: at, priorStatus: status)
        status = .appealed
    }

    /// One deciding agency's position on the appeal, each with a reason. The decision is taken,
    /// and final, when both deciders stand on the same outcome (and figure); a different position
    /// replaces the one on the table and asks the other agency again.
    public mutating func decideAppeal(_ decision: Appeal.Decision, agency: Agency, officer: String, points newPoints: Points? = nil,
                                      reason: String, at: Date, rules: RuleSet) throws(Problem) {
        guard status == .appealed, var current = appeal, current.decision == nil else { throw .notAppealed }
        guard deciding.contains(agency) else { throw .notADecider(agency, deciding) }
        guard let why = reason.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank else { throw .reasonRequired }
        if actedByOther(than: agency, officer: officer) { throw .samePersonForBothAgencies(officer) }
        var figure: Points?
        if decision == .reduce {
            guard let lower = newPoints, lower < points else { throw .reductionMustLower }
            guard item != .d11 else { throw .fixedFigure }
            guard rules.allows(lower, for: item) else { throw .pointsOutOfRange(lower, rules.pointsRange.chinese) }
            figure = lower
        }
        let position = Position(decision: decision, points: figure, officer: officer, reason: why, at: at)
        var positions = current.positions ?? [:]
        if let standing = positions.first(where: { $0.key != agency.rawValue })?.value, !standing.agrees(with: position) {
            positions = [:]
        }
        if positions[agency.rawValue]?.agrees(with: position) == true { throw .alreadyConfirmed(agency) }
        positions[agency.rawValue] = position
        current.positions = positions
        guard deciding.allSatisfy({ positions[$0.rawValue] != nil }) else {
            appeal = current
            return
        }
        switch decision {
        case .uphold: status = .confirmed
        case .reduce: points = figure ?? points; status = .confirmed
        case .withdraw: status = .withdrawn
        }
        let agreed = deciding.compactMap { positions[$0.rawValue] }
        current.decision = decision
        current.decidedBy = agreed.map(\.officer).joined(separator: "、")
        current.decidedAgency = agency
        current.decidedAt = at
        current.reason = agreed.map(\.reason).joined(separator: "；")
        appeal = current
    }

    /// An agency rejects the deduction, with a reason. The rejection is on the table until the
    /// other deciding agency rejects it too (then the deduction is rejected) or confirms the
    /// figure (then the first is asked again).
    public mutating func reject(by agency: Agency, officer: String, reason: String, at: Date) throws(Problem) {
        guard status == .proposed else { throw .notPending(status) }
        guard deciding.contains(agency) else { throw .notADecider(agency, deciding) }
        guard let why = reason.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank else { throw .reasonRequired }
        if actedByOther(than: agency, officer: officer) { throw .samePersonForBothAgencies(officer) }
        var standing = rejections ?? [:]
        if standing[agency.rawValue] != nil { throw .alreadyRejected(agency) }
        let mine = Confirmation(officer: officer, points: points, at: at, reason: why)
        standing[agency.rawValue] = mine
        confirmations = [:]
        rejections = standing
        if deciding.allSatisfy({ standing[$0.rawValue] != nil }) {
            rejection = mine
            status = .rejected
        }
    }

    /// The finding behind a deduction still awaiting confirmation was withdrawn.
    public mutating func withdraw() {
        if status == .proposed { status = .withdrawn }
    }

    /// Which deciding agencies have yet to agree to what is on the table: the figure, a rejection,
    /// or an appeal's outcome.
    public var awaiting: [Agency] {
        switch status {
        case .proposed:
            if rejectionOnTable { return deciding.filter { rejections?[$0.rawValue] == nil } }
            return deciding.filter { confirmations[$0.rawValue]?.points != points }
        case .appealed:
            let positions = appeal?.positions ?? [:]
            return deciding.filter { positions[$0.rawValue] == nil }
        default: return []
        }
    }

    /// What the awaited agencies are asked to agree to, in words: `驳回`, `申诉决定：减为0.5分`.
    public var onTable: String {
        switch status {
        case .proposed: return rejectionOnTable ? "驳回" : "确认\(points)分"
        case .appealed:
            guard let p = appeal?.positions?.values.first else { return "申诉决定" }
            return "申诉决定：" + (p.decision == .reduce ? "减为\(p.points ?? points)分" : p.decision.name)
        default: return ""
        }
    }
}

extension String {
    var nilIfBlank: String? { isEmpty ? nil : self }
}
