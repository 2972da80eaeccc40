import Foundation

/// Something in the plans register that falls due soon: the last day to act before it becomes
/// a finding.
public struct PlanWarning: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// D1: a plan becomes required soon and has not been made.
        case planRequired = "plan_required"
        /// D1: a required plan's drills of the year not yet all held.
        case drillsDue = "drills_due"
        /// D2: a special plan's revision falls due.
        case revisionDue = "revision_due"
        /// D4: the publication deadline of a plan not yet published.
        case publicationDue = "publication_due"
        /// D5: a special plan's drill cycle closes.
        case drillCycleDue = "drill_cycle_due"
        /// D5: a major event draws near and a concerned unit has not drilled.
        case majorEventDrillDue = "major_event_drill_due"
        /// D6: the year's performance-assessment record is not complete.
        case performanceRecordDue = "performance_record_due"

        public var item: DeductionItemID {
            switch self {
            case .planRequired, .drillsDue: .d1
            case .revisionDue: .d2
            case .publicationDue: .d4
            case .drillCycleDue, .majorEventDrillDue: .d5
            case .performanceRecordDue: .d6
            }
        }

        public var label: String {
            switch self {
            case .planRequired: "预案即将须具备"
            case .drillsDue: "年度演练待完成"
            case .revisionDue: "专项预案修订将到期"
            case .publicationDue: "预案公布将到期"
            case .drillCycleDue: "专项预案演练周期将届满"
            case .majorEventDrillDue: "重大活动前演练待完成"
            case .performanceRecordDue: "绩效考核情况待登记"
            }
        }
    }

    public var kind: Kind
    /// The unit that must act; nil for a jurisdiction's warning (D6).
    public var unitID: Int?
    public var jurisdictionID: String?
    public var planID: String?
    public var eventID: String?
    /// The last day to act: the day after, the shortfall is a finding.
    public var dueOn: LocalDate
    /// What to do, in words a clerk can read (Chinese).
    public var text: String

    public init(kind: Kind, unitID: Int?, jurisdictionID: String? = nil, planID: String?, eventID: String? = nil,
                dueOn: LocalDate, text: String) {
        self.kind = kind; self.unitID = unitID; self.jurisdictionID = jurisdictionID; self.planID = planID
        self.eventID = eventID; self.dueOn = dueOn; self.text = text
    }
}

/// Annex 1 items 1–6, judged on the emergency-plans register as of a day (the plans part of the
/// assessment, mechanism.md §4). Pure: the server passes the register and the rule book.
///
/// Every finding has source `.plan` and is judged by the rule version in force on its date; a
/// deadline that a revision changes is judged day by day by the version in force on each day
/// (`RuleBook.firstLateDay`). How findings are dated:
/// - a deadline missed (D2, D4, the D5 cycle): the first day late, 00:00 China time; a required
///   plan missing (D1): the first day it is required;
/// - a revision without its groundwork (D3): the revision day; no drill before a major event
///   (D5): the event's first day;
/// - a calendar year's shortfall (D1 drills, D6): the year's last second, like D7's periods.
///
/// One finding per shortfall, however long it lasts: a plan still missing, unrevised,
/// unpublished or undrilled does not count again in later years. Keys carry what identifies the
/// shortfall (the plan and the due date, the revision, the year, the event), never the day of
/// judging, so judging again gives the same keys.
public struct PlanRules: Sendable {
    public var book: RuleBook
    public var register: PlanRegister
    /// The first day from which the register's records are complete. Calendar years that began
    /// before it are not judged, a shortfall that was over or happened before it is left out,
    /// and one that began before it and still stood on it is dated at it.
    public var from: LocalDate
    /// The governments judged under Annex 1 item 6.
    public var performanceJurisdictions: [Jurisdiction]
    /// The working days D4 counts (holidays and make-up days by the State Council's notices).
    public var calendar: WorkingCalendar

    /// Annex 1 item 6 speaks of the government's assessment of its departments: the city and the
    /// nine counties. The development zone can be added by the caller.
    public static let defaultPerformanceJurisdictions = Jurisdictions.all.filter { $0.kind != .zone }

    /// `from` defaults to the first version's effective date (the mechanism's start, 2020-12-30).
    public init(book: RuleBook = .standard, register: PlanRegister, from: LocalDate? = nil,
                performanceJurisdictions: [Jurisdiction] = PlanRules.defaultPerformanceJurisdictions,
                calendar: WorkingCalendar) {
        self.book = book
        self.register = register
        self.from = from ?? book.versions[0].effectiveFrom
        self.performanceJurisdictions = performanceJurisdictions
        self.calendar = calendar
    }

