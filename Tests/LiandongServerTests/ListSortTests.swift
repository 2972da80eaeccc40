import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Lists: sorting by column, searching units by name and pinyin initials")
struct ListSortTests {
    /// The text of each `<tr>`'s `column`-th cell of the first table, in page order.
    static func column(_ html: String, _ index: Int) -> [String] {
        guard let body = html.range(of: "<tbody>").map({ html[$0.upperBound...] }),
              let end = body.range(of: "</tbody>") else { return [] }
        return body[..<end.lowerBound].components(separatedBy: "<tr>").dropFirst().compactMap { row in
            let cells = row.components(separatedBy: "<td").dropFirst()
            guard cells.count > index else { return nil }
            let cell = cells[cells.index(cells.startIndex, offsetBy: index)]
            // Strip the tags: what a reader sees.
            var text = ""
            var inTag = true
            for ch in cell {
                if ch == "<" { inTag = true } else if ch == ">" { inTag = false } else if !inTag { text.append(ch) }
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func unitID(_ name: String, _ app: Application) async throws -> Int {
        try #require(try await LinkageUnit.query(on: app.db).filter(\.$name == name).first()?.id)
    }

    @Test func theRegisterIsFoundByPinyinInitials() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units?q=sslj", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("共 1 个单位"))
                #expect(res.body.string.contains(">市水利局</a>"))
            }
            // 行 read as háng (人行) finds the bank's branch; a name part still works.
            try await app.send(.GET, "units?q=rhls", as: admin) { res in
                #expect(res.body.string.contains("人行丽水市中心支行"))
            }
            try await app.send(.GET, "units?q=%E6%B0%B4%E5%88%A9", as: admin) { res in  // 水利
                #expect(res.body.string.contains(">市水利局</a>"))
            }
            try await app.send(.GET, "units?q=zzzzqx", as: admin) { res in
                #expect(res.body.string.contains("共 0 个单位"))
            }
            // The API answers the same search.
            struct U: Decodable { var name: String }
            var found: [U] = []
            try await app.send(.GET, "api/v1/units?q=sslj", as: admin) { res in
                #expect(res.status == .ok)
                found = try res.content.decode([U].self)
            }
            #expect(found.map(\.name) == ["市水利局"])
        }
    }

