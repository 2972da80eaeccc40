import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Sign-in, sessions, CSRF and lockout")
struct AuthTests {
    /// GET /login, then POST the form with the double-submit token, as a browser does.
    func login(_ app: Application, _ username: String, _ password: String, forwardedProto: String? = nil) async throws -> TestingHTTPResponse {
        var csrf = ""
        try await app.testing().test(.GET, "login") { res in
            csrf = res.headers.setCookie?[Auth.loginCSRFCookie]?.string ?? ""
        }
        #expect(!csrf.isEmpty)
        var response: TestingHTTPResponse?
        try await app.testing().test(.POST, "login", beforeRequest: { req in
            req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.loginCSRFCookie, .init(string: csrf)))
            if let forwardedProto { req.headers.add(name: "X-Forwarded-Proto", value: forwardedProto) }
            try req.content.encode(["username": username, "password": password, "_csrf": csrf, "next": "/units"], as: .urlEncodedForm)
        }) { res in response = res }
        return response!
    }

    func auditActions(_ app: Application) async throws -> [String] {
        try await AuditEntry.query(on: app.db).sort(\.$id).all().map(\.action)
    }

    @Test func firstStartCreatesAnAdministratorWhoMustChangeThePassword() async throws {
        try await withTestApp { app in
            let admin = try #require(try await Account.query(on: app.db).filter(\.$username == "admin").first())
            #expect(admin.accountRole == .admin)
            #expect(admin.mustChangePassword)
            // No fixed default password: a known weak one does not work.
            let res = try await login(app, "admin", "admin")
            #expect(res.status == .unauthorized)
        }
    }

    @Test func signInSetsAProtectedSessionCookie() async throws {
        try await withTestApp { app in
            // An EMB officer has a second factor: the password leads to the code, then to the page.
            let user = try await app.signIn(.emb, username: "emb1")
            let res = try await login(app, "emb1", TestUser.password)
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/login/code?next=/units")
            let waiting = try #require(res.headers.setCookie?[Auth.sessionCookie])
            let signedIn = try await app.postCode(user.code(step: app.totpStep), cookie: waiting.string)
            #expect(signedIn.headers.first(name: .location) == "/units")
            for cookie in [waiting, try #require(signedIn.headers.setCookie?[Auth.sessionCookie])] {
                #expect(cookie.isHTTPOnly)
                #expect(cookie.sameSite == .lax)
                #expect(!cookie.isSecure)
            }
            let cookie = try #require(signedIn.headers.setCookie?[Auth.sessionCookie])
            // Only a hash of the cookie's token is stored.
            #expect(try await AuthSession.query(on: app.db).filter(\.$tokenHash == cookie.string).count() == 0)
            #expect(try await AuthSession.query(on: app.db).filter(\.$tokenHash == Auth.hash(cookie.string)).count() == 1)
            #expect(try await auditActions(app).contains("login.success"))
            let tls = try await login(app, "emb1", TestUser.password, forwardedProto: "https")
            #expect(tls.headers.setCookie?[Auth.sessionCookie]?.isSecure == true)
            // Without a second factor the password alone signs in.
            _ = try await app.signIn(.liaison, unitID: 3, username: "liaison1")
            let liaison = try await login(app, "liaison1", TestUser.password)
            #expect(liaison.headers.first(name: .location) == "/units")
        }
    }

    @Test func anonymousVisitorsAreSentToTheLoginPage() async throws {
        try await withTestApp { app in
            try await app.send(.GET, "units?level=1", as: nil) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location)?.hasPrefix("/login?next=/units") == true)
            }
            try await app.send(.GET, "api/v1/units", as: nil) { res in
                #expect(res.status == .unauthorized)
            }
            try await app.send(.GET, "login", as: nil) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("登录"))
            }
        }
    }

    @Test func fiveFailuresPauseThatAddressAndEveryAttemptIsAudited() async throws {
        try await withTestApp { app in
            _ = try await app.signIn(.psb, username: "police1")
            for _ in 1...4 {
                #expect(try await login(app, "police1", "Wrong-Pass-1").status == .unauthorized)
            }
            let fifth = try await login(app, "police1", "Wrong-Pass-1")
            #expect(fifth.status == .tooManyRequests)
            #expect(fifth.body.string.contains("登录失败次数过多，已暂停登录至"))
            // Paused: even the right password is refused from this address.
            let paused = try await login(app, "police1", TestUser.password)
            #expect(paused.status == .tooManyRequests)
            #expect(paused.body.string.contains("已暂停登录"))
            let actions = try await auditActions(app)
            #expect(actions.filter { $0 == "login.failure" }.count == 4)
            #expect(actions.contains("login.lockout"))
            #expect(actions.contains("login.refused"))
            // The account itself is not locked: the owner elsewhere signs in.
            let account = try #require(try await Account.query(on: app.db).filter(\.$username == "police1").first())
            #expect(account.lockedUntil == nil)
            // The pause runs out.
            app.liandong.clock.advance(by: Double(app.liandong.security.lockoutMinutes * 60 + 1))
            #expect(try await login(app, "police1", TestUser.password).status == .seeOther)
        }
    }

    /// Signs in as the page does, from `source`: success, or the failure the person is shown.
    static func attempt(_ app: Application, _ username: String, _ password: String, from source: String) async throws
        -> (ok: Bool, failure: Auth.LoginFailure?) {
        let req = Request(application: app, on: app.eventLoopGroup.next())
        do {
            _ = try await Auth.login(username: username, password: password, source: source, on: req)
            return (true, nil)
        } catch let failure as Auth.LoginFailure {
            return (false, failure)
        }
    }

    /// A stranger's wrong passwords pause the stranger's address for that account, never the
    /// officer's own; a made-up username is answered word for word as a real one; only failures
    /// from many addresses lock the account itself.
    @Test func aStrangerCannotLockAnOfficerOut() async throws {
        try await withTestApp { app in
            _ = try await app.signIn(.liaison, unitID: 3, username: "liaison9")
            func attempt(_ username: String, _ password: String, from source: String) async throws -> (ok: Bool, failure: Auth.LoginFailure?) {
                try await Self.attempt(app, username, password, from: source)
            }
            let policy = app.liandong.security
            var real: [String] = [], madeUp: [String] = []
            for _ in 0..<policy.lockoutThreshold {
                real.append(try await attempt("liaison9", "Wrong-Pass-1", from: "203.0.113.5").failure?.message ?? "")
                madeUp.append(try await attempt("nobody-at-all", "Wrong-Pass-1", from: "203.0.113.5").failure?.message ?? "")
            }
            // The same answers, pause included (the time shown is the same minute).
            #expect(real == madeUp)
            #expect(real.last?.contains("已暂停登录") == true)
            #expect(try await attempt("liaison9", TestUser.password, from: "203.0.113.5").failure?.status == .tooManyRequests)
            // The officer, from the office, is not affected.
            #expect(try await attempt("liaison9", TestUser.password, from: "10.1.1.20").ok)
            // Failures spread over many addresses lock the account itself, and the audit log says so.
            for i in 0..<policy.accountLockoutThreshold {
                _ = try await attempt("liaison9", "Wrong-Pass-1", from: "198.51.100.\(i % 250)")
            }
            let account = try #require(try await Account.query(on: app.db).filter(\.$username == "liaison9").first())
            #expect(account.lockedUntil != nil)
            #expect(try await auditActions(app).filter { $0 == "login.lockout" }.count >= 2)
            #expect(try await attempt("liaison9", TestUser.password, from: "10.1.1.20").failure?.status == .tooManyRequests)
            // An administrator's unlock lifts it, and every address's pause.
            let admin = try await app.signIn(.admin)
            try await AccountService.setState(account, action: "unlock", actor: try Actor(principal: admin.account.principal, source: "test"), on: app.db)
            #expect(try await attempt("liaison9", TestUser.password, from: "203.0.113.5").ok)
        }
    }

    @Test func anUnknownUserGetsTheSameAnswerAsAWrongPassword() async throws {
        try await withTestApp { app in
            let res = try await login(app, "nobody", "Whatever-1")
            #expect(res.status == .unauthorized)
            #expect(res.body.string.contains("用户名或密码错误"))
            #expect(try await auditActions(app).last == "login.failure")
        }
    }

    @Test func aSessionIdleForThirtyMinutesIsOver() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.plc)
            let session = try #require(try await AuthSession.query(on: app.db).filter(\.$accountID == user.account.requireID()).first())
            session.lastSeenAt = app.liandong.clock.now().addingTimeInterval(-29 * 60)
            try await session.save(on: app.db)
            try await app.send(.GET, "units", as: user) { res in #expect(res.status == .ok) }
            session.lastSeenAt = app.liandong.clock.now().addingTimeInterval(-31 * 60)
            try await session.save(on: app.db)
            try await app.send(.GET, "units", as: user) { res in #expect(res.status == .seeOther) }
            #expect(try await AuthSession.query(on: app.db).filter(\.$accountID == user.account.requireID()).count() == 0)
        }
    }

    @Test func formsWithoutTheSessionTokenAreRefused() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.testing().test(.POST, "units/3/contacts", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, .init(string: police.cookie)))
                try req.content.encode(["duty_phone": "0578-2123456", "reported_by": "甲", "_csrf": "forged"], as: .urlEncodedForm)
            }) { res in
                #expect(res.status == .forbidden)
            }
            try await app.testing().test(.POST, "api/v1/units/3/contact-changes", beforeRequest: { req in
                req.headers.cookie = HTTPCookies(dictionaryLiteral: (Auth.sessionCookie, .init(string: police.cookie)))
                req.headers.contentType = .json
                req.body = ByteBuffer(string: #"{"duty_phone":"0578-2123456","reported_by":"甲"}"#)
            }) { res in
                #expect(res.status == .forbidden)
            }
            #expect(try await ContactChange.query(on: app.db).count() == 0)
            // The login form needs its own token too.
            try await app.testing().test(.POST, "login", beforeRequest: { req in
                try req.content.encode(["username": "admin", "password": "x"], as: .urlEncodedForm)
            }) { res in
                #expect(res.status == .forbidden)
            }
        }
    }

    @Test func mustChangePasswordFirstThenThePolicyApplies() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.emb, username: "newcomer")
            user.account.mustChangePassword = true
            try await user.account.save(on: app.db)
            try await app.send(.GET, "units", as: user) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/account/password")
            }
            try await app.send(.GET, "api/v1/units", as: user) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "account/password", as: user,
                               form: ["current": TestUser.password, "new": "short", "confirm": "short"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("密码至少10位"))
            }
            try await app.send(.POST, "account/password", as: user,
                               form: ["current": "wrong", "new": "Better-Pass-1", "confirm": "Better-Pass-1"]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            let other = try await Auth.startSession(for: user.account, source: "elsewhere", on: app.db)
            var renewed = user
            try await app.send(.POST, "account/password", as: user,
                               form: ["current": TestUser.password, "new": "Better-Pass-1", "confirm": "Better-Pass-1"]) { res in
                #expect(res.status == .seeOther)
                renewed = user.keepingCookie(of: res)
            }
            // A change of privilege: the session goes on under a new cookie, the old one is void.
            #expect(renewed.cookie != user.cookie)
            try await app.send(.GET, "units", as: user) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "units", as: renewed) { res in #expect(res.status == .ok) }
            // The other session ended with the old password.
            #expect(try await AuthSession.find(other.0.requireID(), on: app.db) == nil)
            #expect(try await login(app, "newcomer", "Better-Pass-1").status == .seeOther)
            #expect(try await auditActions(app).contains("account.password_change"))
        }
    }

    /// bcrypt reads 72 bytes: a hash made before the policy refused longer passwords must not
    /// let any ending after the 72nd byte sign in.
    @Test func onlyTheWholePasswordSignsIn() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.liaison, unitID: 3, username: "longpass")
            let seventyTwo = String(repeating: "水利局联络员", count: 4)  // 24 characters, 72 bytes
            #expect(seventyTwo.utf8.count == SecurityPolicy.maximumPasswordBytes)
            user.account.passwordHash = try await app.password.async.hash(seventyTwo)
            try await user.account.save(on: app.db)
            #expect(try await login(app, "longpass", seventyTwo).status == .seeOther)
            #expect(try await login(app, "longpass", seventyTwo + "任意结尾").status == .unauthorized)
            #expect(try await login(app, "longpass", seventyTwo + "x").status == .unauthorized)
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.plc)
            try await app.send(.POST, "logout", as: user, form: ["_csrf": user.csrf]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.setCookie?[Auth.sessionCookie]?.string == "")
            }
            try await app.send(.GET, "units", as: user) { res in #expect(res.status == .seeOther) }
        }
    }

    @Test func loginAttemptsAreRateLimitedPerAddress() async throws {
        try await withTestApp { app in
            var statuses: [UInt] = []
            for _ in 0..<(SecurityPolicy().loginAttemptsPerMinute + 1) {
                statuses.append(try await login(app, "nobody", "x").status.code)
            }
            #expect(statuses.last == 429)
            // A made-up name is paused like a real one after the threshold.
            #expect(statuses.prefix(SecurityPolicy().lockoutThreshold - 1).allSatisfy { $0 == 401 })
            #expect(statuses.dropFirst(SecurityPolicy().lockoutThreshold - 1).allSatisfy { $0 == 429 })
        }
    }

    @Test func securityHeaders() async throws {
        try await withTestApp { app in
            try await app.send(.GET, "login", as: nil) { res in
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
        }
    }
}

