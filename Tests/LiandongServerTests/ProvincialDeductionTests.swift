import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// D11 (issue #20 item 5): a provincial notice's deduction, against a unit or a county
/// government, from the page and the command line, doubled and proposed like any other.
@Suite("Deductions: provincial notices (D11) on the web and the command line")
struct ProvincialDeductionTests {
    func provincial(_ app: Application) async throws -> [DeductionDTO] {
        try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).filter { $0.item == "D11" }
    }

    func counts(_ app: Application) async throws -> [Int] {
        let sql = app.db as! any SQLDatabase
        var result: [Int] = []
        for table in ["findings", "deductions", "audit_log"] {
            struct N: Decodable { var n: Int }
            result.append(try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first(decoding: N.self)?.n ?? -1)
        }
        return result
    }

    static let notice = ["number": "浙应联〔2026〕5号", "date": "2026-05-10", "points": "1.5", "text": "5月汛期联动响应迟缓"]

    @Test func theFormFilesAgainstAUnitAndAgainstACountyGovernment() async throws {
        try await withTestApp { app in
            let emb = try await app.signIn(.emb)
            // /findings leads to the page its message names.
            try await app.send(.GET, "findings", as: emb) { res in #expect(res.body.string.contains(#"href="/findings/provincial""#)) }
            try await app.send(.GET, "findings/provincial", as: emb) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                #expect(html.contains(#"<optgroup label="县（市、区）政府">"#))
                #expect(html.contains(#"value="jurisdiction:longquan">龙泉市人民政府</option>"#))
                #expect(html.contains(#"value="jurisdiction:kaifaqu">丽水开发区管委会</option>"#))
                #expect(!html.contains("jurisdiction:city"))
                #expect(html.contains(#"value="unit:4">市本级 市水利局</option>"#))
                #expect(html.contains("二倍"))
            }
            var form = Self.notice
            form["subject"] = "unit:4"
            try await app.send(.POST, "findings/provincial", as: emb, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("已登记，拟扣3.0分，待市应急管理局和市公安局共同确认"))
            }
            form["subject"] = "jurisdiction:longquan"
            try await app.send(.POST, "findings/provincial", as: emb, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("龙泉市人民政府被省通报扣1.5分（浙应联〔2026〕5号），按规定按二倍扣3.0分：5月汛期联动响应迟缓"))
            }
            let both = try await provincial(app)
            #expect(both.map { "\($0.unit ?? $0.jurisdiction ?? "")|\($0.points)|\($0.status)" }.sorted() == ["市水利局|3.0|proposed", "龙泉市|3.0|proposed"])
            #expect(both.allSatisfy { $0.awaiting == ["市应急管理局", "市公安局"] && $0.source == "province" && $0.ref == "浙应联〔2026〕5号" })

            // Sent again, as it was: counted once.
            let before = try await counts(app)
            try await app.send(.POST, "findings/provincial", as: emb, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("本次未重复计分"))
            }
            #expect(try await counts(app) == before)
            // The same notice and subject with other points: refused, naming the field.
            form["points"] = "2"
            try await app.send(.POST, "findings/provincial", as: emb, form: form) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("本次的扣分与已登记的不同"))
                #expect(res.body.string.contains(#"id="points" name="points" value="2""#))
            }
            #expect(try await counts(app) == before)

            // The jointly confirmed figure is the doubled one, and the county's score loses it.
            let county = try #require(both.first { $0.jurisdiction == "龙泉市" })
            for agency in Agency.confirming {
                try await DeductionService.decide([county.id], decision: .confirm(points: nil, reason: nil), agency: agency,
                                                  officer: agency == .emb ? "李" : "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            let report = try await AssessmentService.report(.year(2026), rules: app.liandong.ruleBook, on: app.db)
            #expect(report.ranked.first { $0.entity == "龙泉市" }?.score == 97.0)
            try await app.send(.GET, "findings/provincial", as: emb) { res in
                #expect(res.body.string.contains("<td>龙泉市人民政府</td>"))
            }
        }
    }

    @Test func badInputNamesTheFieldAndWritesNothing() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            let before = try await counts(app)
            let good = Self.notice.merging(["subject": "unit:4"]) { $1 }
            let cases: [([String: String?], String, String)] = [
                (["number": nil], "number", "请填写省通报文号"),
                (["number": "  "], "number", "请填写省通报文号"),
                (["date": "2026-13-01"], "date", "通报日期应为日期"),
                (["date": "2099-01-01"], "date", "通报日期不能晚于今天"),
                (["date": "2019-06-01"], "date", "早于机制施行之日"),
                (["text": ""], "text", "请填写通报内容"),
                (["points": "abc"], "points", "省里扣分应为数字"),
                (["points": "0"], "points", "省扣分应大于0"),
                (["points": "-1"], "points", "省扣分应大于0"),
                (["subject": nil], "subject", "请选择被通报的单位或县（市、区）政府"),
                (["subject": "unit:9999"], "subject", "登记册中没有编号为9999的单位"),
                (["subject": "jurisdiction:city"], "subject", "「市本级」不是县（市、区）政府"),
                (["subject": "jurisdiction:atlantis"], "subject", "没有名为「atlantis」的县（市、区）"),
            ]
            for (changes, field, message) in cases {
                var form = good
                for (key, value) in changes { form[key] = value }
                try await app.send(.POST, "findings/provincial", as: police, form: form.compactMapValues { $0 }) { res in
                    #expect(res.status == .unprocessableEntity, "\(changes)")
                    #expect(res.body.string.contains(message), "\(changes)")
                    #expect(res.body.string.contains(#"name="\#(field)""#) && res.body.string.contains("aria-invalid=\"true\""), "\(changes)")
                }
            }
            #expect(try await counts(app) == before)
            // The manual form never files D11, and says where it is filed.
            try await app.send(.POST, "findings/manual", as: police,
                               form: ["unit_id": "4", "item": "D11", "occurred_at": "2026-03-01T08:15", "narrative": "被省通报扣分", "points": "1.0"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("/findings/provincial"))
            }
        }
    }

    @Test func onlyTheEMBAndThePoliceFileAndACountysOfficersNotAgainstItsGovernment() async throws {
        try await withTestApp { app in
            let form = Self.notice.merging(["subject": "jurisdiction:longquan"]) { $1 }
            for user in [try await app.signIn(.liaison, unitID: 4), try await app.signIn(.plc)] {
                try await app.send(.GET, "findings/provincial", as: user) { res in #expect(res.status == .forbidden) }
                try await app.send(.POST, "findings/provincial", as: user, form: form) { res in #expect(res.status == .forbidden) }
                try await app.send(.GET, "findings", as: user) { res in #expect(!res.body.string.contains(#"href="/findings/provincial""#)) }
            }
            let county = try await app.signIn(.emb, jurisdiction: "longquan")
            try await app.send(.GET, "findings/provincial", as: county) { res in
                #expect(res.status == .ok)
                #expect(!res.body.string.contains("jurisdiction:longquan"))
                #expect(!res.body.string.contains("市水利局"))
            }
            try await app.send(.POST, "findings/provincial", as: county, form: form) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "findings/provincial", as: county, form: form.merging(["subject": "unit:4"]) { $1 }) { res in
                #expect(res.status == .forbidden)
            }
            #expect(try await provincial(app).isEmpty)
        }
    }

    @Test func theCommandLineTakesAUnitOrACountyGovernment() async throws {
        try await withTestApp { app in
            let out = try await app.run(["province", "add", "--number", "浙应联〔2026〕7号", "--date", "2026-06-01", "--jurisdiction", "龙泉市",
                                         "--points", "1.5", "--text", "县级联动机制未落实"])
            #expect(out.contains("龙泉市人民政府被省通报扣1.5分（浙应联〔2026〕7号），按规定按二倍扣3.0分"))
            let again = try await app.run(["province", "add", "--number", "浙应联〔2026〕7号", "--date", "2026-06-01", "--jurisdiction", "longquan",
                                           "--points", "1.5", "--text", "县级联动机制未落实"])
            #expect(again.contains("该通报已登记过，未重复计分"))
            let list = try await provincial(app)
            #expect(list.map { "\($0.jurisdiction ?? "")|\($0.unit ?? "-")|\($0.points)" } == ["龙泉市|-|3.0"])
            let before = try await counts(app)
            for arguments in [
                ["--jurisdiction", "龙泉市", "--unit", "市水利局"],
                [String](),
                ["--jurisdiction", "市本级"],
                ["--jurisdiction", "杭州市"],
                ["--unit", "不存在的局"],
            ] {
                await #expect(throws: (any Error).self, "\(arguments)") {
                    _ = try await app.run(["province", "add", "--number", "浙应联〔2026〕8号", "--date", "2026-06-01", "--points", "1", "--text", "x"] + arguments)
                }
            }
            await #expect(throws: (any Error).self) {
                _ = try await app.run(["province", "add", "--number", "浙应联〔2026〕8号", "--date", "2026-06-01", "--unit", "市水利局", "--points", "一分", "--text", "x"])
            }
            #expect(try await counts(app) == before)
        }
    }
}
