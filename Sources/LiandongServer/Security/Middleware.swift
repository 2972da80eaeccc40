import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import Vapor

/// Finds who is asking: a session cookie or a bearer token. Expired sessions end here.
struct PrincipalMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = req.headers.bearerAuthorization {
            guard let token = try await ApiToken.query(on: req.db).filter(\.$tokenHash == Auth.hash(bearer.token)).first(),
                  token.revokedAt == nil
            else { throw AppError(.unauthorized, "令牌无效或已吊销") }
            req.principal = token.principal
            let now = req.now
            if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
                token.lastUsedAt = now
                // Bookkeeping: a read must not fail because this write does (a full disk, a busy database).
                await req.db.bookkeeping("token last use", logger: req.logger) { db in try await token.save(on: db) }
            }
        } else if let cookie = req.cookies[Auth.sessionCookie]?.string, !cookie.isEmpty {
            try await loadSession(cookie, req)
        }
        return try await next.respond(to: req)
    }

    private func loadSession(_ token: String, _ req: Request) async throws {
        guard let session = try await AuthSession.query(on: req.db).filter(\.$tokenHash == Auth.hash(token)).first() else { return }
        let now = req.now
        let idle = Double(req.application.liandong.security.idleTimeoutMinutes * 60)
        guard now.timeIntervalSince(session.lastSeenAt) <= idle, session.secondFactorDue.map({ now <= $0 }) ?? true,
              let account = try await Account.find(session.accountID, on: req.db), !account.disabled
        else {
            try await session.delete(on: req.db)
            return
        }
        if session.secondFactorDue != nil {
            // Past the password, waiting for the code: nobody is signed in yet.
            req.pendingSignIn = PendingSignIn(session: session, account: account)
            return
        }
        // Refresh the idle clock at most once a minute: one write per minute, not per request.
        if now.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = now
            await req.db.bookkeeping("session idle clock", logger: req.logger) { db in try await session.save(on: db) }
        }
        req.authSession = session
        req.account = account
        req.principal = account.principal
    }
}

/// Pages need a signed-in person; without one, the browser goes to the login page. An account
/// that must change its password goes to that page first, then one that must have a second
/// factor goes to enrolment: nothing else is open to them until then.
struct RequireSignIn: AsyncMiddleware {
    static let passwordPath = "/account/password"
    static let enrolmentPath = "/account/totp"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let account = req.account else {
            if req.method == .GET {
                let next = req.url.string
                let encoded = next.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?"))) ?? "/"
                return req.redirect(to: "/login?next=\(encoded)")
            }
            throw AppError(.unauthorized, "登录已过期，请重新登录")
        }
        if account.mustChangePassword && req.url.path != Self.passwordPath && req.url.path != "/logout" {
            return req.redirect(to: Self.passwordPath)
        }
        if req.application.mustEnrolTwoFactor(account) && ![Self.enrolmentPath, Self.passwordPath, "/logout"].contains(req.url.path) {
            if req.method == .GET, req.url.path != "/" {
                return req.redirect(to: "\(Self.enrolmentPath)?next=\(Self.encode(req.url.string))")
            }
            return req.redirect(to: Self.enrolmentPath)
        }
        return try await next.respond(to: req)
    }

    static func encode(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?+"))) ?? "/"
    }
}

/// The API needs a signed-in person or a valid token.
struct RequirePrincipal: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        _ = try req.requirePrincipal()
        if req.account?.mustChangePassword == true { throw AppError(.forbidden, "请先修改初始密码") }
        if let account = req.account, req.application.mustEnrolTwoFactor(account) {
            throw AppError(.forbidden, "请先在网页上启用动态口令（两步验证）后再使用接口", field: "totp")
        }
        return try await next.respond(to: req)
    }
}

