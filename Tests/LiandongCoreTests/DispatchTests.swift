import Foundation
import Testing
@testable import LiandongCore

@Suite("Live dispatches: judging a unit's timeline")
struct DispatchJudgingTests {
    let rules = RuleSet.initial
    let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!

    func timeline(_ events: [(DispatchEventType, Double)], level: UnitLevel = .one, police: Bool = false,
                  onSite: Bool? = nil, exercise: Bool = false) -> DispatchTimeline {
        DispatchTimeline(incidentID: "110-20260301-0042", unitID: 9, level: level, publicSecurity: police,
                         events: events.map { type, offset in
                             .init(type: type, at: t0.addingTimeInterval(offset), onSiteRequired: type == .instructed ? onSite : nil, exercise: exercise)
                         })
    }

    func kinds(_ t: DispatchTimeline, now: Date? = nil) -> [FindingKind] {
        t.judge(rules: rules, unitName: "市水利局", now: now ?? t0.addingTimeInterval(3600)).findings.map(\.kind)
    }

    @Test("Level 1: 20:00 is on time, 20:01 is late (0.5)")
    func levelOneBoundary() {
        let onTime = timeline([(.instructed, 0), (.arrived, 1200), (.arrivalReported, 1260), (.resultReported, 3000), (.closed, 3001)])
        #expect(kinds(onTime).isEmpty)
        let late = timeline([(.instructed, 0), (.arrived, 1201), (.arrivalReported, 1260), (.resultReported, 3000), (.closed, 3001)])
        let findings = late.judge(rules: rules, unitName: "市水利局", now: t0.addingTimeInterval(4000)).findings
        #expect(findings.map(\.kind) == [.lateArrival])
        #expect(findings[0].proposedPoints == Points(0.5))
        #expect(findings[0].item == .d9)
        #expect(findings[0].reason.contains("超过20分钟时限1秒"))
        #expect(findings[0].ref == "110-20260301-0042" && findings[0].source == .dispatch)
    }

    @Test("Police: 10:00 on time, 10:01 late; level 2 and 3: 30:00 / 30:01")
    func otherLimits() {
        #expect(kinds(timeline([(.instructed, 0), (.arrived, 600), (.resultReported, 900)], police: true)).isEmpty)
        #expect(kinds(timeline([(.instructed, 0), (.arrived, 601), (.resultReported, 900)], police: true)) == [.lateArrival])
        #expect(kinds(timeline([(.instructed, 0), (.arrived, 1800), (.resultReported, 2000)], level: .two)).isEmpty)
        #expect(kinds(timeline([(.instructed, 0), (.arrived, 1801), (.resultReported, 2000)], level: .three)) == [.lateArrival])
    }

    @Test func latenessBandsApply() {
        let t = timeline([(.instructed, 0), (.arrived, 1200 + 1201), (.resultReported, 5000)])
        #expect(t.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(6000)).findings.first?.proposedPoints == Points(1.5))
    }

