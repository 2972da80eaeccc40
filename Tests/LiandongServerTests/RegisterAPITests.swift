import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("API: /api/v1 register endpoints")
struct RegisterAPITests {
    struct ErrorBody: Decodable {
        var error: Bool
        var reason: String
        var field: String?
    }

    @Test func listAndFilterUnits() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "api/v1/units", as: admin) { res in
                #expect(res.status == .ok)
                let units = try JSONSerialization.jsonObject(with: Data(buffer: res.body)) as! [[String: Any]]
                #expect(units.count == 46)
                let first = units[0]
                for key in ["id", "name", "level", "jurisdiction", "public_security", "ranked", "duty_phone", "liaison"] {
                    #expect(first.keys.contains(key), "missing \(key)")
                }
                #expect(first["name"] as? String == "市公安局")
                #expect(first["response_limit_minutes"] as? Int == 10)
            }
            try await app.send(.GET, "api/v1/units?jurisdiction=市本级&level=2", as: admin) { res in
                let units = try res.content.decode([UnitDTO].self)
                #expect(units.count == 14)
                #expect(units.allSatisfy { $0.responseLimitMinutes == 30 })
            }
            try await app.send(.GET, "api/v1/units?jurisdiction=杭州", as: admin) { res in
                #expect(res.status == .badRequest)
                let body = try res.content.decode(ErrorBody.self)
                #expect(body.field == "jurisdiction")
                #expect(body.reason.contains("杭州"))
            }
            try await app.send(.GET, "api/v1/units?level=9", as: admin) { res in
                #expect(res.status == .badRequest)
            }
            try await app.send(.GET, "api/v1/jurisdictions", as: admin) { res in
                let list = try res.content.decode([JurisdictionDTO].self)
                #expect(list.count == 11)
                #expect(list.first { $0.id == "city" }?.unitCount == 46)
            }
        }
    }

    @Test func unitDetailAndMissingUnits() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "api/v1/units/1", as: admin) { res in
                #expect(res.status == .ok)
                let detail = try res.content.decode(UnitDetailDTO.self)
                #expect(detail.unit.name == "市公安局")
                #expect(detail.duties.contains("首处责任制"))
            }
            try await app.send(.GET, "api/v1/units/9999", as: admin) { res in
                #expect(res.status == .notFound)
                let body = try res.content.decode(ErrorBody.self)
                #expect(body.reason.contains("9999"))
            }
            try await app.send(.GET, "api/v1/units/abc", as: admin) { res in
                #expect(res.status == .notFound)
            }
        }
    }

    @Test func reportAContactChange() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "api/v1/units/4/contact-changes", as: admin,
                               json: #"{"duty_phone": "0578 2123456", "liaison_name": "王五", "liaison_mobile": "13812345678", "reported_at": "2026-03-04T09:10:00+08:00", "reported_by": "王五"}"#) { res in
                #expect(res.status == .created)
                let change = try res.content.decode(ContactChangeDTO.self)
                #expect(change.dutyPhone == "0578-2123456")
                #expect(change.reportedAt == "2026-03-04T09:10:00+08:00")
                #expect(change.changedFields == ["duty_phone", "liaison_name", "liaison_mobile"])
            }
            // Only the fields sent change; null clears.
            try await app.send(.POST, "api/v1/units/4/contact-changes", as: admin, json: #"{"duty_phone": null, "reported_by": "王五"}"#) { res in
                #expect(res.status == .created)
            }
            try await app.send(.GET, "api/v1/units/4", as: admin) { res in
                let unit = try res.content.decode(UnitDetailDTO.self).unit
                #expect(unit.dutyPhone == nil)
                #expect(unit.liaison == ContactPersonDTO(name: "王五", mobile: "13812345678"))
            }
            try await app.send(.GET, "api/v1/units/4/contact-changes", as: admin) { res in
                let history = try res.content.decode([ContactChangeDTO].self)
                #expect(history.count == 2)
                #expect(history[0].changedFields == ["duty_phone"])
            }
        }
    }

    @Test("Bad input: a 4xx naming the field, and nothing written", arguments: [
        (#"{"liaison_mobile":"1381234","liaison_name":"王五","reported_by":"甲"}"#, 422, "liaison_mobile"),
        (#"{"liaison_mobile":13812345678,"reported_by":"甲"}"#, 400, "liaison_mobile"),
        (#"{"duty_phone":"0578-2123456"}"#, 422, "reported_by"),
        (#"{"duty_phone":"0578-2123456","reported_by":"甲","reported_at":"昨天"}"#, 422, "reported_at"),
        (#"{"duty_phone":"0578-2123456","reported_by":"甲","fax":"1"}"#, 422, "fax"),
        (#"{"liaison_name":"王五","reported_by":"甲"}"#, 422, "liaison_mobile"),
        (#"{"duty_phone":"0578-2123456","#, 400, nil),
        (#"[1,2]"#, 400, nil),
    ])
    func badInput(body: String, status: UInt, field: String?) async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "api/v1/units/5/contact-changes", as: admin, json: body) { res in
                #expect(res.status.code == status, "\(res.body.string)")
                let error = try res.content.decode(ErrorBody.self)
                #expect(error.error)
                #expect(!error.reason.isEmpty)
                if let field { #expect(error.field == field) }
            }
            #expect(try await ContactChange.query(on: app.db).count() == 0)
            #expect(try await RegisterService.unit(5, on: app.db).contacts.isEmpty)
        }
    }

    @Test func unchangedDetailsAreNotAReport() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "api/v1/units/6/contact-changes", as: admin, json: #"{"duty_phone":null,"reported_by":"甲"}"#) { res in
                #expect(res.status == .unprocessableEntity)
            }
        }
    }

    @Test func rulesInForce() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "api/v1/rules?date=2026-03-04", as: admin) { res in
                let rules = try res.content.decode(RuleSetDTO.self)
                #expect(rules.version == RuleSet.initial.version)
                #expect(rules.items.count == 12)
                #expect(rules.responseLimitsMinutes["level_1"] == 20)
                #expect(rules.items.first { $0.id == "D9" }?.defaultPoints.map(\.points) == [0.5, 1.0, 1.5, 2.0])
            }
            try await app.send(.GET, "api/v1/rules?date=2026-13-01", as: admin) { res in
                #expect(res.status == .badRequest)
            }
        }
    }

    @Test func healthAndMetrics() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "health", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains(#""status":"ok""#))
                #expect(res.body.string.contains(TestDatabase.isPostgres ? "postgresql" : "sqlite"))
            }
            try await app.send(.GET, "api/v1/units/1", as: admin) { _ in }
            try await app.send(.GET, "metrics", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "plain")
                let text = res.body.string
                #expect(text.contains("http_requests_total"))
                #expect(text.contains(#"path="/api/v1/units/:id""#))
                #expect(text.contains("http_request_duration_seconds_bucket"))
            }
        }
    }
}
