import Foundation
import Testing
@testable import LiandongCore

@Suite("Office hours and the 24-hour duty of level-1 units (Annex 1 item 8, Annex 2)")
struct OfficeHoursTests {
    let rules = RuleSet.initial
    let calendar = WorkingCalendar.shipped

    @Test("Office hours at their edges: from included, to excluded",
          arguments: [("2026-03-04T08:29:59+08:00", false), ("2026-03-04T08:30:00+08:00", true), ("2026-03-04T11:59:59+08:00", true),
                      ("2026-03-04T12:00:00+08:00", false), ("2026-03-04T13:59:59+08:00", false), ("2026-03-04T14:00:00+08:00", true),
                      ("2026-03-04T17:29:59+08:00", true), ("2026-03-04T17:30:00+08:00", false), ("2026-03-04T23:10:00+08:00", false),
                      // A Saturday; a make-up Saturday (调休上班) is a working day; a weekday holiday is not.
                      ("2026-03-07T10:00:00+08:00", false), ("2026-02-14T10:00:00+08:00", true), ("2026-05-04T10:00:00+08:00", false),
                      ("2025-10-11T10:00:00+08:00", true), ("2025-10-08T10:00:00+08:00", false)])
    func officeHours(at: String, inside: Bool) {
        #expect(rules.officeHours.contains(cst(at), calendar: calendar) == inside)
    }

    func unanswered(_ times: [String], unit: Int = 3, dialled: PhoneCheck.Dialled = .duty) -> PhoneCheck {
        PhoneCheck(checkID: "PC-N", unitID: unit, dialled: dialled, attempts: times.map { PhoneCheck.Attempt(at: cst($0), answered: false) })
    }

    @Test func aLevelOneDutyPhoneUnansweredAtNightIsNo24HourDuty() throws {
        let c = unanswered(["2026-03-04T23:10:00+08:00", "2026-03-04T23:15:00+08:00", "2026-03-04T23:20:00+08:00"])
        try c.validate(rules: rules)
        let f = try #require(c.judge(rules: rules, level: .one, calendar: calendar).first)
        #expect(c.judge(rules: rules, level: .one, calendar: calendar).count == 1)
        #expect(f.kind == .noDutySystem && f.item == .d8 && f.proposedPoints == Points(2.0))
        #expect(f.reason == "一级联动单位值班电话于2026年3月4日工作日办公时间（08:30–12:00、14:00–17:30）以外连续3次无人接听（23:10、23:15、23:20），未落实24小时值班")
    }

    @Test func onAHolidayMorningToo() throws {
        let c = unanswered(["2026-05-02T10:00:00+08:00", "2026-05-02T10:05:00+08:00", "2026-05-02T10:10:00+08:00"])
        let f = try #require(c.judge(rules: rules, level: .one, calendar: calendar).first)
        #expect(f.kind == .noDutySystem && f.reason.contains("2026年5月2日非工作日"))
    }

    @Test("The plain unanswered call when any condition fails: office hours, level, the liaison's phone")
    func otherwiseThePlainD8() throws {
        let day = ["2026-03-04T17:20:00+08:00", "2026-03-04T17:25:00+08:00", "2026-03-04T17:29:59+08:00"]
        let night = ["2026-03-04T17:30:00+08:00", "2026-03-04T17:35:00+08:00", "2026-03-04T17:40:00+08:00"]
        #expect(unanswered(day).judge(rules: rules, level: .one, calendar: calendar).map(\.kind) == [.phoneUnanswered])
        #expect(unanswered(night).judge(rules: rules, level: .one, calendar: calendar).map(\.kind) == [.noDutySystem])
        #expect(unanswered(night).judge(rules: rules, level: .two, calendar: calendar).map(\.kind) == [.phoneUnanswered])
        #expect(unanswered(night, dialled: .liaison).judge(rules: rules, level: .one, calendar: calendar).map(\.kind) == [.phoneUnanswered])
        // One of the calls in office hours: not a test of the night duty.
        let mixed = ["2026-03-04T17:29:00+08:00", "2026-03-04T17:31:00+08:00", "2026-03-04T17:33:00+08:00"]
        #expect(unanswered(mixed).judge(rules: rules, level: .one, calendar: calendar).map(\.kind) == [.phoneUnanswered])
        #expect(unanswered(night).judge(rules: rules).map(\.kind) == [.phoneUnanswered])
    }