@Suite("API tokens and personal-information masking")
struct TokenAndMaskingTests {
    func setContacts(_ app: Application, unit: Int) async throws {
        let u = try await RegisterService.unit(unit, on: app.db)
        try await RegisterService.reportContactChange(unit: u, to: ContactDetails(dutyPhone: "0578-2123456", liaisonName: "张三", liaisonMobile: "13812345678"),
                                                       reportedAt: Date(), reportedBy: "张三", channel: "web", note: nil, actor: .console(), on: app.db)
    }

    @Test func tokensAreScopedStoredHashedAndRevocable() async throws {
        try await withTestApp { app in
            try await setContacts(app, unit: 4)
            let out = try await app.run(["tokens", "issue", "--name", "110指挥系统", "--scope", "register:read"])
            let secret = try #require(out.split(separator: "\n").last.map(String.init))
            #expect(secret.hasPrefix("ld_"))
            #expect(try await ApiToken.query(on: app.db).filter(\.$tokenHash == secret).count() == 0)
            try await app.testing().test(.GET, "api/v1/units/4", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: secret)
            }) { res in
                #expect(res.status == .ok)
                let unit = try res.content.decode(UnitDetailDTO.self).unit
                #expect(unit.liaison == ContactPersonDTO(name: "张*", mobile: "138****5678"))
            }
            try await app.testing().test(.POST, "api/v1/units/4/contact-changes", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: secret)
                req.headers.contentType = .json
                req.body = ByteBuffer(string: #"{"duty_phone":"0578-2000000","reported_by":"x"}"#)
            }) { res in #expect(res.status == .forbidden) }
            // Pages are for people.
            try await app.testing().test(.GET, "units", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: secret)
            }) { res in #expect(res.status == .seeOther) }

            let ingest = try await app.run(["tokens", "issue", "--name", "ingest", "--scope", "dispatch:ingest"])
            let ingestSecret = String(ingest.split(separator: "\n").last!)
            try await app.testing().test(.GET, "api/v1/units", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: ingestSecret)
            }) { res in #expect(res.status == .forbidden) }

            _ = try await app.run(["tokens", "revoke", "110指挥系统"])
            try await app.testing().test(.GET, "api/v1/units/4", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: secret)
            }) { res in #expect(res.status == .unauthorized) }
            try await app.testing().test(.GET, "api/v1/units/4", beforeRequest: { req in
                req.headers.bearerAuthorization = .init(token: "ld_made_up")
            }) { res in #expect(res.status == .unauthorized) }
        }
    }

    @Test func contactsAreMaskedForThoseWhoDoNotCallThem() async throws {
        try await withTestApp { app in
            try await setContacts(app, unit: 4)
            let emb = try await app.signIn(.emb)
            let psb = try await app.signIn(.psb)
            let own = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "api/v1/units/4", as: emb) { res in
                let detail = try res.content.decode(UnitDetailDTO.self)
                #expect(detail.unit.liaison?.mobile == "138****5678")
            }
            try await app.send(.GET, "api/v1/units/4", as: psb) { res in
                let detail = try res.content.decode(UnitDetailDTO.self)
                #expect(detail.unit.liaison?.mobile == "13812345678")
            }
            try await app.send(.GET, "api/v1/units/4", as: own) { res in
                let detail = try res.content.decode(UnitDetailDTO.self)
                #expect(detail.unit.liaison?.mobile == "13812345678")
            }
            try await app.send(.GET, "units/4", as: emb) { res in
                #expect(res.body.string.contains("138****5678"))
                #expect(!res.body.string.contains("13812345678"))
                #expect(!res.body.string.contains("登记联系方式变更"))
            }
            try await app.send(.GET, "api/v1/units/4/contact-changes", as: emb) { res in
                #expect(!res.body.string.contains("13812345678"))
            }
            try await app.send(.GET, "units/export?format=csv", as: emb) { res in
                #expect(res.body.string.contains("138****5678"))
                #expect(!res.body.string.contains("13812345678"))
            }
        }
    }

    @Test func liaisonsSeeOnlyTheirOwnUnit() async throws {
        try await withTestApp { app in
            let own = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "api/v1/units", as: own) { res in
                let units = try res.content.decode([UnitDTO].self)
                #expect(units.map(\.id) == [4])
            }
            try await app.send(.GET, "units", as: own) { res in
                #expect(res.body.string.contains("共 1 个单位"))
            }
            try await app.send(.GET, "units/5", as: own) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "api/v1/units/4/contact-changes", as: own, json: #"{"duty_phone":"0578-2000000","reported_by":"本人"}"#) { res in
                #expect(res.status == .created)
            }
            try await app.send(.POST, "api/v1/units/5/contact-changes", as: own, json: #"{"duty_phone":"0578-2000000","reported_by":"本人"}"#) { res in
                #expect(res.status == .forbidden)
            }
        }
    }

    @Test func countyOfficersSeeTheirCounty() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("lq.csv", contents: Data("单位名称,辖区,级别\n龙泉市水利局,龙泉市,1\n".utf8))
            _ = try await app.run(["units", "import", file.path])
            let officer = try await app.signIn(.psb, jurisdiction: "longquan")
            try await app.send(.GET, "api/v1/units", as: officer) { res in
                let units = try res.content.decode([UnitDTO].self)
                #expect(units.map(\.name) == ["龙泉市水利局"])
            }
            try await app.send(.GET, "api/v1/units?jurisdiction=city", as: officer) { res in #expect(res.status == .forbidden) }
            try await app.send(.GET, "api/v1/units/1", as: officer) { res in #expect(res.status == .forbidden) }
        }
    }
}
