import Fluent
import Foundation
import LiandongCore
import Vapor

/// Signing in and out, and changing one's password.
enum AuthPages {
    struct LoginContext: Encodable {
        var frame: PageFrame
        var csrf: String
        var next: String
        var username: String
        var error: String?
        var hasError: Bool
    }

    /// Only a path on this site: never an absolute URL (an open redirect).
    /// A redirect target after signing in: a path of this site, without control characters (a
    /// CR or LF would end the `Location` header and start another), else the home page.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), !raw.hasPrefix("/login"),
              !raw.unicodeScalars.contains(where: HeaderSafety.isControl)
        else { return "/" }
        return raw
    }

    static func renderLogin(_ req: Request, next: String, username: String = "", error: String? = nil,
                            status: HTTPResponseStatus = .ok) async throws -> Response {
        // Before there is a session the form is protected by a double-submit cookie.
        let token = Auth.randomToken()
        let context = LoginContext(frame: PageFrame(req, title: "登录", active: ""), csrf: token, next: next,
                                   username: username, error: error, hasError: error != nil)
        let response = try await req.view.render("login", context).encodeResponse(for: req)
        response.status = status
        response.cookies[Auth.loginCSRFCookie] = HTTPCookies.Value(string: token, path: "/login", isSecure: req.usesTLS,
                                                                    isHTTPOnly: true, sameSite: .strict)
        return response
    }

    @Sendable static func loginForm(req: Request) async throws -> Response {
        if req.account != nil { return req.redirect(to: "/") }
        return try await renderLogin(req, next: safeNext(try? req.query.get(String.self, at: "next")))
    }

    struct LoginForm: Decodable {
        var username: String?
        var password: String?
        var next: String?
        var _csrf: String?
    }

    @Sendable static func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = safeNext(form.next)
        guard let sent = form._csrf, let cookie = req.cookies[Auth.loginCSRFCookie]?.string, constantTimeEqual(sent, cookie) else {
            return try await renderLogin(req, next: next, username: form.username ?? "", error: "页面已过期，请重新输入", status: .forbidden)
        }
        let source = req.sourceAddress
        guard req.application.liandong.loginLimiter.allow(source, now: req.now) else {
            return try await renderLogin(req, next: next, username: form.username ?? "", error: "登录尝试过于频繁，请一分钟后再试", status: .tooManyRequests)
        }
        let account: Account
        do {
            account = try await Auth.login(username: form.username ?? "", password: form.password ?? "", source: source, on: req)
        } catch let failure as Auth.LoginFailure {
            return try await renderLogin(req, next: next, username: form.username ?? "", error: failure.message, status: failure.status)
        }
        let now = req.now
        // A second sign-in from the same browser replaces the one that waited for a code.
        if let waiting = req.pendingSignIn { try await waiting.session.delete(on: req.db) }
        let response: Response
        let token: String
        if account.hasTwoFactor {
            // The password was right; the session waits for the code and signs nobody in until then.
            let due = now.addingTimeInterval(Double(req.application.liandong.security.secondFactorMinutes * 60))
            (_, token) = try await Auth.startSession(for: account, source: source, now: now, secondFactorDue: due, on: req.db)
            response = req.redirect(to: "\(TwoFactorPages.codePath)?next=\(RequireSignIn.encode(next))")
        } else {
            (_, token) = try await Auth.startSession(for: account, source: source, now: now, on: req.db)
            response = req.redirect(to: account.mustChangePassword ? RequireSignIn.passwordPath : next)
        }
        response.cookies[Auth.sessionCookie] = Auth.cookie(token, secure: req.usesTLS)
        response.cookies[Auth.loginCSRFCookie] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/login")
        return response
    }

    @Sendable static func logout(req: Request) async throws -> Response {
        if let session = req.authSession {
            let actor = try req.actor()
            try await req.db.writeTransaction { tx in
                try await session.delete(on: tx)
                try await AuditLog.append(tx, actor: actor, action: "logout", entity: "account", entityID: actor.principal.accountID.map(String.init))
            }
        }
        return TwoFactorPages.toLogin(req)
    }

    struct PasswordContext: Encodable {
        var frame: PageFrame
        var mustChange: Bool
        var rule: String
        var error: String?
        var hasError: Bool
    }

    static func passwordRule(_ policy: SecurityPolicy) -> String { policy.passwordRuleDescription }

    static func renderPassword(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let context = PasswordContext(frame: PageFrame(req, title: "修改密码", active: ""), mustChange: req.account?.mustChangePassword ?? false,
                                      rule: passwordRule(req.application.liandong.security), error: error, hasError: error != nil)
        return try await req.page("password", context, status: status)
    }

    @Sendable static func passwordForm(req: Request) async throws -> Response {
        try await renderPassword(req)
    }

    struct PasswordForm: Decodable {
        var current: String?
        var new: String?
        var confirm: String?
    }

    @Sendable static func changePassword(req: Request) async throws -> Response {
        guard let account = req.account, let session = req.authSession else { throw AppError(.unauthorized, "请先登录") }
        let form = try req.content.decode(PasswordForm.self)
        guard try await req.verifyPassword(form.current ?? "", created: account.passwordHash) else {
            return try await renderPassword(req, error: "当前密码不正确", status: .unprocessableEntity)
        }
        let new = form.new ?? ""
        if let problem = req.application.liandong.security.problem(with: new, username: account.username) {
            return try await renderPassword(req, error: problem, status: .unprocessableEntity)
        }
        guard new == form.confirm else { return try await renderPassword(req, error: "两次输入的新密码不一致", status: .unprocessableEntity) }
        guard try await !req.verifyPassword(new, created: account.passwordHash) else {
            return try await renderPassword(req, error: "新密码不能与当前密码相同", status: .unprocessableEntity)
        }
        account.passwordHash = try await req.password.async.hash(new)
        account.mustChangePassword = false
        let actor = try req.actor()
        let token = Auth.rotate(session)
        try await req.db.writeTransaction { tx in
            try await account.save(on: tx)
            try await session.save(on: tx)
            // Other sessions of this account end: whoever knew the old password is signed out.
            try await AuthSession.query(on: tx).filter(\.$accountID == account.requireID()).filter(\.$id != session.requireID()).delete()
            try await AuditLog.append(tx, actor: actor, action: "account.password_change", entity: "account", entityID: String(account.id ?? 0))
        }
        let response = req.redirect(to: "/")
        response.cookies[Auth.sessionCookie] = Auth.cookie(token, secure: req.usesTLS)
        return response
    }
}
