import Foundation
import Testing
@testable import LiandongCore

@Suite("Rule catalogue: every number of the mechanism, at its boundaries")
struct RulesTests {
    let rules = RuleSet.initial

    @Test func responseLimitsAreTenTwentyThirtyMinutes() {
        #expect(rules.limit(level: .one, publicSecurity: true).seconds == 10 * 60)
        #expect(rules.limit(level: .one, publicSecurity: false).seconds == 20 * 60)
        #expect(rules.limit(level: .two, publicSecurity: false).seconds == 30 * 60)
        #expect(rules.limit(level: .three, publicSecurity: false).seconds == 30 * 60)
        // The public-security flag decides, whatever the level.
        #expect(rules.limit(level: .two, publicSecurity: true).seconds == 10 * 60)
    }

    @Test("Exactly at the limit is on time; one second later is late",
          arguments: [(UnitLevel.one, false, 1200), (.one, true, 600), (.two, false, 1800), (.three, false, 1800)])
    func limitBoundary(level: UnitLevel, police: Bool, limitSeconds: Int) {
        let limit = rules.limit(level: level, publicSecurity: police)
        let atLimit = rules.judgeArrival(elapsedSeconds: limitSeconds, limit: limit)
        #expect(atLimit.onTime)
        #expect(atLimit.points == nil)
        #expect(atLimit.lateBySeconds == 0)
        let oneLate = rules.judgeArrival(elapsedSeconds: limitSeconds + 1, limit: limit)
        #expect(!oneLate.onTime)
        #expect(oneLate.lateBySeconds == 1)
        #expect(oneLate.points == Points(0.5))
    }

    @Test("D9 lateness bands: 0.5 up to 10 min late, 1.0 to 20, 1.5 to 30, 2.0 beyond",
          arguments: [
            (1, 0.5), (600, 0.5), (601, 1.0), (1200, 1.0), (1201, 1.5), (1800, 1.5), (1801, 2.0), (86_400, 2.0),
          ])
    func latenessBands(lateBy: Int, points: Double) {
        let limit = rules.limit(level: .one, publicSecurity: false)
        #expect(rules.judgeArrival(elapsedSeconds: limit.seconds + lateBy, limit: limit).points == Points(points))
    }

    @Test func durationsAreWholeSeconds() {
        let instructed = Date(timeIntervalSince1970: 1_000_000)
        #expect(RuleSet.elapsedSeconds(from: instructed, to: instructed.addingTimeInterval(1200.9)) == 1200)
        #expect(RuleSet.elapsedSeconds(from: instructed, to: instructed.addingTimeInterval(1201)) == 1201)
    }

    @Test func defaultPointsAreTheSpecTable() {
        let expected: [FindingKind: Double] = [
            .refused: 2.0, .passedOn: 1.5, .noArrival: 1.0, .noResultReport: 0.5,
            .phoneUnanswered: 1.0, .unreportedContactChange: 0.5, .noDutySystem: 2.0,
            .dutiesUnknown: 0.5, .noVest: 0.5, .equipmentMissing: 0.5, .drillNoShow: 2.0, .supervisionMissed: 1.0,
        ]
        for (kind, points) in expected {
            #expect(rules.defaultPoints(for: kind) == Points(points), "\(kind)")
        }
        #expect(rules.defaultPoints(for: .manual) == nil)
        #expect(rules.defaultPoints(for: .lateArrival) == nil)
        #expect(rules.defaultPoints(for: .provincial) == nil)
    }

