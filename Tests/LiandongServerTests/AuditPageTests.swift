import Foundation
import Testing
import VaporTesting
@testable import LiandongServer

/// The audit log page reads in Chinese: actions, roles and actors in words, details as fields.
@Suite("Audit log page in words")
struct AuditPageTests {
    @Test func detailsReadAsFieldsAndValues() {
        #expect(AuditLog.detailText(#"{"format":"xlsx","rows":"3","query":"from=2026-03-01"}"#) == "格式：xlsx；筛选条件：from=2026-03-01；行数：3")
        #expect(AuditLog.detailText(#"{"points":1.5,"unit_ids":[3,4]}"#) == "分值：1.5；unit_ids：3、4")
        #expect(AuditLog.detailText("not json") == "not json")
        #expect(AuditLog.detailText(nil) == "")
        #expect(AuditLog.actorLabel("console:operator") == "命令行（operator）")
        #expect(AuditLog.roleLabel("psb") == "公安局工作人员" && AuditLog.roleLabel("console") == "命令行")
        // Every action the system writes has its words.
        for action in ["notice.draft", "notice.publish", "export.deductions", "deduction.confirm", "check.phone.record", "rules.publish"] {
            #expect(AuditLog.actionLabels[action] != nil, "\(action)")
        }
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
                #expect(!html.contains("{&quot;") && !html.contains("(login"))
            }
        }
    }
}
