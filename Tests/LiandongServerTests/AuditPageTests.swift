import Foundation
import Testing
import VaporTesting
@testable import LiandongServer

/// The audit log page reads in Chinese: actions, roles and actors in words, details as fields.
@Suite("Audit log page in words")
struct AuditPageTests {
    @Test func detailsReadAsFieldsAndValues() {
        #expect(AuditLog.detailText(#"{"format":"xlsx","rows":"3","query":"from=2026-03-01"}"#) == "格式：xlsx；筛选条件：from=2026-03-01；行数：3")
        #expect(AuditLog.detailText(#"{"points":1.5,"unit_ids":[3,4]}"#) == "分值：1.5；单位编号：3、4")
        #expect(AuditLog.detailText(#"{"points":1.5,"unit_ids":[3,4]}"#, codes: true) == "points：1.5；unit_ids：3、4")
        #expect(AuditLog.detailText(#"{"emb":{"officer":"甲","at":"2026-12-03"},"vest_worn":true,"decided_agency":"psb"}"#)
                == "决定部门：市公安局；市应急管理局：（时间：2026-12-03，经办人：甲）；着反光背心：是")
        #expect(AuditLog.detailText("not json") == "not json")
        #expect(AuditLog.detailText(nil) == "")
        #expect(AuditLog.actorLabel("console:operator") == "命令行（operator）")
        #expect(AuditLog.roleLabel("psb") == "公安局工作人员" && AuditLog.roleLabel("console") == "命令行")
        // Every action the system writes has its words.
        for action in ["notice.draft", "notice.publish", "export.deductions", "deduction.confirm", "check.phone.record", "rules.publish"] {
            #expect(AuditLog.actionLabels[action] != nil, "\(action)")
        }
    }

    /// Every key a writer puts in a detail has its words: the literal keys of each
    /// `AuditLog.append` call in the sources, and the fields of the records the writers
    /// snapshot (as found in a demo year's log).
    @Test func everyDetailKeyTheWritersUseHasItsWords() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var keys = Set<String>()
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        let key = try NSRegularExpression(pattern: #""([a-z][a-z0-9_]*)"\s*:"#)
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            var rest = text[...]
            while let start = rest.range(of: "AuditLog.append(") {
                // The call's text, to its closing parenthesis.
                var depth = 1, end = start.upperBound
                while depth > 0, end < rest.endIndex {
                    if rest[end] == "(" { depth += 1 } else if rest[end] == ")" { depth -= 1 }
                    end = rest.index(after: end)
                }
                let call = String(rest[start.lowerBound..<end])
                for match in key.matches(in: call, range: NSRange(call.startIndex..., in: call)) {
                    keys.insert(String(call[Range(match.range(at: 1), in: call)!]))
                }
                rest = rest[end...]
            }
        }
        #expect(keys.count > 40)
        let snapshotted = ["check_id", "dialled", "attempts", "answered_by", "number_current", "change_reported",
                           "knows_first_responsibility", "alert_at", "place", "teams", "notified_at", "arrived_at", "vest_worn",
                           "equipment_ok", "knows_duties", "public_security", "uniform_exempt", "ranked", "confirmations",
                           "deciders", "rejection", "rejections", "appeal", "positions", "prior_status", "decided_by",
                           "decided_agency", "decided_at", "statement", "summary", "received", "known", "dispatches_judged",
                           "duty_phone", "liaison_name", "liaison_mobile", "reported_at", "changed_fields", "display_name",
                           "jurisdiction_id", "disabled", "locked", "occurred_at", "proposed_points", "rule_version", "ref",
                           "emb", "psb", "plc"]
        let unnamed = (keys.union(snapshotted)).filter { AuditLog.fieldLabel($0) == $0 }.sorted()
        #expect(unnamed.isEmpty, "\(unnamed)")
    }

    @Test func thePageShowsWordsNotCodes() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "deductions/export?from=2026-03-01", as: police) { res in #expect(res.status == .ok) }
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "admin/audit", as: admin) { res in
                let html = res.body.string
                #expect(res.status == .ok)
                #expect(html.contains("<td title=\"export.deductions\">导出扣分清单</td>"))
                #expect(html.contains("<td>公安局工作人员</td>"))
                #expect(html.contains("格式：xlsx；筛选条件：from=2026-03-01"))
                // The codes stay within reach, in the cell's title.
                #expect(html.contains(#"title="format：xlsx；query：from=2026-03-01"#))
                #expect(!html.contains("{&quot;") && !html.contains("(login"))
            }
        }
    }
}
