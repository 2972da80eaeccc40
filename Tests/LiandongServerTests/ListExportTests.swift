import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

/// 「导出 Excel」 on the findings, deductions and compliance lists: a workbook openpyxl opens,
/// with the list's filters, order and scope, each export audited; the lists newest first.
@Suite("List exports: findings, deductions, compliance as XLSX")
struct ListExportTests {
    /// The deductions seed (市水利局 late, 市民政局 refused, 1 March) and 市水利局 late again on 1 April.
    func seed(_ app: Application) async throws {
        try await DeductionServerTests().seed(app)
        let t1 = ChinaTime.parseTimestamp("2026-04-01T09:00:00+08:00")!
        _ = try await DispatchService.ingest([
            DispatchEventInput(eventID: "C1", incidentID: "110-C", unit: "市水利局", type: .instructed, at: t1),
            DispatchEventInput(eventID: "C2", incidentID: "110-C", unit: "市水利局", type: .arrived, at: t1.addingTimeInterval(1500)),
            DispatchEventInput(eventID: "C3", incidentID: "110-C", unit: "市水利局", type: .resultReported, at: t1.addingTimeInterval(3600)),
        ], actor: .console(), rules: app.liandong.ruleBook, now: t1.addingTimeInterval(7200), on: app.db)
        try await DeductionService.sync(on: app.db)
    }

