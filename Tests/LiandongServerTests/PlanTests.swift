import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The emergency-plans register and the items it judges (D1–D6), the hand-filed D12, and
/// rule-set revisions: every Annex 1 item can come out of the system's own records.
@Suite("Plans register, D1–D6, D12 and rule revisions")
struct PlanTests {
    /// 市水利局 is unit 4; judged as of 2026-11-29.
    static let register = #"""
    {"plans": [
      {"id": "SP-1", "unit_id": 4, "name": "丽水市防汛防台抗旱应急预案", "kind": "special", "required": true,
       "issued_on": "2021-05-01", "last_revised_on": "2026-02-01", "next_revision_due": "2026-05-01",
       "last_revision_risk_assessment": true, "last_revision_resource_survey": false,
       "published_on": "2026-02-10", "published_where": "丽水市人民政府网站"},
      {"id": "DP-1", "unit_id": 4, "name": "市水利局水利工程安全事故应急预案", "kind": "department", "required": true,
       "issued_on": "2026-10-01", "last_revision_risk_assessment": false, "last_revision_resource_survey": false},
      {"id": "DP-2", "unit_id": 4, "name": "市水利局山洪灾害应急预案", "kind": "department", "required": true, "required_from": "2026-03-01",
       "last_revision_risk_assessment": false, "last_revision_resource_survey": false}
    ],
    "drills": [{"id": "DR-1", "plan_id": "SP-1", "unit_id": 4, "held_on": "2023-06-01", "kind": "live", "scale": "参演120人"}],
    "events": [{"id": "EV-1", "name": "丽水马拉松", "starts_on": "2026-10-18", "ends_on": "2026-10-18", "unit_ids": [4], "plan_ids": []}],
    "performance_records": [{"year": 2026, "jurisdiction_id": "liandu", "included_in_performance_assessment": true, "regular_assessments_held": false}]
    }
    """#

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plans-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func planFindings(_ app: Application) async throws -> [FindingDTO] {
        try await FindingService.list(FindingFilter(source: .plan), on: app.db)
    }

    @Test func theRegisterProducesD1ToD6() async throws {
        try await withTestApp { app in
            let path = try write(Self.register)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let out = try await app.run(["plans", "import", path])
            #expect(out.contains("新增 6 条"))
            // The register began this year: the years before are not judged, this one once it ends.
            _ = try await PlanService.judge(rules: app.liandong.ruleBook, asOf: LocalDate("2027-01-05")!, on: app.db)
            let items = Set(try await planFindings(app).map(\.item))
            // D1 (DP-2 required since March, never made), D2 (SP-1 revision due 2026-05-01),
            // D3 (no resource survey), D4 (DP-1 not published in 20 working days), D5 (no drill
            // before the marathon), D6 (莲都区 2026 without regular assessments, the others with
            // no record at all).
            #expect(items.isSuperset(of: ["D1", "D2", "D3", "D4", "D5", "D6"]))
            let d6 = try await planFindings(app).filter { $0.item == "D6" }
            #expect(d6.contains { $0.jurisdiction == "莲都区" && $0.reason.contains("2026") })
            #expect(d6.count == PlanRules.defaultPerformanceJurisdictions.count)
            #expect(d6.allSatisfy { $0.unitId == nil })

            // The same file again changes nothing.
            let again = try await app.run(["plans", "import", path])
            #expect(again.contains("新增 0 条") && again.contains("未变 6 条"))

            // Shown in `findings list` with source plan.
            let listed = try await app.run(["findings", "list", "--source", "plan", "--format", "json"])
            let rows = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as! [[String: Any]]
            #expect(rows.contains { $0["item"] as? String == "D2" && $0["source"] as? String == "plan" })
        }
    }

    @Test func aDrillEnteredWithdrawsTheFindingAndTheD6DeductionCountsAgainstTheCounty() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            _ = try await PlanService.save(try PlanService.parse(Data(Self.register.utf8)), actor: .console(), rules: rules,
                                           now: ChinaTime.parseTimestamp("2026-11-29T10:00:00+08:00")!, on: app.db)
            #expect(try await planFindings(app).contains { $0.item == "D5" && $0.ref == "event:EV-1" })
            // A drill of the special plan the week before the marathon.
            let drill = #"{"drills": [{"id": "DR-2", "plan_id": "SP-1", "unit_id": 4, "held_on": "2026-10-11", "kind": "tabletop"}]}"#
            let summary = try await PlanService.save(try PlanService.parse(Data(drill.utf8)), actor: .console(), rules: rules,
                                                     now: ChinaTime.parseTimestamp("2026-11-29T10:05:00+08:00")!, on: app.db)
            #expect(summary.new == 1 && summary.findingsWithdrawn >= 1)
            #expect(try await !planFindings(app).contains { $0.ref == "event:EV-1" })

            // D6 (judged once 2026 has ended) becomes a deduction against 莲都区 and, once
            // confirmed, lowers its score.
            _ = try await PlanService.judge(rules: rules, asOf: LocalDate("2027-01-05")!, on: app.db)
            try await DeductionService.sync(on: app.db)
            let d6 = try await DeductionService.list(DeductionFilter(), rules: rules, calendar: app.liandong.calendar, on: app.db).first { $0.item == "D6" && $0.jurisdiction == "莲都区" }
            let deduction = try #require(d6)
            for (agency, officer) in [(Agency.emb, "应急局甲"), (Agency.psb, "公安局乙")] {
                try await DeductionService.decide([deduction.id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: officer,
                                                  actor: .console(), rules: rules, on: app.db)
            }
            let report = try await AssessmentService.report(.year(2026), rules: rules, on: app.db)
            let liandu = try #require(report.ranked.first { $0.entity == "莲都区" })
            #expect(liandu.deductionIds.contains(deduction.id))
            #expect(liandu.score == Points(100).value - deduction.points)
        }
    }

    @Test func aBadFileIsRefusedWholeNamingTheField() async throws {
        try await withTestApp { app in
            let bad = Self.register.replacingOccurrences(of: #""id": "DP-2", "unit_id": 4"#, with: #""id": "DP-2", "unit_id": 999"#)
            let path = try write(bad)
            defer { try? FileManager.default.removeItem(atPath: path) }
            await #expect(throws: AppError.self) { _ = try await app.run(["plans", "import", path]) }
            do { _ = try await app.run(["plans", "import", path]) } catch let error as AppError {
                #expect(error.message.contains("plans[2].unit_id") && error.message.contains("999"))
            }
            #expect(try await PlanService.register(on: app.db).plans.isEmpty)
            // A drill of a plan nobody registered.
            let orphan = #"{"drills": [{"id": "DR-9", "plan_id": "NOPE", "unit_id": 4, "held_on": "2026-01-01", "kind": "live"}]}"#
            await #expect(throws: AppError.self) {
                _ = try await PlanService.save(try PlanService.parse(Data(orphan.utf8)), actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            let typo = #"{"plans": [{"id": "X", "unit_id": 4, "name": "预案", "kind": "special", "required": true, "issued_on": "2026-13-01"}]}"#
            #expect(throws: AppError.self) { _ = try PlanService.parse(Data(typo.utf8)) }
        }
    }

    @Test func pagesShowTheRegisterAndOfficersRecordADrill() async throws {
        try await withTestApp { app in
            _ = try await PlanService.save(try PlanService.parse(Data(Self.register.utf8)), actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let officer = try await app.signIn(.emb)
            try await app.send(.GET, "plans", as: officer) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("丽水市防汛防台抗旱应急预案"))
                #expect(res.body.string.contains("丽水马拉松"))
            }
            try await app.send(.POST, "plans", as: officer, form: ["action": "drill", "plan_id": "DP-1", "held_on": "2026-11-20", "kind": "live", "scale": "30人"]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("新增 1 条"))
            }
            try await app.send(.POST, "plans", as: officer, form: ["action": "drill", "plan_id": "DP-1", "held_on": "2099-01-01", "kind": "live"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("演练日期不能晚于今天"))
            }
            // A liaison sees its own unit's plans only.
            let other = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "plans", as: other) { res in
                #expect(!res.body.string.contains("丽水市防汛防台抗旱应急预案"))
            }
        }
    }

    @Test func anyOtherShortfallIsFiledByHand() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.emb)
            try await app.send(.POST, "findings/manual", as: officer,
                               form: ["unit_id": "4", "item": "D12", "occurred_at": "2026-11-02T09:00", "narrative": "值班人员擅自离岗两小时", "points": "0.5"]) { res in
                #expect(res.status == .ok)
            }
            try await app.send(.POST, "findings/manual", as: officer,
                               form: ["unit_id": "4", "item": "D12", "occurred_at": "2026-11-02T09:00", "narrative": "值班人员擅自离岗两小时", "points": "2.5"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("扣分应在"))
            }
            let manual = try await FindingService.list(FindingFilter(source: .manual), on: app.db)
            #expect(manual.count == 1 && manual[0].item == "D12" && manual[0].proposedPoints == 0.5)
        }
    }

    /// A revision judges what happens from its effective date; what happened before keeps the
    /// version in force then, even when judged again.
    @Test func aRevisionChangesFutureFindingsAndLeavesPastOnes() async throws {
        try await withTestApp { app in
            // The level-1 limit becomes 15 minutes from 2027-01-01.
            let exported = try await app.run(["rules", "export"])
            var object = try JSONSerialization.jsonObject(with: Data(exported.utf8)) as! [String: Any]
            object["version"] = "2027.1"
            object["effectiveFrom"] = "2027-01-01"
            var limits = object["responseLimits"] as! [String: Any]
            limits["levelOne"] = 900 // seconds
            object["responseLimits"] = limits
            let revisionPath = try write(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            defer { try? FileManager.default.removeItem(atPath: revisionPath) }

            // Not in the past.
            var past = object
            past["version"] = "2026.9"; past["effectiveFrom"] = "2026-01-01"
            let pastPath = try write(String(decoding: try JSONSerialization.data(withJSONObject: past), as: UTF8.self))
            defer { try? FileManager.default.removeItem(atPath: pastPath) }
            await #expect(throws: (any Error).self) { _ = try await app.run(["rules", "publish", pastPath]) }

            let published = try await app.run(["rules", "publish", revisionPath])
            #expect(published.contains("2027.1"))
            #expect(try await RuleSetStore.book(on: app.db).versions.map(\.version) == ["2020.1", "2027.1"])
            #expect(app.liandong.ruleBook.inForce(on: LocalDate("2027-01-01")!).version == "2027.1")

            // 18 minutes for 市水利局 (level 1): on time in December 2026, late in January 2027.
            func dispatch(_ id: String, _ start: String) -> [DispatchEventInput] {
                let t0 = ChinaTime.parseTimestamp(start)!
                return [DispatchEventInput(eventID: "\(id)-0", incidentID: id, unit: "市水利局", type: .instructed, at: t0),
                        DispatchEventInput(eventID: "\(id)-1", incidentID: id, unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(18 * 60)),
                        DispatchEventInput(eventID: "\(id)-4", incidentID: id, unit: "市水利局", type: .arrivalReported, at: t0.addingTimeInterval(19 * 60)),
                        DispatchEventInput(eventID: "\(id)-2", incidentID: id, unit: "市水利局", type: .resultReported, at: t0.addingTimeInterval(3600))]
            }
            let later = ChinaTime.parseTimestamp("2027-02-01T00:00:00+08:00")!
            _ = try await DispatchService.ingest(dispatch("110-A", "2026-12-10T09:00:00+08:00") + dispatch("110-B", "2027-01-10T09:00:00+08:00"),
                                                 actor: .console(), rules: app.liandong.ruleBook, now: later, on: app.db)
            var late = try await FindingService.list(FindingFilter(source: .dispatch), on: app.db)
            #expect(late.map(\.ref) == ["110-B"])
            #expect(late.first?.ruleVersion == "2027.1")
            // Judged again (a late event of the December dispatch): still by 2020.1, still on time.
            _ = try await DispatchService.ingest([DispatchEventInput(eventID: "110-A-3", incidentID: "110-A", unit: "市水利局", type: .closed,
                                                                     at: ChinaTime.parseTimestamp("2026-12-10T12:00:00+08:00")!)],
                                                 actor: .console(), rules: app.liandong.ruleBook, now: later, on: app.db)
            late = try await FindingService.list(FindingFilter(source: .dispatch), on: app.db)
            #expect(late.map(\.ref) == ["110-B"])

            // The administrator's page lists both versions; a broken revision is refused with reasons.
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "admin/rules", as: admin) { res in
                #expect(res.body.string.contains("2027.1") && res.body.string.contains("2020.1"))
            }
            var broken = object
            broken["version"] = "2027.2"; broken["effectiveFrom"] = "2027-06-01"
            broken["pointsRange"] = ["minimum": 3.0, "maximum": 0.5, "step": 0.5]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: broken), as: UTF8.self)
            try await app.send(.POST, "admin/rules", as: admin, form: ["body": body]) { res in
                #expect(res.status == .unprocessableEntity || res.status == .badRequest)
                #expect(res.body.string.contains("未发布"))
            }
            #expect(app.liandong.ruleBook.versions.count == 2)
        }
    }
}
