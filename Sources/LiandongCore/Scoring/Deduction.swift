import Foundation

/// Where a deduction stands (§三.1: decided jointly by the EMB and the police).
public enum DeductionStatus: String, Sendable, Codable, CaseIterable {
    /// Proposed from a finding, awaiting the two agencies.
    case proposed
    /// Both agencies confirmed the same figure: it takes effect.
    case confirmed
    /// One agency rejected it, with a reason.
    case rejected
    /// The finding it came from no longer holds (a later event withdrew it) before confirmation.
    case withdrawn

    public var name: String {
        switch self {
        case .proposed: "待确认"
        case .confirmed: "已确认"
        case .rejected: "已驳回"
        case .withdrawn: "已撤销"
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
    public var rejection: Confirmation?

    public init(item: DeductionItemID, points: Points) {
        self.item = item; self.status = .proposed; self.points = points; self.confirmations = [:]; self.rejection = nil
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notPending(DeductionStatus)
        case notAConfirmingAgency(Agency)
        case alreadyConfirmed(Agency)
        case samePersonForBothAgencies(String)
        case pointsOutOfRange(Points, String)
        case fixedFigure
        case reasonRequired

        public var description: String {
            switch self {
            case .notPending(let s): "该扣分\(s.name),不能再确认或驳回"
            case .notAConfirmingAgency(let a): "\(a.name)不参与扣分确认,扣分由市应急管理局和市公安局共同确定"
            case .alreadyConfirmed(let a): "\(a.name)已按该分值确认过"
            case .samePersonForBothAgencies(let who): "\(who)已代表另一部门确认,同一人不能代表两个部门确认"
            case .pointsOutOfRange(let p, let range): "分值\(p)不符合规定:\(range)"
            case .fixedFigure: "被省通报扣分按省扣分加倍,分值不能调整"
            case .reasonRequired: "调整分值或驳回须说明理由"
            }
        }
    }

    /// An agency confirms, at the figure on the table or at another with a reason. A different
    /// figure becomes the new proposal and sends it back to the other agency for agreement; the
    /// deduction takes effect when both agencies stand on the same figure.
    public mutating func confirm(by agency: Agency, officer: String, points newPoints: Points? = nil, reason: String? = nil,
                                 at: Date, rules: RuleSet) throws(Problem) {
        guard status == .proposed else { throw .notPending(status) }
        guard Agency.confirming.contains(agency) else { throw .notAConfirmingAgency(agency) }
        let figure = newPoints ?? points
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank
        if confirmations.contains(where: { $0.key != agency.rawValue && $0.value.officer == officer }) {
            throw .samePersonForBothAgencies(officer)
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
        if Agency.confirming.allSatisfy({ confirmations[$0.rawValue]?.points == points }) {
            status = .confirmed
        }
    }

    /// An agency rejects the deduction, with a reason.
    public mutating func reject(by agency: Agency, officer: String, reason: String, at: Date) throws(Problem) {
        guard status == .proposed else { throw .notPending(status) }
        guard Agency.confirming.contains(agency) else { throw .notAConfirmingAgency(agency) }
        guard let why = reason.trimmingCharacters(in: .whitespacesAndNewlines).nilIfBlank else { throw .reasonRequired }
        rejection = Confirmation(officer: officer, points: points, at: at, reason: why)
        status = .rejected
    }

    /// The finding behind a deduction still awaiting confirmation was withdrawn.
    public mutating func withdraw() {
        if status == .proposed { status = .withdrawn }
    }

    /// Which confirming agencies have yet to confirm the figure on the table.
    public var awaiting: [Agency] {
        status == .proposed ? Agency.confirming.filter { confirmations[$0.rawValue]?.points != points } : []
    }
}

extension String {
    var nilIfBlank: String? { isEmpty ? nil : self }
}
