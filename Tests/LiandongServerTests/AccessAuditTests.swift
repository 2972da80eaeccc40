import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// A D12 filed by hand against the unit, proposed at once: a deduction its liaison may appeal.
func proposedDeduction(_ app: Application, unit: Int) async throws -> DeductionDTO {
    _ = try await FindingService.fileManual(unitID: unit, item: .d12, at: Date().addingTimeInterval(-3600), narrative: "值班人员擅自离岗两小时",
                                            points: Points(0.5), reference: nil, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
    return try #require(try await DeductionService.list(DeductionFilter(unitID: unit), rules: app.liandong.ruleBook,
                                                        calendar: app.liandong.calendar, on: app.db).first)
}

@Suite("The audit of reads: exports, downloads, unmasked contacts and refusals are recorded")
struct AccessAuditTests {
    static func entries(_ app: Application, _ action: String) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: app.db).filter(\.$action == action).sort(\.$id).all()
    }

    @Test func exportsAndUnmaskedContactsAreRecordedWithTheActorAndAddress() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "units/export?format=csv", as: police) { res in #expect(res.status == .ok) }
            let export = try #require(try await Self.entries(app, "export.units").first)
            #expect(export.actor == police.account.username && export.role == "psb")
            #expect(export.after?.contains(#""units":"46""#) == true && export.after?.contains(#""unmasked":"46""#) == true)
            #expect(export.source?.isEmpty == false)

            // The police see liaisons' mobiles unmasked: the view is recorded, for the units shown.
            try await app.send(.GET, "units/3", as: police) { res in #expect(res.status == .ok) }
            let view = try #require(try await Self.entries(app, "contacts.view").last)
            #expect(view.entityID == "3" && view.actor == police.account.username)
            try await app.send(.GET, "api/v1/units/3/contact-changes", as: police) { res in #expect(res.status == .ok) }
            #expect(try await Self.entries(app, "contacts.view").count == 2)

            // The EMB sees them masked, and a liaison its own unit: nothing is disclosed, nothing recorded.
            let emb = try await app.signIn(.emb)
            let liaison = try await app.signIn(.liaison, unitID: 3)
            for user in [emb, liaison] {
                try await app.send(.GET, "units/3", as: user) { res in #expect(res.status == .ok) }
            }
            #expect(try await Self.entries(app, "contacts.view").count == 2)
        }
    }

    @Test func aDownloadIsRecordedAndSomeoneElsesFileIsARecordedRefusal() async throws {
        try await withTestApp { app in
            let deduction = try await proposedDeduction(app, unit: 4)
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await AttachmentTests().post(app, "deductions/\(deduction.id)/appeal", as: liaison, fields: ["statement": "道路中断"],
                                             file: ("说明.pdf", Data("%PDF-1.4 x".utf8))) { res in #expect(res.status == .ok) }
            struct A: Decodable { var id: Int }
            let file = try #require(try await (app.db as! any SQLDatabase).select().column("id").from("attachments").first(decoding: A.self))
            try await app.send(.GET, "attachments/\(file.id)", as: liaison) { res in #expect(res.status == .ok) }
            let download = try #require(try await Self.entries(app, "attachment.download").first)
            #expect(download.actor == liaison.account.username && download.after?.contains("说明.pdf") == true)

            let stranger = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "attachments/\(file.id)", as: stranger) { res in #expect(res.status == .notFound) }
            #expect(try await Self.entries(app, "attachment.download").count == 1)
            let refused = try #require(try await Self.entries(app, "access.refused").last)
            #expect(refused.actor == stranger.account.username && refused.after?.contains("/attachments/\(file.id)") == true)
        }
    }

    @Test func forbiddenRequestsAndStaleFormsAreRecordedAndBounded() async throws {
        try await withTestApp { app in
            let liaison = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "admin/accounts", as: liaison) { res in #expect(res.status == .forbidden) }
            let refused = try #require(try await Self.entries(app, "access.refused").first)
            #expect(refused.actor == liaison.account.username && refused.entity == "request")
            #expect(refused.after?.contains(#""status":"403""#) == true && refused.after?.contains("/admin/accounts") == true)

            // A form whose token does not match: refused, recorded as such.
            try await app.testing().test(.POST, "units/3/contacts", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, HTTPCookies.Value(string: liaison.cookie)))
                try req.content.encode(["_csrf": "stale", "duty_phone": "0578-2345678"], as: .urlEncodedForm)
            }) { res in #expect(res.status == .forbidden) }
            #expect(try await Self.entries(app, "access.csrf").count == 1)

            // Nobody signed in is nobody to record; a flood from one person is bounded.
            try await app.send(.GET, "admin/accounts", as: nil) { res in #expect(res.status == .seeOther) }
            for _ in 0..<(AccessAudit.refusalsPerMinute + 5) {
                try await app.send(.GET, "admin/accounts", as: liaison) { res in #expect(res.status == .forbidden) }
            }
            #expect(try await Self.entries(app, "access.refused").count + 1 == AccessAudit.refusalsPerMinute)
            // A minute later the next refusal is recorded again.
            app.liandong.clock.advance(by: 61)
            try await app.send(.GET, "admin/accounts", as: liaison) { res in #expect(res.status == .forbidden) }
            #expect(try await Self.entries(app, "access.refused").count == AccessAudit.refusalsPerMinute)
            #expect(try await AuditLog.verify(on: app.db).firstBroken == nil)
        }
    }
}

@Suite("A refused form comes back as it was typed")
struct FormResubmitTests {
    /// The value of a field in a page.
    static func value(_ html: String, _ name: String) -> String? {
        guard let r = html.range(of: #"name="\#(name)" value="([^"]*)""#, options: .regularExpression) else { return nil }
        return String(html[r].dropFirst(#"name="\#(name)" value=""#.count).dropLast())
    }

    @Test func aStaleTokenBringsTheTypedTextBackUnderTheCurrentOneAndStoresNothing() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let deduction = try await proposedDeduction(app, unit: 4)
            let liaison = try await app.signIn(.liaison, unitID: 4)
            // The token travels in the multipart body, as a browser's form sends it, and is stale.
            let (type, body) = AttachmentTests().multipart(["statement": "道路塌方，绕行后到场"], file: ("说明.pdf", Data("%PDF-1.4 x".utf8)),
                                                            csrf: "stale")
            var page = ""
            try await app.testing().test(.POST, "deductions/\(deduction.id)/appeal", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, HTTPCookies.Value(string: liaison.cookie)))
                req.headers.replaceOrAdd(name: .contentType, value: type)
                req.body = body
            }) { res in
                #expect(res.status == .forbidden)
                page = res.body.string
            }
            #expect(page.contains("请重新提交") && page.contains("本次提交未保存"))
            #expect(page.contains(#"action="/deductions/\#(deduction.id)/appeal""#) && page.contains(#"enctype="multipart/form-data""#))
            #expect(page.contains("道路塌方，绕行后到场"))
            #expect(Self.value(page, "_csrf") == liaison.csrf)
            #expect(page.contains(#"type="file" name="attachment""#))
            #expect(try await DeductionService.list(DeductionFilter(status: .appealed), rules: rules, calendar: app.liandong.calendar, on: app.db).isEmpty)

            // Sent again with the page's token, it goes through.
            let (type2, body2) = AttachmentTests().multipart(["statement": "道路塌方，绕行后到场"], file: ("说明.pdf", Data("%PDF-1.4 x".utf8)),
                                                              csrf: liaison.csrf)
            try await app.testing().test(.POST, "deductions/\(deduction.id)/appeal", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, HTTPCookies.Value(string: liaison.cookie)))
                req.headers.replaceOrAdd(name: .contentType, value: type2)
                req.body = body2
            }) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("申诉已提交"))
            }
        }
    }

    @Test func aPasswordIsNeverWrittenBackIntoThePage() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.plc)
            try await app.testing().test(.POST, "account/password", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, HTTPCookies.Value(string: user.cookie)))
                try req.content.encode(["_csrf": "stale", "current": TestUser.password, "new": "Secret-Words-99", "confirm": "Secret-Words-99"],
                                       as: .urlEncodedForm)
            }) { res in
                #expect(res.status == .forbidden)
                #expect(!res.body.string.contains(TestUser.password) && !res.body.string.contains("Secret-Words-99"))
            }
        }
    }

    @Test func aFileOverTheLimitIsRefusedWithTheStatementKeptAndNothingStored() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let deduction = try await proposedDeduction(app, unit: 4)
            let liaison = try await app.signIn(.liaison, unitID: 4)
            let big = Data(repeating: 0x25, count: Attachments.maxBytes + 1)
            try await AttachmentTests().post(app, "deductions/\(deduction.id)/appeal", as: liaison, fields: ["statement": "暴雨致道路中断"],
                                             file: ("照片.jpg", big)) { res in
                #expect(res.status == .payloadTooLarge)
                let html = res.body.string
                #expect(html.contains("超过 10 MB") && html.contains("请重新选择"))
                #expect(html.contains(#"value="暴雨致道路中断""#))
            }
            #expect(try await DeductionService.list(DeductionFilter(status: .appealed), rules: rules, calendar: app.liandong.calendar, on: app.db).isEmpty)
            struct N: Decodable { var n: Int }
            #expect(try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("attachments").first(decoding: N.self)?.n == 0)
        }
    }
}