    @Test func refusedAndPassedOn() {
        let refused = timeline([(.instructed, 0), (.refused, 60), (.closed, 600)])
        let r = refused.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(700)).findings
        #expect(r.map(\.kind) == [.refused])
        #expect(r[0].proposedPoints == Points(2.0))
        let passed = timeline([(.instructed, 0), (.passedOn, 60), (.arrived, 900), (.arrivalReported, 960), (.resultReported, 2000), (.closed, 2001)])
        let p = passed.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(3000)).findings
        #expect(p.map(\.kind) == [.passedOn])
        #expect(p[0].proposedPoints == Points(1.5))
    }

    @Test("No arrival: a finding once closed or older than the grace period, not before")
    func noArrival() {
        let open = timeline([(.instructed, 0), (.acknowledged, 30)])
        #expect(kinds(open, now: t0.addingTimeInterval(Double(rules.reportGraceHours * 3600))).isEmpty)
        #expect(kinds(open, now: t0.addingTimeInterval(Double(rules.reportGraceHours * 3600) + 1)) == [.noArrival])
        let closed = timeline([(.instructed, 0), (.closed, 3600)])
        let f = closed.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(3601)).findings
        #expect(f.map(\.kind) == [.noArrival])
        #expect(f[0].proposedPoints == Points(1.0))
    }

    @Test func arrivedWithoutAResult() {
        let t = timeline([(.instructed, 0), (.arrived, 600), (.arrivalReported, 660), (.closed, 4000)])
        let f = t.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(4001)).findings
        #expect(f.map(\.kind) == [.noReportBack])
        #expect(f[0].proposedPoints == Points(0.5))
        // Late and no result: two shortfalls, two findings.
        #expect(kinds(timeline([(.instructed, 0), (.arrived, 1300), (.arrivalReported, 1360), (.closed, 4000)]), now: t0.addingTimeInterval(4001))
            == [.lateArrival, .noReportBack])
    }

    @Test func anArrivalReportStandsForTheArrival() {
        let t = timeline([(.instructed, 0), (.arrivalReported, 1100), (.resultReported, 2000)])
        #expect(t.arrivedAt == t0.addingTimeInterval(1100))
        #expect(kinds(t).isEmpty)
    }

    @Test func levelThreeWithoutOnSiteResponseIsNotJudgedOnArrival() {
        let t = timeline([(.instructed, 0), (.resultReported, 7200), (.closed, 7300)], level: .three, onSite: false)
        #expect(kinds(t, now: t0.addingTimeInterval(8000)).isEmpty)
        #expect(t.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(8000)).arrival == nil)
    }

    @Test func exercisesAreNeverJudged() {
        let t = timeline([(.instructed, 0), (.arrived, 5000), (.closed, 6000)], exercise: true)
        #expect(kinds(t, now: t0.addingTimeInterval(90_000)).isEmpty)
    }

    @Test func outOfOrderEventsAreSorted() {
        let t = DispatchTimeline(incidentID: "i", unitID: 1, level: .one, publicSecurity: false, events: [
            .init(type: .arrived, at: t0.addingTimeInterval(1201)), .init(type: .instructed, at: t0),
        ])
        #expect(t.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(1300)).findings.map(\.kind) == [.lateArrival])
        // Without its instruction a dispatch cannot be judged yet.
        let waiting = DispatchTimeline(incidentID: "i", unitID: 1, level: .one, publicSecurity: false, events: [.init(type: .arrived, at: t0)])
        #expect(waiting.judge(rules: rules, unitName: "x", now: t0.addingTimeInterval(99_999)).findings.isEmpty)
    }
}

@Suite("Live dispatches: reporting back, one shortfall counted once")
struct ReportingBackTests {
    let rules = RuleSet.initial
    let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
    let unit = "市水利局"

    func timeline(_ events: [(DispatchEventType, Double)], onSite: Bool? = nil) -> DispatchTimeline {
        DispatchTimeline(incidentID: "110-20260301-0042", unitID: 9, level: .one, publicSecurity: false,
                         events: events.map { .init(type: $0.0, at: t0.addingTimeInterval($0.1), onSiteRequired: $0.0 == .instructed ? onSite : nil) })
    }

    func judged(_ t: DispatchTimeline, now offset: Double = 90_000, reported: Set<LiveAlertFailure> = []) -> [Finding] {
        t.judge(rules: rules, unitName: unit, now: t0.addingTimeInterval(offset), reported: reported).findings
    }

    /// On time, arrival reported, result reported, closed: nothing to find.
    let complete: [(DispatchEventType, Double)] = [(.instructed, 0), (.arrived, 900), (.arrivalReported, 960), (.resultReported, 3000), (.closed, 3100)]

    @Test("Arrived, arrival reported or not: one D10 of 0.5 naming the arrival report")
    func arrivalReportedOrNot() throws {
        #expect(judged(timeline(complete)).isEmpty)
        let f = judged(timeline(complete.filter { $0.0 != .arrivalReported }))
        #expect(f.map(\.kind) == [.noReportBack])
        let finding = try #require(f.first)
        #expect(finding.item == .d10 && finding.proposedPoints == Points(0.5) && finding.source == .dispatch)
        #expect(finding.reason == "市水利局到场后未向110反馈到达情况")
        #expect(finding.occurredAt == t0.addingTimeInterval(3100))
    }

