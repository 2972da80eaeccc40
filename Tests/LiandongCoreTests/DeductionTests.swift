import Foundation
import Testing
@testable import LiandongCore

@Suite("Deductions: joint confirmation (§三.1)")
struct DeductionStateTests {
    let rules = RuleSet.initial
    let t = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func bothAgenciesAtTheSameFigureConfirm() throws {
        var d = DeductionState(item: .d9, points: Points(1.0))
        try d.confirm(by: .emb, officer: "emb-li", at: t, rules: rules)
        #expect(d.status == .proposed && d.awaiting == [.psb])
        try d.confirm(by: .psb, officer: "psb-wang", at: t, rules: rules)
        #expect(d.status == .confirmed && d.awaiting.isEmpty && d.points == Points(1.0))
    }

    @Test func aDifferentFigureGoesBackForAgreement() throws {
        var d = DeductionState(item: .d9, points: Points(1.0))
        try d.confirm(by: .emb, officer: "emb-li", at: t, rules: rules)
        try d.confirm(by: .psb, officer: "psb-wang", points: Points(1.5), reason: "迟到期间未报告", at: t, rules: rules)
        #expect(d.status == .proposed && d.points == Points(1.5) && d.awaiting == [.emb])
        try d.confirm(by: .emb, officer: "emb-li", at: t, rules: rules)
        #expect(d.status == .confirmed && d.points == Points(1.5))
    }

    @Test func onePersonCannotConfirmForBothAgencies() throws {
        var d = DeductionState(item: .d10, points: Points(2.0))
        try d.confirm(by: .emb, officer: "zhang", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.samePersonForBothAgencies("zhang")) {
            try d.confirm(by: .psb, officer: "zhang", at: t, rules: rules)
        }
        #expect(d.status == .proposed)
    }

    @Test("Figures: 0.5..2 in steps of 0.5, with a reason", arguments: [(0.0, false), (0.5, true), (1.2, false), (2.0, true), (2.5, false)])
    func figures(value: Double, allowed: Bool) {
        var d = DeductionState(item: .d9, points: Points(1.0))
        do {
            try d.confirm(by: .emb, officer: "a", points: Points(value), reason: "理由", at: t, rules: rules)
            #expect(allowed)
        } catch {
            #expect(!allowed)
            #expect(error == .pointsOutOfRange(Points(value), rules.pointsRange.chinese))
        }
    }

    @Test func aChangedFigureNeedsAReason() {
        var d = DeductionState(item: .d9, points: Points(1.0))
        #expect(throws: DeductionState.Problem.reasonRequired) {
            try d.confirm(by: .emb, officer: "a", points: Points(1.5), reason: "  ", at: t, rules: rules)
        }
    }

    @Test func provincialFiguresAreFixed() throws {
        var d = DeductionState(item: .d11, points: rules.cityPoints(forProvincial: Points(1.5)))
        #expect(throws: DeductionState.Problem.fixedFigure) {
            try d.confirm(by: .emb, officer: "a", points: Points(2.0), reason: "x", at: t, rules: rules)
        }
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        try d.confirm(by: .psb, officer: "b", at: t, rules: rules)
        #expect(d.status == .confirmed && d.points == Points(3.0))
    }

    @Test func onlyTheTwoAgenciesConfirmAndOnlyOnce() throws {
        var d = DeductionState(item: .d8, points: Points(1.0))
        #expect(throws: DeductionState.Problem.notADecider(.plc, [.emb, .psb])) { try d.confirm(by: .plc, officer: "p", at: t, rules: rules) }
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.alreadyConfirmed(.emb)) { try d.confirm(by: .emb, officer: "a", at: t, rules: rules) }
    }

    @Test func rejectionNeedsBothAgenciesIsFinalAndNeedsAReason() throws {
        var d = DeductionState(item: .d12, points: Points(0.5))
        #expect(throws: DeductionState.Problem.reasonRequired) { try d.reject(by: .psb, officer: "b", reason: "", at: t) }
        try d.reject(by: .psb, officer: "b", reason: "经核实该单位已按时到场", at: t)
        // Issue 15: one agency's rejection is not final; it awaits the other.
        #expect(d.status == .proposed && d.awaiting == [.emb] && d.onTable == "驳回")
        try d.reject(by: .emb, officer: "a", reason: "同意驳回", at: t)
        #expect(d.status == .rejected && d.rejection?.reason == "同意驳回")
        #expect(d.rejections?["psb"]?.reason == "经核实该单位已按时到场")
        #expect(throws: DeductionState.Problem.notPending(.rejected)) { try d.confirm(by: .emb, officer: "a", at: t, rules: rules) }
        var confirmed = DeductionState(item: .d9, points: Points(0.5))
        try confirmed.confirm(by: .emb, officer: "a", at: t, rules: rules)
        try confirmed.confirm(by: .psb, officer: "b", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.notPending(.confirmed)) { try confirmed.reject(by: .emb, officer: "a", reason: "x", at: t) }
        confirmed.withdraw()
        #expect(confirmed.status == .confirmed)
    }
}

