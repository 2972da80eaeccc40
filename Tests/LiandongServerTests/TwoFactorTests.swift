import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import LiandongServer

@Suite("Second factor: TOTP enrolment, sign-in with a code, recovery codes")
struct TwoFactorTests {
    func actions(_ app: Application) async throws -> [String] {
        try await AuditEntry.query(on: app.db).sort(\.$id).all().map(\.action)
    }

    func reload(_ app: Application, _ account: Account) async throws -> Account {
        try #require(try await Account.find(account.requireID(), on: app.db))
    }

    /// The cookie a response set, or "".
    func cookie(_ res: TestingHTTPResponse) -> String { res.headers.setCookie?[Auth.sessionCookie]?.string ?? "" }

    /// A six-digit code none of the steps around now would accept.
    func wrongCode(_ user: TestUser, _ app: Application) -> String {
        let step = app.totpStep
        let near = Set((-3...3).map { user.code(step: step + Int64($0)) })
        return (10...40).lazy.map { user.code(step: step + Int64($0)) }.first { !near.contains($0) }!
    }

    /// A person signed in through the pages as `user`, with the given cookie.
    func person(_ user: TestUser, cookie: String, csrf: String) -> TestUser {
        TestUser(account: user.account, cookie: cookie, csrf: csrf, totpSecret: user.totpSecret)
    }

