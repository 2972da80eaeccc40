import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

/// The administrators' rule-set form (`/admin/rules`): every figure a labelled field with its unit,
/// prefilled with the latest version; good values publish a revision through the audited
/// service, a bad one is a 400 naming the field in Chinese with nothing stored.
@Suite("Rule-set form")
struct RuleSetFormTests {
    /// The form as a browser sends it unchanged: every field, checked boxes only.
    static func prefilled(_ rules: RuleSet) -> [String: String] {
        var values: [String: String] = [:]
        for field in RuleSetForm.groups(rules).flatMap(\.fields) where field.input != .check || !field.value.isEmpty {
            values[field.name] = field.value
        }
        return values
    }

    static func publishes(_ app: Application) async throws -> Int {
        try await AuditEntry.query(on: app.db).filter(\.$action == "rules.publish").count()
    }

    @Test func thePageIsAFormInChinesePrefilledWithTheLatestVersion() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "admin/rules", as: admin) { res in
                let html = res.body.string
                #expect(res.status == .ok)
                for text in ["一级联动单位到场时限", "分钟", "第10项“有警不出”默认扣分", "省通报扣分倍数", "申诉期限", "个工作日",
                             "第1段办公时间开始", "高级：以 JSON 编辑"] {
                    #expect(html.contains(text), "\(text)")
                }
                #expect(html.contains(#"name="responseLimits.levelOne" value="20""#))
                #expect(html.contains(#"name="defaultPoints.refused" value="2.0""#))
                #expect(html.contains(#"name="officeHours.spans.0.from" value="08:30""#))
                // The hint names the keys the JSON has.
                #expect(!html.contains("effective_from"))
            }
        }
    }

    @Test func goodValuesPublishARevision() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            var form = Self.prefilled(app.liandong.ruleBook.latest)
            form["version"] = "2099.1"
            form["effectiveFrom"] = "2099-01-01"
            form["source"] = "丽应急〔2099〕1号"
            form["responseLimits.levelOne"] = "15"
            form["defaultPoints.refused"] = "1.5"
            form["appealWindowWorkingDays"] = "7"
            form["plans.publishedKinds.enterprise"] = "1"
            form["officeHours.spans.1.to"] = "18:00"
            try await app.send(.POST, "admin/rules", as: admin, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("已发布规则版本 2099.1"))
            }
            let stored = try await RuleSetStore.book(on: app.db)
            #expect(stored.versions.map(\.version) == ["2020.1", "2099.1"])
            let revision = stored.latest
            #expect(revision.responseLimits.levelOne == .minutes(15))
            #expect(revision.defaultPoints(for: .refused) == Points(1.5))
            #expect(revision.appealWindowWorkingDays == 7)
            #expect(revision.plans.publishedKinds == [.special, .department, .enterprise])
            #expect(revision.officeHours.spans[1].to == "18:00")
            // Unchanged figures stay; Annex 1's wording follows the new limit.
            #expect(revision.responseLimits.publicSecurity == RuleSet.initial.responseLimits.publicSecurity)
            #expect(revision.latenessBands == RuleSet.initial.latenessBands)
            #expect(revision.supervisionDuties == RuleSet.initial.supervisionDuties)
            #expect(revision.item(.d9).text.contains("一级联动部门首批应急处置力量15分钟到达"))
            #expect(app.liandong.ruleBook.latest.version == "2099.1")
            #expect(try await Self.publishes(app) == 1)
        }
    }

    @Test func aBadValueIsRefusedNamingTheFieldAndNothingIsStored() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            var good = Self.prefilled(app.liandong.ruleBook.latest)
            good["version"] = "2099.1"
            good["effectiveFrom"] = "2099-01-01"
            let cases: [(field: String, value: String?, named: String)] = [
                ("responseLimits.levelOne", "二十", "一级联动单位到场时限"),
                ("responseLimits.levelTwo", "0", "二级联动单位到场时限"),
                ("defaultPoints.refused", "0.25", "第10项“有警不出”默认扣分"),
                ("latenessBands.0.points", "3", "第1档迟到扣分"),
                ("latenessBands.1.upTo", "5", "第2档迟到时长上限"),
                ("appealWindowWorkingDays", nil, "申诉期限"),
                ("officeHours.spans.0.from", "8点半", "第1段办公时间开始"),
                ("effectiveFrom", "2020-01-01", "施行日期"),
                ("version", "2020.1", "版本号"),
            ]
            for c in cases {
                var form = good
                form[c.field] = c.value
                try await app.send(.POST, "admin/rules", as: admin, form: form) { res in
                    let html = res.body.string
                    #expect(res.status == .badRequest, "\(c.field)")
                    #expect(html.contains("未发布") && html.contains("「\(c.named)」"), "\(c.field): \(html.prefix(0))")
                    // The field is marked, and what was typed comes back.
                    #expect(html.contains(#"name="\#(c.field)""#))
                    if let value = c.value { #expect(html.contains(#"value="\#(value)""#) || html.contains(#"value="\#(value)" selected"#), "\(c.field)") }
                }
            }
            #expect(try await RuleSetStore.book(on: app.db).versions.map(\.version) == ["2020.1"])
            #expect(app.liandong.ruleBook.versions.count == 1)
            #expect(try await Self.publishes(app) == 0)
        }
    }

    @Test func problemsOfTheJSONPathAreNamedInWordsToo() {
        var rules = RuleSet.initial
        rules.responseLimits.levelOne = TimeLimit(seconds: 0)
        #expect(rules.validate().map(\.description) == ["「一级联动单位到场时限」：一级联动单位到场时限应大于0（现为0）"])
        #expect(RuleSetForm.label(of: "latenessBands[2].points") == "第3档迟到扣分")
        #expect(RuleSetForm.label(of: "defaultPoints.no_vest") == "第12项“未着应急联动反光背心”默认扣分")
    }
}
