import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// `/deductions/:id`: one deduction's whole story, for whoever may see it in the list, and a 404
/// that gives nothing away to anyone else.
@Suite("Deductions: the detail page")
struct DeductionDetailTests {
    /// 市水利局 (unit 4) late by a second: the EMB raises the figure with a reason, the police
    /// agree, the unit appeals with a file, the EMB reduces it, and a rectification is set.
    func story(_ app: Application) async throws -> (late: DeductionDTO, refused: DeductionDTO) {
        try await DeductionServerTests().seed(app)
        let list = try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
        let late = try #require(list.first { $0.unit == "市水利局" }), refused = try #require(list.first { $0.unit == "市民政局" })
        let rules = app.liandong.ruleBook
        try await DeductionService.decide([late.id], decision: .confirm(points: Points(1.0), reason: "到场后未及时反馈"), agency: .emb, officer: "李科长",
                                          actor: .console(), rules: rules, on: app.db)
        try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王警官",
                                          actor: .console(), rules: rules, on: app.db)
        let own = try await app.signIn(.liaison, unitID: 4)
        try await app.send(.POST, "deductions/\(late.id)/appeal", as: own, form: ["statement": "当日道路塌方封闭，绕行导致迟到1秒"]) { res in
            #expect(res.status == .ok)
        }
        try await DeductionService.decide([late.id], decision: .decideAppeal(.reduce, points: Points(0.5), reason: "情况属实，酌情减轻"), agency: .emb,
                                          officer: "李科长", actor: .console(), rules: rules, on: app.db)
        // Both agencies decide the appeal (issue 15).
        try await DeductionService.decide([late.id], decision: .decideAppeal(.reduce, points: Points(0.5), reason: "同意减轻"), agency: .psb,
                                          officer: "王警官", actor: .console(), rules: rules, on: app.db)
        _ = try await Rectifications.assign(deductionID: late.id, action: "修订值班制度并组织培训", owner: "办公室", due: .date(LocalDate("2099-01-05")!),
                                        actor: .console(), on: app.db)
        return (late, refused)
    }

    @Test func everyStepIsOnTheDeductionsPage() async throws {
        try await withTestApp { app in
            let (late, _) = try await story(app)
            for role in [Role.emb, .psb, .plc, .admin] {
                let user = try await app.signIn(role)
                try await app.send(.GET, "deductions/\(late.id)", as: user) { res in
                    let html = res.body.string
                    #expect(res.status == .ok, "\(role)")
                    #expect(html.contains("扣分 \(late.id)：<a href=\"/units/4\">市水利局</a>"), "\(role)")
                    #expect(html.contains("第9项 未按时到达现场"))
                    // The finding and its evidence.
                    #expect(html.contains(late.reason))
                    #expect(html.contains("联动警情") && html.contains("110-A"))
                    // Each agency's decision: officer, figure changes and reasons.
                    #expect(html.contains("李科长") && html.contains("王警官"))
                    #expect(html.contains("0.5分 → 1.0分") && html.contains("到场后未及时反馈"))
                    #expect(html.contains("1.0分 → 0.5分") && html.contains("情况属实，酌情减轻"))
                    #expect(html.contains("申诉决定：减少扣分"))
                    // The appeal, and the rectification.
                    #expect(html.contains("当日道路塌方封闭，绕行导致迟到1秒"))
                    #expect(html.contains("修订值班制度并组织培训") && html.contains("2099年1月5日"))
                    #expect(html.contains("通知单位"))
                }
            }
            // The list and the unit's inbox lead here.
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "deductions", as: emb) { res in #expect(res.body.string.contains("href=\"/deductions/\(late.id)\"")) }
            let own = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "", as: own) { res in #expect(res.body.string.contains("href=\"/deductions/\(late.id)\"")) }
        }
    }

    @Test func theAgencyAskedToAgreeDecidesOnThePage() async throws {
        try await withTestApp { app in
            try await DeductionServerTests().seed(app)
            let list = try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
            let late = try #require(list.first { $0.unit == "市水利局" })
            try await DeductionService.decide([late.id], decision: .confirm(points: Points(1.5), reason: "情节较重"), agency: .emb, officer: "李科长",
                                              actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let psb = try await app.signIn(.psb), emb = try await app.signIn(.emb)
            try await app.send(.GET, "deductions/\(late.id)", as: psb) { res in
                let html = res.body.string
                #expect(html.contains("待市公安局表态") && html.contains("决定机关"))
                #expect(html.contains("0.5分 → 1.5分") && html.contains("情节较重"))
                #expect(html.contains("action=\"/deductions/\(late.id)/decision\"") && html.contains("按1.5分"))
            }
            // The EMB has decided: no form for it.
            try await app.send(.GET, "deductions/\(late.id)", as: emb) { res in
                #expect(!res.body.string.contains("action=\"/deductions/\(late.id)/decision\""))
            }
        }
    }

    @Test func aLiaisonSeesItsOwnUnitsDeductionsOnly() async throws {
        try await withTestApp { app in
            let (late, refused) = try await story(app)
            let own = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "deductions/\(late.id)", as: own) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("当日道路塌方封闭，绕行导致迟到1秒"))
                #expect(!res.body.string.contains("action=\"/deductions/\(late.id)/decision\""))
            }
            try await app.send(.GET, "deductions/\(refused.id)", as: own) { res in
                #expect(res.status == .notFound)
                #expect(!res.body.string.contains("市民政局"))
                #expect(!res.body.string.contains(refused.reason))
            }
            // Another unit's liaison and a county's officer: the same 404 as for no deduction at all.
            let other = try await app.signIn(.liaison, unitID: 5)
            let county = try await app.signIn(.emb, jurisdiction: "liandu")
            for user in [other, county] {
                try await app.send(.GET, "deductions/\(late.id)", as: user) { res in
                    #expect(res.status == .notFound)
                    let html = res.body.string
                    #expect(html.contains("未找到编号为 \(late.id) 的扣分"))
                    #expect(!html.contains("市水利局") && !html.contains("当日道路塌方封闭") && !html.contains("李科长"))
                }
            }
            try await app.send(.GET, "deductions/999999", as: other) { res in
                #expect(res.status == .notFound)
                #expect(res.body.string.contains("未找到编号为 999999 的扣分"))
            }
        }
    }
}
