import Fluent
import Foundation
import LiandongCore
import Vapor

/// The second factor in the browser: the code step of sign-in, enrolment, disabling, and
/// re-authentication before a decision.
enum TwoFactorPages {
    static let codePath = "/login/code"
    static let reauthPath = "/account/reauth"

    // MARK: Sign-in, second step

    struct CodeContext: Encodable {
        var frame: PageFrame
        var csrf: String
        var next: String
        var username: String
        var error: String?
        var hasError: Bool
    }

    static func renderCode(_ req: Request, _ pending: PendingSignIn, next: String, error: String? = nil,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        try await req.page("login_code", CodeContext(frame: PageFrame(req, title: "输入动态口令", active: ""), csrf: pending.session.csrfToken,
                                                     next: next, username: pending.account.username, error: error, hasError: error != nil),
                           status: status)
    }

    @Sendable static func codeForm(req: Request) async throws -> Response {
        let next = AuthPages.safeNext(try? req.query.get(String.self, at: "next"))
        guard let pending = req.pendingSignIn else {
            return req.redirect(to: req.account != nil ? next : "/login?next=\(RequireSignIn.encode(next))")
        }
        return try await renderCode(req, pending, next: next)
    }

    struct CodeForm: Decodable {
        var code: String?
        var next: String?
        var _csrf: String?
    }

    /// POST /login/code: the code (or a recovery code) after the password. A wrong or replayed code
    /// counts towards the lockout like a wrong password.
    @Sendable static func verifyCode(req: Request) async throws -> Response {
        let form = try req.content.decode(CodeForm.self)
        let next = AuthPages.safeNext(form.next)
        guard let pending = req.pendingSignIn else {
            return req.redirect(to: req.account != nil ? next : "/login?next=\(RequireSignIn.encode(next))")
        }
        guard let sent = form._csrf, constantTimeEqual(sent, pending.session.csrfToken) else {
            return try await renderCode(req, pending, next: next, error: "页面已过期，请重新输入", status: .forbidden)
        }
        let source = req.sourceAddress
        guard req.application.liandong.codeLimiter.allow(source, now: req.now) else {
            return try await renderCode(req, pending, next: next, error: "尝试过于频繁，请一分钟后再试", status: .tooManyRequests)
        }
        let account = pending.account
        let policy = req.application.liandong.security
        let now = req.now
        let actor = Actor(principal: account.principal, source: source)
        if let until = account.lockedUntil, until > now {
            try await pending.session.delete(on: req.db)
            try await AuditLog.append(req.db, actor: actor, action: "login.refused", entity: "account", entityID: String(account.id ?? 0),
                                      after: ["reason": "locked"])
            return try await AuthPages.renderLogin(req, next: next, username: account.username,
                                                   error: "账户因连续登录失败已锁定，请于\(ChinaTime.displayString(until).suffix(5))后重试或联系管理员解锁",
                                                   status: .unauthorized)
        }
        guard account.hasTwoFactor else {
            // The second factor was removed meanwhile (an administrator's reset): start again.
            try await pending.session.delete(on: req.db)
            return req.redirect(to: "/login?next=\(RequireSignIn.encode(next))")
        }
        let proof: TwoFactor.Proof
        do {
            proof = try await TwoFactor.use(form.code ?? "", for: account, now: now, policy: policy,
                                            box: req.application.liandong.totpSecrets, actor: actor, on: req.db)
        } catch let failure as TwoFactor.Failure {
            if try await TwoFactor.recordFailure(account, failure, stage: "login", now: now, policy: policy, actor: actor, on: req.db) {
                return try await AuthPages.renderLogin(req, next: next, username: account.username,
                                                       error: "连续\(policy.lockoutThreshold)次验证失败，账户已锁定\(policy.lockoutMinutes)分钟",
                                                       status: .unauthorized)
            }
            return try await renderCode(req, pending, next: next, error: failure.message, status: .unauthorized)
        }
        try await Auth.completeLogin(account, secondFactor: proof.auditName, actor: actor, now: now, on: req.db)
        let token = try await Auth.promote(pending.session, now: now, on: req.db)
        var target = next
        if account.mustChangePassword {
            target = RequireSignIn.passwordPath
        } else if case .recoveryCode = proof {
            // Show how many recovery codes are left.
            target = "\(RequireSignIn.enrolmentPath)?used=1&next=\(RequireSignIn.encode(next))"
        }
        let response = req.redirect(to: target)
        response.cookies[Auth.sessionCookie] = Auth.cookie(token, secure: req.usesTLS)
        return response
    }

