import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Notices: drafted and published by the PLC, immutable once published")
struct NoticeTests {
    func seedConfirmed(_ app: Application) async throws {
        let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
        _ = try await DispatchService.ingest([
            DispatchEventInput(eventID: "A1", incidentID: "110-A", unit: "市水利局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "A2", incidentID: "110-A", unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(1201)),
            DispatchEventInput(eventID: "A3", incidentID: "110-A", unit: "市水利局", type: .resultReported, at: t0.addingTimeInterval(3600)),
        ], actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(7200), on: app.db)
        try await DeductionService.sync(on: app.db)
        let d = try #require(try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first)
        for (agency, officer) in [(Agency.emb, "李"), (.psb, "王")] {
            try await DeductionService.decide([d.id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: officer, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        }
    }

    @Test func draftPublishAndNumbering() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let plc = try await app.signIn(.plc), emb = try await app.signIn(.emb), liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.POST, "notices", as: emb, form: ["period": "2026-Q1"]) { res in #expect(res.status == .forbidden) }
            var id = 0
            try await app.send(.POST, "notices", as: plc, form: ["period": "2026-Q1"]) { res in
                #expect(res.status == .seeOther)
                id = Int(res.headers.first(name: .location)?.split(separator: "/").last ?? "") ?? 0
            }
            try await app.send(.GET, "notices/\(id)", as: plc) { res in
                let html = res.body.string
                #expect(html.contains("关于2026年第一季度社会应急联动工作检查情况的通报"))
                #expect(html.contains("市水利局"))
                #expect(html.contains("合计0.5分"))
                #expect(html.contains("草稿"))
            }
            // A draft is the PLC's until published.
            try await app.send(.GET, "notices/\(id)", as: liaison) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: emb, form: [:]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: [:]) { res in #expect(res.status == .seeOther) }
            let year = LocalDate(Date()).year
            let published = try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db)
            #expect(published.number == "丽应联通〔\(year)〕1号")
            // Published: immutable.
            try await app.send(.POST, "notices/\(id)/edit", as: plc, form: ["title": "改标题", "intro": "x"]) { res in #expect(res.status == .conflict) }
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: [:]) { res in #expect(res.status == .conflict) }
            try await app.send(.GET, "notices/\(id)", as: liaison) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("丽应联通〔\(year)〕1号"))
            }
            // A correction is a new notice that refers to the first; numbers go on, never reused.
            let second = try await NoticeService.draft(period: .quarter(2026, 1), title: "关于更正的通报", intro: nil, corrects: id, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let again = try await NoticeService.publish(second, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            #expect(again.number == "丽应联通〔\(year)〕2号")
            #expect(NoticeDocument(again).blocks.contains { if case .paragraph(let t) = $0 { return t.contains("第\(id)号通报的更正") } else { return false } })
            // The published content stays as it was even when the period's deductions change later.
            let html = try await app.run(["notice", "export", String(id), "--format", "html", "--output", FileManager.default.temporaryDirectory.appendingPathComponent("n-\(UUID().uuidString).html").path])
            #expect(html.contains("已导出"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "notice.publish").count() == 2)
        }
    }

    @Test func theStandaloneHTMLIsTheDocument() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let id = try await NoticeService.draft(period: .quarter(2026, 1), title: nil, intro: nil, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let html = NoticeExport.html(try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db))
            #expect(html.contains("@page { size: A4; margin: 37mm 26mm 35mm 28mm; }"))
            #expect(html.contains("丽水市社会应急联动工作通报"))
            #expect(html.contains("各县（市、区）政法委、应急管理局、公安局，市应急联动成员单位，丽水开发区管委会："))
            #expect(html.contains("<td>市水利局</td>"))
        }
    }

    @Test func theWordFileOpensInAWordProcessorLibrary() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let id = try await NoticeService.draft(period: .quarter(2026, 1), title: nil, intro: nil, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            _ = try await NoticeService.publish(id, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("notice-\(UUID().uuidString).docx").path
            _ = try await app.run(["notice", "export", String(id), "--format", "docx", "--output", path])
            let script = """
            import json, sys
            try:
                import docx
            except ImportError:
                print("python-docx missing: pip install python-docx"); sys.exit(3)
            d = docx.Document(sys.argv[1])
            s = d.sections[0]
            print(json.dumps({"texts": [p.text for p in d.paragraphs], "cells": [c.text for t in d.tables for r in t.rows for c in r.cells],
                              "width_mm": round(s.page_width.mm), "top_mm": round(s.top_margin.mm)}, ensure_ascii=False))
            """
            let result = try runProcess("python3", ["-c", script, path])
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            let texts = (parsed["texts"] as? [String] ?? []).joined(separator: "\n")
            let year = LocalDate(Date()).year
            #expect(texts.contains("丽水市社会应急联动工作通报"))
            #expect(texts.contains("丽应联通〔\(year)〕1号"))
            #expect(texts.contains("关于2026年第一季度社会应急联动工作检查情况的通报"))
            #expect(texts.contains("市水利局"))
            #expect((parsed["cells"] as? [String])?.contains("市水利局") == true)
            #expect(parsed["width_mm"] as? Int == 210 && parsed["top_mm"] as? Int == 37)
        }
    }
}