    @Test("Arrived and reported it, result reported or not: one D10 of 0.5 naming the result report")
    func resultReportedOrNot() throws {
        let f = judged(timeline(complete.filter { $0.0 != .resultReported }))
        #expect(f.map(\.kind) == [.noReportBack])
        #expect(f.first?.reason == "市水利局到场处置后未反馈处置结果")
        #expect(f.first?.proposedPoints == Points(0.5))
        // Without on-site response the result report is still owed.
        let remote = timeline([(.instructed, 0), (.acknowledged, 30), (.closed, 5000)], onSite: false)
        #expect(judged(remote).map(\.reason) == ["市水利局未反馈处置结果"])
        #expect(judged(timeline([(.instructed, 0), (.acknowledged, 30), (.resultReported, 4000), (.closed, 5000)], onSite: false)).isEmpty)
    }

    @Test("Both reports missing: one finding naming both, not two")
    func bothMissing() {
        let f = judged(timeline([(.instructed, 0), (.arrived, 900), (.closed, 3100)]))
        #expect(f.count == 1)
        #expect(f.first?.kind == .noReportBack && f.first?.proposedPoints == Points(0.5))
        #expect(f.first?.reason == "市水利局到场后未向110反馈到达情况，也未反馈处置结果")
        // Late as well: lateness and reporting back are two shortfalls, two findings.
        #expect(judged(timeline([(.instructed, 0), (.arrived, 1300), (.closed, 3100)])).map(\.kind) == [.lateArrival, .noReportBack])
    }

    @Test("Open dispatches: the reports are judged once the report deadline has passed, not before")
    func theReportDeadline() {
        let open = timeline([(.instructed, 0), (.arrived, 900)])
        let deadline = Double(rules.reportGraceHours * 3600)
        #expect(judged(open, now: deadline).isEmpty)
        #expect(!open.settled(rules: rules, now: t0.addingTimeInterval(deadline)))
        #expect(open.settled(rules: rules, now: t0.addingTimeInterval(deadline + 1)))
        let late = judged(open, now: deadline + 1)
        #expect(late.map(\.kind) == [.noReportBack])
        // Not closed: the finding is dated at the arrival.
        #expect(late.first?.occurredAt == t0.addingTimeInterval(900))
        // A report made at last takes back what it made good: the same key, another reason.
        let reported = judged(timeline([(.instructed, 0), (.arrived, 900), (.arrivalReported, 90_100)]), now: 90_200)
        #expect(reported.map(\.reason) == ["市水利局到场处置后未反馈处置结果"])
        #expect(reported.first?.key == late.first?.key)
    }

    @Test("An arrival report without a recorded arrival stands for the arrival: nothing is missing")
    func anArrivalReportAlone() {
        #expect(judged(timeline([(.instructed, 0), (.arrivalReported, 900), (.resultReported, 3000), (.closed, 3100)])).isEmpty)
    }

    @Test("A refused dispatch gives the refusal finding only")
    func refusalOnly() {
        for onSite in [true, false] {
            let f = judged(timeline([(.instructed, 0), (.acknowledged, 30), (.refused, 60), (.closed, 600)], onSite: onSite))
            #expect(f.map(\.kind) == [.refused], "on site: \(onSite)")
            #expect(f.first?.proposedPoints == Points(2.0))
        }
    }

    @Test("Passed on and never arrived: one finding, the passing-on")
    func passedOnThenNoArrival() {
        for onSite in [true, false] {
            let f = judged(timeline([(.instructed, 0), (.acknowledged, 30), (.passedOn, 120), (.closed, 4000)], onSite: onSite))
            #expect(f.map(\.kind) == [.passedOn], "on site: \(onSite)")
            #expect(f.first?.proposedPoints == Points(1.5))
        }
        // Past the report deadline without a close: the same.
        #expect(judged(timeline([(.instructed, 0), (.passedOn, 120)])).map(\.kind) == [.passedOn])
        // Passed on, then handled after all: the unit owes its reports like any other.
        #expect(judged(timeline([(.instructed, 0), (.passedOn, 120), (.arrived, 900), (.closed, 4000)])).map(\.kind) == [.passedOn, .noReportBack])
    }