    @Test func aRoleThatMustHaveASecondFactorEnrolsBeforeAnythingElse() async throws {
        try await withTestApp { app in
            var admin = try await app.signIn(.admin, totp: false)
            try await app.send(.GET, "units?level=1", as: admin) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/account/totp?next=/units%3Flevel%3D1")
            }
            try await app.send(.GET, "api/v1/units", as: admin) { res in
                #expect(res.status == .forbidden)
                #expect(res.body.string.contains("动态口令"))
            }
            // The page shows the secret in groups of four and the otpauth URI; reloading shows the same.
            var secretText = ""
            var pending: [String: String] = [:]
            try await app.send(.GET, "account/totp?next=/units", as: admin) { res in
                #expect(res.status == .ok)
                // The waiting secret stays with the page (a cookie bound to the session), not in the database.
                let cookie = try #require(res.headers.setCookie?[TwoFactor.pendingCookie])
                #expect(cookie.isHTTPOnly && cookie.path == "/account/totp" && cookie.sameSite == .strict)
                pending[TwoFactor.pendingCookie] = cookie.string
                let html = res.body.string
                #expect(html.contains("系统管理员须启用动态口令"))
                let range = try #require(html.range(of: #"id="totp-secret">[A-Z2-7 ]+<"#, options: .regularExpression))
                secretText = String(html[range].dropFirst(#"id="totp-secret">"#.count).dropLast())
                #expect(html.contains("otpauth://totp/"))
                #expect(html.contains("secret=\(secretText.replacingOccurrences(of: " ", with: ""))"))
            }
            #expect(secretText.split(separator: " ").allSatisfy { $0.count == 4 })
            try await app.send(.GET, "account/totp", as: admin, cookies: pending) { res in #expect(res.body.string.contains(secretText)) }
            let secret = try #require(Base32Secret.decode(secretText))
            #expect(try await reload(app, admin.account).totpSecret == nil)
            // Without the page's cookie (or with another session's) there is no secret to confirm.
            let current = OneTimeCodes(secret: secret).code(at: app.liandong.clock.now())
            try await app.send(.POST, "account/totp", as: admin, form: ["code": current]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("启用页面已过期"))
            }
            let stranger = try await app.signIn(.admin, totp: false)
            var planted = ""
            try await app.send(.GET, "account/totp", as: stranger) { res in planted = res.headers.setCookie?[TwoFactor.pendingCookie]?.string ?? "" }
            try await app.send(.POST, "account/totp", as: admin, form: ["code": current], cookies: [TwoFactor.pendingCookie: planted]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            #expect(try await reload(app, admin.account).hasTwoFactor == false)

            // A wrong code does not enable it.
            try await app.send(.POST, "account/totp", as: admin, form: ["code": "12345", "next": "/units"], cookies: pending) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("动态口令不正确"))
            }
            #expect(try await reload(app, admin.account).hasTwoFactor == false)

            // The current code enables it and shows ten recovery codes, once.
            let code = OneTimeCodes(secret: secret).code(at: app.liandong.clock.now())
            var codes: [String] = []
            var renewed = admin
            try await app.send(.POST, "account/totp", as: admin, form: ["code": code, "next": "/units"], cookies: pending) { res in
                #expect(res.status == .ok)
                renewed = admin.keepingCookie(of: res)
                let html = res.body.string
                var rest = html[...]
                while let r = rest.range(of: #"<li><code>[a-z2-9]{4}-[a-z2-9]{4}</code>"#, options: .regularExpression) {
                    codes.append(String(rest[r].dropFirst(10).prefix(9)))
                    rest = rest[r.upperBound...]
                }
                #expect(html.contains(#"href="/units" id="continue""#))
            }
            #expect(codes.count == 10 && Set(codes).count == 10)
            // Enrolment is a change of privilege: a new cookie, the old one void.
            #expect(renewed.cookie != admin.cookie)
            try await app.send(.GET, "units", as: admin) { res in #expect(res.status == .seeOther) }
            admin = renewed
            let enrolled = try await reload(app, admin.account)
            #expect(enrolled.hasTwoFactor)
            #expect(try await RecoveryCode.query(on: app.db).filter(\.$accountID == enrolled.requireID()).count() == 10)
            // Only hashes are kept.
            let stored = try await RecoveryCode.query(on: app.db).all().map(\.codeHash)
            #expect(stored.allSatisfy { $0.hasPrefix("sha256$") } && !stored.contains(where: { s in codes.contains { s.contains($0) } }))
            try await app.send(.GET, "account/totp", as: admin) { res in
                #expect(res.body.string.contains("剩余恢复码 10 个"))
                #expect(!res.body.string.contains(codes[0]))
            }
            try await app.send(.GET, "units", as: admin) { res in #expect(res.status == .ok) }
            #expect(try await actions(app).contains("totp.enrol"))
        }
    }

    @Test func aLiaisonMayEnrolButNeedNot() async throws {
        try await withTestApp { app in
            let liaison = try await app.signIn(.liaison, unitID: 3)
            #expect(liaison.totpSecret == nil)
            try await app.send(.GET, "units", as: liaison) { res in #expect(res.status == .ok) }
            try await app.send(.GET, "account/totp", as: liaison) { res in
                #expect(res.body.string.contains("启用后，登录时除密码外"))
            }
            // With the requirement off (LIANDONG_REQUIRE_TOTP=0), nobody is sent to enrolment.
            app.liandong.security.requireTwoFactor = false
            let admin = try await app.signIn(.admin, totp: false)
            try await app.send(.GET, "units", as: admin) { res in #expect(res.status == .ok) }
        }
    }

    @Test func signInAsksForTheCodeAfterThePassword() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.emb, username: "emb1")
            let first = try await app.postLogin("emb1", TestUser.password)
            #expect(first.status == .seeOther)
            #expect(first.headers.first(name: .location) == "/login/code?next=/units")
            let waiting = cookie(first)
            // Waiting for the code signs nobody in.
            try await app.send(.GET, "units", as: TestUser(account: user.account, cookie: waiting, csrf: "")) { res in
                #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true)
            }
            #expect(try await reload(app, user.account).lastLoginAt == nil)

            let res = try await app.postCode(user.code(step: app.totpStep), cookie: waiting)
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/units")
            let signedIn = cookie(res)
            #expect(!signedIn.isEmpty && signedIn != waiting)
            let session = try #require(try await AuthSession.query(on: app.db).filter(\.$tokenHash == Auth.hash(signedIn)).first())
            #expect(session.secondFactorDue == nil)
            try await app.send(.GET, "units", as: person(user, cookie: signedIn, csrf: session.csrfToken)) { res in #expect(res.status == .ok) }
            // The cookie of the waiting step is worth nothing now.
            try await app.send(.GET, "units", as: person(user, cookie: waiting, csrf: "")) { res in #expect(res.status == .seeOther) }
            #expect(try await reload(app, user.account).lastLoginAt != nil)
            let log = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            #expect(log.map(\.action).suffix(2) == ["login.password_ok", "login.success"])
            #expect(log.last?.after?.contains(#""second_factor":"totp""#) == true)
            // Full-width digits from a Chinese input method are the same code.
            let again = try await app.postLogin("emb1", TestUser.password)
            let fullWidth = user.code(step: app.totpStep + 1).map { Character(Unicode.Scalar($0.unicodeScalars.first!.value + 0xFEE0)!) }
            #expect(try await app.postCode(String(fullWidth), cookie: cookie(again)).headers.first(name: .location) == "/units")
        }
    }

    @Test func aWrongCodeIsRefusedAndCountsTowardsTheLockout() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.psb, username: "police1")
            let waiting = cookie(try await app.postLogin("police1", TestUser.password))
            for _ in 1...3 {
                let res = try await app.postCode(wrongCode(user, app), cookie: waiting)
                #expect(res.status == .unauthorized)
                #expect(res.body.string.contains("动态口令不正确"))
            }
            let malformed = try await app.postCode("12", cookie: waiting)
            #expect(malformed.body.string.contains("请输入验证器上的6位动态口令"))
            #expect(try await reload(app, user.account).failedLogins == 4)
            // The right password again does not wipe the count: the code cannot be guessed forever.
            let waiting2 = cookie(try await app.postLogin("police1", TestUser.password))
            #expect(try await reload(app, user.account).failedLogins == 4)
            let fifth = try await app.postCode(wrongCode(user, app), cookie: waiting2)
            #expect(fifth.status == .unauthorized)
            #expect(fifth.body.string.contains("账户已锁定"))
            #expect(try await reload(app, user.account).lockedUntil != nil)
            #expect(try await AuthSession.query(on: app.db).filter(\.$accountID == user.account.requireID())
                .filter(\.$secondFactorDue != nil).count() == 0)
            // Locked: the password is refused, and so is the right code.
            #expect(try await app.postLogin("police1", TestUser.password).body.string.contains("已暂停登录"))
            let log = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            #expect(log.filter { $0.action == "totp.failure" }.count == 4)
            #expect(log.contains { $0.action == "login.lockout" && $0.after?.contains("wrong_code") == true })
            #expect(log.contains { $0.after?.contains("malformed_code") == true })
        }
    }

    @Test func aReplayedCodeIsRefused() async throws {
        try await withTestApp { app in
            let user = try await app.signIn(.plc, username: "plc1")
            let step = app.totpStep
            let code = user.code(step: step)
            let ok = try await app.postCode(code, cookie: cookie(try await app.postLogin("plc1", TestUser.password)))
            #expect(ok.headers.first(name: .location) == "/units")
            #expect(try await reload(app, user.account).totpLastStep.map { $0 >= step - 1 } == true)
            // The same code again, still within its 30 seconds: refused, with a clear reason.
            let replay = try await app.postCode(code, cookie: cookie(try await app.postLogin("plc1", TestUser.password)))
            #expect(replay.status == .unauthorized)
            #expect(replay.body.string.contains("该动态口令已经用过"))
            // So is the step before it, which the drift window would otherwise accept.
            let earlier = try await app.postCode(user.code(step: step - 1), cookie: cookie(try await app.postLogin("plc1", TestUser.password)))
            #expect(earlier.status == .unauthorized)
            // Thirty seconds on, the next code works.
            app.liandong.clock.advance(by: 30)
            let next = try await app.postCode(user.code(step: app.totpStep), cookie: cookie(try await app.postLogin("plc1", TestUser.password)))
            #expect(next.headers.first(name: .location) == "/units")
            let log = try await AuditEntry.query(on: app.db).filter(\.$action == "totp.failure").all()
            #expect(log.contains { $0.after?.contains("replayed_code") == true })
        }
    }

    @Test func aRecoveryCodeWorksOnce() async throws {
        try await withTestApp { app in
            _ = try await app.signIn(.emb, username: "emb2", totp: false)
            // The operator enrols from the console: the secret and the codes are printed once.
            let out = try await app.run(["accounts", "totp-enrol", "emb2"])
            let lines = out.split(separator: "\n").map(String.init)
            let secret = try #require(Base32Secret.decode(lines[1]))
            #expect(lines[2].hasPrefix("otpauth://totp/") && lines[2].contains("emb2"))
            let codes = lines.filter { $0.range(of: #"^[a-z2-9]{4}-[a-z2-9]{4}$"#, options: .regularExpression) != nil }
            #expect(codes.count == 10)
            await #expect(throws: AppError.self) { _ = try await app.run(["accounts", "totp-enrol", "emb2"]) }

            let res = try await app.postCode(codes[3], cookie: cookie(try await app.postLogin("emb2", TestUser.password)))
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/account/totp?used=1&next=/units")
            let account = try #require(try await Account.query(on: app.db).filter(\.$username == "emb2").first())
            #expect(try await RecoveryCode.query(on: app.db).filter(\.$accountID == account.requireID()).count() == 9)
            let used = try #require(try await AuditEntry.query(on: app.db).filter(\.$action == "totp.recovery_code_used").first())
            #expect(used.after?.contains("9") == true)
            let signedIn = cookie(res)
            let session = try #require(try await AuthSession.query(on: app.db).filter(\.$tokenHash == Auth.hash(signedIn)).first())
            try await app.send(.GET, "account/totp?used=1", as: TestUser(account: account, cookie: signedIn, csrf: session.csrfToken)) { res in
                #expect(res.body.string.contains("该恢复码已作废"))
                #expect(res.body.string.contains("剩余恢复码 9 个"))
            }
            // Used once, refused after.
            let again = try await app.postCode(codes[3], cookie: cookie(try await app.postLogin("emb2", TestUser.password)))
            #expect(again.status == .unauthorized)
            #expect(again.body.string.contains("恢复码不正确或已经用过"))
            // Typed in capitals without the dash, another code works; so does the app's code.
            let other = try await app.postCode(codes[5].uppercased().replacingOccurrences(of: "-", with: ""),
                                               cookie: cookie(try await app.postLogin("emb2", TestUser.password)))
            #expect(other.status == .seeOther)
            let totp = OneTimeCodes(secret: secret)
            let viaApp = try await app.postCode(totp.code(at: app.liandong.clock.now()), cookie: cookie(try await app.postLogin("emb2", TestUser.password)))
            #expect(viaApp.headers.first(name: .location) == "/units")
        }
    }

    @Test func disablingNeedsACodeOrThePassword() async throws {
        try await withTestApp { app in
            let liaison = try await app.signIn(.liaison, unitID: 3, username: "lia1", totp: true)
            try await app.send(.POST, "account/totp/disable", as: liaison, form: [:]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            try await app.send(.POST, "account/totp/disable", as: liaison, form: ["password": "Wrong-Pass-1"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("密码不正确"))
            }
            #expect(try await reload(app, liaison.account).failedLogins == 1)
            try await app.send(.POST, "account/totp/disable", as: liaison, form: ["code": liaison.code(step: app.totpStep)]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("动态口令已停用"))
            }
            #expect(try await reload(app, liaison.account).hasTwoFactor == false)
            #expect(try await actions(app).contains("totp.disable"))
            #expect(try await app.postLogin("lia1", TestUser.password).headers.first(name: .location) == "/units")

            // A role that needs one goes straight back to enrolment (how a person changes phones).
            let officer = try await app.signIn(.psb)
            try await app.send(.POST, "account/totp/disable", as: officer, form: ["password": TestUser.password]) { res in
                #expect(res.body.string.contains("请在新的验证器中添加下面的密钥"))
                #expect(res.body.string.contains(#"id="totp-secret""#))
            }
            try await app.send(.GET, "units", as: officer) { res in
                #expect(res.headers.first(name: .location) == "/account/totp?next=/units")
            }
        }
    }

    @Test func anAdministratorClearsALostSecondFactor() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            let officer = try await app.signIn(.emb, username: "emb3")
            try await app.send(.GET, "admin/accounts", as: admin) { res in
                #expect(res.body.string.contains("清除动态口令"))
                #expect(res.body.string.contains("已启用"))
            }
            try await app.send(.POST, "admin/accounts/\(officer.account.requireID())", as: admin, form: ["action": "totp_reset"]) { res in
                #expect(res.body.string.contains("已清除 emb3 的动态口令"))
            }
            #expect(try await reload(app, officer.account).hasTwoFactor == false)
            // Their sessions ended; at the next sign-in they enrol again.
            try await app.send(.GET, "units", as: officer) { res in #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true) }
            #expect(try await actions(app).last == "totp.reset")
            let listed = try await app.run(["accounts", "list"])
            #expect(listed.contains("须启用"))
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["accounts", "totp-reset", "emb3"]) }
        }
    }

    @Test func secretsAreSealedWhenAKeyIsSet() async throws {
        #expect(try TwoFactor.SecretBox.key(from: nil) == nil)
        #expect(try TwoFactor.SecretBox.key(from: Data(repeating: 7, count: 32).base64EncodedString()) != nil)
        #expect(try TwoFactor.SecretBox.key(from: String(repeating: "ab", count: 32)) != nil)
        #expect(throws: ConfigurationError.self) { try TwoFactor.SecretBox.key(from: Data(repeating: 7, count: 16).base64EncodedString()) }
        #expect(throws: ConfigurationError.self) { try TwoFactor.SecretBox.key(from: "not a key") }

        let box = TwoFactor.SecretBox(key: try TwoFactor.SecretBox.key(from: Data(repeating: 7, count: 32).base64EncodedString()))
        let secret = OneTimeCodes.generateSecret()
        let sealed = try box.seal(secret, accountID: 5)
        #expect(sealed.hasPrefix("aesgcm:") && !sealed.contains(Base32Secret.encode(secret)))
        #expect(try box.open(sealed, accountID: 5) == secret)
        // Bound to the account: moved to another row, it does not open.
        #expect(throws: AppError.self) { try box.open(sealed, accountID: 6) }
        let otherKey = TwoFactor.SecretBox(key: try TwoFactor.SecretBox.key(from: Data(repeating: 8, count: 32).base64EncodedString()))
        #expect(throws: AppError.self) { try otherKey.open(sealed, accountID: 5) }
        #expect(throws: AppError.self) { try TwoFactor.SecretBox(key: nil).open(sealed, accountID: 5) }
        // Secrets kept as is before the key was set still open.
        #expect(try box.open(TwoFactor.SecretBox(key: nil).seal(secret, accountID: 5), accountID: 5) == secret)

        try await withTestApp { app in
            app.liandong.totpSecrets = box
            _ = try await app.signIn(.emb, username: "sealed", totp: false)
            let out = try await app.run(["accounts", "totp-enrol", "sealed"])
            let printed = try #require(Base32Secret.decode(out.split(separator: "\n")[1].description))
            let account = try #require(try await Account.query(on: app.db).filter(\.$username == "sealed").first())
            #expect(account.totpSecret?.hasPrefix("aesgcm:") == true)
            let res = try await app.postCode(OneTimeCodes(secret: printed).code(at: app.liandong.clock.now()),
                                             cookie: cookie(try await app.postLogin("sealed", TestUser.password)))
            #expect(res.headers.first(name: .location) == "/units")
            // Started without the key, the server refuses to start rather than fail every sign-in.
            try await TwoFactor.checkSecretsCanBeOpened(app)
            app.liandong.totpSecrets = TwoFactor.SecretBox(key: nil)
            await #expect(throws: ConfigurationError.self) { try await TwoFactor.checkSecretsCanBeOpened(app) }
        }
    }

    @Test func theRequirementIsASetting() throws {
        #expect(try securityPolicy(from: { _ in nil }).requireTwoFactor)
        #expect(try securityPolicy(from: { ["LIANDONG_REQUIRE_TOTP": "0"][$0] }).requireTwoFactor == false)
        #expect(try securityPolicy(from: { ["LIANDONG_REQUIRE_TOTP": "on"][$0] }).requireTwoFactor)
        #expect(throws: ConfigurationError.self) { try securityPolicy(from: { ["LIANDONG_REQUIRE_TOTP": "maybe"][$0] }) }
    }
}

