import Foundation
import Testing
@testable import LiandongCore

func day(_ text: String) -> LocalDate {
    guard let value = LocalDate(text) else { fatalError("bad test date \(text)") }
    return value
}

/// Registers for the plan-rule tests: one unit (7) unless said otherwise.
enum PlanFixture {
    static func special(_ id: String = "P1", unit: Int = 7, issued: String? = "2020-06-01", revised: String? = nil,
                        due: String? = nil, risk: Bool = true, survey: Bool = true, published: String? = "2020-06-10") -> EmergencyPlan {
        EmergencyPlan(id: id, unitID: unit, name: "丽水市防汛防台应急预案", kind: .special, required: true,
                      issuedOn: issued.map(day), lastRevisedOn: revised.map(day), nextRevisionDue: due.map(day),
                      lastRevisionRiskAssessment: risk, lastRevisionResourceSurvey: survey, publishedOn: published.map(day))
    }

    static func department(_ id: String = "D1", unit: Int = 7, required: Bool = true, requiredFrom: String? = nil,
                           issued: String? = "2020-06-01", published: String? = "2020-06-10", drillsPerYear: Int? = nil) -> EmergencyPlan {
        EmergencyPlan(id: id, unitID: unit, name: "市水利局水旱灾害应急预案", kind: .department, required: required,
                      requiredFrom: requiredFrom.map(day), issuedOn: issued.map(day), publishedOn: published.map(day),
                      drillsPerYear: drillsPerYear)
    }

    static func drill(_ planID: String, _ on: String, unit: Int = 7) -> PlanDrill {
        PlanDrill(id: "\(planID)-\(on)", planID: planID, unitID: unit, heldOn: day(on), kind: .live, scale: "参演50人")
    }

    /// Complete D6 records for a year, so that tests of other items see no D6 findings.
    static func performance(_ year: Int) -> [PerformanceAssessmentRecord] {
        PlanRules.defaultPerformanceJurisdictions.map {
            PerformanceAssessmentRecord(year: year, jurisdictionID: $0.id, includedInPerformanceAssessment: true, regularAssessmentsHeld: true)
        }
    }
}

extension PlanRules {
    /// Rules over a register; records complete from 2026-01-01 unless said otherwise.
    static func over(_ plans: [EmergencyPlan] = [], drills: [PlanDrill] = [], events: [MajorEvent] = [],
                     performance: [PerformanceAssessmentRecord] = [], book: RuleBook = .standard,
                     from: String = "2020-12-30") -> PlanRules {
        PlanRules(book: book, register: PlanRegister(plans: plans, drills: drills, events: events, performanceRecords: performance),
                  from: day(from), performanceJurisdictions: [], calendar: .shipped)
    }

    func findings(asOf: String, _ kind: FindingKind? = nil) -> [Finding] {
        findings(asOf: day(asOf)).filter { kind == nil || $0.kind == kind }
    }
}

@Suite("Plan rules D1–D6: the emergency-plans register at its boundaries")
struct PlanRulesTests {
    typealias F = PlanFixture

    // MARK: D2

    @Test func revisionDueTodayIsInTimeTomorrowIsOverdue() throws {
        let rules = PlanRules.over([F.special(due: "2026-06-30")])
        #expect(rules.findings(asOf: "2026-06-30", .planRevisionOverdue).isEmpty)
        let found = try #require(rules.findings(asOf: "2026-07-01", .planRevisionOverdue).first)
        #expect(found.item == .d2 && found.source == .plan && found.unitID == 7)
        #expect(found.ref == "plan:P1:revision:2026-06-30")
        #expect(found.key == "plan|plan:P1:revision:2026-06-30|7|plan_revision_overdue")
        #expect(found.occurredAt == cst("2026-07-01T00:00:00+08:00"))
        #expect(found.proposedPoints == Points(1.0) && found.ruleVersion == "2020.1")
        #expect(found.reason == "政府专项应急预案《丽水市防汛防台应急预案》修订期限为2026年6月30日，逾期未修订")
    }

    @Test func aLateRevisionRecordedWithoutANewDueDayIsStillD2() throws {
        let rules = PlanRules.over([F.special(revised: "2026-08-05", due: "2026-06-30")])
        let found = try #require(rules.findings(asOf: "2026-09-01", .planRevisionOverdue).first)
        #expect(found.key == "plan|plan:P1:revision:2026-06-30|7|plan_revision_overdue")
        #expect(found.reason.hasSuffix("修订期限为2026年6月30日，至2026年8月5日才修订"))
    }