/// Cross-site request forgery: a change made with a session cookie must carry the session's
/// token, as the form field `_csrf` or the header `X-CSRF-Token`. Token-authenticated API
/// calls carry no cookie and need none.
struct CSRFMiddleware: AsyncMiddleware {
    static let field = "_csrf"
    static let message = "页面已过期或来源不明，本次提交未保存；请核对下面的内容后重新提交"

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if [.POST, .PUT, .PATCH, .DELETE].contains(req.method), let session = req.authSession {
            var sent = req.headers.first(name: "X-CSRF-Token")
            if sent == nil, req.headers.contentType == .urlEncodedForm || req.headers.contentType?.type == "multipart" {
                // The field is in the body, which may still be arriving: a form with a file comes
                // in many pieces. Collect it first, up to what the route accepts.
                if req.body.data == nil {
                    _ = try await req.body.collect(max: req.route?.maxBodyBytes ?? req.application.routes.defaultMaxBodySize.value).get()
                }
                sent = try? req.content.get(String.self, at: Self.field)
            }
            guard let sent, constantTimeEqual(sent, session.csrfToken) else {
                req.refusal = .csrf
                // A person's form comes back with what they typed, under a fresh token.
                if !req.url.path.hasPrefix("/api/"), let page = try await ResubmitPage.response(req, token: session.csrfToken) { return page }
                throw AppError(.forbidden, Self.message)
            }
        }
        return try await next.respond(to: req)
    }
}

extension Route {
    private static let maxBodyKey = "liandong.maxBodyBytes"

    /// The body this route collects at most, when it is not the application's default.
    var maxBodyBytes: Int? {
        get { userInfo[Self.maxBodyKey] as? Int }
        set { userInfo[Self.maxBodyKey] = newValue }
    }
}

extension RoutesBuilder {
    /// A form that carries files (`Attachments`): its body may be as large as the files allow.
    @discardableResult
    func upload(_ path: PathComponent..., use closure: @Sendable @escaping (Request) async throws -> Response) -> Route {
        let route = on(.POST, path, body: .collect(maxSize: ByteCount(value: Attachments.maxRequestBytes)), use: closure)
        route.maxBodyBytes = Attachments.maxRequestBytes
        return route
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}

/// No header value leaves with a control character in it: a CR or LF would end the header and
/// let whoever chose the value (a `next` parameter, an id someone typed) write headers of their
/// own. The places that build headers check their values; this is the last guard behind them.
enum HeaderSafety {
    static func isControl(_ scalar: Unicode.Scalar) -> Bool { IdentifierText.isControl(scalar) }

    /// A redirect to an unsafe target goes home instead; any other unsafe header is dropped.
    static func clean(_ headers: inout HTTPHeaders, logger: Logger) {
        let unsafe = headers.filter { $0.value.unicodeScalars.contains(where: { isControl($0) && $0 != "\t" }) }
        for (name, value) in unsafe {
            logger.warning("unsafe response header removed", metadata: ["header": .string(name), "value": .string(value.debugDescription)])
            headers.remove(name: name)
            if name.lowercased() == "location" { headers.replaceOrAdd(name: .location, value: "/") }
        }
    }
}

/// Browser protections on every response.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: req)
        let h = response.headers
        var headers = h
        headers.replaceOrAdd(name: "Content-Security-Policy",
                             value: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        if req.account != nil || req.pendingSignIn != nil { headers.replaceOrAdd(name: .cacheControl, value: "no-store") }
        // Behind TLS the browser keeps to HTTPS from now on.
        if req.usesTLS { headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
        HeaderSafety.clean(&headers, logger: req.logger)
        response.headers = headers
        return response
    }
}

/// A fixed-window limit per client address, in this process (each app server keeps its own).
final class RateLimiter: Sendable {
    private let limit: Int
    private let window: TimeInterval
    private let state = NIOLockedValueBox<[String: (start: Date, count: Int)]>([:])

    init(limit: Int, window: TimeInterval) { self.limit = limit; self.window = window }

    /// Counts an attempt; false when the address is over its limit.
    func allow(_ key: String, now: Date = Date()) -> Bool {
        state.withLockedValue { table in
            if table.count > 10_000 { table = table.filter { now.timeIntervalSince($0.value.start) < window } }
            var entry = table[key] ?? (now, 0)
            if now.timeIntervalSince(entry.start) >= window { entry = (now, 0) }
            entry.count += 1
            table[key] = entry
            return entry.count <= limit
        }
    }
}