    @Test func findingKindsCountUnderTheirAnnexItems() {
        #expect(FindingKind.lateArrival.item == .d9)
        for kind in [FindingKind.refused, .passedOn, .noArrival, .noResultReport, .drillNoShow] { #expect(kind.item == .d10) }
        for kind in [FindingKind.phoneUnanswered, .unreportedContactChange, .noDutySystem] { #expect(kind.item == .d8) }
        for kind in [FindingKind.dutiesUnknown, .noVest, .equipmentMissing] { #expect(kind.item == .d12) }
        #expect(FindingKind.provincial.item == .d11)
        #expect(FindingKind.supervisionMissed.item == .d7)
    }

    @Test func everyDefaultLiesInTheAgreedRange() {
        for (_, points) in rules.defaultPoints { #expect(rules.pointsRange.allows(points)) }
        for band in rules.latenessBands { #expect(rules.pointsRange.allows(band.points)) }
    }

    @Test("Agencies may set 0.5..2 in steps of 0.5", arguments: [
        (0.0, false), (0.4, false), (0.5, true), (0.7, false), (1.0, true), (1.5, true), (2.0, true), (2.5, false),
    ])
    func pointsRange(value: Double, allowed: Bool) {
        #expect(rules.allows(Points(value), for: .d9) == allowed)
    }

    @Test func provincialDeductionsAreDoubledAndExemptFromTheRange() {
        #expect(rules.provincialMultiplier == 2)
        #expect(rules.cityPoints(forProvincial: Points(1.5)) == Points(3.0))
        #expect(rules.cityPoints(forProvincial: Points(2)) == Points(4.0))
        #expect(rules.allows(Points(4.0), for: .d11))
        #expect(!rules.allows(Points(4.0), for: .d10))
    }

    @Test func otherFigures() {
        #expect(rules.phoneCheckAttempts == 3)
        #expect(rules.reportGraceHours == 24)
        #expect(rules.specialPlanDrillYears == 3)
        #expect(rules.assessmentBase == Points(100))
        #expect(rules.appealWindowWorkingDays == 5)
        #expect(rules.phoneCheckCoverage == .quarter)
        #expect(rules.duty(.phoneCheck).period == .month && rules.duty(.phoneCheck).agencies == [.psb])
        #expect(rules.duty(.jointCheck).period == .quarter && rules.duty(.jointCheck).agencies == [.emb, .psb])
        #expect(rules.duty(.consultation).period == .halfYear)
        #expect(rules.effectiveFrom == LocalDate(year: 2020, month: 12, day: 30))
    }

    @Test func annex1TextIsTheNoticeWordForWord() throws {
        let notice = try Fixture.notice()
        let annex1 = notice.components(separatedBy: "附件1\n").last!.components(separatedBy: "附件2").first!
        #expect(rules.items.map(\.id) == DeductionItemID.allCases)
        for item in rules.items {
            // The notice numbers each item "N." (item 12 is misprinted "12..").
            let printed = annex1.contains("\(item.id.number).\(item.text)") || annex1.contains("\(item.id.number)..\(item.text)")
            #expect(printed, "\(item.id) differs from Annex 1")
        }
        #expect(rules.item(.d9).text.contains("公安部门首批应急力量10分钟内到达"))
    }

    @Test func itemTextFollowsARevisedLimit() {
        var limits = rules.responseLimits
        limits.levelOne = .minutes(15)
        let revised = RuleSet(version: "t", effectiveFrom: LocalDate("2030-01-01")!, source: "", title: "",
                              responseLimits: limits, latenessBands: rules.latenessBands, defaultPoints: [:],
                              pointsRange: rules.pointsRange, provincialMultiplier: 2, phoneCheckAttempts: 3,
                              phoneCheckCoverage: .quarter, reportGraceHours: 24, specialPlanDrillYears: 3,
                              assessmentBase: Points(100), appealWindowWorkingDays: 5, supervisionDuties: [])
        #expect(revised.item(.d9).text.contains("一级联动部门首批应急处置力量15分钟到达"))
    }

    @Test func ruleSetRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(rules)
        let back = try JSONDecoder().decode(RuleSet.self, from: data)
        #expect(back == rules)
    }
}

@Suite("Rule book: a revision changes the future, never the past")
struct RuleBookTests {
    func revision(from day: String, levelOneMinutes: Int) -> RuleSet {
        var next = RuleSet.initial
        next.version = "rev-\(day)"
        next.effectiveFrom = LocalDate(day)!
        next.responseLimits.levelOne = .minutes(levelOneMinutes)
        return next
    }

    @Test func versionInForceOnADay() throws {
        let book = try RuleBook([revision(from: "2027-01-01", levelOneMinutes: 15), .initial])
        #expect(book.inForce(on: LocalDate("2026-12-31")!).version == "2020.1")
        #expect(book.inForce(on: LocalDate("2027-01-01")!).version == "rev-2027-01-01")
        #expect(book.inForce(on: LocalDate("2027-01-01")!).limit(level: .one, publicSecurity: false) == .minutes(15))
        #expect(book.inForce(on: LocalDate("2026-12-31")!).limit(level: .one, publicSecurity: false) == .minutes(20))
        // Before the mechanism existed, its first version applies.
        #expect(book.inForce(on: LocalDate("2019-01-01")!).version == "2020.1")
        #expect(book.latest.version == "rev-2027-01-01")
    }

    @Test func instantsAreReadInChinaTime() throws {
        let book = try RuleBook([.initial, revision(from: "2027-01-01", levelOneMinutes: 15)])
        // 2026-12-31T16:00:00Z is 2027-01-01 00:00 in China: the revision applies.
        let instant = ChinaTime.parseTimestamp("2026-12-31T16:00:00Z")!
        #expect(book.inForce(at: instant).version == "rev-2027-01-01")
        #expect(book.inForce(at: instant.addingTimeInterval(-1)).version == "2020.1")
    }

    @Test func duplicatesAreRefused() {
        #expect(throws: RuleBook.Problem.duplicateVersion("2020.1")) { try RuleBook([.initial, .initial]) }
        var sameDay = revision(from: "2020-12-30", levelOneMinutes: 15)
        sameDay.version = "other"
        #expect(throws: RuleBook.Problem.duplicateEffectiveDate(LocalDate("2020-12-30")!)) { try RuleBook([.initial, sameDay]) }
        #expect(throws: RuleBook.Problem.empty) { try RuleBook([]) }
    }
}

@Suite struct PointsTests {
    @Test func formatting() {
        #expect(Points(1).description == "1.0")
        #expect(Points(0.5).description == "0.5")
        #expect(Points(100).description == "100.0")
        #expect((Points(100) - Points(2.5)).description == "97.5")
        #expect(Points(-1.5).description == "-1.5")
    }

    @Test func parsing() {
        #expect(Points(parsing: "1.5") == Points(1.5))
        #expect(Points(parsing: "2分") == Points(2))
        #expect(Points(parsing: "0.25") == nil)
        #expect(Points(parsing: "abc") == nil)
        #expect(Points(parsing: "inf") == nil)
    }

    @Test func sumsAreExact() {
        let sum = (0..<10).map { _ in Points(0.1) }.reduce(Points.zero, +)
        #expect(sum == Points(1))
    }
}

enum Fixture {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static func notice() throws -> String {
        try String(contentsOf: directory.appendingPathComponent("lishui-linkage-mechanism-2020.txt"), encoding: .utf8)
    }
}