    @Test("A refusal or passing-on the police reported by hand is not also a no-arrival")
    func aReportedFailureIsNotAlsoANoArrival() {
        let neverCame = timeline([(.instructed, 0), (.acknowledged, 30), (.closed, 4000)])
        #expect(judged(neverCame).map(\.kind) == [.noArrival])
        #expect(judged(neverCame, reported: [.refused]).isEmpty)
        #expect(judged(neverCame, reported: [.passedOn]).isEmpty)
        // An instruction that did not get through says nothing of turning out.
        #expect(judged(neverCame, reported: [.instructionFailed]).map(\.kind) == [.noArrival])
    }

    @Test("A report by hand has the key the judging gives the same shortfall")
    func oneKeyForOneShortfall() throws {
        let judgedPassedOn = try #require(judged(timeline([(.instructed, 0), (.passedOn, 120), (.closed, 4000)])).first)
        let report = rules.finding(reporting: .passedOn, unitID: 9, incidentID: "110-20260301-0042", at: t0.addingTimeInterval(300),
                                   points: Points(2.0), reason: "市水利局推诿扯皮：称不归本单位管辖")
        #expect(report.key == judgedPassedOn.key)
        #expect(report.key == "dispatch|110-20260301-0042|9|passed_on")
        #expect(report.item == .d10 && report.kind == .passedOn && report.source == .dispatch)
        // The instruction failure has no counterpart in the timeline: it stays the police's own.
        let failed = rules.finding(reporting: .instructionFailed, unitID: 9, incidentID: "110-1", at: t0, points: Points(1.0), reason: "r")
        #expect(failed.key == "manual|110-1|9|instruction_failed" && failed.item == .d8)
        // A finding filed by hand under an item: keyed by the item, as it always was.
        let manual = Finding(unitID: 9, item: .d12, kind: .manual, source: .manual, ref: "M-1", occurredAt: t0, proposedPoints: Points(0.5),
                             reason: "r", ruleVersion: rules.version)
        #expect(manual.key == "manual|M-1|9|D12")
        #expect(Finding.scope(ofKey: "dispatch|110|A|9|refused") == "110|A|9")
        #expect(Finding.scope(ofKey: report.key) == Finding.scope(ref: report.ref, subject: report.subject))
    }

    @Test("The reasons of dispatch findings use full-width punctuation")
    func fullWidthReasons() {
        let all = judged(timeline([(.instructed, 0), (.refused, 60), (.passedOn, 70), (.arrived, 2500), (.closed, 5000)]))
            + judged(timeline([(.instructed, 0), (.closed, 5000)]))
        #expect(Set(all.map(\.kind)) == [.refused, .passedOn, .lateArrival, .noReportBack, .noArrival])
        for finding in all {
            // ASCII only in numbers: a colon between digits (08:16:00) is a time.
            let chars = Array(finding.reason)
            let ascii = chars.indices.filter { i in
                "(),;".contains(chars[i]) || (chars[i] == ":" && !(i > 0 && i + 1 < chars.count && chars[i - 1].isNumber && chars[i + 1].isNumber))
            }
            #expect(ascii.isEmpty, "\(finding.reason)")
        }
    }

    @Test("A rule set written before the rename reads its report-back figure")
    func formerKindNamesInStoredRuleSets() throws {
        var revised = rules
        revised.defaultPoints["no_report_back"] = Points(1.0)
        let text = String(decoding: try JSONEncoder().encode(revised), as: UTF8.self)
            .replacingOccurrences(of: "\"no_report_back\"", with: "\"no_result_report\"")
        #expect(text.contains("no_result_report"))
        let read = try JSONDecoder().decode(RuleSet.self, from: Data(text.utf8))
        #expect(read.defaultPoints(for: .noReportBack) == Points(1.0))
        #expect(read.defaultPoints["no_result_report"] == nil)
        #expect(read.validate().isEmpty)
    }
}

