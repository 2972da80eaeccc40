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
        #expect(throws: DeductionState.Problem.notAConfirmingAgency(.plc)) { try d.confirm(by: .plc, officer: "p", at: t, rules: rules) }
        try d.confirm(by: .emb, officer: "a", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.alreadyConfirmed(.emb)) { try d.confirm(by: .emb, officer: "a", at: t, rules: rules) }
    }

    @Test func rejectionIsFinalAndNeedsAReason() throws {
        var d = DeductionState(item: .d12, points: Points(0.5))
        #expect(throws: DeductionState.Problem.reasonRequired) { try d.reject(by: .psb, officer: "b", reason: "", at: t) }
        try d.reject(by: .psb, officer: "b", reason: "经核实该单位已按时到场", at: t)
        #expect(d.status == .rejected && d.rejection?.reason == "经核实该单位已按时到场")
        #expect(throws: DeductionState.Problem.notPending(.rejected)) { try d.confirm(by: .emb, officer: "a", at: t, rules: rules) }
        var confirmed = DeductionState(item: .d9, points: Points(0.5))
        try confirmed.confirm(by: .emb, officer: "a", at: t, rules: rules)
        try confirmed.confirm(by: .psb, officer: "b", at: t, rules: rules)
        #expect(throws: DeductionState.Problem.notPending(.confirmed)) { try confirmed.reject(by: .emb, officer: "a", reason: "x", at: t) }
        confirmed.withdraw()
        #expect(confirmed.status == .confirmed)
    }
}
