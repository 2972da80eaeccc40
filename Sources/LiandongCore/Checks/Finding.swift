import Foundation

/// Where a finding comes from (issue: `findings list` → `source`).
public enum FindingSource: String, Sendable, Codable, CaseIterable {
    /// 日常电话检查
    case phone
    /// 实地检查 (a drill with a simulated alert)
    case onsite
    /// 视频检查
    case video
    /// A live 110 linkage dispatch.
    case dispatch
    /// The emergency-plans register (D1–D6).
    case plan
    /// The supervisors' own calendar (D7).
    case supervision
    /// A provincial notice (D11).
    case province
    /// Filed by hand.
    case manual

    public var name: String {
        switch self {
        case .phone: "日常电话检查"
        case .onsite: "实地检查"
        case .video: "视频检查"
        case .dispatch: "联动警情"
        case .plan: "应急预案"
        case .supervision: "日常监督"
        case .province: "省通报"
        case .manual: "人工登记"
        }
    }
}

/// A shortfall found by a check, a drill, a dispatch or by hand: what becomes a proposed
/// deduction. One finding per shortfall per dispatch, check or drill (mechanism.md §5).
public struct Finding: Hashable, Sendable, Codable {
    /// The unit it counts against; nil for a finding against a supervising agency (D7) or a
    /// jurisdiction (D6).
    public var unitID: Int?
    /// The agency a D7 finding counts against.
    public var agency: Agency?
    /// The jurisdiction (`Jurisdiction.id`) a D6 finding counts against: the government of a
    /// county or of the city, rather than one of its units.
    public var jurisdictionID: String?
    public var item: DeductionItemID
    public var kind: FindingKind
    public var source: FindingSource
    /// The check, drill or incident id.
    public var ref: String
    public var occurredAt: Date
    public var proposedPoints: Points
    /// Why, in words a clerk can read (Chinese).
    public var reason: String
    /// The rule-set version that judged it.
    public var ruleVersion: String

    public init(unitID: Int?, agency: Agency? = nil, jurisdictionID: String? = nil, item: DeductionItemID, kind: FindingKind,
                source: FindingSource, ref: String, occurredAt: Date, proposedPoints: Points, reason: String, ruleVersion: String) {
        self.unitID = unitID; self.agency = agency; self.jurisdictionID = jurisdictionID
        self.item = item; self.kind = kind; self.source = source
        self.ref = ref; self.occurredAt = occurredAt; self.proposedPoints = proposedPoints
        self.reason = reason; self.ruleVersion = ruleVersion
    }

    /// The identity that makes judging idempotent: the same shortfall of the same unit in the
    /// same check, drill or dispatch is one finding however often it is judged, and whoever
    /// finds it (a live-alert failure the police report by hand has the key the judging of the
    /// same incident and unit gives it). See `Finding.key(source:ref:subject:shortfall:)`.
    public var key: String {
        Finding.key(source: source, ref: ref, subject: subject, shortfall: kind == .manual ? item.rawValue : kind.rawValue)
    }

    /// Whom the finding counts against, as its key names it: the unit, else the agency, else
    /// the jurisdiction (whose codes are pinyin, never a unit's number or an agency's code).
    public var subject: String { Finding.subject(unitID: unitID, agency: agency, jurisdictionID: jurisdictionID) }

    public static func subject(unitID: Int?, agency: Agency? = nil, jurisdictionID: String? = nil) -> String {
        unitID.map(String.init) ?? agency?.rawValue ?? jurisdictionID ?? "-"
    }

    /// A finding's key, `source|REF|SUBJECT|shortfall`, made here and nowhere else. The
    /// shortfall is the kind (`late_arrival`, `refused`…), or for a finding filed by hand under
    /// an item of the officer's choosing, the item (`D12`). Keys of findings without a
    /// jurisdiction are as they always were.
    public static func key(source: FindingSource, ref: String, subject: String, shortfall: String) -> String {
        "\(source.rawValue)|\(scope(ref: ref, subject: subject))|\(shortfall)"
    }

    /// What one judgement of a dispatch, check or drill covers: `REF|SUBJECT`.
    public static func scope(ref: String, subject: String) -> String { "\(ref)|\(subject)" }

    /// `source|REF|SUBJECT|shortfall` → `REF|SUBJECT` (refs may themselves contain `|`).
    public static func scope(ofKey key: String) -> String {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 4 else { return "" }
        return parts[1...(parts.count - 2)].joined(separator: "|")
    }
}

/// A failure on a live alert that the police report by hand (§四(一)): 指令不畅, 推诿扯皮,
/// 有警不出. Refusal and passing on are the shortfalls the judging of a dispatch finds from the
/// 110 timeline: a report of one is the same finding as the judgement's (one key, one
/// deduction), the report kept with it as evidence. An instruction that cannot get through
/// has no counterpart in the timeline; it stands on the report alone.
public enum LiveAlertFailure: String, CaseIterable, Sendable, Codable {
    /// 指令不畅: the instruction could not reach the unit.
    case instructionFailed = "instruction_failed"
    /// 推诿扯皮
    case passedOn = "passed_on"
    /// 有警不出
    case refused

    public var name: String { kind.label }

    /// The kind of finding the report is.
    public var kind: FindingKind {
        switch self {
        case .instructionFailed: .instructionFailed
        case .passedOn: .passedOn
        case .refused: .refused
        }
    }

    /// Where the finding is kept: with the dispatch's own findings when the judging of the
    /// timeline can find the same shortfall, else as a finding filed by hand.
    public var source: FindingSource { self == .instructionFailed ? .manual : .dispatch }
}

extension RuleSet {
    /// The default figure of a reported live-alert failure: refusal and passing on as the
    /// judging of a dispatch gives them; an instruction that cannot get through as a duty phone
    /// unanswered (D8).
    public func defaultPoints(for failure: LiveAlertFailure) -> Points {
        defaultPoints(for: failure == .instructionFailed ? .phoneUnanswered : failure.kind)!
    }

    /// The finding a live-alert failure report makes on its own (`points` chosen by the officer).
    public func finding(reporting failure: LiveAlertFailure, unitID: Int, incidentID: String, at: Date, points: Points,
                        reason: String) -> Finding {
        Finding(unitID: unitID, item: failure.kind.item!, kind: failure.kind, source: failure.source, ref: incidentID,
                occurredAt: at, proposedPoints: points, reason: reason, ruleVersion: version)
    }
}

extension RuleSet {
    /// A finding of a kind with a fixed default figure.
    public func finding(_ kind: FindingKind, unitID: Int?, agency: Agency? = nil, jurisdictionID: String? = nil,
                        source: FindingSource, ref: String, at: Date, reason: String) -> Finding {
        Finding(unitID: unitID, agency: agency, jurisdictionID: jurisdictionID, item: kind.item!, kind: kind, source: source,
                ref: ref, occurredAt: at, proposedPoints: defaultPoints(for: kind)!, reason: reason, ruleVersion: version)
    }

    /// `20分30秒`: a duration for reasons.
    public static func durationText(seconds: Int) -> String {
        let m = seconds / 60, s = seconds % 60
        if m == 0 { return "\(s)秒" }
        return s == 0 ? "\(m)分钟" : "\(m)分\(s)秒"
    }
}
