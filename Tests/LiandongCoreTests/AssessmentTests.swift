import Foundation
import Testing
@testable import LiandongCore

@Suite("Assessment: roll-up, ranking with ties, unranked units")
struct AssessmentTests {
    let units = [
        Assessment.Unit(id: 1, name: "市公安局", jurisdictionID: "city", ranked: true),
        Assessment.Unit(id: 4, name: "市水利局", jurisdictionID: "city", ranked: true),
        Assessment.Unit(id: 6, name: "市建设局", jurisdictionID: "city", ranked: true),
        Assessment.Unit(id: 35, name: "丽水移动", jurisdictionID: "city", ranked: false),
        Assessment.Unit(id: 50, name: "龙泉市水利局", jurisdictionID: "longquan", ranked: true),
        Assessment.Unit(id: 51, name: "龙泉市民政局", jurisdictionID: "longquan", ranked: true),
        Assessment.Unit(id: 52, name: "青田县水利局", jurisdictionID: "qingtian", ranked: true),
        Assessment.Unit(id: 53, name: "龙泉电信", jurisdictionID: "longquan", ranked: false),
    ]
    let base = RuleSet.initial.assessmentBase

    @Test func countiesRollUpAndDepartmentsStandAlone() {
        let deductions = [
            Assessment.Deduction(id: 1, unitID: 50, agency: nil, points: Points(1.0)),
            Assessment.Deduction(id: 2, unitID: 51, agency: nil, points: Points(0.5)),
            Assessment.Deduction(id: 3, unitID: 52, agency: nil, points: Points(1.5)),
            Assessment.Deduction(id: 4, unitID: 4, agency: nil, points: Points(2.0)),
            Assessment.Deduction(id: 5, unitID: 35, agency: nil, points: Points(1.0)),
            Assessment.Deduction(id: 6, unitID: nil, agency: .plc, points: Points(1.0)),
        ]
        let (ranked, unranked) = Assessment.compute(units: units, jurisdictions: Jurisdictions.all, deductions: deductions, base: base)
        let counties = ranked.filter { $0.kind == .county }
        #expect(counties.count == 10)
        // 龙泉市 and 青田县 both lost 1.5: a tie, sharing rank 9; the others are at the base, sharing rank 1.
        let longquan = counties.first { $0.entity == "龙泉市" }!
        let qingtian = counties.first { $0.entity == "青田县" }!
        #expect(longquan.score == Points(98.5) && longquan.deductionIDs == [1, 2] && longquan.deductionCount == 2)
        #expect(qingtian.score == Points(98.5))
        #expect(longquan.rank == 9 && qingtian.rank == 9)
        #expect(counties.filter { $0.rank == 1 }.count == 8)
        #expect(counties.last?.entity == "青田县") // ties in the official order

        let departments = ranked.filter { $0.kind == .department }
        #expect(departments.first { $0.entity == "市水利局" }?.score == Points(98.0))
        // 市公安局 and 市建设局 at the base share rank 1; the PLC, which runs the assessment, is not among them.
        #expect(departments.first { $0.entity == "市水利局" }?.rank == 3)
        #expect(!ranked.contains { $0.entity == "市委政法委" })
        // D7 against the PLC is listed apart, with the companies: notified, not ranked.
        #expect(unranked.map(\.entity) == ["丽水移动", "市委政法委"])
        #expect(unranked.allSatisfy { $0.rank == nil && $0.deductions == Points(1.0) })
    }

    /// A county's units count against the county, ranked or not (a county company included); the
    /// county's company is not listed as an entity of its own.
    @Test func aCountysUnrankedUnitCountsAgainstTheCounty() {
        let deductions = [
            Assessment.Deduction(id: 1, unitID: 53, agency: nil, points: Points(2.0)),
            Assessment.Deduction(id: 2, unitID: 50, agency: nil, points: Points(0.5)),
        ]
        let (ranked, unranked) = Assessment.compute(units: units, jurisdictions: Jurisdictions.all, deductions: deductions, base: base)
        let longquan = ranked.first { $0.entity == "龙泉市" }
        #expect(longquan?.deductionIDs == [1, 2] && longquan?.score == Points(97.5) && longquan?.rank == 10)
        #expect(!(ranked + unranked).contains { $0.entity == "龙泉电信" })
        #expect(unranked.map(\.entity) == ["丽水移动"] && unranked[0].deductions == .zero)
    }

    @Test func d6CountsAgainstACountyAndTheCityIsNotRanked() {
        let deductions = [
            Assessment.Deduction(id: 1, unitID: nil, agency: nil, jurisdictionID: "longquan", points: Points(1.0)),
            Assessment.Deduction(id: 2, unitID: 50, agency: nil, points: Points(0.5)),
            Assessment.Deduction(id: 3, unitID: nil, agency: nil, jurisdictionID: "city", points: Points(1.0)),
        ]
        let (ranked, unranked) = Assessment.compute(units: units, jurisdictions: Jurisdictions.all, deductions: deductions, base: base)
        let longquan = ranked.first { $0.entity == "龙泉市" }
        #expect(longquan?.deductionIDs == [1, 2] && longquan?.score == Points(98.5) && longquan?.rank == 10)
        #expect(!ranked.contains { $0.entity == "市本级" })
        #expect(unranked.first { $0.entity == "市本级" }?.deductionIDs == [3])
    }

    @Test func previousScoresAreCarried() {
        let (ranked, _) = Assessment.compute(units: units, jurisdictions: Jurisdictions.all, deductions: [], base: base, previous: ["市水利局": Points(97.5)])
        #expect(ranked.first { $0.entity == "市水利局" }?.previousScore == Points(97.5))
        #expect(ranked.allSatisfy { $0.score == base && $0.rank == 1 })
    }
}
