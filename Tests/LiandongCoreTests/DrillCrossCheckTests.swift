import Foundation
import Testing
@testable import LiandongCore

@Suite("A drill's 110 timeline beside the inspectors' record")
struct DrillCrossCheckTests {
    let rules = RuleSet.initial
    let alert = cst("2026-03-10T14:00:00+08:00")

    func drill(arrivedAfter seconds: Double?) -> Drill {
        Drill(checkID: "DR-X", kind: .onsite, alertAt: alert, scenario: "模拟道路塌陷",
              units: [DrillUnit(unitID: 1, level: .one, notifiedAt: alert, arrivedAt: seconds.map { alert.addingTimeInterval($0) })])
    }

    func events(instructedAfter i: Double?, arrivedAfter a: Double?) -> [Int: [DispatchTimeline.Event]] {
        var list: [DispatchTimeline.Event] = []
        if let i { list.append(.init(type: .instructed, at: alert.addingTimeInterval(i), exercise: true)) }
        if let a { list.append(.init(type: .arrived, at: alert.addingTimeInterval(a), exercise: true)) }
        return [1: list]
    }

    @Test("Times agree up to the tolerance; one second more is a discrepancy", arguments: [
        (0.0, 600.0, 600.0, 0),
        (Double(DrillCrossCheck.toleranceSeconds), 600.0, 600.0 + Double(DrillCrossCheck.toleranceSeconds), 0),
        (Double(DrillCrossCheck.toleranceSeconds + 1), 600.0, 600.0, 1),
        (0.0, 600.0, 600.0 + Double(DrillCrossCheck.toleranceSeconds + 1), 1),
    ])
    func tolerance(instructed: Double, recorded: Double, arrived: Double, expected: Int) {
        let check = DrillCrossCheck.compare(drill(arrivedAfter: recorded), events: events(instructedAfter: instructed, arrivedAfter: arrived),
                                            finished: true, rules: rules)[0]
        #expect(check.discrepancies.count == expected, "\(check.discrepancies)")
        #expect(check.limit.seconds == 1200)
    }

    @Test func theVerdictsDifferAcrossTheLimit() {
        // Inspectors saw the unit arrive at the limit (on time); 110 recorded it 40 s later (late).
        let check = DrillCrossCheck.compare(drill(arrivedAfter: 1200), events: events(instructedAfter: 0, arrivedAfter: 1240),
                                            finished: true, rules: rules)[0]
        #expect(check.recordedOnTime == true && check.onTime == false && check.elapsedSeconds == 1240)
        #expect(check.discrepancies == ["按110系统记录超时，按检查记录未超时"])
    }

    @Test func anArrivalOnOneSideOnly() {
        let onlyIn110 = DrillCrossCheck.compare(drill(arrivedAfter: nil), events: events(instructedAfter: 0, arrivedAfter: 900),
                                                finished: true, rules: rules)[0]
        #expect(onlyIn110.discrepancies == ["110系统记录到达，检查记录为未到达"])
        let underWay = DrillCrossCheck.compare(drill(arrivedAfter: nil), events: events(instructedAfter: 0, arrivedAfter: 900),
                                               finished: false, rules: rules)[0]
        #expect(underWay.discrepancies == ["110系统记录到达，检查人员尚未登记到达"])
        let onlyRecorded = DrillCrossCheck.compare(drill(arrivedAfter: 900), events: events(instructedAfter: 0, arrivedAfter: nil),
                                                   finished: true, rules: rules)[0]
        #expect(onlyRecorded.discrepancies == ["检查记录已到达，110系统没有到达事件"])
        let none = DrillCrossCheck.compare(drill(arrivedAfter: 900), events: [:], finished: true, rules: rules)[0]
        #expect(!none.hasEvents && none.discrepancies == ["110系统没有该单位的演练事件"])
    }

    @Test func drillIDBelongsToExerciseEventsOnly() throws {
        let line = #"{"event_id":"X-1","incident_id":"110-X","unit":"市水利局","type":"instructed","at":"2026-03-10T14:00:00+08:00","drill_id":"DR-X"}"#
        #expect(throws: ImportError(row: 1, field: "drill_id", message: "只有演练事件（exercise 为 true）才能关联检查编号")) {
            _ = try DispatchEventParser.parseJSONLines(Data(line.utf8), dates: .testing)
        }
        let exercise = line.replacingOccurrences(of: #""drill_id""#, with: #""exercise":true,"drill_id""#)
        #expect(try DispatchEventParser.parseJSONLines(Data(exercise.utf8), dates: .testing)[0].drillID == "DR-X")
        let csv = try DispatchEventParser.parseCSV(header: ["event_id", "incident_id", "unit", "type", "at", "exercise", "drill_id"],
                                                   rows: [(2, ["X-2", "110-X", "市水利局", "arrived", "2026-03-10T14:10:00+08:00", "true", "DR-X"])],
                                                   dates: .testing)
        #expect(csv[0].drillID == "DR-X" && csv[0].exercise)
    }
}
