import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("The demo year")
struct DemoTests {
    /// A small demo year fills every part of the system, and each role's pages show it.
    @Test func aDemoYearPopulatesEveryPage() async throws {
        try await withTestApp { app in
            let out = try await Demo.fill(app, dispatches: 400, seed: 7, today: LocalDate("2026-11-29")!)
            #expect(out.contains("已发布通报：丽应联通〔2026〕1号、丽应联通〔2026〕2号"))
            struct S: Decodable { var status: String }
            let states = Set(try await (app.db as! any SQLDatabase).raw("SELECT DISTINCT status FROM deductions").all(decoding: S.self).map(\.status))
            #expect(states.isSuperset(of: ["proposed", "confirmed", "rejected", "appealed"]))
            #expect(try await PlanService.register(on: app.db).plans.count == 5)
            #expect(try await LinkageUnit.query(on: app.db).count() == 46 + 27)
            // A second run refuses: the demo is for a fresh database.
            await #expect(throws: (any Error).self) { _ = try await Demo.fill(app, dispatches: 400, seed: 7, today: LocalDate("2026-11-29")!) }

            let pages = ["/", "/units", "/checks/phone", "/checks/drills", "/compliance?period=2026", "/findings", "/deductions",
                         "/rectifications", "/notices", "/assessment?year=2026", "/supervision", "/plans", "/rules", "/overview"]
            for role in [Role.emb, .psb, .plc, .admin] {
                let user = try await app.signIn(role)
                for page in pages where !(role == .plc && page.hasPrefix("/checks")) && !(role == .emb && page == "/checks/phone") {
                    try await app.send(.GET, page, as: user) { res in
                        #expect(res.status == .ok, "\(role) \(page)")
                    }
                }
            }
            let water = try #require(try await LinkageUnit.query(on: app.db).filter(\.$name == "市水利局").first())
            let liaison = try await app.signIn(.liaison, unitID: water.id)
            try await app.send(.GET, "deductions", as: liaison) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("市水利局"))
            }
            // Long lists come a page at a time; the other filters stay in the links.
            let officer = try await app.signIn(.emb)
            try await app.send(.GET, "findings?source=dispatch&page=2", as: officer) { res in
                let html = res.body.string
                #expect(html.contains("第 2/"))
                #expect(html.contains("source=dispatch&amp;page=1") || html.contains("source=dispatch&page=1"))
                #expect(html.components(separatedBy: "<tr>").count - 2 <= Pager.perPage)
            }
            // The register too: 73 units, 50 to a page, in the order asked for.
            try await app.send(.GET, "units?sort=name&page=2", as: officer) { res in
                let html = res.body.string
                #expect(html.contains("共 73 个单位"))
                #expect(html.contains("第 2/2 页"))
                #expect(html.components(separatedBy: "<tr>").count - 2 == 23)
                #expect(html.contains("sort=name&amp;page=1") || html.contains("sort=name&page=1"))
            }
            try await app.send(.GET, "deductions?page=9999", as: officer) { res in
                #expect(res.status == .ok)
                #expect(!res.body.string.contains("下一页"))
            }
            // Each role's home page leads with its own work.
            let homes: [(Role, [String])] = [(.psb, ["本月电话抽查", "待公安局确认的扣分", "在途联动警情"]),
                                             (.emb, ["待应急管理局确认的扣分", "实地或视频联合检查", "本季度到场时限"]),
                                             (.plc, ["上次通报以来确认的扣分", "通报草稿", "\(LocalDate(Date()).year)年综合考核"])]
            for (role, texts) in homes {
                let user = try await app.signIn(role)
                try await app.send(.GET, "/", as: user) { res in
                    for text in texts { #expect(res.body.string.contains(text), "\(role): \(text)") }
                }
            }
            try await app.send(.GET, "/", as: liaison) { res in
                for text in ["本单位联系方式", "可申诉的扣分", "待完成的整改", "本年按时到场率", "本单位的扣分"] {
                    #expect(res.body.string.contains(text), "liaison: \(text)")
                }
            }
        }
    }
}