    @Test func aYearTheCalendarDoesNotHoldIsCountedMondayToFridayAndSaysSo() throws {
        let saturday = ["2031-03-08T10:00:00+08:00", "2031-03-08T10:05:00+08:00", "2031-03-08T10:10:00+08:00"]
        let f = try #require(unanswered(saturday).judge(rules: rules, level: .one, calendar: calendar).first)
        #expect(f.kind == .noDutySystem)
        #expect(f.reason.hasSuffix("（2031年的节假日安排尚未录入工作日历，按周一至周五计算工作日）"))
    }

    @Test func officeHoursAreARuleThatARevisionMayChangeButNotBreak() throws {
        var revised = rules
        revised.officeHours = OfficeHours(spans: [.init(from: "09:00", to: "17:00")], outOfHoursChecksPerQuarter: 1)
        #expect(revised.validate().isEmpty)
        #expect(!revised.officeHours.contains(cst("2026-03-04T08:45:00+08:00"), calendar: calendar))
        revised.officeHours = OfficeHours(spans: [.init(from: "14:00", to: "12:00"), .init(from: "8:30", to: "9")], outOfHoursChecksPerQuarter: 9)
        let problems = revised.validate().filter { $0.field == "officeHours" }.map(\.message)
        #expect(problems.count == 3, "\(problems)")
        // A version stored before office hours were a rule reads with the standard ones.
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(rules)) as! [String: Any]
        json["officeHours"] = nil
        let old = try JSONDecoder().decode(RuleSet.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.officeHours == .standard)
    }

    @Test func eachLevelOneUnitIsCalledOutOfHoursOnceAQuarter() {
        let units = Array(1...7)
        // The quarter's first month: 7 calls owed over 3 months, so 3 this month.
        let first = PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: [:], perPeriod: 1, monthIndexInPeriod: 1, monthsInPeriod: 3, seed: 9)
        #expect(first.count == 3 && Set(first).isSubset(of: Set(units)))
        // The same seed draws the same units, whatever the order given.
        #expect(PhoneCheckSampler.outOfHours(levelOne: units.reversed(), calledOutOfHours: [:], perPeriod: 1, monthIndexInPeriod: 1,
                                             monthsInPeriod: 3, seed: 9) == first)
        // The second month: those called are not drawn again; 4 owed over 2 months.
        let called = Dictionary(uniqueKeysWithValues: first.map { ($0, 1) })
        let second = PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: called, perPeriod: 1, monthIndexInPeriod: 2, monthsInPeriod: 3, seed: 4)
        #expect(second.count == 2 && Set(second).isDisjoint(with: first))
        // The last month takes every unit still owed; with none owed, none; with the rule at 0, none.
        let last = PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: called.merging(second.map { ($0, 1) }) { $0 + $1 },
                                                perPeriod: 1, monthIndexInPeriod: 3, monthsInPeriod: 3, seed: 1)
        #expect(Set(last) == Set(units).subtracting(first).subtracting(second))
        #expect(PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: Dictionary(uniqueKeysWithValues: units.map { ($0, 1) }),
                                             perPeriod: 1, monthIndexInPeriod: 3, monthsInPeriod: 3, seed: 1).isEmpty)
        #expect(PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: [:], perPeriod: 0, monthIndexInPeriod: 3, monthsInPeriod: 3, seed: 1).isEmpty)
        // Twice a quarter: in the last month every unit owing a call is drawn, at most once each.
        #expect(PhoneCheckSampler.outOfHours(levelOne: units, calledOutOfHours: [1: 1], perPeriod: 2, monthIndexInPeriod: 3, monthsInPeriod: 3, seed: 1) == units)
    }
}