    // MARK: - Findings

    /// Every finding as of the end of `asOf`, ordered by date and key.
    public func findings(asOf: LocalDate) -> [Finding] {
        var result: [Finding] = []
        for plan in register.plans {
            result += missing(plan, asOf: asOf)
            result += yearlyDrills(plan, asOf: asOf)
            result += revisionOverdue(plan, asOf: asOf)
            result += revisionUnassessed(plan, asOf: asOf)
            result += notPublished(plan, asOf: asOf)
            result += drillCycle(plan, asOf: asOf)
        }
        for event in register.events { result += eventNotDrilled(event, asOf: asOf) }
        result += performance(asOf: asOf)
        return result.sorted { ($0.occurredAt, $0.key) < ($1.occurredAt, $1.key) }
    }

    /// The calendar years judged as of a day: begun on or after `from`, and over.
    func judgedYears(asOf: LocalDate) -> [Int] {
        let first = from.month == 1 && from.day == 1 ? from.year : from.year + 1
        return first <= asOf.year - 1 ? Array(first...(asOf.year - 1)) : []
    }

    func drills(of plan: EmergencyPlan, through day: LocalDate) -> [PlanDrill] {
        register.drills.filter { $0.planID == plan.id && $0.heldOn <= day }
    }

    /// A finding dated at the start of a day (a deadline's first late day, a revision, an event).
    func finding(_ kind: FindingKind, plan: EmergencyPlan, ref: String, on day: LocalDate, rules: RuleSet? = nil,
                 _ reason: String) -> Finding {
        (rules ?? book.inForce(on: day)).finding(kind, unitID: plan.unitID, source: .plan, ref: "plan:\(plan.id):\(ref)",
                                                 at: day.start, reason: reason)
    }

    /// D1: a required plan not made. Dated the first day it is required (or `from`).
    func missing(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        guard plan.required else { return [] }
        let start = max(plan.requiredFrom ?? from, from)
        let issued = plan.issuedOn.flatMap { $0 <= asOf ? $0 : nil }
        guard start <= asOf, issued.map({ $0 > start }) ?? true else { return [] }
        let required = plan.requiredFrom.map { "应自\($0.chinese)起具备" } ?? "应制定"
        let outcome = issued.map { "至\($0.chinese)才印发" } ?? "未制定"
        return [finding(.planMissing, plan: plan, ref: "missing", on: start,
                        "按规定\(required)的\(plan.kind.label)\(plan.quotedName)\(outcome)")]
    }

    /// How many drills a year a plan requires under a version (D1): special plans only when the
    /// plan says so, since Annex 1 item 5 gives them their own cycle.
    func drillsPerYear(_ plan: EmergencyPlan, rules: RuleSet) -> Int {
        plan.drillsPerYear ?? (plan.kind == .special ? 0 : rules.plans.drillsPerYear)
    }

    /// Whether D1's yearly drill count applies to a plan in a year: required and issued before
    /// the year began (a plan is first held to it in its first full calendar year).
    func drillsApply(_ plan: EmergencyPlan, year: Int) -> Bool {
        let january = LocalDate(year: year, month: 1, day: 1)!
        guard plan.required, let issued = plan.issuedOn, issued < january else { return false }
        return plan.requiredFrom.map { $0 <= january } ?? true
    }

    /// D1: a required plan drilled fewer times in a calendar year than required. Dated at the
    /// year's last second.
    func yearlyDrills(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        judgedYears(asOf: asOf).compactMap { year in
            guard drillsApply(plan, year: year) else { return nil }
            let december = LocalDate(year: year, month: 12, day: 31)!
            let rules = book.inForce(on: december)
            let needed = drillsPerYear(plan, rules: rules)
            let held = register.drills.count { $0.planID == plan.id && $0.heldOn.year == year }
            guard held < needed else { return nil }
            return rules.finding(.planNotDrilled, unitID: plan.unitID, source: .plan, ref: "plan:\(plan.id):drills:\(year)",
                                 at: december.lastInstant,
                                 reason: "\(plan.kind.label)\(plan.quotedName)\(year)年应至少演练\(needed)次，实际\(held)次")
        }
    }