    @Test func onlySpecialPlansAreHeldToRevision() {
        var plan = F.department()
        plan.nextRevisionDue = day("2025-01-01")
        #expect(PlanRules.over([plan]).findings(asOf: "2026-07-01", .planRevisionOverdue).isEmpty)
        // A special plan not yet issued is D1's business, not D2's.
        #expect(PlanRules.over([F.special(issued: nil, due: "2025-01-01", published: nil)])
            .findings(asOf: "2026-07-01", .planRevisionOverdue).isEmpty)
    }

    // MARK: D3

    @Test("D3 names what the revision lacked", arguments: [
        (true, true, nil), (false, true, "风险评估"), (true, false, "应急资源调查"), (false, false, "风险评估和应急资源调查"),
    ] as [(Bool, Bool, String?)])
    func revisionWithoutGroundwork(risk: Bool, survey: Bool, missing: String?) {
        let rules = PlanRules.over([F.special(revised: "2025-05-01", due: "2028-05-01", risk: risk, survey: survey, published: "2025-05-10")])
        let found = rules.findings(asOf: "2025-06-01", .planRevisionUnassessed)
        if let missing {
            #expect(found.count == 1)
            #expect(found.first?.item == .d3)
            #expect(found.first?.ref == "plan:P1:revision-basis:2025-05-01")
            #expect(found.first?.occurredAt == day("2025-05-01").start)
            #expect(found.first?.reason == "政府专项应急预案《丽水市防汛防台应急预案》于2025年5月1日修订，修订前未开展\(missing)")
        } else {
            #expect(found.isEmpty)
        }
        // Judged from the revision day on only.
        #expect(rules.findings(asOf: "2025-04-30", .planRevisionUnassessed).isEmpty)
    }

    // MARK: D4

    @Test func publishedOnTheTwentiethWorkingDayIsInTimeTheTwentyFirstIsLate() throws {
        // Issued Monday 2 March 2026: the 20th working day after is Monday 30 March.
        func plan(published: String?) -> EmergencyPlan { F.department(issued: "2026-03-02", published: published) }
        #expect(PlanRules.over([plan(published: "2026-03-30")]).findings(asOf: "2026-06-01", .planNotPublished).isEmpty)

        let late = try #require(PlanRules.over([plan(published: "2026-03-31")]).findings(asOf: "2026-06-01", .planNotPublished).first)
        #expect(late.item == .d4 && late.ref == "plan:D1:publication:2026-03-02")
        #expect(late.occurredAt == cst("2026-03-31T00:00:00+08:00"))
        #expect(late.reason == "部门应急预案《市水利局水旱灾害应急预案》于2026年3月2日印发，应在20个工作日内（不晚于2026年3月30日）公布，"
            + "至2026年3月31日才公布")

        let unpublished = PlanRules.over([plan(published: nil)])
        #expect(unpublished.findings(asOf: "2026-03-30", .planNotPublished).isEmpty)
        let open = try #require(unpublished.findings(asOf: "2026-03-31", .planNotPublished).first)
        #expect(open.key == late.key && open.occurredAt == late.occurredAt)
        #expect(open.reason.hasSuffix("逾期未公布"))
    }

    /// Across the Mid-Autumn and National Day holidays of 2026 (9-25, 10-1 to 10-7 off; Sunday
    /// 9-20 and Saturday 10-10 worked): issued Thursday 10 September, the 20th working day after
    /// is Wednesday 14 October, so publishing on 13 or 14 October is in time and on 15 October late.
    @Test func theTwentyWorkingDaysFollowTheHolidayNotice() throws {
        func plan(published: String?) -> EmergencyPlan { F.department(issued: "2026-09-10", published: published) }
        #expect(PlanRules.over([plan(published: "2026-10-13")]).findings(asOf: "2026-12-01", .planNotPublished).isEmpty)
        #expect(PlanRules.over([plan(published: "2026-10-14")]).findings(asOf: "2026-12-01", .planNotPublished).isEmpty)
        let late = try #require(PlanRules.over([plan(published: "2026-10-15")]).findings(asOf: "2026-12-01", .planNotPublished).first)
        #expect(late.reason.contains("不晚于2026年10月14日"))
    }

    @Test func aRevisionMustBePublishedAgainAndEnterprisePlansAreNotPublished() throws {
        var revised = F.department(issued: "2020-06-01", published: "2020-06-10")
        revised.lastRevisedOn = day("2026-03-02")
        let found = try #require(PlanRules.over([revised]).findings(asOf: "2026-04-01", .planNotPublished).first)
        #expect(found.ref == "plan:D1:publication:2026-03-02")
        #expect(found.reason.contains("于2026年3月2日修订"))

        var enterprise = F.department(issued: "2026-03-02", published: nil)
        enterprise.kind = .enterprise
        #expect(PlanRules.over([enterprise]).findings(asOf: "2026-06-01", .planNotPublished).isEmpty)
    }

    // MARK: D5, the three-year cycle

    @Test func aDrillExactlyThreeYearsLaterIsInTimeOneDayMoreIsLate() throws {
        let plan = F.special(issued: "2020-06-01")
        let onTime = PlanRules.over([plan], drills: [F.drill("P1", "2023-03-01"), F.drill("P1", "2026-03-01")])
        #expect(onTime.findings(asOf: "2026-12-31", .specialPlanDrillOverdue).isEmpty)

        let none = PlanRules.over([plan], drills: [F.drill("P1", "2023-03-01")])
        #expect(none.findings(asOf: "2026-03-01", .specialPlanDrillOverdue).isEmpty)
        let found = try #require(none.findings(asOf: "2026-03-02", .specialPlanDrillOverdue).first)
        #expect(found.item == .d5 && found.ref == "plan:P1:drill-cycle:2023-03-01")
        #expect(found.occurredAt == cst("2026-03-02T00:00:00+08:00"))
        #expect(found.reason == "政府专项应急预案《丽水市防汛防台应急预案》自2023年3月1日演练后3年内未组织应急演练（应不晚于2026年3月1日）")

        // Drilling a day late still leaves the finding, with the same key: recording the drill
        // does not undo the shortfall.
        let dayLate = PlanRules.over([plan], drills: [F.drill("P1", "2023-03-01"), F.drill("P1", "2026-03-02")])
        let again = try #require(dayLate.findings(asOf: "2026-12-31", .specialPlanDrillOverdue).first)
        #expect(again.key == found.key && again.occurredAt == found.occurredAt)
        #expect(again.reason.hasSuffix("，至2026年3月2日才演练"))
    }

    @Test func aPlanNeverDrilledCountsFromItsIssueAnd29FebruaryEndsOn28February() throws {
        let never = PlanRules.over([F.special(issued: "2022-01-10")])
        #expect(never.findings(asOf: "2025-01-10", .specialPlanDrillOverdue).isEmpty)
        let found = try #require(never.findings(asOf: "2025-01-11", .specialPlanDrillOverdue).first)
        #expect(found.ref == "plan:P1:drill-cycle:2022-01-10")
        #expect(found.reason.contains("于2022年1月10日印发后3年内未组织应急演练"))

        let leap = PlanRules.over([F.special(issued: "2023-06-01")], drills: [F.drill("P1", "2024-02-29")])
        #expect(leap.findings(asOf: "2027-02-28", .specialPlanDrillOverdue).isEmpty)
        #expect(leap.findings(asOf: "2027-03-01", .specialPlanDrillOverdue).map(\.occurredAt) == [day("2027-03-01").start])
    }

    @Test func everyGapThatRanOverIsItsOwnFinding() {
        let rules = PlanRules.over([F.special(issued: "2015-01-01")],
                                   drills: [F.drill("P1", "2019-01-01"), F.drill("P1", "2020-01-01"), F.drill("P1", "2024-06-01")],
                                   from: "2015-01-01")
        #expect(rules.findings(asOf: "2026-01-01", .specialPlanDrillOverdue).map(\.ref) == [
            "plan:P1:drill-cycle:2015-01-01", "plan:P1:drill-cycle:2020-01-01",
        ])
    }

    // MARK: D5, major events

    func event(units: [Int] = [7], plans: [String] = ["P1"]) -> MajorEvent {
        MajorEvent(id: "E1", name: "丽水国际摄影节", startsOn: day("2026-05-01"), endsOn: day("2026-05-05"), unitIDs: units, planIDs: plans)
    }

    @Test func aDrillTheDayBeforeAMajorEventCounts() {
        let rules = PlanRules.over([F.special()], drills: [F.drill("P1", "2026-04-30")], events: [event()])
        #expect(rules.findings(asOf: "2026-05-01", .majorEventNotDrilled).isEmpty)
    }

    @Test func noDrillBeforeAMajorEventIsD5DatedAtItsStart() throws {
        let rules = PlanRules.over([F.special()], events: [event()])
        #expect(rules.findings(asOf: "2026-04-30", .majorEventNotDrilled).isEmpty)
        let found = try #require(rules.findings(asOf: "2026-05-01", .majorEventNotDrilled).first)
        #expect(found.item == .d5 && found.unitID == 7 && found.ref == "event:E1")
        #expect(found.occurredAt == cst("2026-05-01T00:00:00+08:00"))
        #expect(found.reason == "重大活动“丽水国际摄影节”于2026年5月1日举行，举行前365天内未组织《丽水市防汛防台应急预案》应急演练")
    }

    @Test("The window: 365 days before the start counts, 366 does not, the start day itself is not before",
          arguments: [("2025-05-01", true), ("2025-04-30", false), ("2026-05-01", false)])
    func majorEventWindow(drilledOn: String, inTime: Bool) {
        let rules = PlanRules.over([F.special()], drills: [F.drill("P1", drilledOn)], events: [event()])
        #expect(rules.findings(asOf: "2026-06-01", .majorEventNotDrilled).isEmpty == inTime)
    }

    @Test func aUnitWithoutListedPlansMayDrillAnyOfItsPlans() {
        let plans = [F.special(), F.department(unit: 8)]
        let drilled = PlanRules.over(plans, drills: [F.drill("D1", "2026-03-01", unit: 8)], events: [event(units: [8])])
        // Unit 7 owns the listed plan and did not drill it; unit 8 drilled one of its own.
        let found = drilled.findings(asOf: "2026-05-02", .majorEventNotDrilled)
        #expect(found.map(\.unitID) == [7])
        let other = PlanRules.over(plans, drills: [F.drill("D1", "2026-03-01", unit: 8)], events: [event(units: [8], plans: [])])
        #expect(other.findings(asOf: "2026-05-02", .majorEventNotDrilled).isEmpty)
        #expect(PlanRules.over(plans, events: [event(units: [8], plans: [])]).findings(asOf: "2026-05-02", .majorEventNotDrilled)
            .map(\.reason) == ["重大活动“丽水国际摄影节”于2026年5月1日举行，举行前365天内未组织应急演练"])
    }

    // MARK: D1

    @Test func aRequiredPlanIsMissingFromTheDayItIsRequired() throws {
        let rules = PlanRules.over([F.department(requiredFrom: "2026-04-01", issued: nil, published: nil)])
        #expect(rules.findings(asOf: "2026-03-31", .planMissing).isEmpty)
        let found = try #require(rules.findings(asOf: "2026-04-01", .planMissing).first)
        #expect(found.item == .d1 && found.ref == "plan:D1:missing")
        #expect(found.occurredAt == day("2026-04-01").start)
        #expect(found.reason == "按规定应自2026年4月1日起具备的部门应急预案《市水利局水旱灾害应急预案》未制定")
        // Still one finding a year later, with the same key.
        #expect(rules.findings(asOf: "2027-06-01", .planMissing) == [found])

        let issuedInTime = PlanRules.over([F.department(requiredFrom: "2026-04-01", issued: "2026-04-01", published: "2026-04-02")])
        #expect(issuedInTime.findings(asOf: "2026-12-01", .planMissing).isEmpty)
        let issuedLate = PlanRules.over([F.department(requiredFrom: "2026-04-01", issued: "2026-05-10", published: "2026-05-11")])
        #expect(issuedLate.findings(asOf: "2026-12-01", .planMissing).map(\.reason)
            == ["按规定应自2026年4月1日起具备的部门应急预案《市水利局水旱灾害应急预案》至2026年5月10日才印发"])
        #expect(PlanRules.over([F.department(required: false, issued: nil, published: nil)]).findings(asOf: "2027-01-01").isEmpty)
        // Required since before the records: dated at their start.
        let always = PlanRules.over([F.department(issued: nil, published: nil)], from: "2026-01-01")
        #expect(always.findings(asOf: "2026-01-01", .planMissing).map(\.occurredAt) == [day("2026-01-01").start])
    }

    @Test func aRequiredPlanUndrilledInAYearThatHasEndedIsD1() throws {
        let plan = F.department(issued: "2024-06-01", published: "2024-06-05")
        let rules = PlanRules.over([plan], from: "2024-01-01")
        // 2024: issued mid-year, first held to it in 2025. 2025 is judged once it is over.
        #expect(rules.findings(asOf: "2025-12-31", .planNotDrilled).isEmpty)
        let found = try #require(rules.findings(asOf: "2026-01-01", .planNotDrilled).first)
        #expect(found.item == .d1 && found.ref == "plan:D1:drills:2025")
        #expect(found.occurredAt == cst("2025-12-31T23:59:59+08:00"))
        #expect(found.reason == "部门应急预案《市水利局水旱灾害应急预案》2025年应至少演练1次，实际0次")
        #expect(PlanRules.over([plan], drills: [F.drill("D1", "2025-11-11")], from: "2024-01-01")
            .findings(asOf: "2026-01-01", .planNotDrilled).isEmpty)

        // The plan's own count wins; special plans follow D5 unless they set one.
        let twice = PlanRules.over([F.department(drillsPerYear: 2)], drills: [F.drill("D1", "2025-03-01")], from: "2025-01-01")
        #expect(twice.findings(asOf: "2026-01-01", .planNotDrilled).map(\.reason).first?.hasSuffix("应至少演练2次，实际1次") == true)
        #expect(PlanRules.over([F.special()], from: "2025-01-01").findings(asOf: "2026-01-01", .planNotDrilled).isEmpty)
        #expect(PlanRules.over([F.department(drillsPerYear: 0)], from: "2025-01-01").findings(asOf: "2026-01-01", .planNotDrilled).isEmpty)
        // Years that began before the records are not judged.
        #expect(PlanRules.over([F.department()], from: "2025-03-01").findings(asOf: "2026-01-01", .planNotDrilled).isEmpty)
    }

    // MARK: D6

    @Test func eachGovernmentNeedsACompleteRecordForEveryYearOver() throws {
        let records = [
            PerformanceAssessmentRecord(year: 2025, jurisdictionID: "longquan", includedInPerformanceAssessment: true, regularAssessmentsHeld: true),
            PerformanceAssessmentRecord(year: 2025, jurisdictionID: "liandu", includedInPerformanceAssessment: true, regularAssessmentsHeld: false),
            PerformanceAssessmentRecord(year: 2025, jurisdictionID: "qingtian", includedInPerformanceAssessment: false, regularAssessmentsHeld: false),
        ]
        let rules = PlanRules(register: PlanRegister(performanceRecords: records), from: day("2025-01-01"), calendar: .shipped)
        #expect(rules.findings(asOf: day("2025-12-31")).isEmpty)
        let found = rules.findings(asOf: day("2026-01-01"))
        // The city and nine counties, less 龙泉市's complete record; not the development zone.
        #expect(found.count == 9)
        #expect(found.allSatisfy { $0.kind == .performanceAssessmentMissing && $0.item == .d6 && $0.unitID == nil && $0.agency == nil })
        #expect(found.allSatisfy { $0.occurredAt == cst("2025-12-31T23:59:59+08:00") && $0.ref == "performance:2025" })
        #expect(!found.contains { $0.jurisdictionID == "longquan" || $0.jurisdictionID == "kaifaqu" })
        let liandu = try #require(found.first { $0.jurisdictionID == "liandu" })
        #expect(liandu.key == "plan|performance:2025|liandu|performance_assessment_missing")
        #expect(liandu.reason == "莲都区2025年未在日常社会应急联动工作中开展定期考核")
        #expect(found.first { $0.jurisdictionID == "qingtian" }?.reason
            == "青田县未将社会应急联动工作情况纳入2025年政府对各部门绩效考核，2025年未在日常社会应急联动工作中开展定期考核")
        #expect(found.first { $0.jurisdictionID == "city" }?.reason == "市本级未登记2025年将社会应急联动工作纳入政府绩效考核及开展定期考核的情况")
        #expect(Set(found.map(\.key)).count == 9)
    }

    // MARK: Warnings

    @Test func warningsAppearWithinTheHorizonAndNotOutside() throws {
        let rules = PlanRules.over([F.special(due: "2026-06-30")])
        #expect(rules.warnings(asOf: day("2026-05-30")).isEmpty)
        let first = try #require(rules.warnings(asOf: day("2026-05-31")).first)
        #expect(first.kind == .revisionDue && first.kind.item == .d2 && first.unitID == 7 && first.planID == "P1")
        #expect(first.dueOn == day("2026-06-30"))
        #expect(first.text == "政府专项应急预案《丽水市防汛防台应急预案》修订期限为2026年6月30日，须按期完成修订并开展风险评估和应急资源调查")
        #expect(rules.warnings(asOf: day("2026-06-30")).map(\.kind) == [.revisionDue])
        // The day after, it is a finding, no longer a warning.
        #expect(rules.warnings(asOf: day("2026-07-01")).isEmpty)
        // The horizon may be given.
        #expect(rules.warnings(asOf: day("2026-05-01"), horizonDays: 60).map(\.kind) == [.revisionDue])
        #expect(rules.warnings(asOf: day("2026-06-25"), horizonDays: 4).isEmpty)
    }

    @Test func publicationAndDrillCycleWarnings() {
        let unpublished = PlanRules.over([F.department(issued: "2026-03-02", published: nil)])
        let publication = unpublished.warnings(asOf: day("2026-03-02"))
        #expect(publication.map(\.kind) == [.publicationDue])
        #expect(publication.first?.dueOn == day("2026-03-30"))
        #expect(publication.first?.text == "部门应急预案《市水利局水旱灾害应急预案》于2026年3月2日印发，尚未公布，须不晚于2026年3月30日公布")
        #expect(PlanRules.over([F.department(issued: "2026-03-02", published: "2026-03-03")]).warnings(asOf: day("2026-03-04")).isEmpty)

        let cycle = PlanRules.over([F.special()], drills: [F.drill("P1", "2023-03-01")])
        #expect(cycle.warnings(asOf: day("2026-01-29")).isEmpty)
        let soon = cycle.warnings(asOf: day("2026-01-30"))
        #expect(soon.map(\.kind) == [.drillCycleDue])
        #expect(soon.first?.dueOn == day("2026-03-01"))
        #expect(soon.first?.text == "政府专项应急预案《丽水市防汛防台应急预案》上次演练为2023年3月1日，须不晚于2026年3月1日组织应急演练")
        #expect(cycle.warnings(asOf: day("2026-03-02")).isEmpty)
    }

    @Test func majorEventWarningsUntilTheUnitDrills() {
        let rules = PlanRules.over([F.special()], drills: [F.drill("P1", "2023-06-01")], events: [event()])
        // The last day to drill is 30 April: 30 days ahead on 31 March, 31 days on 30 March.
        #expect(rules.warnings(asOf: day("2026-03-30")).isEmpty)
        let warned = rules.warnings(asOf: day("2026-03-31"))
        #expect(warned.map(\.kind) == [.majorEventDrillDue])
        #expect(warned.first?.eventID == "E1" && warned.first?.unitID == 7 && warned.first?.dueOn == day("2026-04-30"))
        #expect(warned.first?.text == "重大活动“丽水国际摄影节”将于2026年5月1日举行，尚未组织《丽水市防汛防台应急预案》应急演练，须在活动前完成")
        let drilled = PlanRules.over([F.special()], drills: [F.drill("P1", "2023-06-01"), F.drill("P1", "2026-04-10")], events: [event()])
        #expect(drilled.warnings(asOf: day("2026-04-11")).isEmpty)
        #expect(rules.warnings(asOf: day("2026-05-01")).isEmpty)
    }

    @Test func yearEndAndRequirementWarnings() {
        let plans = [F.department(issued: "2024-06-01", published: "2024-06-05"),
                     F.department("D2", requiredFrom: "2027-01-01", issued: nil, published: nil)]
        let rules = PlanRules(register: PlanRegister(plans: plans, performanceRecords: F.performance(2026).filter { $0.jurisdictionID != "yunhe" }),
                              from: day("2025-01-01"), calendar: .shipped)
        #expect(rules.warnings(asOf: day("2026-11-30")).isEmpty)
        let december = rules.warnings(asOf: day("2026-12-01"))
        #expect(december.map(\.kind) == [.planRequired, .drillsDue, .performanceRecordDue])
        #expect(december.allSatisfy { $0.dueOn == day("2026-12-31") })
        #expect(december[0].text == "部门应急预案《市水利局水旱灾害应急预案》须自2027年1月1日起具备，目前尚未印发")
        #expect(december[1].text == "部门应急预案《市水利局水旱灾害应急预案》2026年应至少演练1次，目前0次，须在2026年12月31日前完成")
        #expect(december[2].jurisdictionID == "yunhe" && december[2].unitID == nil)
        #expect(december[2].text == "云和县2026年将社会应急联动工作纳入政府绩效考核及开展定期考核的情况尚未登记齐全，截止2026年12月31日")
    }

    // MARK: Idempotency, dating, versions

    @Test func judgingAgainGivesTheSameFindings() {
        let rules = PlanRules(register: PlanRegister(
            plans: [F.special(revised: "2025-05-01", due: "2026-06-30", risk: false, published: nil),
                    F.department(issued: nil, published: nil)],
            drills: [F.drill("P1", "2022-01-01")], events: [event()]), from: day("2025-01-01"), calendar: .shipped)
        let first = rules.findings(asOf: day("2026-08-01"))
        #expect(first == rules.findings(asOf: day("2026-08-01")))
        #expect(Set(first.map(\.key)).count == first.count)
        #expect(Set(first.map(\.kind)) == [.planRevisionOverdue, .planRevisionUnassessed, .planNotPublished, .specialPlanDrillOverdue,
                                           .majorEventNotDrilled, .planMissing, .performanceAssessmentMissing])
        #expect(first.allSatisfy { $0.source == .plan && $0.proposedPoints == Points(1.0) })
        // Later, the same shortfalls have the same keys and dates; new ones only add.
        let later = rules.findings(asOf: day("2027-03-01"))
        for finding in first { #expect(later.contains(finding), "\(finding.key)") }
        #expect(first.map(\.occurredAt) == first.map(\.occurredAt).sorted())
    }

    @Test func shortfallsBeforeTheRecordsBeginAreLeftOutOrDatedAtTheirStart() {
        let plan = F.special(issued: "2015-01-01", revised: "2019-01-01", due: "2022-01-01", risk: false, published: "2015-01-05")
        let rules = PlanRules.over([plan], drills: [F.drill("P1", "2016-01-01")], from: "2026-01-01")
        let found = rules.findings(asOf: "2026-03-01")
        // Still standing on 1 January 2026, dated then: the drill cycle run out in 2019, the 2019
        // revision never published (the 2015 publication was of the first text), the revision
        // overdue since 2022. The 2019 revision without a risk assessment is history.
        #expect(found.map(\.kind) == [.specialPlanDrillOverdue, .planNotPublished, .planRevisionOverdue])
        #expect(found.allSatisfy { $0.occurredAt == day("2026-01-01").start })
        #expect(found.map(\.ref) == ["plan:P1:drill-cycle:2016-01-01", "plan:P1:publication:2019-01-01", "plan:P1:revision:2022-01-01"])
        // A shortfall that was over before the records began is left out.
        var published = plan
        published.publishedOn = day("2020-06-01")
        #expect(!PlanRules.over([published], from: "2026-01-01").findings(asOf: "2026-03-01").contains { $0.kind == .planNotPublished })
    }

    func revisedBook() throws -> RuleBook {
        var revision = RuleSet.initial
        revision.version = "2027.1"
        revision.effectiveFrom = day("2027-01-01")
        revision.specialPlanDrillYears = 2
        revision.defaultPoints[FindingKind.specialPlanDrillOverdue.rawValue] = Points(2.0)
        revision.defaultPoints[FindingKind.planRevisionOverdue.rawValue] = Points(1.5)
        return try RuleBook.standard.adding(revision, today: day("2026-06-01"))
    }

    @Test func aRevisionJudgesLaterFindingsAndEarlierOnesKeepTheirVersion() throws {
        let book = try revisedBook()
        let plans = [F.special("A", issued: "2023-01-01"), F.special("B", issued: "2023-01-01"), F.special("C", issued: "2023-01-01"),
                     F.special("R1", due: "2026-12-30"), F.special("R2", due: "2026-12-31")]
        let drills = [F.drill("A", "2023-03-01"), F.drill("B", "2024-06-01"), F.drill("C", "2025-03-01"),
                      F.drill("R1", "2026-01-01"), F.drill("R2", "2026-01-01")]
        let found = PlanRules.over(plans, drills: drills, book: book).findings(asOf: "2027-12-31")
        func one(_ plan: String, _ kind: FindingKind) -> Finding? {
            found.first { $0.ref.hasPrefix("plan:\(plan):") && $0.kind == kind }
        }
        // A: three years ran out in March 2026, under the first version.
        #expect(one("A", .specialPlanDrillOverdue)?.occurredAt == day("2026-03-02").start)
        #expect(one("A", .specialPlanDrillOverdue)?.ruleVersion == "2020.1")
        #expect(one("A", .specialPlanDrillOverdue)?.proposedPoints == Points(1.0))
        #expect(one("A", .specialPlanDrillOverdue)?.reason.contains("3年内") == true)
        // B: two years from June 2024 ran out before the revision took effect, three years had
        // not: late from the revision's first day, judged by it.
        #expect(one("B", .specialPlanDrillOverdue)?.occurredAt == day("2027-01-01").start)
        #expect(one("B", .specialPlanDrillOverdue)?.ruleVersion == "2027.1")
        #expect(one("B", .specialPlanDrillOverdue)?.proposedPoints == Points(2.0))
        #expect(one("B", .specialPlanDrillOverdue)?.reason.contains("2年内") == true)
        // C: two years from March 2025 under the revision.
        #expect(one("C", .specialPlanDrillOverdue)?.occurredAt == day("2027-03-02").start)
        // D2: overdue on 31 December (old figure) or 1 January (new figure).
        #expect(one("R1", .planRevisionOverdue)?.proposedPoints == Points(1.0))
        #expect(one("R1", .planRevisionOverdue)?.ruleVersion == "2020.1")
        #expect(one("R2", .planRevisionOverdue)?.proposedPoints == Points(1.5))
        #expect(one("R2", .planRevisionOverdue)?.ruleVersion == "2027.1")
        // Judged before the revision takes effect, nothing of it shows.
        let early = PlanRules.over(plans, drills: drills, book: book).findings(asOf: "2026-12-31")
        #expect(!early.contains { $0.ruleVersion == "2027.1" })
        #expect(early.contains { $0.ref == "plan:R1:revision:2026-12-30" })
    }

    @Test func aRevisionOfThePublicationWindowAppliesFromItsDate() throws {
        var revision = RuleSet.initial
        revision.version = "2026.2"
        revision.effectiveFrom = day("2026-03-20")
        revision.plans.publicationWorkingDays = 10
        let book = try RuleBook.standard.adding(revision, today: day("2026-03-01"))
        // Issued 2 March: ten working days end on 16 March, before the revision; twenty on 30
        // March, after it. From 20 March the revision says it is late.
        let found = PlanRules.over([F.department(issued: "2026-03-02", published: nil)], book: book).findings(asOf: "2026-03-20", .planNotPublished)
        #expect(found.map(\.occurredAt) == [day("2026-03-20").start])
        #expect(found.first?.ruleVersion == "2026.2")
        #expect(found.first?.reason.contains("应在10个工作日内（不晚于2026年3月16日）公布") == true)
        #expect(PlanRules.over([F.department(issued: "2026-03-02", published: nil)], book: book)
            .findings(asOf: "2026-03-19", .planNotPublished).isEmpty)
    }

    // MARK: The register

    @Test func registerProblemsNameTheField() {
        var plan = F.special(revised: "2021-01-01", due: "2020-12-01")
        plan.drillsPerYear = -1
        let register = PlanRegister(
            plans: [plan, F.special(), EmergencyPlan(id: "X", unitID: 1, name: " ", kind: .department, required: true, issuedOn: nil,
                                                     lastRevisedOn: day("2026-01-01"))],
            drills: [F.drill("nope", "2026-01-01")],
            events: [MajorEvent(id: "E", name: "e", startsOn: day("2026-05-02"), endsOn: day("2026-05-01"), unitIDs: [], planIDs: [])],
            performanceRecords: [PerformanceAssessmentRecord(year: 2025, jurisdictionID: "mars", includedInPerformanceAssessment: true,
                                                             regularAssessmentsHeld: true)])
        let fields = register.problems().map(\.field)
        #expect(fields == ["plans[0].next_revision_due", "plans[0].drills_per_year", "plans[1].id", "plans[2].name",
                           "plans[2].last_revised_on", "drills[0].plan_id", "events[0].ends_on", "events[0].unit_ids",
                           "performance_records[0].jurisdiction_id"])
        #expect(register.problems()[0].message == "下次修订期限2020年12月1日应晚于最近修订日期2021年1月1日")
        let good = PlanRegister(plans: [F.special(due: "2026-01-01")], drills: [F.drill("P1", "2022-01-01")], events: [event()],
                                performanceRecords: F.performance(2025))
        #expect(good.problems().isEmpty)
    }

    @Test func theRegisterTravelsAsSnakeCaseJSON() throws {
        let register = PlanRegister(plans: [F.special(due: "2026-06-30")], drills: [F.drill("P1", "2023-03-01")], events: [event()],
                                    performanceRecords: F.performance(2025))
        let data = try JSONEncoder().encode(register)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"unit_id\"", "\"next_revision_due\":\"2026-06-30\"", "\"held_on\"", "\"plan_ids\"", "\"performance_records\"",
                    "\"jurisdiction_id\"", "\"last_revision_resource_survey\""] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(try JSONDecoder().decode(PlanRegister.self, from: data) == register)
        #expect(PlanKind(parsing: "政府专项应急预案") == .special && PlanKind(parsing: "部门预案") == .department)
        #expect(PlanKind(parsing: "enterprise") == .enterprise && PlanKind(parsing: "其他") == nil)
    }
}
