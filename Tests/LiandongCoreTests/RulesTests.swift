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
            .refused: 2.0, .passedOn: 1.5, .noArrival: 1.0, .noReportBack: 0.5,
            .phoneUnanswered: 1.0, .unreportedContactChange: 0.5, .noDutySystem: 2.0,
            .dutiesUnknown: 0.5, .noVest: 0.5, .equipmentMissing: 0.5, .drillNoShow: 2.0, .supervisionMissed: 1.0,
        ]
        for (kind, points) in expected {
            #expect(rules.defaultPoints(for: kind) == Points(points), "\(kind)")
        }
        #expect(rules.defaultPoints(for: .manual) == nil)
        #expect(rules.defaultPoints(for: .lateArrival) == nil)
        #expect(rules.defaultPoints(for: .provincial) == nil)
        // A live-alert failure reported by hand: refusal and passing on as judged; an instruction
        // that cannot get through as an unanswered duty phone.
        #expect(rules.defaultPoints(for: LiveAlertFailure.refused) == Points(2.0))
        #expect(rules.defaultPoints(for: LiveAlertFailure.passedOn) == Points(1.5))
        #expect(rules.defaultPoints(for: LiveAlertFailure.instructionFailed) == Points(1.0))
    }

    @Test func findingKindsCountUnderTheirAnnexItems() {
        #expect(FindingKind.lateArrival.item == .d9)
        for kind in [FindingKind.refused, .passedOn, .noArrival, .noReportBack, .drillNoShow] { #expect(kind.item == .d10) }
        for kind in [FindingKind.phoneUnanswered, .unreportedContactChange, .noDutySystem, .instructionFailed] { #expect(kind.item == .d8) }
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
        // Word for word, with full-width punctuation (GB/T 15834); the source file has ASCII marks.
        let notice = [(",", "，"), (";", "；"), ("(", "（"), (")", "）")].reduce(try Fixture.notice()) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
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
        // Prose drops the trailing 「.0」: 「扣2分」, 「扣1.5分」.
        #expect(Points(2).wording == "2" && Points(1.5).wording == "1.5" && Points(0.5).wording == "0.5" && Points(100).wording == "100")
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

@Suite("Rule-set revisions: validation, the plan figures, stored JSON")
struct RuleRevisionTests {
    let rules = RuleSet.initial

    func revision(_ version: String = "2027.1", from: String = "2027-01-01", _ change: (inout RuleSet) -> Void = { _ in }) -> RuleSet {
        var next = RuleSet.initial
        next.version = version
        next.effectiveFrom = LocalDate(from)!
        change(&next)
        return next
    }

    @Test func planFiguresAndTheirDefaultPoints() {
        #expect(rules.plans.publicationWorkingDays == 20)
        #expect(rules.plans.publishedKinds == [.special, .department])
        #expect(rules.plans.drillsPerYear == 1)
        #expect(rules.plans.majorEventDrillWindowDays == 365)
        #expect(rules.plans.warningHorizonDays == 30)
        let planKinds: [FindingKind: DeductionItemID] = [
            .planMissing: .d1, .planNotDrilled: .d1, .planRevisionOverdue: .d2, .planRevisionUnassessed: .d3,
            .planNotPublished: .d4, .specialPlanDrillOverdue: .d5, .majorEventNotDrilled: .d5, .performanceAssessmentMissing: .d6,
        ]
        for (kind, item) in planKinds {
            #expect(kind.item == item, "\(kind)")
            #expect(rules.defaultPoints(for: kind) == Points(1.0), "\(kind)")
        }
        // Every item D1–D12 now has a kind the system finds by itself.
        #expect(Set(FindingKind.allCases.compactMap(\.item)) == Set(DeductionItemID.allCases))
        #expect(RuleTables.defaultFigures(for: .d5, rules: rules).map(\.label) == ["专项应急预案未按期演练", "重大活动前未组织应急演练"])
    }

    @Test func theInitialRulesAreValid() {
        #expect(rules.validate().isEmpty)
    }

    @Test func aRevisionWithBadFiguresIsRefusedFieldByField() {
        let bad = revision { r in
            r.version = " "
            r.responseLimits.levelOne = .minutes(0)
            r.latenessBands = [
                LatenessBand(upTo: .minutes(10), points: Points(1.0)),
                LatenessBand(upTo: .minutes(10), points: Points(0.5)),
                LatenessBand(upTo: .minutes(30), points: Points(2.5)),
            ]
            r.defaultPoints[FindingKind.refused.rawValue] = Points(3.0)
            r.defaultPoints[FindingKind.provincial.rawValue] = Points(4.0)
            r.defaultPoints["unknown_kind"] = Points(1.0)
            r.defaultPoints[FindingKind.noVest.rawValue] = nil
            r.provincialMultiplier = 0
            r.phoneCheckAttempts = 0
            r.specialPlanDrillYears = 0
            r.plans.publicationWorkingDays = 0
        }
        let problems = bad.validate()
        #expect(problems.map(\.field) == [
            "version", "responseLimits.levelOne",
            "latenessBands[1].upTo", "latenessBands[1].points", "latenessBands[2].upTo", "latenessBands[2].points",
            "defaultPoints.refused", "defaultPoints.unknown_kind", "defaultPoints.no_vest",
            "provincialMultiplier", "phoneCheckAttempts", "specialPlanDrillYears", "plans.publicationWorkingDays",
        ])
        #expect(problems.first { $0.field == "latenessBands[1].upTo" }?.message == "上限10分钟应大于上一档的10分钟")
        #expect(problems.first { $0.field == "latenessBands[2].points" }?.message == "分值2.5不符合规定：0.5至2.0分，以0.5分为单位")
        #expect(problems.first { $0.field == "defaultPoints.refused" }?.message == "“有警不出”的默认分值3.0不符合规定：0.5至2.0分，以0.5分为单位")
        #expect(problems.first { $0.field == "defaultPoints.no_vest" }?.message == "缺少“未着应急联动反光背心”的默认分值")
        #expect(problems.first { $0.field == "provincialMultiplier" }?.description == "「省通报扣分倍数」：省通报扣分的倍数应不小于1（现为0）")
        #expect(revision { $0.pointsRange.step = .zero }.validate().map(\.field) == ["pointsRange"])
        #expect(revision { $0.supervisionDuties[0].agencies = [] }.validate().map(\.field) == ["supervisionDuties[0].agencies"])
    }

    @Test func aRevisionTakesEffectAfterTodayAndAfterTheLatestVersion() throws {
        let book = try RuleBook.standard.adding(revision(), today: LocalDate("2026-12-31")!)
        #expect(book.versions.map(\.version) == ["2020.1", "2027.1"])
        #expect(throws: RuleBook.Problem.notInFuture(effectiveFrom: LocalDate("2027-01-01")!, today: LocalDate("2027-01-01")!)) {
            try RuleBook.standard.adding(revision(), today: LocalDate("2027-01-01")!)
        }
        #expect(throws: RuleBook.Problem.notAfterLatest(effectiveFrom: LocalDate("2026-06-01")!, latest: "2027.1",
                                                        latestFrom: LocalDate("2027-01-01")!)) {
            try book.adding(revision("2026.9", from: "2026-06-01"), today: LocalDate("2026-01-01")!)
        }
        #expect(throws: RuleBook.Problem.duplicateVersion("2027.1")) {
            try book.adding(revision(from: "2028-01-01"), today: LocalDate("2026-01-01")!)
        }
        let invalid = revision("2028.1", from: "2028-01-01") { $0.phoneCheckAttempts = 0 }
        #expect(throws: RuleBook.Problem.invalid(invalid.validate())) {
            try book.adding(invalid, today: LocalDate("2026-01-01")!)
        }
        #expect(RuleBook.Problem.notInFuture(effectiveFrom: LocalDate("2026-01-01")!, today: LocalDate("2026-03-01")!).description
            == "修订施行日期2026年1月1日须晚于今天（2026年3月1日）：修订不能改变已经发生的评判")
    }

    @Test func aRevisionRoundTripsThroughJSON() throws {
        let changed = revision { r in
            r.specialPlanDrillYears = 2
            r.plans.publishedKinds = [.special]
            r.plans.majorEventDrillWindowDays = 180
            r.defaultPoints[FindingKind.planMissing.rawValue] = Points(2.0)
        }
        let data = try JSONEncoder().encode(changed)
        let back = try JSONDecoder().decode(RuleSet.self, from: data)
        #expect(back == changed)
    }

    @Test func aVersionStoredBeforeThePlanRulesTakesTheInitialPlanFigures() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(rules)) as? [String: Any])
        object["plans"] = nil
        var points = try #require(object["defaultPoints"] as? [String: Any])
        for kind in FindingKind.allCases where kind.item.map({ $0 <= .d6 }) == true { points[kind.rawValue] = nil }
        object["defaultPoints"] = points
        let old = try JSONDecoder().decode(RuleSet.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == rules)
        #expect(old.validate().isEmpty)
    }
}

@Suite("Findings against a jurisdiction (D6)")
struct JurisdictionFindingTests {
    @Test func keysOfOtherFindingsAreUnchanged() {
        let phone = RuleSet.initial.finding(.phoneUnanswered, unitID: 5, source: .phone, ref: "C1", at: Date(timeIntervalSince1970: 0), reason: "")
        #expect(phone.key == "phone|C1|5|phone_unanswered")
        #expect(phone.jurisdictionID == nil)
        let d7 = RuleSet.initial.finding(.supervisionMissed, unitID: nil, agency: .psb, source: .supervision, ref: "phone_check-2026-03",
                                         at: Date(timeIntervalSince1970: 0), reason: "")
        #expect(d7.key == "supervision|phone_check-2026-03|psb|supervision_missed")
    }

    @Test func aFindingStoredWithoutAJurisdictionStillDecodes() throws {
        let phone = RuleSet.initial.finding(.phoneUnanswered, unitID: 5, source: .phone, ref: "C1", at: Date(timeIntervalSince1970: 0), reason: "r")
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(phone)) as? [String: Any])
        object["jurisdictionID"] = nil
        #expect(try JSONDecoder().decode(Finding.self, from: JSONSerialization.data(withJSONObject: object)) == phone)
    }
}