    /// D2: a special plan not revised by its due date: late from the day after it.
    func revisionOverdue(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        guard plan.kind == .special, plan.issuedOn != nil, let due = plan.nextRevisionDue else { return [] }
        let late = max(due.adding(days: 1), from)
        // A revision recorded after the due day without a new due day was late.
        let revisedLate = plan.lastRevisedOn.flatMap { $0 > due && $0 <= asOf ? $0 : nil }
        guard late <= asOf, revisedLate.map({ $0 >= late }) ?? true else { return [] }
        let outcome = revisedLate.map { "至\($0.chinese)才修订" } ?? "逾期未修订"
        return [finding(.planRevisionOverdue, plan: plan, ref: "revision:\(due)", on: late,
                        "政府专项应急预案\(plan.quotedName)修订期限为\(due.chinese)，\(outcome)")]
    }

    /// D3: the latest revision of a special plan came without risk assessment or resource survey.
    func revisionUnassessed(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        guard plan.kind == .special, let revised = plan.lastRevisedOn, from <= revised, revised <= asOf else { return [] }
        var missing: [String] = []
        if !plan.lastRevisionRiskAssessment { missing.append("风险评估") }
        if !plan.lastRevisionResourceSurvey { missing.append("应急资源调查") }
        guard !missing.isEmpty else { return [] }
        return [finding(.planRevisionUnassessed, plan: plan, ref: "revision-basis:\(revised)", on: revised,
                        "政府专项应急预案\(plan.quotedName)于\(revised.chinese)修订，修订前未开展\(missing.joined(separator: "和"))")]
    }

    /// The last day to publish a text issued on `day` under a version, by the working calendar.
    func publicationDeadline(_ day: LocalDate, rules: RuleSet) -> WorkingDeadline {
        calendar.deadline(after: rules.plans.publicationWorkingDays, fromDay: day)
    }

    /// D4: the current text not published within the working days allowed after it was issued
    /// or revised: late from the day after the last working day allowed, whether or not it was
    /// published since.
    func notPublished(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        guard let issued = plan.currentVersionOn, issued <= asOf else { return [] }
        // A publication before the current text was issued published an earlier one.
        let published = plan.publishedOn.flatMap { $0 >= issued && $0 <= asOf ? $0 : nil }
        guard let (late, rules) = book.firstLateDay(notBefore: from, { rules in
            rules.plans.mustPublish(plan.kind) ? publicationDeadline(issued, rules: rules).lastDay.adding(days: 1) : nil
        }), late <= asOf, published.map({ $0 >= late }) ?? true else { return [] }
        let deadline = publicationDeadline(issued, rules: rules)
        let what = plan.lastRevisedOn == nil ? "印发" : "修订"
        let outcome = published.map { "至\($0.chinese)才公布" } ?? "逾期未公布"
        return [finding(.planNotPublished, plan: plan, ref: "publication:\(issued)", on: late, rules: rules,
                        "\(plan.kind.label)\(plan.quotedName)于\(issued.chinese)\(what)，应在\(rules.plans.publicationWorkingDays)个工作日内"
                            + "（不晚于\(deadline.lastDay.chinese)）公布，\(outcome)" + deadline.note)]
    }

    /// D5: a special plan not drilled within the cycle after its issue or its previous drill. A
    /// drill on the same calendar date N years later is in time; one day more is late. Each gap
    /// between drills that ran over is one finding, so recording a later drill does not undo it.
    func drillCycle(_ plan: EmergencyPlan, asOf: LocalDate) -> [Finding] {
        guard plan.kind == .special, let issued = plan.issuedOn, issued <= asOf else { return [] }
        let held = Set(drills(of: plan, through: asOf).map(\.heldOn).filter { $0 > issued }).sorted()
        let starts = [issued] + held
        return starts.indices.compactMap { index in
            let start = starts[index]
            let next = index + 1 < starts.count ? starts[index + 1] : nil
            guard let (late, rules) = book.firstLateDay(notBefore: from, {
                start.adding(years: $0.specialPlanDrillYears).adding(days: 1)
            }), late <= asOf, next.map({ $0 >= late }) ?? true else { return nil }
            let years = rules.specialPlanDrillYears
            let after = index == 0 ? "于\(start.chinese)印发后" : "自\(start.chinese)演练后"
            let outcome = next.map { "，至\($0.chinese)才演练" } ?? ""
            return finding(.specialPlanDrillOverdue, plan: plan, ref: "drill-cycle:\(start)", on: late, rules: rules,
                           "政府专项应急预案\(plan.quotedName)\(after)\(years)年内未组织应急演练"
                               + "（应不晚于\(start.adding(years: years).chinese)）\(outcome)")
        }
    }