@Suite("Appeals (申诉)")
struct AppealTests {
    let rules = RuleSet.initial

    func confirmed(at: Date) throws -> DeductionState {
        var d = DeductionState(item: .d9, points: Points(1.5), notifiedAt: at)
        try d.confirm(by: .emb, officer: "a", at: at, rules: rules)
        try d.confirm(by: .psb, officer: "b", at: at, rules: rules)
        return d
    }

    /// Notified on Wednesday 30 September 2026, before the National Day holiday: 10-1 to 10-7 do
    /// not count, Saturday 10-10 does. The fifth working day is Tuesday 13 October.
    @Test func theWindowSkipsHolidaysAndCountsMakeUpDays() throws {
        let d = try confirmed(at: ChinaTime.parseTimestamp("2026-09-30T16:00:00+08:00")!)
        #expect(d.appealDeadline(workingDays: rules.appealWindowWorkingDays, calendar: .shipped) == ChinaTime.parseTimestamp("2026-10-13T23:59:59+08:00"))
    }

    @Test func theWindowIsFiveWorkingDays() throws {
        // Confirmed on Friday 2026-03-06: the fifth working day after is Friday 2026-03-13.
        let friday = ChinaTime.parseTimestamp("2026-03-06T10:00:00+08:00")!
        let d = try confirmed(at: friday)
        #expect(d.appealDeadline(workingDays: rules.appealWindowWorkingDays, calendar: .shipped) == ChinaTime.parseTimestamp("2026-03-13T23:59:59+08:00"))
        var onTime = d
        try onTime.lodgeAppeal(statement: "当日道路封闭，无法按时到达", by: "水利局联络员", at: ChinaTime.parseTimestamp("2026-03-13T23:59:59+08:00")!, rules: rules, calendar: .shipped)
        #expect(onTime.status == .appealed)
        var late = d
        #expect(throws: DeductionState.Problem.appealClosed(ChinaTime.parseTimestamp("2026-03-13T23:59:59+08:00")!)) {
            try late.lodgeAppeal(statement: "x", by: "y", at: ChinaTime.parseTimestamp("2026-03-14T00:00:00+08:00")!, rules: rules, calendar: .shipped)
        }
    }

    @Test func decisionsAreFinal() throws {
        let t = ChinaTime.parseTimestamp("2026-03-06T10:00:00+08:00")!
        var d = try confirmed(at: t)
        try d.lodgeAppeal(statement: "道路封闭", by: "u", at: t, rules: rules, calendar: .shipped)
        #expect(throws: DeductionState.Problem.reductionMustLower) {
            try d.decideAppeal(.reduce, agency: .emb, officer: "a", points: Points(2.0), reason: "x", at: t, rules: rules)
        }
        try d.decideAppeal(.reduce, agency: .emb, officer: "a", points: Points(0.5), reason: "情况属实，酌情减轻", at: t, rules: rules)
        // Issue 15: the other agency must agree on the same outcome and figure.
        #expect(d.status == .appealed && d.awaiting == [.psb])
        try d.decideAppeal(.reduce, agency: .psb, officer: "b", points: Points(0.5), reason: "同意减轻", at: t, rules: rules)
        #expect(d.status == .confirmed && d.points == Points(0.5) && d.appeal?.decision == .reduce)
        #expect(throws: DeductionState.Problem.alreadyAppealed) { try d.lodgeAppeal(statement: "再次", by: "u", at: t, rules: rules, calendar: .shipped) }
        #expect(throws: DeductionState.Problem.notAppealed) {
            try d.decideAppeal(.withdraw, agency: .psb, officer: "b", reason: "x", at: t, rules: rules)
        }
        var w = try confirmed(at: t)
        try w.lodgeAppeal(statement: "非本单位职责", by: "u", at: t, rules: rules, calendar: .shipped)
        try w.decideAppeal(.withdraw, agency: .psb, officer: "b", reason: "经核实不属本单位", at: t, rules: rules)
        try w.decideAppeal(.withdraw, agency: .emb, officer: "a", reason: "同意撤销", at: t, rules: rules)
        #expect(w.status == .withdrawn)
    }
}

