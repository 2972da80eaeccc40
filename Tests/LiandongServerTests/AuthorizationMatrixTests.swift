import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

/// Every route, as every kind of caller: allowed callers get an answer, forbidden people get
/// 403, and nobody gets data without signing in.
@Suite("Authorisation matrix")
struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable {
        case nobody, admin, plc, emb, psb, liaison, token
    }

    struct Case {
        var method: HTTPMethod
        var path: String
        /// The route pattern, for the completeness check.
        var pattern: String
        var allowed: Set<Caller>
        var json: String? = nil
        var form: [String: String]? = nil
        /// A status every caller gets (the login form refuses a post without its own token).
        var sameForAll: UInt? = nil
    }

    static let people: Set<Caller> = [.admin, .plc, .emb, .psb, .liaison]
    static let everyone = Set(Caller.allCases)
    static let contact = #"{"duty_phone":"0578-2123999","reported_by":"测试"}"#

    // The liaison belongs to unit 3; unit 4 is someone else's.
    static let cases: [Case] = [
        Case(method: .GET, path: "/health", pattern: "/health", allowed: everyone),
        Case(method: .GET, path: "/ping", pattern: "/ping", allowed: everyone),
        // A scraper's token of scope metrics:read, or an administrator (see metricsNeedTheirOwnScope).
        Case(method: .GET, path: "/metrics", pattern: "/metrics", allowed: [.admin]),
        Case(method: .GET, path: "/openapi.yaml", pattern: "/openapi.yaml", allowed: everyone),
        Case(method: .GET, path: "/login", pattern: "/login", allowed: everyone),
        Case(method: .POST, path: "/login", pattern: "/login", allowed: everyone, form: ["username": "x", "password": "y"], sameForAll: 403),
        // Only a session waiting for its code gets the code form; anyone else goes to the login page.
        Case(method: .GET, path: "/login/code", pattern: "/login/code", allowed: people),
        Case(method: .POST, path: "/login/code", pattern: "/login/code", allowed: people, form: ["code": "000000"]),
        Case(method: .GET, path: "/account/totp", pattern: "/account/totp", allowed: people),
        Case(method: .POST, path: "/account/totp", pattern: "/account/totp", allowed: people, form: ["code": "x"]),
        // Wrong credentials here count towards the lockout: one each, well below it.
        Case(method: .POST, path: "/account/totp/disable", pattern: "/account/totp/disable", allowed: people, form: ["password": "x"]),
        Case(method: .GET, path: "/account/reauth?next=/deductions", pattern: "/account/reauth", allowed: people),
        Case(method: .POST, path: "/account/reauth", pattern: "/account/reauth", allowed: people, form: ["password": "x"]),
        Case(method: .GET, path: "/account/password", pattern: "/account/password", allowed: people),
        Case(method: .POST, path: "/account/password", pattern: "/account/password", allowed: people, form: ["current": "x"]),
        Case(method: .GET, path: "/", pattern: "/", allowed: people),
        Case(method: .GET, path: "/units", pattern: "/units", allowed: people),
        Case(method: .GET, path: "/units/3", pattern: "/units/:id", allowed: people),
        Case(method: .GET, path: "/units/4", pattern: "/units/:id", allowed: [.admin, .plc, .emb, .psb]),
        Case(method: .POST, path: "/units/3/contacts", pattern: "/units/:id/contacts", allowed: [.admin, .psb, .liaison], form: ["duty_phone": "0578-2123999", "reported_by": "测试"]),
        Case(method: .POST, path: "/units/4/contacts", pattern: "/units/:id/contacts", allowed: [.admin, .psb], form: ["duty_phone": "0578-2123999", "reported_by": "测试"]),
        Case(method: .GET, path: "/units/export?format=csv", pattern: "/units/export", allowed: people),
        Case(method: .GET, path: "/rules", pattern: "/rules", allowed: people),
        Case(method: .GET, path: "/admin/accounts", pattern: "/admin/accounts", allowed: [.admin]),
        Case(method: .POST, path: "/admin/accounts", pattern: "/admin/accounts", allowed: [.admin], form: ["username": "matrix1", "display_name": "甲", "role": "emb"]),
        Case(method: .POST, path: "/admin/accounts/1", pattern: "/admin/accounts/:id", allowed: [.admin], form: ["action": "unlock"]),
        Case(method: .GET, path: "/admin/tokens", pattern: "/admin/tokens", allowed: [.admin]),
        Case(method: .POST, path: "/admin/tokens", pattern: "/admin/tokens", allowed: [.admin], form: ["name": "matrix", "scopes[]": "register:read"]),
        Case(method: .POST, path: "/admin/tokens/1/revoke", pattern: "/admin/tokens/:id/revoke", allowed: [.admin], form: [:]),
        Case(method: .GET, path: "/admin/audit", pattern: "/admin/audit", allowed: [.admin]),
        Case(method: .GET, path: "/admin/rules", pattern: "/admin/rules", allowed: [.admin]),
        Case(method: .POST, path: "/admin/rules", pattern: "/admin/rules", allowed: [.admin], form: ["body": "{}"]),
        Case(method: .GET, path: "/admin/calendar?year=2026", pattern: "/admin/calendar", allowed: [.admin]),
        // A line naming no year: refused (422) for the administrator, nothing stored.
        Case(method: .POST, path: "/admin/calendar", pattern: "/admin/calendar", allowed: [.admin], form: ["body": #"{"type":"holiday"}"#]),
        Case(method: .GET, path: "/api/v1/jurisdictions", pattern: "/api/v1/jurisdictions", allowed: people.union([.token])),
        Case(method: .GET, path: "/api/v1/units", pattern: "/api/v1/units", allowed: people.union([.token])),
        Case(method: .GET, path: "/api/v1/units/3", pattern: "/api/v1/units/:id", allowed: people.union([.token])),
        Case(method: .GET, path: "/api/v1/units/4", pattern: "/api/v1/units/:id", allowed: [.admin, .plc, .emb, .psb, .token]),
        Case(method: .GET, path: "/api/v1/units/3/contact-changes", pattern: "/api/v1/units/:id/contact-changes", allowed: people.union([.token])),
        Case(method: .GET, path: "/api/v1/units/4/contact-changes", pattern: "/api/v1/units/:id/contact-changes", allowed: [.admin, .plc, .emb, .psb, .token]),
        Case(method: .POST, path: "/api/v1/units/3/contact-changes", pattern: "/api/v1/units/:id/contact-changes", allowed: [.admin, .psb, .liaison], json: contact),
        Case(method: .POST, path: "/api/v1/units/4/contact-changes", pattern: "/api/v1/units/:id/contact-changes", allowed: [.admin, .psb], json: contact),
        Case(method: .GET, path: "/api/v1/rules", pattern: "/api/v1/rules", allowed: people.union([.token])),
        Case(method: .POST, path: "/api/v1/dispatch-events", pattern: "/api/v1/dispatch-events", allowed: [.admin],
             json: #"{"event_id":"M-1","incident_id":"110-M","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00"}"#),
        Case(method: .GET, path: "/api/v1/findings", pattern: "/api/v1/findings", allowed: people),
        Case(method: .GET, path: "/api/v1/compliance?period=2026-Q1&by=unit", pattern: "/api/v1/compliance", allowed: people),
        Case(method: .GET, path: "/compliance?period=2026-Q1", pattern: "/compliance", allowed: people),
        Case(method: .GET, path: "/compliance/export?period=2026-Q1", pattern: "/compliance/export", allowed: people),
        Case(method: .GET, path: "/checks/phone", pattern: "/checks/phone", allowed: [.admin, .psb]),
        Case(method: .POST, path: "/checks/phone/campaigns", pattern: "/checks/phone/campaigns", allowed: [.admin, .psb], form: ["size": "5"]),
        Case(method: .GET, path: "/checks/phone/call?unit=3", pattern: "/checks/phone/call", allowed: [.admin, .psb]),
        Case(method: .POST, path: "/checks/phone", pattern: "/checks/phone", allowed: [.admin, .psb], form: ["unit_id": "3"]),
        Case(method: .GET, path: "/checks/drills", pattern: "/checks/drills", allowed: [.admin, .psb, .emb]),
        Case(method: .POST, path: "/checks/drills", pattern: "/checks/drills", allowed: [.admin, .psb, .emb],
             form: ["check_id": "DR-M", "kind": "onsite", "scenario": "模拟", "units[]": "3"]),
        Case(method: .GET, path: "/checks/drills/DR-M", pattern: "/checks/drills/:id", allowed: [.admin, .psb, .emb]),
        Case(method: .POST, path: "/checks/drills/DR-M/arrive", pattern: "/checks/drills/:id/arrive", allowed: [.admin, .psb, .emb], form: ["unit_id": "3"]),
        Case(method: .POST, path: "/checks/drills/DR-M/assess", pattern: "/checks/drills/:id/assess", allowed: [.admin, .psb, .emb],
             form: ["unit_id": "3", "vest": "true"]),
        Case(method: .GET, path: "/checks/drills/DR-M/finish", pattern: "/checks/drills/:id/finish", allowed: [.admin, .psb, .emb]),
        // Without the box ticked: the confirmation page again (422), the drill still under way.
        Case(method: .POST, path: "/checks/drills/DR-M/finish", pattern: "/checks/drills/:id/finish", allowed: [.admin, .psb, .emb], form: [:]),
        Case(method: .GET, path: "/checks/drills/DR-M/amend", pattern: "/checks/drills/:id/amend", allowed: [.admin, .psb, .emb]),
        Case(method: .POST, path: "/checks/drills/DR-M/amend", pattern: "/checks/drills/:id/amend", allowed: [.admin, .psb, .emb],
             form: ["part": "unit", "unit_id": "3", "arrived_at": "", "reason": "据现场记录更正"]),
        Case(method: .GET, path: "/supervision", pattern: "/supervision", allowed: [.admin, .plc, .emb, .psb]),
        Case(method: .POST, path: "/supervision/meetings", pattern: "/supervision/meetings", allowed: [.admin, .plc, .emb, .psb],
             form: ["held_on": "2026-06-20", "attendees": "三部门", "decisions": "通报"]),
        Case(method: .GET, path: "/findings?source=dispatch", pattern: "/findings", allowed: people),
        Case(method: .GET, path: "/findings/export?source=dispatch", pattern: "/findings/export", allowed: people),
        Case(method: .POST, path: "/findings/manual", pattern: "/findings/manual", allowed: [.admin, .emb, .psb],
             form: ["unit_id": "3", "item": "D12", "occurred_at": "2026-03-01T08:15", "narrative": "值班人员脱岗两小时", "points": "0.5"]),
        Case(method: .GET, path: "/findings/provincial", pattern: "/findings/provincial", allowed: [.admin, .emb, .psb]),
        Case(method: .POST, path: "/findings/provincial", pattern: "/findings/provincial", allowed: [.admin, .emb, .psb],
             form: ["number": "浙应联〔2026〕5号", "date": "2026-05-10", "subject": "unit:3", "points": "1.5", "text": "联动响应迟缓"]),
        Case(method: .GET, path: "/plans", pattern: "/plans", allowed: people),
        Case(method: .GET, path: "/overview", pattern: "/overview", allowed: people),
        Case(method: .POST, path: "/plans", pattern: "/plans", allowed: [.admin, .emb],
             form: ["action": "performance", "year": "2025", "jurisdiction_id": "liandu", "included": "on"]),
        Case(method: .POST, path: "/findings", pattern: "/findings", allowed: [.admin, .psb],
             form: ["unit_id": "3", "incident_id": "110-M", "failure": "refused", "occurred_at": "2026-03-01T08:15", "narrative": "接指令后拒不出警"]),
        Case(method: .GET, path: "/deductions", pattern: "/deductions", allowed: people),
        Case(method: .GET, path: "/deductions/export", pattern: "/deductions/export", allowed: people),
        // No deduction 1 here: 404 for everyone who may open a deduction's page.
        Case(method: .GET, path: "/deductions/1", pattern: "/deductions/:id", allowed: people),
        // The PLC decides too where the deduction is against the EMB or the police (issue 15).
        Case(method: .POST, path: "/deductions/1/decision", pattern: "/deductions/:id/decision", allowed: [.emb, .psb, .plc], form: ["action": "confirm"]),
        Case(method: .POST, path: "/deductions/confirm", pattern: "/deductions/confirm", allowed: [.emb, .psb, .plc], form: ["ids[]": "1"]),
        Case(method: .GET, path: "/assessment?year=2026", pattern: "/assessment", allowed: [.admin, .plc, .emb, .psb]),
        Case(method: .GET, path: "/assessment/export?format=csv&year=2026", pattern: "/assessment/export", allowed: [.admin, .plc, .emb, .psb]),
        // Issue 15 item 5: only the city PLC closes a year (2025 has ended); a reopening is asked
        // for and agreed by the city PLC and an administrator (2025 is open here: a 409, not a refusal).
        Case(method: .POST, path: "/assessment/close", pattern: "/assessment/close", allowed: [.plc], form: ["year": "2025"]),
        Case(method: .POST, path: "/assessment/reopen", pattern: "/assessment/reopen", allowed: [.admin, .plc], form: ["year": "2024", "reason": "矩阵"]),
        Case(method: .POST, path: "/deductions/1/appeal", pattern: "/deductions/:id/appeal", allowed: [.liaison], form: ["statement": "申诉理由"]),
        Case(method: .GET, path: "/rectifications", pattern: "/rectifications", allowed: people),
        Case(method: .GET, path: "/attachments/1", pattern: "/attachments/:id", allowed: []),
        Case(method: .POST, path: "/rectifications", pattern: "/rectifications", allowed: [.admin, .emb, .psb],
             form: ["op": "assign", "deduction_id": "1", "action": "整改", "owner": "办公室", "due_on": "2099-01-01"]),
        Case(method: .GET, path: "/notices", pattern: "/notices", allowed: people),
        Case(method: .POST, path: "/notices", pattern: "/notices", allowed: [.plc], form: ["period": "2026-Q1"]),
        Case(method: .GET, path: "/notices/1", pattern: "/notices/:id", allowed: [.plc]),
        Case(method: .POST, path: "/notices/1/edit", pattern: "/notices/:id/edit", allowed: [.plc], form: ["title": "标题", "intro": "导语"]),
        Case(method: .GET, path: "/notices/1/export?format=html", pattern: "/notices/:id/export", allowed: [.plc]),
        Case(method: .POST, path: "/notices/1/publish", pattern: "/notices/:id/publish", allowed: [.plc], form: [:]),
        Case(method: .GET, path: "/checks/equipment", pattern: "/checks/equipment", allowed: [.admin, .psb, .emb]),
        Case(method: .POST, path: "/checks/equipment", pattern: "/checks/equipment", allowed: [.admin, .psb, .emb], form: ["op": "add", "name": "绳索"]),
        // Last: it ends the session.
        Case(method: .POST, path: "/inbox/read", pattern: "/inbox/read", allowed: [.liaison], form: [:]),
        Case(method: .POST, path: "/logout", pattern: "/logout", allowed: people, form: [:]),
    ]

    /// Page contents, not only status codes: a liaison sees the city's figures as totals, never
    /// another unit by name, and none of the governments' D6 items.
    @Test func aLiaisonSeesItsOwnUnitOnly() async throws {
        try await withTestApp { app in
            let year = LocalDate(Date()).year
            let t0 = ChinaTime.parseTimestamp("\(year)-01-05T08:15:00+08:00")!
            _ = try await DispatchService.ingest([DispatchEventInput(eventID: "L-1", incidentID: "110-L", unit: "市水利局", type: .instructed, at: t0),
                                                  DispatchEventInput(eventID: "L-2", incidentID: "110-L", unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(3000))],
                                                 actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(3600), on: app.db)
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "overview", as: emb) { res in
                #expect(res.body.string.contains("本年超时到场较多的单位") && res.body.string.contains("市水利局"))
            }
            try await app.send(.GET, "plans", as: emb) { res in #expect(res.body.string.contains("尚未登记齐全")) }
            let liaison = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "overview", as: liaison) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("本月按时到场率"))
                #expect(!res.body.string.contains("本年超时到场较多的单位"))
                #expect(!res.body.string.contains("市水利局"))
            }
            try await app.send(.GET, "plans", as: liaison) { res in
                #expect(res.status == .ok)
                #expect(!res.body.string.contains("尚未登记齐全"))
            }
        }
    }

    /// `/metrics` tells, per route, how many sign-ins failed: a scraper needs a token of its own
    /// scope; a token of another scope is refused, and so is everyone but an administrator.
    @Test func metricsNeedTheirOwnScope() async throws {
        try await withTestApp { app in
            let (_, scraper) = try await Auth.issueToken(name: "prometheus", scopes: [.metricsRead], actor: .console(), on: app.db)
            let (_, reader) = try await Auth.issueToken(name: "reader", scopes: [.registerRead], actor: .console(), on: app.db)
            try await app.testing().test(.GET, "metrics", beforeRequest: { $0.headers.bearerAuthorization = .init(token: scraper) }) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("http_requests_total"))
            }
            try await app.testing().test(.GET, "metrics", beforeRequest: { $0.headers.bearerAuthorization = .init(token: reader) }) { res in
                #expect(res.status == .forbidden)
                #expect(!res.body.string.contains("http_requests_total"))
            }
            try await app.testing().test(.GET, "metrics") { res in #expect(res.status == .unauthorized) }
        }
    }

    /// The menu offers each role only what it may open: every link of every role's menu answers
    /// 200, and the areas kept to some roles are missing from the others' menus.
    @Test(arguments: Role.allCases)
    func theMenuShowsOnlyWhatTheRoleMayOpen(role: Role) async throws {
        try await withTestApp { app in
            let user = try await app.signIn(role, unitID: role == .liaison ? 3 : nil)
            var links: [String] = []
            try await app.send(.GET, "", as: user) { res in
                let html = res.body.string
                let nav = try #require(html.range(of: #"<nav aria-label="主导航">"#).map { html[$0.upperBound...] }).prefix { _ in true }
                let end = try #require(nav.range(of: "</nav>"))
                var rest = nav[..<end.lowerBound]
                while let r = rest.range(of: #"href="[^"]+""#, options: .regularExpression) {
                    links.append(String(rest[r].dropFirst(6).dropLast()))
                    rest = rest[r.upperBound...]
                }
            }
            #expect(links.contains("/") && links.contains("/deductions"))
            for link in links {
                try await app.send(.GET, String(link.dropFirst()), as: user) { res in #expect(res.status == .ok, "\(role) \(link): \(res.status)") }
            }
            for (href, area) in [("/checks/phone", WorkArea.phoneChecks), ("/checks/drills", .drills), ("/supervision", .supervision), ("/assessment", .assessment)] {
                #expect(links.contains(href) == area.roles.contains(role), "\(role) \(href)")
            }
        }
    }

    @Test func everyRouteIsInTheMatrix() async throws {
        try await withTestApp { app in
            let served = Set(app.routes.all.map { route in
                "\(route.method.rawValue) /" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return ":\(name)" }
                    return component.description
                }.joined(separator: "/")
            })
            let covered = Set(Self.cases.map { "\($0.method.rawValue) \($0.pattern)" })
            #expect(served == covered, "not in the matrix: \(served.subtracting(covered)); stale: \(covered.subtracting(served))")
        }
    }

    @Test(arguments: Caller.allCases)
    func matrix(caller: Caller) async throws {
        try await withTestApp { app in
            var user: TestUser?
            var bearer: String?
            switch caller {
            case .nobody: break
            case .token:
                let (_, secret) = try await Auth.issueToken(name: "matrix-reader", scopes: [.registerRead], actor: .console(), on: app.db)
                bearer = secret
            case .liaison: user = try await app.signIn(.liaison, unitID: 3)
            default: user = try await app.signIn(Role(rawValue: caller.rawValue)!)
            }
            for c in Self.cases {
                try await app.testing().test(c.method, c.path, beforeRequest: { req in
                    if let json = c.json { req.headers.contentType = .json; req.body = ByteBuffer(string: json) }
                    if var form = c.form {
                        if let user { form["_csrf"] = user.csrf }
                        try req.content.encode(form, as: .urlEncodedForm)
                    }
                    user?.sign(&req)
                    if let bearer { req.headers.bearerAuthorization = .init(token: bearer) }
                }) { res in
                    let label = "\(caller) \(c.method) \(c.path) → \(res.status.code)"
                    #expect(res.status.code < 500, "\(label) \(res.body.string.prefix(200))")
                    if let status = c.sameForAll {
                        #expect(res.status.code == status, "\(label)")
                        return
                    }
                    let sentToLogin = res.status == .seeOther && res.headers.first(name: .location)?.hasPrefix("/login") == true
                    if c.allowed.contains(caller) {
                        // (Signing out ends at the login page: that is the allowed answer of POST /logout.)
                        let refused = res.status == .unauthorized || res.status == .forbidden || (sentToLogin && c.method == .GET)
                        #expect(!refused, "\(label) should be allowed")
                    } else if caller == .nobody || (caller == .token && !c.path.hasPrefix("/api/") && c.path != "/metrics") {
                        // No person signed in: the login page or 401, never data.
                        #expect(sentToLogin || res.status == .unauthorized, "\(label) should ask to sign in")
                    } else {
                        // 403, or 404 where even the thing's existence is not theirs to know; never data.
                        #expect(res.status == .forbidden || res.status == .notFound, "\(label) should be forbidden")
                    }
                }
            }
        }
    }
}
