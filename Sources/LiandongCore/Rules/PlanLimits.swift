/// The figures of the emergency-plans rules (Annex 1 items 1, 4 and 5) that the notice leaves
/// open. Part of a rule set, so that a revision can change them from its effective date. The
/// three-year cycle of special-plan drills is the notice's own figure and stays
/// `RuleSet.specialPlanDrillYears`.
public struct PlanLimits: Hashable, Sendable, Codable {
    /// Annex 1 item 4 (没有按要求及时公布应急预案): the plan is published within this many working
    /// days (Monday to Friday) after the day it was issued or revised. 突发事件应急预案管理办法:
    /// 政府及其部门应急预案应在正式印发后20个工作日内向社会公开.
    public var publicationWorkingDays: Int
    /// The kinds of plan that must be published: government and department plans. Enterprise
    /// plans are filed (备案) with the authorities, not published.
    public var publishedKinds: [PlanKind]
    /// Annex 1 item 1 (未按要求开展应急演练): drills a calendar year of each required plan other
    /// than a special plan (special plans follow item 5's cycle), unless the plan sets its own.
    public var drillsPerYear: Int
    /// Annex 1 item 5 (重大活动举行前没有组织应急演练): a drill counts as held before a major event
    /// when it took place on one of this many days before the event's first day.
    public var majorEventDrillWindowDays: Int
    /// Warnings of what falls due look this many days ahead.
    public var warningHorizonDays: Int

    public init(publicationWorkingDays: Int, publishedKinds: [PlanKind], drillsPerYear: Int,
                majorEventDrillWindowDays: Int, warningHorizonDays: Int) {
        self.publicationWorkingDays = publicationWorkingDays; self.publishedKinds = publishedKinds
        self.drillsPerYear = drillsPerYear; self.majorEventDrillWindowDays = majorEventDrillWindowDays
        self.warningHorizonDays = warningHorizonDays
    }

    public func mustPublish(_ kind: PlanKind) -> Bool { publishedKinds.contains(kind) }
}
