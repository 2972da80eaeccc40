import Crypto
import Fluent
import Foundation
import LiandongCore
import Vapor

/// Sign-in, sessions and tokens.
enum Auth {
    static let sessionCookie = "liandong_session"
    static let loginCSRFCookie = "liandong_login"

    /// 32 random bytes, base64url: session cookies, CSRF tokens, API tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A one-time password that meets the policy: 14 characters, no look-alikes.
    static func oneTimePassword() -> String {
        let sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "#%+=@"].map { Array($0) as [Character] }
        var chars = sets.map { $0.randomElement()! }
        let all = sets.joined()
        while chars.count < 14 { chars.append(all.randomElement()!) }
        return String(chars.shuffled())
    }

    struct LoginFailure: Error {
        let message: String
        var status: HTTPResponseStatus = .unauthorized
    }

    /// Checks a username and password. Every attempt is audited. Failures are counted per account
    /// (or typed username) and address (`LoginThrottle`): a stranger's wrong passwords pause the
    /// stranger's address, not the officer's; many failures from everywhere lock the account and
    /// tell the administrators. A made-up username is answered exactly as a real one. For an
    /// account with a second factor this is only the first step (`completeLogin` follows the code).
    static func login(username: String, password: String, source: String, on req: Request) async throws -> Account {
        let policy = req.application.liandong.security
        let now = req.application.liandong.clock.now()
        let name = username.trimmingCharacters(in: .whitespaces)
        let generic = LoginFailure(message: "用户名或密码错误")
        let found = try await Account.query(on: req.db).filter(\.$username == name).first()
        let subject = LoginThrottle.subject(account: found, username: name)
        let actor = found.map { Actor(principal: $0.principal, source: source) }
            ?? Actor(principal: Principal(kind: .console, name: name.isEmpty ? "（空）" : name), source: source)
        let entityID = found?.id.map(String.init)
        if let until = try await LoginThrottle.pausedUntil(subject, source: source, now: now, on: req.db) {
            try await AuditLog.append(req.db, actor: actor, action: "login.refused", entity: "account", entityID: entityID,
                                      after: ["reason": "paused"])
            throw LoginFailure(message: LoginThrottle.pausedMessage(until: until), status: .tooManyRequests)
        }
        if let account = found, let until = account.lockedUntil, until > now {
            try await AuditLog.append(req.db, actor: actor, action: "login.refused", entity: "account", entityID: entityID,
                                      after: ["reason": "locked"])
            throw LoginFailure(message: LoginThrottle.pausedMessage(until: until), status: .tooManyRequests)
        }
        // A missing account takes as long as a wrong password: the hash is computed either way.
        let verified: Bool
        if let found {
            verified = try await req.verifyPassword(password, created: found.passwordHash)
        } else {
            _ = try? await req.password.async.hash(password)
            verified = false
        }
        guard let account = found, verified, !account.disabled else {
            let paused = try await LoginThrottle.fail(subject, source: source, threshold: policy.lockoutThreshold, minutes: policy.lockoutMinutes,
                                                      now: now, on: req.db)
            var reason = found == nil ? "unknown_user" : found?.disabled == true ? "disabled" : "bad_password"
            if let account = found, let until = try await LoginThrottle.fail(subject, source: LoginThrottle.everywhere,
                                                                               threshold: policy.accountLockoutThreshold,
                                                                               minutes: policy.lockoutMinutes, now: now, on: req.db) {
                // Failures from everywhere: the account itself is locked, and the administrators see it.
                account.lockedUntil = until
                try await account.save(on: req.db)
                try await AuditLog.append(req.db, actor: actor, action: "login.lockout", entity: "account", entityID: entityID,
                                          after: ["reason": "account", "failures": String(policy.accountLockoutThreshold)])
                throw LoginFailure(message: LoginThrottle.pausedMessage(until: until), status: .tooManyRequests)
            }
            if paused != nil { reason += ",paused" }
            try await AuditLog.append(req.db, actor: actor, action: paused == nil ? "login.failure" : "login.lockout", entity: "account",
                                      entityID: entityID, after: ["reason": reason])
            if let paused { throw LoginFailure(message: LoginThrottle.pausedMessage(until: paused), status: .tooManyRequests) }
            throw generic
        }
        try await LoginThrottle.clear(subject, sources: [source], on: req.db)
        if account.hasTwoFactor {
            try await AuditLog.append(req.db, actor: actor, action: "login.password_ok", entity: "account", entityID: entityID)
            return account
        }
        try await completeLogin(account, secondFactor: nil, actor: actor, now: now, on: req.db)
        return account
    }

    /// The person has proved who they are: failures are forgotten and the login is audited.
    static func completeLogin(_ account: Account, secondFactor: String?, actor: Actor, now: Date, on db: any Database) async throws {
        account.failedLogins = 0
        account.lockedUntil = nil
        account.lastLoginAt = now
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            // The owner is in: the count over every address starts again.
            try await LoginThrottle.clear(LoginThrottle.subject(account: account, username: account.username),
                                          sources: [LoginThrottle.everywhere], on: tx)
            try await AuditLog.append(tx, actor: actor, action: "login.success", entity: "account", entityID: String(account.id ?? 0),
                                      after: secondFactor.map { ["second_factor": $0] })
        }
    }

    /// Starts a session and returns the cookie's token. With `secondFactorDue` the session only
    /// waits for the code, until then.
    static func startSession(for account: Account, source: String, now: Date = Date(), secondFactorDue: Date? = nil,
                             on db: any Database) async throws -> (AuthSession, String) {
        let token = randomToken()
        let session = AuthSession()
        session.tokenHash = hash(token)
        session.accountID = try account.requireID()
        session.csrfToken = randomToken()
        session.createdAt = now
        session.lastSeenAt = now
        session.authenticatedAt = now
        session.source = source
        session.secondFactorDue = secondFactorDue
        try await session.create(on: db)
        return (session, token)
    }

    /// The session's cookie and CSRF token change when it is promoted from waiting for the code to
    /// signed in: whatever was seen before the code is worth nothing after it.
    static func promote(_ session: AuthSession, now: Date, on db: any Database) async throws -> String {
        let token = randomToken()
        session.tokenHash = hash(token)
        session.csrfToken = randomToken()
        session.secondFactorDue = nil
        session.authenticatedAt = now
        session.lastSeenAt = now
        try await session.save(on: db)
        return token
    }

    /// A new cookie for the same session at a change of privilege (the forced password change,
    /// enrolment of the second factor, re-authentication): whoever had seen the old cookie holds
    /// nothing now. The CSRF token stays, so the person's other open tabs keep working. The
    /// caller saves the session (in its transaction) and sets the returned token as the cookie.
    static func rotate(_ session: AuthSession) -> String {
        let token = randomToken()
        session.tokenHash = hash(token)
        return token
    }

    static func cookie(_ token: String, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: token, expires: nil, maxAge: nil, domain: nil, path: "/",
                          isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    /// Issues an API token; the token itself is shown once and only its hash is kept.
    static func issueToken(name: String, scopes: Set<TokenScope>, actor: Actor, on db: any Database) async throws -> (ApiToken, String) {
        let clean = name.trimmingCharacters(in: .whitespaces)
        guard !clean.isEmpty, clean.count <= 60 else { throw AppError.invalid("令牌名称不能为空且不超过60个字", field: "name") }
        guard !scopes.isEmpty else { throw AppError.invalid("请至少选择一项权限", field: "scopes") }
        if try await ApiToken.query(on: db).filter(\.$name == clean).first() != nil {
            throw AppError(.conflict, "已有名为“\(clean)”的令牌", field: "name")
        }
        let secret = "ld_" + randomToken()
        let token = ApiToken()
        token.name = clean
        token.tokenHash = hash(secret)
        token.scopes = scopes.map(\.rawValue).sorted().joined(separator: ",")
        token.createdBy = actor.principal.name
        token.createdAt = Date()
        try await db.writeTransaction { tx in
            try await token.create(on: tx)
            try await AuditLog.append(tx, actor: actor, action: "token.issue", entity: "api_token", entityID: String(token.id ?? 0),
                                      after: ["name": clean, "scopes": token.scopes])
        }
        return (token, secret)
    }

    static func revokeToken(_ token: ApiToken, actor: Actor, on db: any Database) async throws {
        guard token.revokedAt == nil else { return }
        token.revokedAt = Date()
        try await db.writeTransaction { tx in
            try await token.save(on: tx)
            try await AuditLog.append(tx, actor: actor, action: "token.revoke", entity: "api_token", entityID: String(token.id ?? 0),
                                      after: ["name": token.name])
        }
    }
}