    /// The units a major event concerns, each with the plans it must drill: its plans the event
    /// lists, or (none listed) any of its plans.
    func concernedUnits(_ event: MajorEvent) -> [(unitID: Int, plans: [EmergencyPlan])] {
        let listed = event.planIDs.compactMap { id in register.plans.first { $0.id == id } }
        let units = Set(event.unitIDs + listed.map(\.unitID)).sorted()
        return units.map { unit in (unit, listed.filter { $0.unitID == unit }) }
    }

    /// Whether a unit drilled, before `event` and within the window, one of `plans` (or any
    /// plan when none are listed), counting drills held up to `through`.
    func drilledBefore(_ event: MajorEvent, unitID: Int, plans: [EmergencyPlan], rules: RuleSet, through: LocalDate) -> Bool {
        let earliest = event.startsOn.adding(days: -rules.plans.majorEventDrillWindowDays)
        let ids = Set(plans.map(\.id))
        return register.drills.contains { drill in
            drill.unitID == unitID && (ids.isEmpty || ids.contains(drill.planID))
                && earliest <= drill.heldOn && drill.heldOn < event.startsOn && drill.heldOn <= through
        }
    }

    func planList(_ plans: [EmergencyPlan]) -> String { plans.map(\.quotedName).joined(separator: "、") }

    /// D5: a concerned unit held no drill in the window before a major event. Dated at the
    /// event's first day.
    func eventNotDrilled(_ event: MajorEvent, asOf: LocalDate) -> [Finding] {
        guard from <= event.startsOn, event.startsOn <= asOf else { return [] }
        let rules = book.inForce(on: event.startsOn)
        return concernedUnits(event).compactMap { unit in
            guard !drilledBefore(event, unitID: unit.unitID, plans: unit.plans, rules: rules, through: asOf) else { return nil }
            return rules.finding(.majorEventNotDrilled, unitID: unit.unitID, source: .plan, ref: "event:\(event.id)",
                                 at: event.startsOn.start,
                                 reason: "重大活动“\(event.name)”于\(event.startsOn.chinese)举行，举行前"
                                     + "\(rules.plans.majorEventDrillWindowDays)天内未组织\(planList(unit.plans))应急演练")
        }
    }

    /// D6: for each year over, each government judged must have a record with both duties done.
    /// Against the jurisdiction; dated at the year's last second.
    func performance(asOf: LocalDate) -> [Finding] {
        judgedYears(asOf: asOf).flatMap { year in
            let december = LocalDate(year: year, month: 12, day: 31)!
            let rules = book.inForce(on: december)
            return performanceJurisdictions.compactMap { jurisdiction -> Finding? in
                guard let shortfall = performanceShortfall(jurisdiction, year: year) else { return nil }
                return rules.finding(.performanceAssessmentMissing, unitID: nil, jurisdictionID: jurisdiction.id, source: .plan,
                                     ref: "performance:\(year)", at: december.lastInstant, reason: shortfall)
            }
        }
    }

    /// What a jurisdiction's record of a year lacks, in words; nil when complete.
    func performanceShortfall(_ jurisdiction: Jurisdiction, year: Int) -> String? {
        guard let record = register.performanceRecords.first(where: { $0.year == year && $0.jurisdictionID == jurisdiction.id })
        else { return "\(jurisdiction.name)未登记\(year)年将社会应急联动工作纳入政府绩效考核及开展定期考核的情况" }
        var parts: [String] = []
        if !record.includedInPerformanceAssessment { parts.append("未将社会应急联动工作情况纳入\(year)年政府对各部门绩效考核") }
        if !record.regularAssessmentsHeld { parts.append("\(year)年未在日常社会应急联动工作中开展定期考核") }
        return parts.isEmpty ? nil : jurisdiction.name + parts.joined(separator: "，")
    }

    // MARK: - Warnings