@Suite("Re-authentication before deciding a deduction or publishing a notice")
struct ReauthenticationTests {
    @Test func aDecisionAfterFifteenMinutesAsksForThePasswordAndCodeAgain() async throws {
        try await withTestApp { app in
            try await DeductionServerTests().seed(app)
            try await DeductionService.sync(on: app.db)
            let deductions = try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
            let (first, second) = (deductions[0].id, deductions[1].id)
            var emb = try await app.signIn(.emb)
            // Fourteen minutes after signing in: no question asked.
            app.liandong.clock.advance(by: 14 * 60)
            try await app.send(.POST, "deductions/\(first)/decision", as: emb, form: ["action": "confirm"]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/deductions?done=confirm&id=\(first)")
            }
            // Sixteen: the form goes to the re-authentication page, which returns to the list.
            app.liandong.clock.advance(by: 2 * 60)
            try await app.send(.POST, "deductions/\(second)/decision", as: emb, form: ["action": "reject", "reason": "已核实"]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/account/reauth?next=/deductions")
            }
            #expect(try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first { $0.id == second }?.status == "proposed")
            try await app.send(.GET, "deductions", as: emb) { res in
                #expect(res.body.string.contains("距上次验证身份已超过15分钟，确认或驳回扣分前须重新验证身份"))
            }
            // A JSON client gets 401 with the reason.
            try await app.testing().test(.POST, "deductions/\(second)/decision", beforeRequest: { req in
                emb.sign(&req)
                req.headers.replaceOrAdd(name: .accept, value: "application/json")
                try req.content.encode(["action": "reject", "reason": "已核实"], as: .urlEncodedForm)
            }) { res in
                #expect(res.status == .unauthorized)
                #expect(res.body.string.contains("重新输入密码和动态口令"))
                #expect(res.body.string.contains(#""field":"reauthentication""#))
            }
            try await app.send(.GET, "account/reauth?next=/deductions", as: emb) { res in
                #expect(res.body.string.contains(#"name="code""#))
            }
            // The password alone is not enough for an account with a code; a wrong password counts.
            try await app.send(.POST, "account/reauth", as: emb, form: ["password": "Wrong-Pass-1", "code": "000000", "next": "/deductions"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("密码不正确"))
            }
            try await app.send(.POST, "account/reauth", as: emb, form: ["password": TestUser.password, "next": "/deductions"]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            #expect(try await Account.find(emb.account.requireID(), on: app.db)?.failedLogins == 2)
            var renewed = emb
            try await app.send(.POST, "account/reauth", as: emb,
                               form: ["password": TestUser.password, "code": emb.code(step: app.totpStep), "next": "/deductions"]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/deductions")
                renewed = emb.keepingCookie(of: res)
            }
            #expect(renewed.cookie != emb.cookie, "re-authentication gives the session a new cookie")
            // The old cookie is worth nothing now.
            try await app.send(.GET, "deductions", as: emb) { res in #expect(res.status == .seeOther) }
            emb = renewed
            #expect(try await Account.find(emb.account.requireID(), on: app.db)?.failedLogins == 0)
            try await app.send(.POST, "deductions/\(second)/decision", as: emb, form: ["action": "reject", "reason": "已核实"]) { res in
                #expect(res.status == .seeOther)
            }
            try await app.send(.GET, "deductions?done=reject&id=\(second)", as: emb) { res in #expect(res.body.string.contains("扣分 \(second) 已驳回")) }
            let reauth = try #require(try await AuditEntry.query(on: app.db).filter(\.$action == "session.reauth").first())
            #expect(reauth.after?.contains("totp") == true)
            // The command line is the operator's own and is not asked.
            app.liandong.clock.advance(by: 60 * 60)
            let out = try await app.run(["deductions", "confirm", String(first), "--agency", "市公安局", "--officer", "王警官"])
            #expect(out.contains("已确认"))
        }
    }

    @Test func publishingANoticeAfterFifteenMinutesAsksAgain() async throws {
        try await withTestApp { app in
            try await NoticeTests().seedConfirmed(app)
            let plc = try await app.signIn(.plc)
            let id = try await NoticeService.draft(period: ComplianceService.period(period: "2026-Q1", from: nil, to: nil), title: nil, intro: nil,
                                                   actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            app.liandong.clock.advance(by: 16 * 60)
            try await app.send(.GET, "notices/\(id)", as: plc) { res in
                #expect(res.body.string.contains("发布通报前须重新验证身份"))
            }
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: ["confirmed": "1"]) { res in
                #expect(res.headers.first(name: .location) == "/account/reauth?next=/notices/\(id)")
            }
            #expect(try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db).status == "draft")
            var renewed = plc
            try await app.send(.POST, "account/reauth", as: plc,
                               form: ["password": TestUser.password, "code": plc.code(step: app.totpStep), "next": "/notices/\(id)"]) { res in
                #expect(res.headers.first(name: .location) == "/notices/\(id)")
                renewed = plc.keepingCookie(of: res)
            }
            try await app.send(.POST, "notices/\(id)/publish", as: renewed, form: ["confirmed": "1"]) { res in
                #expect(res.headers.first(name: .location) == "/notices/\(id)")
            }
            #expect(try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db).status == "published")
        }
    }

    @Test func withoutASecondFactorThePasswordAloneReauthenticates() async throws {
        try await withTestApp { app in
            app.liandong.security.requireTwoFactor = false
            let emb = try await app.signIn(.emb, totp: false)
            app.liandong.clock.advance(by: 16 * 60)
            try await app.send(.GET, "account/reauth", as: emb) { res in #expect(!res.body.string.contains(#"name="code""#)) }
            // The moment of re-authentication lies within the request, however long it takes.
            let before = app.liandong.clock.now()
            try await app.send(.POST, "account/reauth", as: emb, form: ["password": TestUser.password, "next": "//evil.example"]) { res in
                // Only a path of this site.
                #expect(res.headers.first(name: .location) == "/")
            }
            let after = app.liandong.clock.now()
            let session = try #require(try await AuthSession.query(on: app.db).filter(\.$accountID == emb.account.requireID()).first())
            // Stored to the database's precision (PostgreSQL keeps microseconds).
            #expect(session.authenticatedAt >= before.addingTimeInterval(-0.001) && session.authenticatedAt <= after.addingTimeInterval(0.001))
        }
    }
}