/// A session that has passed the password step and waits for the second factor.
struct PendingSignIn {
    let session: AuthSession
    let account: Account
}

extension Request {
    private struct PrincipalKey: StorageKey { typealias Value = Principal }
    private struct SessionKey: StorageKey { typealias Value = AuthSession }
    private struct AccountKey: StorageKey { typealias Value = Account }
    private struct PendingKey: StorageKey { typealias Value = PendingSignIn }

    /// Who is making the request, if anyone.
    var principal: Principal? {
        get { storage[PrincipalKey.self] }
        set { storage[PrincipalKey.self] = newValue }
    }

    var authSession: AuthSession? {
        get { storage[SessionKey.self] }
        set { storage[SessionKey.self] = newValue }
    }

    var account: Account? {
        get { storage[AccountKey.self] }
        set { storage[AccountKey.self] = newValue }
    }

    /// A session past the password and waiting for the code; it signs nobody in.
    var pendingSignIn: PendingSignIn? {
        get { storage[PendingKey.self] }
        set { storage[PendingKey.self] = newValue }
    }

    /// The time for sign-in and sessions (tests move it).
    var now: Date { application.liandong.clock.now() }

    /// Whether the password is the account's. bcrypt reads only the first 72 bytes, so a longer
    /// one (which no password policy lets anyone choose) is simply wrong: otherwise any ending
    /// after the 72nd byte would do.
    func verifyPassword(_ password: String, created hash: String) async throws -> Bool {
        guard SecurityPolicy.fitsBcrypt(password) else {
            _ = try? await self.password.async.hash(String(password.utf8.prefix(SecurityPolicy.maximumPasswordBytes)) ?? "")
            return false
        }
        return try await self.password.async.verify(password, created: hash)
    }

    /// The principal, or 401.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw AppError(.unauthorized, "请先登录") }
        return principal
    }

    /// The client's address as the sign-in limits and the audit log see it: the socket's peer, or
    /// what a trusted proxy says (`TrustedProxies`).
    var sourceAddress: String {
        application.liandong.trustedProxies.client(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor])
    }

    func actor() throws -> Actor { Actor(principal: try requirePrincipal(), source: sourceAddress) }

    /// Cookies are `Secure` behind TLS: when a proxy says the request came over HTTPS, or when the
    /// deployment says so.
    var usesTLS: Bool {
        headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https" || application.liandong.secureCookies
    }

    /// Refuses unless the policy allows it.
    func authorize(_ allowed: Bool, _ message: String = "无权进行此操作") throws {
        guard allowed else { throw AppError(.forbidden, message) }
    }
}