    // MARK: Enrolment

    struct EnrolContext: Encodable {
        var frame: PageFrame
        var enrolled: Bool
        var required: Bool
        var roleName: String
        var enabledAt: String
        var remainingCodes: Int
        var fewCodes: Bool
        var secret: String
        var uri: String
        var issuer: String
        var username: String
        var codes: [String]
        var showCodes: Bool
        var next: String
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
    }

    static func renderEnrolment(_ req: Request, codes: [String] = [], next: String? = nil, error: String? = nil, notice: String? = nil,
                                status: HTTPResponseStatus = .ok) async throws -> Response {
        guard let account = req.account else { throw AppError(.unauthorized, "请先登录") }
        let next = next ?? AuthPages.safeNext(try? req.query.get(String.self, at: "next"))
        var secret = "", uri = "", remaining = 0
        var pending: String?
        if account.hasTwoFactor {
            remaining = try await TwoFactor.remainingRecoveryCodes(account, on: req.db)
        } else if let session = req.authSession {
            let kept = TwoFactor.pendingSecret(cookie: req.cookies[TwoFactor.pendingCookie]?.string, session: session, now: req.now)
            let raw = kept?.secret ?? OneTimeCodes.generateSecret()
            secret = TwoFactor.grouped(raw)
            uri = TwoFactor.provisioningURI(raw, account: account)
            pending = TwoFactor.pendingCookieValue(raw, issued: kept?.issued ?? req.now, session: session)
        }
        let context = EnrolContext(
            frame: PageFrame(req, title: "动态口令（两步验证）", active: ""), enrolled: account.hasTwoFactor,
            required: req.application.liandong.security.requiresTwoFactor(account.accountRole), roleName: account.accountRole.name,
            enabledAt: account.totpEnabledAt.map(ChinaTime.displayString) ?? "", remainingCodes: remaining, fewCodes: account.hasTwoFactor && remaining <= 3,
            secret: secret, uri: uri, issuer: TwoFactor.issuer, username: account.username, codes: codes, showCodes: !codes.isEmpty,
            next: next, error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil)
        let response = try await req.page("account_totp", context, status: status)
        // The waiting secret stays with this page for half an hour; once enrolled it goes.
        response.cookies[TwoFactor.pendingCookie] = pending.map {
            HTTPCookies.Value(string: $0, maxAge: TwoFactor.pendingSeconds, path: RequireSignIn.enrolmentPath, isSecure: req.usesTLS, isHTTPOnly: true, sameSite: .strict)
        } ?? HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: RequireSignIn.enrolmentPath,
                               isSecure: req.usesTLS, isHTTPOnly: true, sameSite: .strict)
        return response
    }

    @Sendable static func enrolment(req: Request) async throws -> Response {
        let used = (try? req.query.get(String.self, at: "used")) == "1"
        return try await renderEnrolment(req, notice: used ? "您已用一个恢复码登录，该恢复码已作废。" : nil)
    }

    /// POST /account/totp: the first code from the app confirms enrolment; the recovery codes are
    /// shown once, on this response only.
    @Sendable static func confirm(req: Request) async throws -> Response {
        guard let account = req.account, let session = req.authSession else { throw AppError(.unauthorized, "请先登录") }
        struct Form: Decodable { var code: String?; var next: String? }
        let form = try req.content.decode(Form.self)
        let next = AuthPages.safeNext(form.next)
        let now = req.now
        do {
            let secret = TwoFactor.pendingSecret(cookie: req.cookies[TwoFactor.pendingCookie]?.string, session: session, now: now)?.secret
            let codes = try await TwoFactor.confirmEnrolment(account, secret: secret, code: form.code ?? "", now: now,
                                                             policy: req.application.liandong.security,
                                                             box: req.application.liandong.totpSecrets, actor: try req.actor(), on: req.db)
            // The code just given is a fresh authentication, and a change of privilege: a new cookie.
            session.authenticatedAt = now
            let token = Auth.rotate(session)
            try await req.db.writeTransaction { tx in try await session.save(on: tx) }
            let response = try await renderEnrolment(req, codes: codes, next: next, notice: "动态口令已启用。")
            response.cookies[Auth.sessionCookie] = Auth.cookie(token, secure: req.usesTLS)
            return response
        } catch let error as AppError {
            return try await renderEnrolment(req, next: next, error: error.message, status: error.status)
        }
    }

    /// POST /account/totp/disable: with a current code (or a recovery code) or the password.
    @Sendable static func disable(req: Request) async throws -> Response {
        guard let account = req.account else { throw AppError(.unauthorized, "请先登录") }
        struct Form: Decodable { var code: String?; var password: String? }
        let form = try req.content.decode(Form.self)
        guard account.hasTwoFactor else { return try await renderEnrolment(req, error: "动态口令尚未启用", status: .unprocessableEntity) }
        let policy = req.application.liandong.security
        let now = req.now
        let actor = try req.actor()
        do {
            if let code = form.code?.nilIfEmpty {
                _ = try await TwoFactor.use(code, for: account, now: now, policy: policy, box: req.application.liandong.totpSecrets, actor: actor, on: req.db)
            } else if let password = form.password?.nilIfEmpty {
                guard try await req.verifyPassword(password, created: account.passwordHash) else {
                    throw TwoFactor.Failure(message: "密码不正确", reason: "bad_password")
                }
            } else {
                return try await renderEnrolment(req, error: "请输入当前动态口令或登录密码", status: .unprocessableEntity)
            }
        } catch let failure as TwoFactor.Failure {
            if try await TwoFactor.recordFailure(account, failure, stage: "disable", now: now, policy: policy, actor: actor, on: req.db) {
                return lockedOut(req)
            }
            return try await renderEnrolment(req, error: failure.message, status: .unprocessableEntity)
        }
        try await TwoFactor.remove(account, action: "totp.disable", actor: actor, on: req.db)
        if req.application.mustEnrolTwoFactor(account) {
            // The role needs one: this is how a person moves to a new phone.
            return try await renderEnrolment(req, notice: "原动态口令已停用。您的角色须使用动态口令，请在新的验证器中添加下面的密钥。")
        }
        return try await renderEnrolment(req, notice: "动态口令已停用，登录时只需输入密码。")
    }

    /// The session ended with the lockout: back to the login page.
    static func lockedOut(_ req: Request) -> Response { toLogin(req) }

    /// Back to the login page, the session cookie cleared.
    static func toLogin(_ req: Request) -> Response {
        let response = req.redirect(to: "/login")
        response.cookies[Auth.sessionCookie] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/",
                                                                  isSecure: req.usesTLS, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    // MARK: Re-authentication

    struct ReauthContext: Encodable {
        var frame: PageFrame
        var next: String
        var minutes: Int
        var needsCode: Bool
        var error: String?
        var hasError: Bool
    }

    static func renderReauth(_ req: Request, next: String, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        try await req.page("reauth", ReauthContext(
            frame: PageFrame(req, title: "重新验证身份", active: ""), next: next,
            minutes: req.application.liandong.security.reauthenticationMinutes, needsCode: req.account?.hasTwoFactor ?? false,
            error: error, hasError: error != nil), status: status)
    }

    @Sendable static func reauthForm(req: Request) async throws -> Response {
        try await renderReauth(req, next: AuthPages.safeNext(try? req.query.get(String.self, at: "next")))
    }

    /// POST /account/reauth: the password, and the code when the account has one. Failures count
    /// towards the lockout; success renews the session's authentication time.
    @Sendable static func reauthenticate(req: Request) async throws -> Response {
        guard let account = req.account, let session = req.authSession else { throw AppError(.unauthorized, "请先登录") }
        struct Form: Decodable { var password: String?; var code: String?; var next: String? }
        let form = try req.content.decode(Form.self)
        let next = AuthPages.safeNext(form.next)
        guard req.application.liandong.codeLimiter.allow(req.sourceAddress, now: req.now) else {
            return try await renderReauth(req, next: next, error: "尝试过于频繁，请一分钟后再试", status: .tooManyRequests)
        }
        let policy = req.application.liandong.security
        let now = req.now
        let actor = try req.actor()
        var proof: TwoFactor.Proof?
        do {
            guard try await req.verifyPassword(form.password ?? "", created: account.passwordHash) else {
                throw TwoFactor.Failure(message: "密码不正确", reason: "bad_password")
            }
            if account.hasTwoFactor {
                proof = try await TwoFactor.use(form.code ?? "", for: account, now: now, policy: policy,
                                                box: req.application.liandong.totpSecrets, actor: actor, on: req.db)
            }
        } catch let failure as TwoFactor.Failure {
            if try await TwoFactor.recordFailure(account, failure, stage: "reauth", now: now, policy: policy, actor: actor, on: req.db) {
                return lockedOut(req)
            }
            return try await renderReauth(req, next: next, error: failure.message, status: .unprocessableEntity)
        }
        session.authenticatedAt = now
        account.failedLogins = 0
        let secondFactor = proof?.auditName ?? "none"
        let token = Auth.rotate(session)
        try await req.db.writeTransaction { tx in
            try await session.save(on: tx)
            try await account.save(on: tx)
            try await AuditLog.append(tx, actor: actor, action: "session.reauth", entity: "account", entityID: String(account.id ?? 0),
                                      after: ["second_factor": secondFactor], at: now)
        }
        let response = req.redirect(to: next)
        response.cookies[Auth.sessionCookie] = Auth.cookie(token, secure: req.usesTLS)
        return response
    }
}