    /// The workbook's first sheet, row by row, as openpyxl reads it (title, header, data).
    func sheet(_ res: TestingHTTPResponse) throws -> [[Any]] {
        #expect(res.status == .ok)
        #expect(res.headers.contentType == RegisterFiles.xlsxType)
        #expect(res.headers.first(name: .contentDisposition)?.contains(".xlsx") == true)
        let file = try Fixtures.temporaryFile("list.xlsx", contents: Data(buffer: res.body))
        let script = """
        import json, sys, openpyxl
        ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
        print(json.dumps([[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)], ensure_ascii=False))
        """
        let result = try runProcess("python3", ["-c", script, file.path])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]] ?? []
    }

    func column(_ rows: [[Any]], _ name: String) -> [Any] {
        guard rows.count > 1, let index = rows[1].firstIndex(where: { $0 as? String == name }) else { return [] }
        return rows.dropFirst(2).map { $0[index] }
    }

    @Test func deductionsExportTheFilteredListNewestFirstAndAreAudited() async throws {
        try await withTestApp { app in
            try await seed(app)
            let emb = try await app.signIn(.emb)
            var all: [[Any]] = []
            try await app.send(.GET, "deductions/export", as: emb) { res in all = try sheet(res) }
            #expect((all.first?.first as? String)?.hasPrefix("扣分清单") == true)
            #expect(all[1].prefix(5).compactMap { $0 as? String } == ["编号", "发生时间", "单位或部门", "项目", "分值"])
            #expect(all.count == 2 + 3)
            // Newest first, figures as numbers.
            #expect(column(all, "单位或部门").first as? String == "市水利局")
            #expect((column(all, "发生时间").first as? String)?.contains("2026年4月1日") == true)
            #expect(column(all, "分值").allSatisfy { $0 is Double || $0 is Int })
            #expect(column(all, "编号").allSatisfy { $0 is Int })
            // The date range of the list: March only.
            try await app.send(.GET, "deductions/export?from=2026-03-01&to=2026-03-31", as: emb) { res in
                let march = try sheet(res)
                #expect(march.count == 2 + 2)
                #expect((march.first?.first as? String)?.contains("2026-03-01 至 2026-03-31") == true)
            }
            try await app.send(.GET, "deductions/export?q=" + "市民政局".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, as: emb) { res in
                let rows = try sheet(res)
                #expect(column(rows, "单位或部门").compactMap { $0 as? String } == ["市民政局"])
            }
            let audited = try await AccessAuditTests.entries(app, "export.deductions")
            #expect(audited.count == 3 && audited.allSatisfy { $0.actor == emb.account.username })
            #expect(audited[0].after?.contains(#""rows":"3""#) == true)
            #expect(audited[1].after?.contains("from=2026-03-01") == true)
            // The page links the export with its filters.
            try await app.send(.GET, "deductions?from=2026-03-01&status=proposed", as: emb) { res in
                #expect(res.body.string.contains("href=\"/deductions/export?from=2026-03-01&amp;status=proposed\""))
            }
        }
    }

    @Test func anExportKeepsTheListsScope() async throws {
        try await withTestApp { app in
            try await seed(app)
            // A liaison: its own unit's rows only, whatever it asks for.
            let water = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "deductions/export", as: water) { res in
                let rows = try sheet(res)
                #expect(Set(column(rows, "单位或部门").compactMap { $0 as? String }) == ["市水利局"])
            }
            try await app.send(.GET, "findings/export", as: water) { res in
                let rows = try sheet(res)
                #expect(rows.count == 2 + 2 && Set(column(rows, "单位").compactMap { $0 as? String }) == ["市水利局"])
            }
            try await app.send(.GET, "findings/export?unit=5", as: water) { res in #expect(res.status == .forbidden) }
            try await app.send(.GET, "compliance/export?period=2026&by=unit", as: water) { res in
                let groups = column(try sheet(res), "分组").compactMap { $0 as? String }
                #expect(groups.contains("市水利局") && !groups.contains("市民政局"))
            }
            // A county's officer: its county's, none of the city's.
            let county = try await app.signIn(.emb, jurisdiction: "liandu")
            for path in ["deductions/export", "findings/export"] {
                try await app.send(.GET, path, as: county) { res in
                    let rows = try sheet(res)
                    #expect(rows.count == 2, "\(path)")
                }
            }
        }
    }

    @Test func findingsAndComplianceExportAsTheirPagesShowThem() async throws {
        try await withTestApp { app in
            try await seed(app)
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "findings/export?from=2026-04-01", as: police) { res in
                let rows = try sheet(res)
                #expect(rows[1].prefix(4).compactMap { $0 as? String } == ["编号", "发生时间", "单位", "项目"])
                #expect(rows.count == 2 + 1 && column(rows, "拟扣分").first is Double)
            }
            try await app.send(.GET, "findings/export", as: police) { res in
                let times = column(try sheet(res), "发生时间").compactMap { $0 as? String }
                #expect(times.count == 3 && times == times.sorted(by: >))
            }
            try await app.send(.GET, "compliance/export?period=2026&by=unit", as: police) { res in
                let rows = try sheet(res)
                #expect((rows.first?.first as? String)?.contains("按单位分组") == true)
                #expect(column(rows, "警情数").allSatisfy { $0 is Int })
                #expect(column(rows, "分组").compactMap { $0 as? String }.contains("市水利局"))
            }
            try await app.send(.GET, "compliance?period=2026&by=unit", as: police) { res in
                #expect(res.body.string.contains("href=\"/compliance/export?period=2026&amp;by=unit\""))
            }
            try await app.send(.GET, "findings", as: police) { res in
                #expect(res.body.string.contains("href=\"/findings/export\""))
            }
            #expect(try await AccessAuditTests.entries(app, "export.findings").count == 2)
            #expect(try await AccessAuditTests.entries(app, "export.compliance").count == 1)
        }
    }

    @Test func theListsShowTheNewestFirst() async throws {
        try await withTestApp { app in
            try await seed(app)
            let emb = try await app.signIn(.emb)
            for path in ["deductions", "findings"] {
                try await app.send(.GET, path, as: emb) { res in
                    let html = res.body.string
                    let april = try #require(html.range(of: "2026年4月1日"), "\(path)")
                    let march = try #require(html.range(of: "2026年3月1日 08"), "\(path)")
                    #expect(april.lowerBound < march.lowerBound, "\(path)")
                    #expect(html.contains("aria-sort=\"descending\""), "\(path)")
                }
            }
        }
    }
}
