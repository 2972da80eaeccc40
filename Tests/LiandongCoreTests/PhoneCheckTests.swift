import Foundation
import Testing
@testable import LiandongCore

@Suite("Phone checks: three unanswered calls, unreported changes, the first-responsibility rule")
struct PhoneCheckTests {
    let rules = RuleSet.initial

    func check(_ answers: [Bool], times: [String] = ["09:10", "09:13", "09:16", "09:19"], dialled: PhoneCheck.Dialled = .duty,
               answeredBy: String? = nil, numberCurrent: Bool? = nil, changeReported: Bool = false,
               knows: Bool? = nil) -> PhoneCheck {
        PhoneCheck(checkID: "PC-2026-03-001", unitID: 7, dialled: dialled,
                   attempts: zip(times, answers).map { PhoneCheck.Attempt(at: cst($0), answered: $1) },
                   answeredBy: answeredBy, numberCurrent: numberCurrent, changeReported: changeReported,
                   knowsFirstResponsibility: knows)
    }

    @Test func threeUnansweredCallsAreD8() throws {
        let c = check([false, false, false])
        try c.validate(rules: rules)
        let findings = c.judge(rules: rules)
        #expect(findings.count == 1)
        let f = try #require(findings.first)
        #expect(f.kind == .phoneUnanswered)
        #expect(f.item == .d8)
        #expect(f.proposedPoints == Points(1.0))
        #expect(f.source == .phone)
        #expect(f.ref == "PC-2026-03-001")
        #expect(f.unitID == 7)
        #expect(f.agency == nil)
        #expect(f.occurredAt == cst("09:16"))
        #expect(f.reason == "值班电话连续3次无人接听（09:10、09:13、09:16）")
        #expect(f.ruleVersion == "2020.1")
    }

    @Test func liaisonReasonAndSecondsInTimes() throws {
        let c = check([false, false, false], times: ["09:10", "09:13:30", "09:16"], dialled: .liaison)
        #expect(c.judge(rules: rules).map(\.reason) == ["联络员电话连续3次无人接听（09:10、09:13:30、09:16）"])
    }

    @Test("Fewer calls than the rule's number, all unanswered: the check is incomplete, not failed",
          arguments: [[false], [false, false]])
    func incompleteCheckIsNoFinding(answers: [Bool]) throws {
        let c = check(answers)
        try c.validate(rules: rules)
        #expect(c.judge(rules: rules).isEmpty)
    }

    @Test("Answered on any call: no D8", arguments: [[true], [false, true], [false, false, true]])
    func answeredOnAnyAttempt(answers: [Bool]) throws {
        let c = check(answers, answeredBy: "值班员")
        try c.validate(rules: rules)
        #expect(c.judge(rules: rules).isEmpty)
    }

    @Test func theNumberOfCallsComesFromTheRules() throws {
        var two = RuleSet.initial
        two.phoneCheckAttempts = 2
        let c = check([false, false])
        try c.validate(rules: two)
        let findings = c.judge(rules: two)
        #expect(findings.map(\.kind) == [.phoneUnanswered])
        #expect(findings.first?.reason == "值班电话连续2次无人接听（09:10、09:13）")
        // Three calls exceed that rule version's maximum.
        #expect(throws: CheckProblem.self) { try check([false, false, false]).validate(rules: two) }
    }

    @Test func unreportedChangeIsD8HalfPoint() throws {
        let c = check([true], answeredBy: "张三", numberCurrent: false)
        try c.validate(rules: rules)
        let findings = c.judge(rules: rules)
        #expect(findings.map(\.kind) == [.unreportedContactChange])
        #expect(findings.first?.item == .d8)
        #expect(findings.first?.proposedPoints == Points(0.5))
        #expect(findings.first?.occurredAt == cst("09:10"))
        #expect(findings.first?.reason == "登记的值班电话已不是本单位使用的号码，且未报备变更")
    }

    @Test func reportedChangeOrCurrentNumberIsNoFinding() {
        #expect(check([true], numberCurrent: false, changeReported: true).judge(rules: rules).isEmpty)
        #expect(check([true], numberCurrent: true).judge(rules: rules).isEmpty)
        #expect(check([true], numberCurrent: nil).judge(rules: rules).isEmpty)
    }

    @Test func deadNumberIsBothShortfalls() throws {
        // A number no longer in service: nobody answers, and the register is out of date.
        let c = check([false, false, false], numberCurrent: false)
        try c.validate(rules: rules)
        #expect(c.judge(rules: rules).map(\.kind) == [.phoneUnanswered, .unreportedContactChange])
        #expect(Set(c.judge(rules: rules).map(\.key)).count == 2)
    }

    @Test func notKnowingFirstResponsibilityIsD12() throws {
        let c = check([false, true], knows: false)
        try c.validate(rules: rules)
        let findings = c.judge(rules: rules)
        #expect(findings.map(\.kind) == [.dutiesUnknown])
        #expect(findings.first?.item == .d12)
        #expect(findings.first?.proposedPoints == Points(0.5))
        #expect(findings.first?.occurredAt == cst("09:13"))
        #expect(findings.first?.reason == "值班电话接听人不熟悉首处责任制")
        #expect(check([true], knows: true).judge(rules: rules).isEmpty)
        #expect(check([true], knows: nil).judge(rules: rules).isEmpty)
    }

    func problem(_ c: PhoneCheck) -> CheckProblem? {
        do { try c.validate(rules: rules); return nil } catch { return error }
    }

    @Test func validation() {
        #expect(problem(check([])) == CheckProblem(field: "attempts", message: "至少应记录1次拨打"))
        #expect(problem(check([false, false, false, false]))?.field == "attempts")
        #expect(problem(check([false, false, false, false]))?.message == "一次电话检查最多拨打3次，记录了4次")
        // Times strictly increasing: equal is wrong, as is going back.
        #expect(problem(check([false, false], times: ["09:10", "09:10"]))?.field == "attempts[1].at")
        #expect(problem(check([false, false, false], times: ["09:10", "09:13", "09:12"]))?.field == "attempts[2].at")
        #expect(problem(check([false, false], times: ["09:10", "09:10:01"])) == nil)
        // Nothing after the first answer.
        #expect(problem(check([true, false]))?.field == "attempts[1]")
        #expect(problem(check([false, true, true]))?.field == "attempts[2]")
        // Nobody answered: nobody to name or to question.
        #expect(problem(check([false, false, false], answeredBy: "张三"))?.field == "answered_by")
        #expect(problem(check([false, false, false], knows: false))?.field == "knows_first_responsibility")
        #expect(problem(check([false, false, false], numberCurrent: false)) == nil)
        var blank = check([true])
        blank.checkID = "  "
        #expect(problem(blank)?.field == "check_id")
    }

    @Test func invalidCheckWithoutAttemptsJudgesToNothing() {
        #expect(check([]).judge(rules: rules).isEmpty)
    }
}