/// Confirming or rejecting a deduction and publishing a notice need a recent authentication
/// (`SecurityPolicy.reauthenticationMinutes`): a session left open on a desk must not decide
/// anything. Console commands and API tokens have no session and are not asked.
enum Reauthentication {
    /// Whether the session's last authentication is recent enough (true without a session).
    static func isFresh(_ req: Request) -> Bool {
        guard let session = req.authSession else { return true }
        let window = Double(req.application.liandong.security.reauthenticationMinutes * 60)
        return req.now.timeIntervalSince(session.authenticatedAt) <= window
    }

    /// nil when the action may go ahead; otherwise the answer that asks for the password (and
    /// code) again: a redirect to the re-authentication page for a form, which returns to
    /// `returnTo`; 401 with a message for a JSON client.
    static func challenge(_ req: Request, returnTo: String, action: String) throws -> Response? {
        guard !isFresh(req) else { return nil }
        let minutes = req.application.liandong.security.reauthenticationMinutes
        let wantsJSON = req.url.path.hasPrefix("/api/") || req.headers.contentType == .json || req.headers.accept.mediaTypes.first == .json
        if wantsJSON {
            let what = req.account?.hasTwoFactor == true ? "密码和动态口令" : "密码"
            throw AppError(.unauthorized, "距上次验证身份已超过\(minutes)分钟，\(action)前请在 \(TwoFactorPages.reauthPath) 重新输入\(what)",
                           field: "reauthentication")
        }
        return req.redirect(to: "\(TwoFactorPages.reauthPath)?next=\(RequireSignIn.encode(returnTo))")
    }

    /// What a page shows above such actions when the next one will ask again: the line and the
    /// link to the re-authentication page. Empty when the session is fresh.
    struct Banner: Encodable {
        var show: Bool
        var text: String
        var url: String
    }

    static func banner(_ req: Request, action: String, returnTo: String) -> Banner {
        guard !isFresh(req) else { return Banner(show: false, text: "", url: "") }
        return Banner(show: true, text: "距上次验证身份已超过\(req.application.liandong.security.reauthenticationMinutes)分钟，\(action)前须重新验证身份。",
                      url: "\(TwoFactorPages.reauthPath)?next=\(RequireSignIn.encode(returnTo))")
    }
}
