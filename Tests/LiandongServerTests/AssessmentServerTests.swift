import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Assessment: confirmed deductions only, XLSX a real reader opens")
struct AssessmentServerTests {
    /// 市水利局 late (D9 0.5) and 市民政局 refused (D10 2.0) in March 2026; only the first is confirmed.
    func seed(_ app: Application) async throws {
        let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
        _ = try await DispatchService.ingest([
            DispatchEventInput(eventID: "A1", incidentID: "110-A", unit: "市水利局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "A2", incidentID: "110-A", unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(1201)),
            DispatchEventInput(eventID: "A3", incidentID: "110-A", unit: "市水利局", type: .resultReported, at: t0.addingTimeInterval(3600)),
            DispatchEventInput(eventID: "B1", incidentID: "110-B", unit: "市民政局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "B2", incidentID: "110-B", unit: "市民政局", type: .refused, at: t0.addingTimeInterval(60)),
        ], actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(7200), on: app.db)
        try await DeductionService.sync(on: app.db)
        let late = try #require(try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first { $0.unit == "市水利局" })
        try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
    }

    @Test func theYearCountsConfirmedDeductionsOnly() async throws {
        try await withTestApp { app in
            try await seed(app)
            let json = try await app.run(["assess", "--year", "2026", "--format", "json"])
            let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
            for key in ["entity", "kind", "base", "deductions", "score", "rank"] { #expect(rows[0].keys.contains(key), "\(key)") }
            let water = try #require(rows.first { $0["entity"] as? String == "市水利局" })
            #expect(water["score"] as? Double == 99.5 && water["kind"] as? String == "department")
            #expect(rows.first { $0["entity"] as? String == "市民政局" }?["score"] as? Double == 100.0)
            #expect(rows.filter { $0["kind"] as? String == "county" }.count == 10)
            // 2025 holds no records: no previous scores to compare with (not scores of 100).
            #expect(rows.allSatisfy { $0["previous_score"] == nil && $0["change"] == nil })
            let q2 = try await app.run(["assess", "--year", "2026", "--quarter", "2", "--format", "json"])
            let q2rows = try JSONSerialization.jsonObject(with: Data(q2.utf8)) as! [[String: Any]]
            let waterQ2 = try #require(q2rows.first { $0["entity"] as? String == "市水利局" })
            // The quarter after: back at the base, with the first quarter as the previous score.
            #expect(waterQ2["score"] as? Double == 100.0 && waterQ2["previous_score"] as? Double == 99.5 && waterQ2["change"] as? Double == 0.5)
        }
    }

    @Test func theWorkbookOpensInOpenpyxl() async throws {
        try await withTestApp { app in
            try await seed(app)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("assess.xlsx").path
            _ = try await app.run(["assess", "--year", "2026", "--format", "xlsx", "--output", path])
            let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb["市直单位排名"]
            rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
            print(json.dumps({"sheets": wb.sheetnames, "title": rows[0][0], "header": rows[1], "freeze": ws.freeze_panes,
                              "water": [r for r in rows if r[1] == "市水利局"][0][5], "detail": wb["扣分明细"].max_row}, ensure_ascii=False))
            """
            let result = try runProcess("python3", ["-c", script, path])
            #expect(result.status == 0, "\(result.stderr)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            #expect(parsed["sheets"] as? [String] == ["县（市、区）排名", "市直单位排名", "不参与排名单位", "扣分明细"])
            #expect((parsed["title"] as? String)?.contains("2026年市直单位社会应急联动工作考核") == true)
            #expect((parsed["header"] as? [String])?.prefix(3) == ["排名", "被考核单位", "类别"])
            #expect(parsed["freeze"] as? String == "A3")
            #expect(parsed["water"] as? Double == 99.5)
            #expect(parsed["detail"] as? Int == 3) // title, header, one deduction
        }
    }

    @Test func thePageDrillsDownToTheDeductions() async throws {
        try await withTestApp { app in
            try await seed(app)
            let plc = try await app.signIn(.plc)
            try await app.send(.GET, "assessment?year=2026", as: plc) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("99.5"))
                #expect(res.body.string.contains("丽水移动"))
                // Two rankings: the counties with the zone, then the city departments, then those not ranked.
                let body = res.body.string
                let counties = try #require(body.range(of: "<h2>县（市、区）和开发区</h2>"))
                let departments = try #require(body.range(of: "<h2>市直单位</h2>"))
                let unranked = try #require(body.range(of: "<h2>不参与排名的单位"))
                #expect(counties.upperBound < departments.lowerBound && departments.upperBound < unranked.lowerBound)
                let longquan = try #require(body.range(of: "<td>龙泉市</td>")), water = try #require(body.range(of: "<td>市水利局</td>"))
                #expect(longquan.lowerBound > counties.upperBound && longquan.upperBound < departments.lowerBound)
                #expect(water.lowerBound > departments.upperBound && water.upperBound < unranked.lowerBound)
                #expect(body.contains("2025年没有考核数据，不作比较"))
            }
            try await app.send(.GET, "assessment?year=2026&quarter=2", as: plc) { res in
                // The first quarter holds the deductions: the second compares with it.
                #expect(res.body.string.contains("上期为2026年第一季度"))
            }
            try await app.send(.GET, "assessment?year=2026&entity=%E5%B8%82%E6%B0%B4%E5%88%A9%E5%B1%80", as: plc) { res in
                #expect(res.body.string.contains("市水利局 的扣分明细"))
                #expect(res.body.string.contains("110-A"))
            }
            try await app.send(.GET, "assessment/export?format=xlsx&year=2026", as: plc) { res in
                #expect(res.headers.contentType == RegisterFiles.xlsxType)
            }
            // The page's own links and form send 「全年」 as an empty quarter.
            try await app.send(.GET, "assessment/export?format=csv&year=2026&quarter=", as: plc) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .contentDisposition)?.contains("2026") == true)
            }
            try await app.send(.GET, "assessment?year=2026&quarter=", as: plc) { res in #expect(res.status == .ok) }
            try await app.send(.GET, "assessment?year=2026&quarter=5", as: plc) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("季度应为1至4"))
            }
            try await app.send(.GET, "assessment?year=abc", as: plc) { res in #expect(res.status == .badRequest) }
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "assessment?year=2026", as: liaison) { res in #expect(res.status == .forbidden) }
        }
    }
}
