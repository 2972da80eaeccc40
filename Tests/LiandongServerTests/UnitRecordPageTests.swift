import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

/// The unit's own page: its deductions, its on-time rate against its limit, its checks.
@Suite("The unit page: deductions, on-time rate, check history")
struct UnitRecordPageTests {
    @Test func theUnitPageShowsItsRecord() async throws {
        try await withTestApp { app in
            try await ListExportTests().seed(app)
            try await DrillLinkTests().recordDrill(app, "DR-U")
            let t = ChinaTime.parseTimestamp("2026-03-04T09:10:00+08:00")!
            let check = PhoneCheck(checkID: "PC-U", unitID: 4, dialled: .duty, attempts: [.init(at: t, answered: true)], answeredBy: "值班员",
                                   numberCurrent: true, changeReported: false, knowsFirstResponsibility: true, officers: [], notes: nil)
            _ = try await InspectionService.record(check, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let year = LocalDate(app.liandong.clock.now()).year
            let limit = app.liandong.ruleBook.inForce(at: app.liandong.clock.now()).responseLimits.levelOne
            for role in [Role.emb, .liaison] {
                let user = try await app.signIn(role, unitID: role == .liaison ? 4 : nil)
                try await app.send(.GET, "units/4", as: user) { res in
                    let html = res.body.string
                    #expect(res.status == .ok)
                    // Its two deductions, newest first, each linking to its page.
                    #expect(html.contains("共 2 条，已生效扣分合计 0.0 分"), "\(role)")
                    #expect(html.contains("D9 未按时到达现场"))
                    let record = try #require(html.range(of: "id=\"record\""))
                    let tail = String(html[record.lowerBound...])
                    #expect(tail.contains("<a href=\"/deductions/"))
                    let april = try #require(tail.range(of: "2026年4月1日")), march = try #require(tail.range(of: "2026年3月1日"))
                    #expect(april.lowerBound < march.lowerBound)
                    // The rate against the unit's own limit (level 1).
                    if year == 2026 {
                        #expect(tail.contains("2026年判定到场2起，\(limit)内到场0起"), "\(role)")
                    }
                    #expect(tail.contains("按时到场率"))
                    // The phone check and the drill, the drill linked for the EMB only.
                    #expect(tail.contains("电话检查（值班电话）") && tail.contains("已接通（值班员）"))
                    #expect(tail.contains("实地检查") && tail.contains("18分0秒到场"))
                    #expect(tail.contains("href=\"/checks/drills/DR-U\"") == (role == .emb), "\(role)")
                }
            }
        }
    }
}
