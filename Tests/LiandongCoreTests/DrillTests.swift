import Foundation
import Testing
@testable import LiandongCore

@Suite("Drills and video checks: arrival limits, no-shows, vest, equipment, duties")
struct DrillTests {
    let rules = RuleSet.initial
    let alert = cst("2026-03-10T14:00:00+08:00")

    func unit(_ id: Int = 1, level: UnitLevel = .one, police: Bool = false, exempt: Bool = false,
              notified: String = "2026-03-10T14:00:00+08:00", arrivedAfter seconds: Double?, limit: Int? = nil,
              vest: Bool? = nil, equipment: Bool? = nil, knows: Bool? = nil) -> DrillUnit {
        let notifiedAt = cst(notified)
        return DrillUnit(unitID: id, level: level, publicSecurity: police, uniformExempt: exempt, notifiedAt: notifiedAt,
                         arrivedAt: seconds.map { notifiedAt.addingTimeInterval($0) }, limitSeconds: limit,
                         vestWorn: vest, equipmentOK: equipment, knowsDuties: knows)
    }

    func drill(_ units: [DrillUnit], kind: Drill.Kind = .onsite) -> Drill {
        Drill(checkID: "DR-2026-Q1-01", kind: kind, alertAt: alert, scenario: "模拟道路塌陷", place: "丽阳街", units: units)
    }

    func judged(_ units: DrillUnit..., kind: Drill.Kind = .onsite) throws -> [Finding] {
        let d = drill(units, kind: kind)
        try d.validate()
        return d.judge(rules: rules)
    }

    @Test("At the limit on time, one second later late (mm:ss after notification)",
          arguments: [
            (UnitLevel.one, false, 20 * 60), (.one, true, 10 * 60), (.two, false, 30 * 60), (.three, false, 30 * 60),
            // The police flag decides whatever the level.
            (.two, true, 10 * 60),
          ])
    func limitBoundary(level: UnitLevel, police: Bool, limitSeconds: Int) throws {
        #expect(try judged(unit(level: level, police: police, arrivedAfter: Double(limitSeconds))).isEmpty)
        let late = try judged(unit(level: level, police: police, arrivedAfter: Double(limitSeconds + 1)))
        #expect(late.map(\.kind) == [.lateArrival])
        #expect(late.first?.item == .d9)
        #expect(late.first?.proposedPoints == Points(0.5))
    }

    @Test func levelOneTwentyMinutesExactly() throws {
        // 20:00 after notification is on time, 20:01 is late, for a level-1 unit; 10:00 / 10:01 for the police.
        #expect(try judged(unit(arrivedAfter: 20 * 60)).isEmpty)
        #expect(try judged(unit(arrivedAfter: 20 * 60 + 1)).count == 1)
        #expect(try judged(unit(police: true, arrivedAfter: 10 * 60)).isEmpty)
        #expect(try judged(unit(police: true, arrivedAfter: 10 * 60 + 1)).count == 1)
        // A level-2 unit at 20:01 or 30:00 is on time.
        #expect(try judged(unit(level: .two, arrivedAfter: 20 * 60 + 1)).isEmpty)
        #expect(try judged(unit(level: .two, arrivedAfter: 30 * 60)).isEmpty)
    }

    @Test func fractionsOfASecondDoNotMakeALateArrival() throws {
        #expect(try judged(unit(arrivedAfter: 1200.9)).isEmpty)
    }

    @Test("D9 points by lateness: 0.5 to 10 min late, 1.0 to 20, 1.5 to 30, 2.0 beyond",
          arguments: [(1, 0.5), (600, 0.5), (601, 1.0), (1200, 1.0), (1201, 1.5), (1800, 1.5), (1801, 2.0), (7200, 2.0)])
    func latenessBands(lateBy: Int, points: Double) throws {
        let findings = try judged(unit(arrivedAfter: Double(1200 + lateBy)))
        #expect(findings.map(\.proposedPoints) == [Points(points)])
    }

    @Test func lateReasonAndDate() throws {
        let findings = try judged(unit(4, arrivedAfter: 21 * 60 + 30))
        let f = try #require(findings.first)
        #expect(f.reason == "实地检查：接到通知后21分30秒到达现场，超过20分钟时限1分30秒")
        #expect(f.source == .onsite)
        #expect(f.ref == "DR-2026-Q1-01")
        #expect(f.unitID == 4)
        #expect(f.occurredAt == cst("2026-03-10T14:21:30+08:00"))
        #expect(f.ruleVersion == rules.version)
    }

    @Test func theLimitRunsFromNotificationNotFromTheAlert() throws {
        // Told five minutes after the alert, arrived 24 minutes after it: 19 minutes, on time.
        let u = DrillUnit(unitID: 1, level: .one, notifiedAt: cst("2026-03-10T14:05:00+08:00"),
                          arrivedAt: cst("2026-03-10T14:24:00+08:00"))
        #expect(try judged(u).isEmpty)
    }