@Suite("Dispatch event parsing")
struct DispatchParsingTests {
    @Test func oneEventOrAnArray() throws {
        let one = #"{"event_id":"E-1","incident_id":"110-1","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00","on_site_required":false}"#
        let events = try DispatchEventParser.parseJSON(Data(one.utf8), limit: 10, dates: .testing)
        #expect(events.count == 1 && events[0].onSiteRequired == false && events[0].type == .instructed)
        let array = "[\(one),\(one.replacingOccurrences(of: "E-1", with: "E-2").replacingOccurrences(of: ",\"on_site_required\":false", with: ""))]"
        #expect(try DispatchEventParser.parseJSON(Data(array.utf8), limit: 10, dates: .testing).count == 2)
    }

    @Test(arguments: [
        (#"[{"event_id":"E-1","incident_id":"i","unit":"u","type":"teleported","at":"2026-03-01T08:15:00+08:00"}]"#, 1, "type"),
        (#"[{"event_id":"E-1","incident_id":"i","unit":"u","type":"arrived","at":"2026-03-01T08:15:00+08:00"},{"event_id":"E-2","incident_id":"i","unit":"u","type":"arrived","at":"03/01/2026"}]"#, 2, "at"),
        (#"[{"incident_id":"i","unit":"u","type":"arrived","at":"2026-03-01T08:15:00+08:00"}]"#, 1, "event_id"),
        (#"[{"event_id":"E-1","incident_id":"i","unit":"u","type":"arrived","at":"2026-03-01T08:15:00+08:00","on_site_required":true}]"#, 1, "on_site_required"),
        (#"[{"event_id":"E-1","incident_id":"i","unit":"u","type":"arrived","at":"2026-03-01T08:15:00+08:00","colour":"red"}]"#, 1, "colour"),
        (#"[{"event_id":"E-1","incident_id":"i","unit":"u","type":"arrived","at":"2026-03-01T08:15:00+08:00","exercise":"maybe"}]"#, 1, "exercise"),
    ])
    func badEventsNameIndexAndField(body: String, index: Int, field: String) {
        do {
            _ = try DispatchEventParser.parseJSON(Data(body.utf8), limit: 10, dates: .testing)
            Issue.record("accepted")
        } catch {
            #expect(error.row == index && error.field == field, "\(error)")
        }
    }

    @Test func limitsAndShapes() {
        #expect(throws: ImportError.self) { try DispatchEventParser.parseJSON(Data("[]".utf8), limit: 10, dates: .testing) }
        #expect(throws: ImportError.self) { try DispatchEventParser.parseJSON(Data("[1]".utf8), limit: 10, dates: .testing) }
        #expect(throws: ImportError.self) { try DispatchEventParser.parseJSON(Data("{".utf8), limit: 10, dates: .testing) }
        let e = #"{"event_id":"E","incident_id":"i","unit":"u","type":"closed","at":"2026-03-01T08:15:00+08:00"}"#
        #expect(throws: ImportError.self) { try DispatchEventParser.parseJSON(Data("[\(e),\(e),\(e)]".utf8), limit: 2, dates: .testing) }
    }

    @Test func jsonLinesNameTheLine() {
        let good = #"{"event_id":"E-1","incident_id":"i","unit":"u","type":"instructed","at":"2026-03-01T08:15:00+08:00"}"#
        let text = good + "\n\n" + good.replacingOccurrences(of: "instructed", with: "nope") + "\n"
        do {
            _ = try DispatchEventParser.parseJSONLines(Data(text.utf8), dates: .testing)
            Issue.record("accepted")
        } catch {
            #expect(error.row == 3 && error.field == "type")
        }
    }

    @Test func csvColumnsAreTheFieldNames() throws {
        let events = try DispatchEventParser.parseCSV(
            header: ["event_id", "incident_id", "unit", "type", "at", "on_site_required"],
            rows: [(2, ["E-1", "110-1", "市水利局", "instructed", "2026-03-01 08:15:00", "否"]), (3, ["E-2", "110-1", "7", "arrived", "2026-03-01T08:30:00+08:00", ""])],
            dates: .testing)
        #expect(events.count == 2 && events[0].onSiteRequired == false && events[1].onSiteRequired == nil)
    }
}

@Suite("Fast paths agree with the general ones")
struct FastParsingTests {
    /// The flat scanner gives what JSONSerialization gives, or steps aside (nil).
    @Test(arguments: [
        #"{"event_id":"E-1","incident_id":"110-1","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00","on_site_required":true}"#,
        #"  { "event_id" : "E-2" , "unit" : 12, "exercise" : false, "note" : null }  "#,
        #"{"note":"引号\"与\\反斜杠\/和\n换行\t制表"}"#,
        #"{"n":-1.5e3,"m":0,"k":10}"#,
        #"{}"#,
        #"{"note":"\u4e2d"}"#,
        #"{"a":[1,2]}"#,
        #"{"a":{"b":1}}"#,
        #"{"a":1,}"#,
        #"{"a":01}"#,
        #"{"a":"x","a":"y"}"#,
        #"{"a":tru}"#,
        #"{"a":"unterminated}"#,
        #"{"a":1} trailing"#,
        #"["not","an","object"]"#,
    ])
    func flatScannerMatchesJSONSerialization(_ line: String) {
        let data = Data(line.utf8)
        let fast = data.withUnsafeBytes { FlatJSON.object($0.bindMemory(to: UInt8.self)) }
        let full = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        if let fast {
            #expect(full != nil, "the scanner accepted what JSON refuses: \(line)")
            if let full { #expect(fast == full.mapValues(JSONScalar.init(any:))) }
        }
    }

    @Test func theCommonLinesTakeTheFastPath() {
        let line = #"{"event_id":"E-1","incident_id":"110-1","unit":"市水利局","type":"arrived","at":"2026-03-01T08:35:00+08:00","exercise":false,"note":"到场"}"#
        let fields = Data(line.utf8).withUnsafeBytes { FlatJSON.object($0.bindMemory(to: UInt8.self)) }
        #expect(fields?["unit"] == .string("市水利局"))
        #expect(fields?["exercise"] == .bool(false))
    }

    /// Every timestamp the formatter writes reads back to the same instant, across leap years,
    /// month ends and the turn of the day in UTC.
    @Test func timestampsRoundTrip() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let seconds = Double(rng.next() % 4_102_444_800) // 1970…2100
            let date = Date(timeIntervalSince1970: seconds)
            #expect(ChinaTime.parseTimestamp(ChinaTime.isoString(date)) == date)
        }
    }

    @Test func timestampBoundaries() {
        #expect(ChinaTime.parseTimestamp("2028-02-29T12:00:00+08:00") != nil)
        #expect(ChinaTime.parseTimestamp("2026-02-29T12:00:00+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2100-02-29T12:00:00+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2000-02-29T12:00:00+08:00") != nil)
        #expect(ChinaTime.parseTimestamp("2026-04-31T12:00:00+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:60+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00.250+08:00")!.timeIntervalSince(ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!) == 0.25)
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00.+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2026-03-01T00:15:00-05:00") == ChinaTime.parseTimestamp("2026-03-01T13:15:00+08:00"))
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00+15:00") == nil)
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00Zx") == nil)
        #expect(ChinaTime.parseTimestamp(" 2026-03-01T08:15 ") == ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00"))
        #expect(ChinaTime.parseTimestamp("2026-3-01T08:15:00") == nil)
        #expect(ChinaTime.parseTimestamp("") == nil)
    }

    /// A file large enough to be parsed in parts gives the same events, line numbers and first
    /// error as one sequential reading.
    @Test func partsAgreeWithOneReading() throws {
        var text = ""
        for i in 1...12_000 {
            if i % 1000 == 0 { text += "\n" } // blank lines shift the numbering
            text += #"{"event_id":"E-\#(i)","incident_id":"110-\#(i / 3)","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00","note":"第\#(i)条"}"# + "\n"
        }
        let data = Data(text.utf8)
        #expect(data.count > 1 << 20)
        let one = try DispatchEventParser.parseJSONLinesWithLines(data, parts: 1, dates: .testing)
        let four = try DispatchEventParser.parseJSONLinesWithLines(data, parts: 4, dates: .testing)
        #expect(one.events.count == 12_000)
        #expect(one.events == four.events)
        #expect(one.lines == four.lines)
        #expect(four.lines[999] == 1001 && four.lines.last == 12_012)

        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[9_500] = #"{"event_id":"E-bad","incident_id":"110-x","unit":"市水利局","type":"arrived","at":"昨天"}"#
        lines[10_500] = #"{"event_id":"E-bad2"}"#
        let bad = Data(lines.joined(separator: "\n").utf8)
        for parts in [1, 2, 4] {
            #expect(throws: ImportError(row: 9_501, field: "at", message: "时间“昨天”格式不正确，应为 2026-03-01T08:15:00+08:00")) {
                try DispatchEventParser.parseJSONLinesWithLines(bad, parts: parts, dates: .testing)
            }
        }
    }
}

@Suite("110 events: times the 110 system can have sent")
struct EventTimeBoundsTests {
    static let now = ChinaTime.parseTimestamp("2026-06-01T10:00:00+08:00")!
    static let dates = FactDates(rules: .standard, now: now)

    func parse(_ at: String) throws(ImportError) -> [DispatchEventInput] {
        let line = #"{"event_id":"E-1","incident_id":"110-1","unit":"市水利局","type":"instructed","at":"\#(at)"}"#
        return try DispatchEventParser.parseJSON(Data(line.utf8), limit: 10, dates: Self.dates)
    }

    @Test(arguments: ["0000-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "2000-01-01T00:00:00+08:00",
                      "2020-12-29T23:59:59+08:00", "2020-12-29T15:59:59Z", "2026-06-02T10:00:01+08:00"])
    func anEventBeforeTheMechanismOrMoreThanADayAheadIsRefused(at: String) {
        let error = #expect(throws: ImportError.self) { try parse(at) }
        #expect(error?.row == 1 && error?.field == "at")
        #expect(error?.message.contains(at) == true)
    }

    /// The mechanism's first day from its first second; a day past now to the second.
    @Test(arguments: ["2020-12-30T00:00:00+08:00", "2020-12-29T16:00:00Z", "2026-06-02T10:00:00+08:00", "2026-06-02T02:00:00Z"])
    func theBoundsThemselvesAreAccepted(at: String) {
        #expect(throws: Never.self) { try parse(at) }
    }

    @Test func theMessagesSayWhy() {
        #expect(Self.dates.problem(ChinaTime.parseTimestamp("2020-12-29T23:59:59+08:00")!, written: "2020-12-29T23:59:59+08:00")
                == "时间“2020-12-29T23:59:59+08:00”早于机制施行之日（2020年12月30日），不能据以判定")
        #expect(Self.dates.problem(Self.now.addingTimeInterval(86_401))
                == "时间2026年6月2日 10:00:01晚于当前时间24小时以上（最晚可为2026年6月2日 10:00:00），请核对日期和时钟")
        #expect(Self.dates.problem(day: LocalDate("2020-12-29")!) == "日期2020年12月29日早于机制施行之日（2020年12月30日），不能据以判定")
        #expect(Self.dates.problem(day: LocalDate("2020-12-30")!) == nil)
    }

    /// The bounds are rule-set values: a revision in force moves them.
    @Test func theBoundsComeFromTheRuleSetInForce() throws {
        var later = RuleSet.initial
        later.version = "2026.1"
        later.effectiveFrom = LocalDate("2026-05-01")!
        later.futureToleranceHours = 2
        let book = try RuleBook([.initial, later])
        let dates = FactDates(rules: book, now: Self.now)
        #expect(dates.latest == Self.now.addingTimeInterval(7200))
        #expect(dates.earliest == LocalDate("2020-12-30")!.start)
        #expect(FactDates(rules: book, now: ChinaTime.parseTimestamp("2026-04-30T10:00:00+08:00")!).toleranceHours == 24)
    }

    /// A version stored before the bounds existed takes the initial ones; a revision may not
    /// allow more than a week ahead.
    @Test func theBoundsAreRuleSetValues() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RuleSet.initial)) as! [String: Any]
        #expect(json["mechanismStart"] as? String == "2020-12-30" && json["futureToleranceHours"] as? Int == 24)
        json["mechanismStart"] = nil
        json["futureToleranceHours"] = nil
        let old = try JSONDecoder().decode(RuleSet.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.mechanismStart == LocalDate("2020-12-30")! && old.futureToleranceHours == 24)
        var wide = RuleSet.initial
        wide.futureToleranceHours = 169
        #expect(wide.validate().map(\.field) == ["futureToleranceHours"])
        wide.futureToleranceHours = 168
        #expect(wide.validate().isEmpty)
    }

    /// Past checks are held to the same bounds, naming the line and the field.
    @Test func checksAreHeldToTheSameBounds() {
        let early = #"{"type":"phone","check_id":"PC-1","unit":"市水利局","dialled":"duty","attempts":[{"at":"2020-12-29T09:10:00+08:00","answered":true}]}"#
        #expect(throws: ImportError.self) { try ChecksFile.parse(early, dates: Self.dates) }
        do { _ = try ChecksFile.parse("\n" + early, dates: Self.dates) } catch {
            #expect(error.row == 2 && error.field == "attempts[0].at")
        }
        let ahead = #"{"type":"onsite","check_id":"DR-1","alert_at":"2026-06-01T10:00:00+08:00","units":[{"unit":"市建设局","notified_at":"2026-06-01T10:00:00+08:00","arrived_at":"2026-06-02T10:00:01+08:00"}]}"#
        do { _ = try ChecksFile.parse(ahead, dates: Self.dates); Issue.record("accepted") } catch {
            #expect(error.row == 1 && error.field == "units[0].arrived_at")
        }
        #expect(throws: Never.self) {
            try ChecksFile.parse(ahead.replacingOccurrences(of: "2026-06-02T10:00:01", with: "2026-06-02T10:00:00"), dates: Self.dates)
        }
    }
}

