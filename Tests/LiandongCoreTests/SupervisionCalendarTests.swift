import Foundation
import Testing
@testable import LiandongCore

@Suite("Supervision calendar: monthly phone checks, quarterly joint checks, half-yearly meetings, D7")
struct SupervisionCalendarTests {
    let rules = RuleSet.initial

    func day(_ text: String) -> LocalDate { LocalDate(text)! }

    func phone(_ at: String) -> SupervisionActivity { SupervisionActivity(kind: .phoneCheck, at: cst(at)) }

    func statuses(_ periods: [SupervisionPeriod], _ kind: SupervisionDuty.Kind) -> [String: SupervisionPeriod.Status] {
        Dictionary(uniqueKeysWithValues: periods.filter { $0.duty.id == kind }.map { ($0.label, $0.status) })
    }

    @Test func lastSecondOfMarchCountsForMarchFirstSecondOfAprilForApril() {
        let periods = SupervisionCalendar.periods(
            rules: rules, activities: [phone("2026-03-31T23:59:59+08:00")], from: day("2026-03-01"), asOf: day("2026-05-15"))
        #expect(statuses(periods, .phoneCheck) == ["2026-03": .done, "2026-04": .overdue, "2026-05": .due])

        let april = SupervisionCalendar.periods(
            rules: rules, activities: [phone("2026-04-01T00:00:00+08:00")], from: day("2026-03-01"), asOf: day("2026-05-15"))
        #expect(statuses(april, .phoneCheck) == ["2026-03": .overdue, "2026-04": .done, "2026-05": .due])

        // The same instant written in UTC is still 1 April in China.
        let utc = SupervisionCalendar.periods(
            rules: rules, activities: [phone("2026-03-31T16:00:00Z")], from: day("2026-03-01"), asOf: day("2026-05-15"))
        #expect(statuses(utc, .phoneCheck)["2026-04"] == .done)
        #expect(statuses(utc, .phoneCheck)["2026-03"] == .overdue)
    }