    @Test func levelThreeUnitsInADrillAreJudged() throws {
        #expect(try judged(unit(level: .three, arrivedAfter: 30 * 60 + 1)).map(\.kind) == [.lateArrival])
    }

    @Test func neverArrivedIsANoShowAndNotLate() throws {
        let findings = try judged(unit(arrivedAfter: nil))
        #expect(findings.map(\.kind) == [.drillNoShow])
        #expect(findings.first?.item == .d10)
        #expect(findings.first?.proposedPoints == Points(2.0))
        #expect(findings.first?.occurredAt == alert)
        #expect(findings.first?.reason == "实地检查：接到通知后未到达现场")
    }

    @Test func vestRuleAndUniformExemption() throws {
        #expect(try judged(unit(arrivedAfter: 600, vest: false)).map(\.kind) == [.noVest])
        #expect(try judged(unit(arrivedAfter: 600, vest: false)).first?.item == .d12)
        #expect(try judged(unit(arrivedAfter: 600, vest: false)).first?.proposedPoints == Points(0.5))
        #expect(try judged(unit(exempt: true, arrivedAfter: 600, vest: false)).isEmpty)
        // Annex 2 asks the vest of level-1 and level-2 units only.
        #expect(try judged(unit(level: .two, arrivedAfter: 600, vest: false)).map(\.kind) == [.noVest])
        #expect(try judged(unit(level: .three, arrivedAfter: 600, vest: false)).isEmpty)
        #expect(try judged(unit(arrivedAfter: 600, vest: true)).isEmpty)
        #expect(try judged(unit(arrivedAfter: 600, vest: nil)).isEmpty)
    }

    @Test func equipmentAndDuties() throws {
        let findings = try judged(unit(arrivedAfter: 600, equipment: false, knows: false))
        #expect(findings.map(\.kind) == [.equipmentMissing, .dutiesUnknown])
        #expect(findings.map(\.item) == [.d12, .d12])
        #expect(findings.map(\.proposedPoints) == [Points(0.5), Points(0.5)])
        #expect(findings.allSatisfy { $0.occurredAt == alert.addingTimeInterval(600) })
        #expect(try judged(unit(arrivedAfter: 600, equipment: true, knows: true)).isEmpty)
    }

    @Test func everyShortfallOfEveryUnitIsOneFinding() throws {
        let findings = try judged(
            unit(1, arrivedAfter: 25 * 60, vest: false, equipment: false, knows: false),
            unit(2, arrivedAfter: nil, knows: false),
            unit(3, level: .two, arrivedAfter: 29 * 60, vest: true))
        #expect(findings.map(\.kind) == [.lateArrival, .noVest, .equipmentMissing, .dutiesUnknown, .drillNoShow, .dutiesUnknown])
        #expect(findings.map(\.unitID) == [1, 1, 1, 1, 2, 2])
        #expect(Set(findings.map(\.key)).count == findings.count)
    }

