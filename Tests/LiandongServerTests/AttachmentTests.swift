import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Attachments on appeals and rectifications")
struct AttachmentTests {
    /// A multipart form as a browser sends it.
    func multipart(_ fields: [String: String], file: (name: String, bytes: Data)?, csrf: String) -> (String, ByteBuffer) {
        let boundary = "----liandong\(UUID().uuidString.prefix(8))"
        var body = Data()
        func part(_ header: String, _ content: Data) {
            body += Data("--\(boundary)\r\n\(header)\r\n\r\n".utf8) + content + Data("\r\n".utf8)
        }
        for (k, v) in fields.merging(["_csrf": csrf], uniquingKeysWith: { a, _ in a }) {
            part("Content-Disposition: form-data; name=\"\(k)\"", Data(v.utf8))
        }
        if let file {
            part("Content-Disposition: form-data; name=\"attachment\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream", file.bytes)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(data: body))
    }

    func post(_ app: Application, _ path: String, as user: TestUser, fields: [String: String], file: (name: String, bytes: Data)?,
              _ check: (TestingHTTPResponse) async throws -> Void) async throws {
        let (type, body) = multipart(fields, file: file, csrf: user.csrf)
        try await app.testing().test(.POST, path, beforeRequest: { req in
            req.headers.replaceOrAdd(name: .contentType, value: type)
            req.body = body
            user.sign(&req)
        }, afterResponse: check)
    }

    @Test func aLiaisonAppealsWithAFileThatOnlyItAndTheOfficersCanRead() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let now = Date()
            _ = try await FindingService.fileManual(unitID: 4, item: .d12, at: now.addingTimeInterval(-3600), narrative: "值班人员擅自离岗两小时",
                                                    points: Points(0.5), reference: nil, actor: .console(), rules: rules, on: app.db)
            try await DeductionService.sync(on: app.db)
            let deduction = try #require(try await DeductionService.list(DeductionFilter(unitID: 4), rules: rules, calendar: app.liandong.calendar, on: app.db).first)
            let liaison = try await app.signIn(.liaison, unitID: 4)
            let pdf = Data("%PDF-1.4 申诉材料".utf8)

            // A type that is not a document or a photo is refused, and nothing is appealed.
            try await post(app, "deductions/\(deduction.id)/appeal", as: liaison, fields: ["statement": "当日道路中断"], file: ("run.sh", Data("rm -rf".utf8))) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("附件只能是"))
            }
            #expect(try await DeductionService.list(DeductionFilter(status: .appealed), rules: rules, calendar: app.liandong.calendar, on: app.db).isEmpty)

            try await post(app, "deductions/\(deduction.id)/appeal", as: liaison, fields: ["statement": "当日道路中断，已报告"], file: ("情况说明.pdf", pdf)) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("情况说明.pdf"))
            }
            struct A: Decodable { var id: Int }
            let attachment = try #require(try await (app.db as! any SQLDatabase).select().column("id").from("attachments").first(decoding: A.self))
            for user in [liaison, try await app.signIn(.emb)] {
                try await app.send(.GET, "attachments/\(attachment.id)", as: user) { res in
                    #expect(res.status == .ok)
                    #expect(res.body.string == "%PDF-1.4 申诉材料")
                    #expect(res.headers.first(name: .contentDisposition)?.contains("attachment") == true)
                }
            }
            let other = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "attachments/\(attachment.id)", as: other) { res in #expect(res.status == .notFound) }
        }
    }
}