/// Issue 15 item 3: appeals and rejections are joint decisions, and an agency does not decide a
/// deduction against itself.
@Suite("Joint decisions (issue 15)")
struct JointDecisionTests {
    let rules = RuleSet.initial
    let t = ChinaTime.parseTimestamp("2026-03-06T10:00:00+08:00")!

    func appealed() throws -> DeductionState {
        var d = DeductionState(item: .d9, points: Points(1.5), notifiedAt: t)
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        try d.confirm(by: .psb, officer: "b", at: t, rules: rules)
        try d.lodgeAppeal(statement: "道路封闭", by: "u", at: t, rules: rules, calendar: .shipped)
        return d
    }

    @Test func aDisagreementOnAnAppealStaysOpenAwaitingTheOther() throws {
        var d = try appealed()
        try d.decideAppeal(.withdraw, agency: .emb, officer: "a", reason: "道路确已封闭", at: t, rules: rules)
        #expect(d.status == .appealed && d.awaiting == [.psb] && d.onTable == "申诉决定：撤销扣分")
        // The police disagree: their outcome is on the table, the EMB is asked again.
        try d.decideAppeal(.uphold, agency: .psb, officer: "b", reason: "另有通道可达", at: t, rules: rules)
        #expect(d.status == .appealed && d.awaiting == [.emb] && d.appeal?.decision == nil)
        // A reduction to another figure is another outcome too.
        try d.decideAppeal(.reduce, agency: .emb, officer: "a", points: Points(1.0), reason: "酌情减轻", at: t, rules: rules)
        #expect(d.awaiting == [.psb])
        try d.decideAppeal(.reduce, agency: .psb, officer: "b", points: Points(0.5), reason: "减为0.5分", at: t, rules: rules)
        #expect(d.status == .appealed && d.awaiting == [.emb])
        try d.decideAppeal(.reduce, agency: .emb, officer: "a", points: Points(0.5), reason: "同意", at: t, rules: rules)
        #expect(d.status == .confirmed && d.points == Points(0.5) && d.appeal?.decision == .reduce)
        #expect(d.appeal?.decidedBy == "a、b" || d.appeal?.decidedBy == "b、a")
    }

    @Test func onePersonCannotDecideForBothAgencies() throws {
        var d = try appealed()
        try d.decideAppeal(.uphold, agency: .emb, officer: "a", reason: "维持", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.samePersonForBothAgencies("a")) {
            try d.decideAppeal(.uphold, agency: .psb, officer: "a", reason: "维持", at: t, rules: rules)
        }
        var r = DeductionState(item: .d12, points: Points(0.5))
        try r.reject(by: .emb, officer: "a", reason: "不成立", at: t)
        #expect(throws: DeductionState.Problem.samePersonForBothAgencies("a")) { try r.reject(by: .psb, officer: "a", reason: "不成立", at: t) }
    }

    @Test func confirmingAgainstARejectionAsksTheRejecterAgain() throws {
        var d = DeductionState(item: .d12, points: Points(0.5))
        try d.reject(by: .emb, officer: "a", reason: "不成立", at: t)
        try d.confirm(by: .psb, officer: "b", at: t, rules: rules)
        #expect(d.status == .proposed && d.awaiting == [.emb] && !d.rejectionOnTable)
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        #expect(d.status == .confirmed)
    }

    @Test func theDecidersOfADeductionAgainstThePoliceAreTheEMBAndThePLC() throws {
        var d = DeductionState(item: .d9, points: Points(1.0))
        d.deciders = [.emb, .plc]
        #expect(d.awaiting == [.emb, .plc])
        #expect(throws: DeductionState.Problem.notADecider(.psb, [.emb, .plc])) { try d.confirm(by: .psb, officer: "b", at: t, rules: rules) }
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        try d.confirm(by: .plc, officer: "c", at: t, rules: rules)
        #expect(d.status == .confirmed)
    }

    @Test func statesStoredBeforeIssue15AreDecidedByTheEMBAndThePolice() throws {
        let old = #"{"item":"D9","status":"proposed","points":1.0,"confirmations":{}}"#
        let d = try JSONDecoder().decode(DeductionState.self, from: Data(old.utf8))
        #expect(d.deciding == [.emb, .psb] && d.awaiting == [.emb, .psb])
    }
}