    /// What falls due from `asOf` to `horizonDays` days later (default: the version in force on
    /// `asOf`), by due day. A shortfall already past is a finding, not a warning.
    public func warnings(asOf: LocalDate, horizonDays: Int? = nil) -> [PlanWarning] {
        let rules = book.inForce(on: asOf)
        let horizon = asOf.adding(days: horizonDays ?? rules.plans.warningHorizonDays)
        func soon(_ day: LocalDate) -> Bool { asOf <= day && day <= horizon }
        var result: [PlanWarning] = []
        let december = LocalDate(year: asOf.year, month: 12, day: 31)!
        let yearJudged = LocalDate(year: asOf.year, month: 1, day: 1)! >= from

        for plan in register.plans {
            func warn(_ kind: PlanWarning.Kind, _ due: LocalDate, _ text: String) {
                result.append(PlanWarning(kind: kind, unitID: plan.unitID, planID: plan.id, dueOn: due, text: text))
            }
            let issued = plan.issuedOn.flatMap { $0 <= asOf ? $0 : nil }
            // D1: required from a day soon, not made yet.
            if plan.required, issued == nil, let required = plan.requiredFrom, required > asOf,
               soon(required.adding(days: -1)) {
                warn(.planRequired, required.adding(days: -1),
                     "\(plan.kind.label)\(plan.quotedName)须自\(required.chinese)起具备，目前尚未印发")
            }
            // D1: this year's drills.
            if yearJudged, soon(december), drillsApply(plan, year: asOf.year) {
                let needed = drillsPerYear(plan, rules: rules)
                let held = drills(of: plan, through: asOf).count { $0.heldOn.year == asOf.year }
                if held < needed {
                    warn(.drillsDue, december, "\(plan.kind.label)\(plan.quotedName)\(asOf.year)年应至少演练\(needed)次，"
                        + "目前\(held)次，须在\(december.chinese)前完成")
                }
            }
            guard let issued else { continue }
            // D2
            if plan.kind == .special, let due = plan.nextRevisionDue, soon(due) {
                warn(.revisionDue, due, "政府专项应急预案\(plan.quotedName)修订期限为\(due.chinese)，须按期完成修订"
                    + "并开展风险评估和应急资源调查")
            }
            // D4
            if let current = plan.currentVersionOn, rules.plans.mustPublish(plan.kind),
               !(plan.publishedOn.map { $0 >= current && $0 <= asOf } ?? false) {
                let deadline = publicationDeadline(current, rules: rules)
                if soon(deadline.lastDay) {
                    warn(.publicationDue, deadline.lastDay, "\(plan.kind.label)\(plan.quotedName)于\(current.chinese)"
                        + "\(plan.lastRevisedOn == nil ? "印发" : "修订")，尚未公布，须不晚于\(deadline.lastDay.chinese)公布" + deadline.note)
                }
            }
            // D5: the cycle since the last drill (or the issue).
            if plan.kind == .special {
                let last = drills(of: plan, through: asOf).map(\.heldOn).filter { $0 > issued }.max()
                let due = (last ?? issued).adding(years: rules.specialPlanDrillYears)
                if soon(due) {
                    let since = last.map { "上次演练为\($0.chinese)" } ?? "于\(issued.chinese)印发后尚未演练"
                    warn(.drillCycleDue, due, "政府专项应急预案\(plan.quotedName)\(since)，须不晚于\(due.chinese)组织应急演练")
                }
            }
        }

        // D5: major events ahead; the last day to drill is the day before the event.
        for event in register.events where event.startsOn > asOf {
            let due = event.startsOn.adding(days: -1)
            guard soon(due) else { continue }
            let eventRules = book.inForce(on: event.startsOn)
            for unit in concernedUnits(event)
            where !drilledBefore(event, unitID: unit.unitID, plans: unit.plans, rules: eventRules, through: asOf) {
                result.append(PlanWarning(
                    kind: .majorEventDrillDue, unitID: unit.unitID, planID: unit.plans.first?.id, eventID: event.id, dueOn: due,
                    text: "重大活动“\(event.name)”将于\(event.startsOn.chinese)举行，尚未组织\(planList(unit.plans))应急演练，"
                        + "须在活动前完成"))
            }
        }

        // D6: this year's records.
        if yearJudged, soon(december) {
            for jurisdiction in performanceJurisdictions where performanceShortfall(jurisdiction, year: asOf.year) != nil {
                result.append(PlanWarning(
                    kind: .performanceRecordDue, unitID: nil, jurisdictionID: jurisdiction.id, planID: nil, dueOn: december,
                    text: "\(jurisdiction.name)\(asOf.year)年将社会应急联动工作纳入政府绩效考核及开展定期考核的情况尚未登记齐全，"
                        + "截止\(december.chinese)"))
            }
        }
        let order = Dictionary(uniqueKeysWithValues: PlanWarning.Kind.allCases.enumerated().map { ($1, $0) })
        return result.sorted {
            ($0.dueOn, order[$0.kind]!, $0.unitID ?? -1, $0.jurisdictionID ?? "", $0.planID ?? "", $0.eventID ?? "")
                < ($1.dueOn, order[$1.kind]!, $1.unitID ?? -1, $1.jurisdictionID ?? "", $1.planID ?? "", $1.eventID ?? "")
        }
    }
}