@Suite("Finding keys: made in one place, as they always were")
struct FindingKeyTests {
    let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!

    func finding(_ kind: FindingKind, item: DeductionItemID, source: FindingSource, ref: String, unitID: Int? = nil, agency: Agency? = nil,
                 jurisdictionID: String? = nil) -> Finding {
        Finding(unitID: unitID, agency: agency, jurisdictionID: jurisdictionID, item: item, kind: kind, source: source, ref: ref,
                occurredAt: t0, proposedPoints: Points(0.5), reason: "r", ruleVersion: "2020.1")
    }

    @Test func keysKeepTheirStoredShape() {
        #expect(finding(.lateArrival, item: .d9, source: .dispatch, ref: "110-1", unitID: 4).key == "dispatch|110-1|4|late_arrival")
        #expect(finding(.supervisionMissed, item: .d7, source: .supervision, ref: "2026-03", agency: .psb).key == "supervision|2026-03|psb|supervision_missed")
        #expect(finding(.performanceAssessmentMissing, item: .d6, source: .plan, ref: "2026", jurisdictionID: "liandu").key
            == "plan|2026|liandu|performance_assessment_missing")
        // Filed by hand under an item of the officer's choosing: keyed by the item.
        #expect(finding(.manual, item: .d12, source: .manual, ref: "M-1", unitID: 4).key == "manual|M-1|4|D12")
        #expect(Finding.key(source: .manual, ref: "110-1", subject: Finding.subject(unitID: 4), shortfall: "refused") == "manual|110-1|4|refused")
    }

    @Test func theScopeOfAKeyIsItsRefAndSubject() {
        let f = finding(.refused, item: .d10, source: .dispatch, ref: "110|A", unitID: 9)
        #expect(Finding.scope(ofKey: f.key) == "110|A|9")
        #expect(Finding.scope(ofKey: f.key) == Finding.scope(ref: f.ref, subject: f.subject))
        #expect(Finding.scope(ofKey: "not-a-key") == "")
    }
}