    @Test func videoCheckWithItsOwnTime() throws {
        let onTime = try judged(unit(arrivedAfter: 15 * 60, limit: 15 * 60), kind: .video)
        #expect(onTime.isEmpty)
        let late = try judged(unit(arrivedAfter: 15 * 60 + 1, limit: 15 * 60), kind: .video)
        #expect(late.map(\.kind) == [.lateArrival])
        #expect(late.first?.source == .video)
        #expect(late.first?.reason == "视频检查：接到通知后15分1秒到达视频点位，超过15分钟时限1秒")
        // Without its own time, the rule set's time to reach a video point applies, whatever
        // the unit's response limit (a level-1 unit's 20 minutes, the police's 10).
        let ruleSetTime = rules.videoPointLimit.seconds
        #expect(ruleSetTime == 30 * 60)
        #expect(try judged(unit(arrivedAfter: Double(ruleSetTime)), kind: .video).isEmpty)
        #expect(try judged(unit(arrivedAfter: Double(ruleSetTime + 1)), kind: .video).map(\.reason)
                == ["视频检查：接到通知后30分1秒到达视频点位，超过30分钟时限1秒"])
        #expect(try judged(unit(police: true, arrivedAfter: Double(ruleSetTime)), kind: .video).isEmpty)
        // An on-site check keeps the Annex 1 item 9 limits.
        #expect(try judged(unit(arrivedAfter: 20 * 60 + 1)).count == 1)
        let noShow = try judged(unit(arrivedAfter: nil), kind: .video)
        #expect(noShow.first?.reason == "视频检查：接到通知后未到达视频点位")
        #expect(noShow.first?.source == .video)
    }

    @Test func limitsFollowTheRuleVersion() throws {
        var stricter = RuleSet.initial
        stricter.version = "2027.1"
        stricter.responseLimits.levelOne = .minutes(15)
        let d = drill([unit(arrivedAfter: 15 * 60 + 1)])
        #expect(d.judge(rules: stricter).first?.ruleVersion == "2027.1")
        #expect(d.judge(rules: rules).isEmpty)
    }

    func problem(_ d: Drill) -> CheckProblem? {
        do { try d.validate(); return nil } catch { return error }
    }

    @Test func validation() {
        // Arrival before notification; equal is allowed (a unit already on the scene).
        #expect(problem(drill([unit(arrivedAfter: -1)]))?.field == "units[0].arrived_at")
        #expect(problem(drill([unit(arrivedAfter: 0)])) == nil)
        // Notification before the alert; at the alert is normal.
        #expect(problem(drill([unit(notified: "2026-03-10T13:59:59+08:00", arrivedAfter: 60)]))?.field == "units[0].notified_at")
        #expect(problem(drill([unit(notified: "2026-03-10T14:00:00+08:00", arrivedAfter: 60)])) == nil)
        // A unit once per drill.
        #expect(problem(drill([unit(5, arrivedAfter: 60), unit(6, arrivedAfter: 60), unit(5, arrivedAfter: 90)]))
                == CheckProblem(field: "units[2].unit", message: "与第1个单位重复，同一单位在一次检查中只登记一次"))
        #expect(problem(drill([]))?.field == "units")
        var blank = drill([unit(arrivedAfter: 60)])
        blank.checkID = ""
        #expect(problem(blank)?.field == "check_id")
        // Only a video check sets its own time, and it must be positive.
        #expect(problem(drill([unit(arrivedAfter: 60, limit: 900)]))?.field == "units[0].limit_minutes")
        #expect(problem(drill([unit(arrivedAfter: 60, limit: 900)], kind: .video)) == nil)
        #expect(problem(drill([unit(arrivedAfter: 60, limit: 0)], kind: .video))?.field == "units[0].limit_minutes")
        // Nothing can be seen of a unit that never came (its knowledge can still be asked).
        #expect(problem(drill([unit(arrivedAfter: nil, vest: true)]))?.field == "units[0].vest")
        #expect(problem(drill([unit(arrivedAfter: nil, equipment: false)]))?.field == "units[0].equipment_ok")
        #expect(problem(drill([unit(arrivedAfter: nil, knows: false)])) == nil)
    }

    @Test func unitFromTheRegister() throws {
        let police = try #require(Annex2.cityUnits.first { $0.name == "市公安局" })
        let u = DrillUnit(unitID: 1, profile: police, notifiedAt: alert, arrivedAt: alert.addingTimeInterval(601), vestWorn: false)
        // Police: 10-minute limit, and exempt from the vest.
        #expect(try judged(u).map(\.kind) == [.lateArrival])
    }

    @Test func aRevisionChangesTheVideoPointTime() throws {
        var revised = RuleSet.initial
        revised.version = "2027.1"
        revised.videoPointLimit = .minutes(15)
        let d = drill([unit(arrivedAfter: 15 * 60 + 1)], kind: .video)
        #expect(d.judge(rules: revised).map(\.kind) == [.lateArrival])
        #expect(d.judge(rules: rules).isEmpty)
        revised.videoPointLimit = TimeLimit(seconds: 0)
        #expect(revised.validate().map(\.field) == ["videoPointLimit"])
    }

    @Test func whoTookPartDecidesWhetherItIsTheJointCheck() throws {
        let duty = rules.duty(.jointCheck)
        var d = drill([unit(arrivedAfter: 60)])
        // Not recorded: not a joint check by itself (the server counts records older than the field).
        #expect(d.participatingAgencies == nil && !d.isJoint(for: duty))
        d.teams = [DrillTeam(agency: .psb, officers: ["王警官"])]
        #expect(d.participatingAgencies == [.psb] && !d.isJoint(for: duty))
        d.teams = [DrillTeam(agency: .psb, officers: ["王警官"]), DrillTeam(agency: .emb, officers: [])]
        #expect(!d.isJoint(for: duty))
        d.teams = [DrillTeam(agency: .psb, officers: ["王警官"]), DrillTeam(agency: .emb, officers: ["李科长"])]
        #expect(d.isJoint(for: duty))
        #expect(throws: Never.self) { try d.validate() }
        // The PLC does not run checks; an agency is listed once; names are names.
        d.teams = [DrillTeam(agency: .plc, officers: ["赵"])]
        #expect(problem(d)?.field == "plc_officers")
        d.teams = [DrillTeam(agency: .emb, officers: ["李"]), DrillTeam(agency: .emb, officers: ["张"])]
        #expect(problem(d)?.field == "emb_officers")
        d.teams = [DrillTeam(agency: .emb, officers: ["李\n科长"])]
        #expect(problem(d)?.field == "emb_officers")
        // Stored records without teams read as before, and a record with teams reads back equal.
        d.teams = [DrillTeam(agency: .emb, officers: ["李科长"])]
        let again = try JSONDecoder().decode(Drill.self, from: JSONEncoder().encode(d))
        #expect(again == d)
        d.teams = nil
        #expect(!String(decoding: try JSONEncoder().encode(d), as: UTF8.self).contains("teams"))
    }
}