    @Test func theRegisterSortsByAnyColumnBothWays() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units?jurisdiction=city&sort=name&dir=asc", as: admin) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                let names = Self.column(html, 1).map { $0.replacingOccurrences(of: "不排名", with: "").trimmingCharacters(in: .whitespaces) }
                #expect(names.count == 46)
                #expect(names == names.sorted { Pinyin.sortKey($0) < Pinyin.sortKey($1) })
                // The heading says how the table is sorted, and its link reverses it, keeping the filter.
                #expect(html.contains("aria-sort=\"ascending\"><a class=\"sort\" href=\"/units?jurisdiction=city&amp;sort=name&amp;dir=desc\"")
                        || html.contains("aria-sort=\"ascending\"><a class=\"sort\" href=\"units?jurisdiction=city&amp;sort=name&amp;dir=desc\""))
                #expect(html.contains("单位名称<span class=\"arrow\" aria-hidden=\"true\">▲</span>"))
                // The filter form keeps the order.
                #expect(html.contains("<input type=\"hidden\" name=\"sort\" value=\"name\">"))
            }
            try await app.send(.GET, "units?jurisdiction=city&sort=name&dir=desc", as: admin) { res in
                let names = Self.column(res.body.string, 1).map { $0.replacingOccurrences(of: "不排名", with: "").trimmingCharacters(in: .whitespaces) }
                #expect(names == names.sorted { Pinyin.sortKey($0) > Pinyin.sortKey($1) })
                #expect(res.body.string.contains("▼"))
            }
            try await app.send(.GET, "units?sort=id&dir=desc", as: admin) { res in
                let ids = Self.column(res.body.string, 0).compactMap { Int($0) }
                #expect(ids.count == 46 && ids == ids.sorted(by: >))
            }
        }
    }

    @Test func anUnknownSortKeyOrDirectionIsRefusedByName() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units?sort=phone", as: admin) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("不能按“phone”排序，可选：id、name、level、jurisdiction、kind、limit、reported"))
            }
            try await app.send(.GET, "findings?sort=name&dir=asc", as: admin) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("不能按“name”排序"))
            }
            try await app.send(.GET, "deductions?sort=id&dir=up", as: admin) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("排序方向应为 asc（升序）或 desc（降序）"))
            }
            try await app.send(.GET, "plans?d_sort=nope", as: admin) { res in
                #expect(res.status == .badRequest)
            }
        }
    }

    @Test func everyListSortsByEachOfItsKeys() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            let lists: [(String, [SortColumn])] = [
                ("units", RegisterPages.columns), ("units/1", RegisterPages.historyColumns),
                ("findings", FindingService.sortColumns), ("deductions", DeductionService.sortColumns),
                ("compliance?by=unit", ComplianceControllers.sortColumns), ("assessment", AssessmentPages.sortColumns),
                ("notices", NoticePages.listColumns), ("admin/accounts", AdminPages.accountColumns),
                ("admin/tokens", AdminPages.tokenColumns), ("admin/audit", AdminPages.auditColumns),
                ("checks/phone", InspectionPages.phoneColumns), ("checks/drills", InspectionPages.drillColumns),
                ("plans", PlanPages.planColumns), ("rectifications", RectificationPages.columns), ("admin/rules", RuleSetPages.columns),
            ]
            for (path, columns) in lists {
                for key in columns.compactMap(\.key) {
                    for dir in ["asc", "desc"] {
                        let url = path + (path.contains("?") ? "&" : "?") + "sort=\(key)&dir=\(dir)"
                        try await app.send(.GET, url, as: admin) { res in
                            #expect(res.status == .ok, "\(url)")
                            // (An empty list shows no table: no contact changes, no phone-check sample, no plans yet.)
                            guard !["units/1", "checks/phone", "plans"].contains(path) else { return }
                            #expect(res.body.string.contains("aria-sort=\"\(dir == "asc" ? "ascending" : "descending")\""), "\(url)")
                        }
                    }
                }
            }
            for prefix in ["w_", "d_", "e_", "r_"] {
                try await app.send(.GET, "plans?\(prefix)sort=\(prefix == "r_" ? "year" : prefix == "w_" ? "due" : "date")&\(prefix)dir=asc", as: admin) { res in
                    #expect(res.status == .ok)
                }
            }
            try await app.send(.GET, "checks/equipment?sort=name", as: admin) { res in #expect(res.status == .ok) }
        }
    }

    /// Findings and deductions are sorted and paged by the database: the order holds across pages,
    /// and a unit search (by initials) narrows the count.
    @Test func findingsAndDeductionsSortInTheDatabaseAndSearchUnitsByInitials() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let now = Date()
            let names = ["市水利局", "市公安局", "人行丽水市中心支行", "市自然资源和规划局(市林业局)"]
            var ids: [String: Int] = [:]
            for name in names { ids[name] = try await Self.unitID(name, app) }
            // 60 findings: more than one page; points 0.5…2.0 in turn over the four units.
            let points = [0.5, 1.0, 1.5, 2.0]
            for i in 0..<60 {
                let name = names[i % 4]
                _ = try await FindingService.fileManual(unitID: ids[name]!, item: .d12, at: now.addingTimeInterval(Double(-3600 * (i + 1))),
                                                        narrative: "第\(i)次值班人员擅自离岗", points: Points(points[(i / 4) % 4]),
                                                        reference: "T-\(i)", actor: .console(), rules: rules, on: app.db)
            }
            let admin = try await app.signIn(.admin)

            // By unit name in pinyin order: 人行… (r), then 市公安局 (sgaj), 市水利局 (sslj), 市自然… (szr).
            var seen: [String] = []
            for page in 1...2 {
                try await app.send(.GET, "findings?source=manual&sort=unit&dir=asc&page=\(page)", as: admin) { res in
                    #expect(res.status == .ok)
                    #expect(res.body.string.contains("第 \(page)/2 页，共 60 条"))
                    seen += Self.column(res.body.string, 2)
                    if page == 1 {
                        // The pager keeps the order; the headings go back to page 1.
                        #expect(res.body.string.contains("source=manual&amp;sort=unit&amp;dir=asc&amp;page=2"))
                    }
                }
            }
            #expect(seen.count == 60)
            var expected: [String] = []
            for name in ["人行丽水市中心支行", "市公安局", "市水利局", "市自然资源和规划局(市林业局)"] { expected += Array(repeating: name, count: 15) }
            #expect(seen == expected)

            // By points, largest first; ties by time.
            try await app.send(.GET, "findings?source=manual&sort=points&dir=desc", as: admin) { res in
                let shown = Self.column(res.body.string, 6).compactMap(Double.init)
                #expect(shown.count == 50)
                #expect(shown == shown.sorted(by: >))
                #expect(shown.first == 2.0)
            }

            // A unit searched by initials: 市水利局's 15 findings only.
            try await app.send(.GET, "findings?q=sslj&sort=occurred&dir=desc", as: admin) { res in
                #expect(res.body.string.contains("共 15 条"))
                #expect(Set(Self.column(res.body.string, 2)) == ["市水利局"])
                #expect(res.body.string.contains("value=\"sslj\""))
            }
            try await app.send(.GET, "findings?q=qqqqqq", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("共 0 条"))
            }

            // Deductions: proposed from the findings, sorted and searched the same way.
            try await app.send(.GET, "deductions?q=sgaj&sort=points&dir=asc", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("共 15 条"))
                #expect(Set(Self.column(res.body.string, 2)) == ["市公安局"])
                let shown = Self.column(res.body.string, 4).compactMap(Double.init)
                #expect(shown.count == 15 && shown == shown.sorted())
            }
            try await app.send(.GET, "deductions?sort=subject&dir=desc", as: admin) { res in
                let subjects = Self.column(res.body.string, 2)
                #expect(subjects.first == "市自然资源和规划局(市林业局)")
                #expect(subjects.count == 50)
            }
        }
    }

    @Test func theComplianceRankingAndTheAssessmentSortInMemory() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "assessment?year=2026&sort=entity&dir=asc", as: admin) { res in
                #expect(res.status == .ok)
                let entities = Self.column(res.body.string, 1)
                #expect(!entities.isEmpty)
                #expect(entities == entities.sorted { Pinyin.sortKey($0) < Pinyin.sortKey($1) })
            }
            try await app.send(.GET, "assessment?year=2026", as: admin) { res in
                #expect(res.body.string.contains("assessment?year=2026&amp;sort=rank&amp;dir=desc\""))
                #expect(res.body.string.contains("排名<span class=\"arrow\" aria-hidden=\"true\">▲</span>"))
            }
        }
    }
}