    @Test func periodsOfAllDuties() {
        let activities = [
            phone("2026-01-20T10:00:00+08:00"), phone("2026-02-03T10:00:00+08:00"), phone("2026-02-25T10:00:00+08:00"),
            SupervisionActivity(kind: .jointCheck, at: cst("2026-03-10T14:00:00+08:00")),
        ]
        let periods = SupervisionCalendar.periods(rules: rules, activities: activities, from: day("2026-01-01"), asOf: day("2026-04-15"))
        #expect(periods.map(\.ref) == [
            "phone_check-2026-01", "phone_check-2026-02", "phone_check-2026-03", "phone_check-2026-04",
            "joint_check-2026-Q1", "joint_check-2026-Q2",
            "consultation-2026-H1",
        ])
        #expect(periods.map(\.status) == [.done, .done, .overdue, .due, .done, .due, .due])
        #expect(periods.map(\.count) == [1, 2, 0, 0, 1, 0, 0])
        #expect(periods[4].start == day("2026-01-01"))
        #expect(periods[4].end == day("2026-04-01"))
        #expect(periods[4].chineseLabel == "2026年第一季度")
        #expect(periods[6].chineseLabel == "2026年上半年")
        #expect(periods[6].end == day("2026-07-01"))
        #expect(periods[0].chineseLabel == "2026年1月")
    }

    @Test func missedDutiesAreD7AgainstEachAgency() throws {
        let findings = SupervisionCalendar.missedDutyFindings(rules: rules, activities: [], from: day("2026-01-01"), asOf: day("2026-07-01"))
        // Six months (police), two quarters (EMB and police), one half-year (all three); July is still running.
        #expect(findings.count == 6 + 2 * 2 + 3)
        #expect(findings.allSatisfy { $0.kind == .supervisionMissed && $0.item == .d7 && $0.source == .supervision })
        #expect(findings.allSatisfy { $0.unitID == nil && $0.agency != nil && $0.proposedPoints == Points(1.0) })
        #expect(findings.allSatisfy { $0.ruleVersion == rules.version })
        #expect(!findings.contains { $0.ref == "phone_check-2026-07" })
        #expect(Set(findings.map(\.key)).count == findings.count)

        let march = try #require(findings.first { $0.ref == "phone_check-2026-03" })
        #expect(march.agency == .psb)
        #expect(march.occurredAt == cst("2026-03-31T23:59:59+08:00"))
        #expect(march.reason == "2026年3月日常电话检查应至少开展1次，实际0次")

        let q1 = findings.filter { $0.ref == "joint_check-2026-Q1" }
        #expect(q1.map(\.agency) == [.emb, .psb])
        #expect(q1.allSatisfy { $0.occurredAt == cst("2026-03-31T23:59:59+08:00") })
        #expect(q1.first?.reason == "2026年第一季度实地或视频联合检查应至少开展1次，实际0次")

        let h1 = findings.filter { $0.ref == "consultation-2026-H1" }
        #expect(h1.map(\.agency) == [.plc, .emb, .psb])
        #expect(h1.allSatisfy { $0.occurredAt == cst("2026-06-30T23:59:59+08:00") })
    }

    @Test func aPeriodStillRunningYieldsNoFinding() {
        // 31 March: March is due, not overdue, so no D7 yet; on 1 April it is.
        let onLastDay = SupervisionCalendar.missedDutyFindings(rules: rules, activities: [], from: day("2026-03-01"), asOf: day("2026-03-31"))
        #expect(onLastDay.isEmpty)
        let next = SupervisionCalendar.missedDutyFindings(rules: rules, activities: [], from: day("2026-03-01"), asOf: day("2026-04-01"))
        #expect(next.map(\.ref) == ["phone_check-2026-03"])
    }

    @Test func doneDutiesYieldNoFinding() {
        let activities = (1...12).map { phone(String(format: "2026-%02d-15T09:00:00+08:00", $0)) }
            + ["2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01"].map {
                SupervisionActivity(kind: .jointCheck, at: cst("\($0)T10:00:00+08:00"))
            }
            + ["2026-06-30T18:00:00+08:00", "2026-12-31T23:59:59+08:00"].map { SupervisionActivity(kind: .consultation, at: cst($0)) }
        let findings = SupervisionCalendar.missedDutyFindings(rules: rules, activities: activities, from: day("2026-01-01"), asOf: day("2027-01-01"))
        #expect(findings.isEmpty)
        // Without the December meeting, the second half-year is missed.
        let short = SupervisionCalendar.missedDutyFindings(rules: rules, activities: activities.dropLast(), from: day("2026-01-01"), asOf: day("2027-01-01"))
        #expect(Set(short.map(\.ref)) == ["consultation-2026-H2"])
    }

    @Test func theMinimumComesFromTheRules() {
        var twice = RuleSet.initial
        twice.supervisionDuties = [SupervisionDuty(id: .phoneCheck, title: "日常电话检查", period: .month, minimumCount: 2, agencies: [.psb])]
        let one = SupervisionCalendar.periods(rules: twice, activities: [phone("2026-03-04T09:00:00+08:00")],
                                              from: day("2026-03-01"), asOf: day("2026-04-01"))
        #expect(one.map(\.status) == [.overdue, .due])
        let two = SupervisionCalendar.periods(rules: twice, activities: [phone("2026-03-04T09:00:00+08:00"), phone("2026-03-20T09:00:00+08:00")],
                                              from: day("2026-03-01"), asOf: day("2026-04-01"))
        #expect(two.map(\.status) == [.done, .due])
        let findings = SupervisionCalendar.missedDutyFindings(rules: twice, activities: [phone("2026-03-04T09:00:00+08:00")],
                                                              from: day("2026-03-01"), asOf: day("2026-04-01"))
        #expect(findings.map(\.reason) == ["2026年3月日常电话检查应至少开展2次，实际1次"])
    }

    @Test func periodsBeginningBeforeFromAreLeftOut() {
        // Records complete from 15 February: February, Q1 and H1 cannot be judged.
        let periods = SupervisionCalendar.periods(rules: rules, activities: [], from: day("2026-02-15"), asOf: day("2026-07-02"))
        #expect(periods.map(\.ref) == [
            "phone_check-2026-03", "phone_check-2026-04", "phone_check-2026-05", "phone_check-2026-06", "phone_check-2026-07",
            "joint_check-2026-Q2", "joint_check-2026-Q3", "consultation-2026-H2",
        ])
        #expect(SupervisionCalendar.periods(rules: rules, activities: [], from: day("2026-05-01"), asOf: day("2026-04-30")).isEmpty)
    }

    @Test func periodsCrossTheYear() {
        let periods = SupervisionCalendar.periods(rules: rules, activities: [], from: day("2025-10-01"), asOf: day("2026-01-05"))
        #expect(statuses(periods, .phoneCheck) == ["2025-10": .overdue, "2025-11": .overdue, "2025-12": .overdue, "2026-01": .due])
        #expect(statuses(periods, .jointCheck) == ["2025-Q4": .overdue, "2026-Q1": .due])
        #expect(statuses(periods, .consultation) == ["2026-H1": .due])
        let dec = periods.first { $0.label == "2025-12" }
        #expect(dec?.lastInstant == cst("2025-12-31T23:59:59+08:00"))
        #expect(dec?.contains(cst("2025-12-31T23:59:59+08:00")) == true)
        #expect(dec?.contains(cst("2026-01-01T00:00:00+08:00")) == false)
    }

    @Test func otherDutiesActivitiesDoNotCount() {
        let periods = SupervisionCalendar.periods(
            rules: rules, activities: [SupervisionActivity(kind: .consultation, at: cst("2026-03-04T09:00:00+08:00"))],
            from: day("2026-03-01"), asOf: day("2026-04-01"))
        #expect(statuses(periods, .phoneCheck)["2026-03"] == .overdue)
        #expect(statuses(periods, .jointCheck)["2026-Q2"] == .due)
    }

    @Test func aJointCheckCountsOnlyWhenBothAgenciesTookPart() {
        func joint(_ agencies: Set<Agency>?) -> SupervisionActivity {
            SupervisionActivity(kind: .jointCheck, at: cst("2026-02-10T14:00:00+08:00"), agencies: agencies)
        }
        func q1(_ activities: [SupervisionActivity]) -> SupervisionPeriod? {
            SupervisionCalendar.periods(rules: rules, activities: activities, from: day("2026-01-01"), asOf: day("2026-04-01"))
                .first { $0.ref == "joint_check-2026-Q1" }
        }
        // The police alone, or the EMB alone: the quarter's joint check is not done.
        for alone in [Set([Agency.psb]), [.emb], []] {
            let period = q1([joint(alone)])
            #expect(period?.status == .overdue && period?.count == 0 && period?.incomplete == 1)
        }
        // Both agencies (the PLC as well makes no difference).
        #expect(q1([joint([.emb, .psb])])?.status == .done)
        #expect(q1([joint([.emb, .psb, .plc])])?.status == .done)
        // A record that does not say who took part counts as it always did.
        #expect(q1([joint(nil)])?.status == .done)
        // The D7 finding says why the one check did not count.
        let findings = SupervisionCalendar.missedDutyFindings(rules: rules, activities: [joint([.psb])], from: day("2026-01-01"), asOf: day("2026-04-01"))
            .filter { $0.ref == "joint_check-2026-Q1" }
        #expect(findings.map(\.agency) == [.emb, .psb])
        #expect(findings.first?.reason == "2026年第一季度实地或视频联合检查应至少开展1次，实际0次（另有1次未由市应急管理局、市公安局共同参加，不计入）")
        // Phone checks and meetings record no agencies and count as before.
        #expect(SupervisionActivity(kind: .phoneCheck, at: cst("2026-02-10T09:00:00+08:00")).counts(for: rules.duty(.phoneCheck)))
    }
}
