import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// A request that may write (anything but GET, HEAD and OPTIONS) by someone signed in, or by an
/// integration client, moves the page cache's generation on when it is done, failed or not: the
/// pages it may have changed are made afresh. Requests from nobody (a wrong password, a stray
/// POST) change nothing kept and leave the pages be.
struct DataGenerationMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard ![.GET, .HEAD, .OPTIONS].contains(req.method), let cache = req.application.liandong.pageCache else {
            return try await next.respond(to: req)
        }
        defer { if req.principal != nil || req.pendingSignIn != nil { cache.advance() } }
        return try await next.respond(to: req)
    }
}

/// Rendered pages, kept per session and address for a few seconds (`LIANDONG_PAGE_CACHE_SECONDS`,
/// default 5; 0 turns it off). A page is served from here only while no request has written
/// since it was made (the cache's generation) and it is younger than that age. The age bounds
/// how stale a page can be after a write nobody asked for over HTTP: the scheduled judging, a
/// `liandong` command run beside the server. It is also how long the clocks of dispatches under
/// way stand still. Requests for a page being made
/// wait for it rather than making it again. Only complete HTML answers with status 200 and no
/// cookie are kept, within `maxBytes` in all.
final class PageCache: Sendable {
    struct Page: Sendable {
        let generation: UInt64
        let made: NIODeadline
        /// When the session that made the page ends if unused.
        let sessionEnds: Date
        let headers: HTTPHeaders
        let body: ByteBuffer
    }

    private struct State {
        var pages: [String: Page] = [:]
        var bytes = 0
        var making: [String: Task<Page?, any Error>] = [:]
        var waits = 0
    }

    let maxAge: TimeAmount
    let maxBytes: Int
    private let state = NIOLockedValueBox(State())
    private let generationBox = NIOLockedValueBox<UInt64>(0)

    /// Moves on with every request that may have written.
    var generation: UInt64 { generationBox.withLockedValue { $0 } }

    func advance() { generationBox.withLockedValue { $0 &+= 1 } }

    init(maxAge: TimeAmount, maxBytes: Int = 8 << 20) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }

    /// The longest a page may be kept: a change made outside the server's requests (an account
    /// disabled from the command line) reaches the pages already kept within this.
    static let longestAge = 30

    /// `LIANDONG_PAGE_CACHE_SECONDS`: 0 to `longestAge`; nil (off) when it is 0.
    static func configured(_ raw: String?, default seconds: Int) throws -> PageCache? {
        var value = seconds
        if let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            guard let parsed = Int(raw), (0...longestAge).contains(parsed) else {
                throw ConfigurationError(variable: "LIANDONG_PAGE_CACHE_SECONDS", message: "应为 0(不缓存)到 \(longestAge) 之间的秒数,而不是“\(raw)”")
            }
            value = parsed
        }
        return value == 0 ? nil : PageCache(maxAge: .seconds(Int64(value)))
    }

    var count: Int { state.withLockedValue { $0.pages.count } }

    /// How many requests have waited for a page another one was making.
    var waits: Int { state.withLockedValue { $0.waits } }

    /// The page kept under `key` if it is still good at `generation`.
    func page(_ key: String, generation: UInt64, now: NIODeadline = .now()) -> Page? {
        state.withLockedValue { state in
            guard let page = state.pages[key], page.generation == generation, now - page.made < maxAge else { return nil }
            return page
        }
    }

    /// The page under `key`: kept, being made by another request, or made now by `make`. Nil
    /// when the answer is not one to keep; the caller then answers for itself. A kept page in the
    /// last fifth of its age is made afresh by the first request that finds it so, while the
    /// others are still served the kept one: one request waits for the page, not all of them.
    func page(_ key: String, generation: UInt64, now: NIODeadline = .now(),
              make: @escaping @Sendable () async throws -> (Response, Page?)) async throws -> (Response?, Page?) {
        let flightKey = "\(generation)\u{1}\(key)"
        enum Step { case kept(Page), wait(Task<Page?, any Error>), make(Task<Page?, any Error>, NIOLockedValueBox<Response?>) }
        let step: Step = state.withLockedValue { state in
            let kept = state.pages[key].flatMap { $0.generation == generation && now - $0.made < maxAge ? $0 : nil }
            if let kept, now - kept.made < .nanoseconds(maxAge.nanoseconds / 5 * 4) { return .kept(kept) }
            if let task = state.making[flightKey] {
                if let kept { return .kept(kept) }
                state.waits += 1
                return .wait(task)
            }
            let holder = NIOLockedValueBox<Response?>(nil)
            let task = Task<Page?, any Error> {
                let (response, page) = try await make()
                holder.withLockedValue { $0 = response }
                return page
            }
            state.making[flightKey] = task
            return .make(task, holder)
        }
        switch step {
        case .kept(let page):
            return (nil, page)
        case .wait(let task):
            return (nil, try await task.value)
        case .make(let task, let holder):
            defer { _ = state.withLockedValue { $0.making.removeValue(forKey: flightKey) } }
            let page = try await task.value
            if let page { store(key, page) }
            return (holder.withLockedValue { $0 }, page)
        }
    }

    func store(_ key: String, _ page: Page) {
        state.withLockedValue { state in
            if let old = state.pages[key] {
                guard (old.generation, old.made) < (page.generation, page.made) else { return }
                state.bytes -= Self.size(key, old)
            }
            state.pages[key] = page
            state.bytes += Self.size(key, page)
            guard state.bytes > maxBytes else { return }
            // Over budget: drop pages no longer servable, then the oldest.
            let current = generation, now = NIODeadline.now()
            for (k, p) in state.pages where p.generation != current || now - p.made >= maxAge {
                state.bytes -= Self.size(k, p)
                state.pages.removeValue(forKey: k)
            }
            for (k, p) in state.pages.sorted(by: { $0.value.made < $1.value.made }) where state.bytes > maxBytes {
                state.bytes -= Self.size(k, p)
                state.pages.removeValue(forKey: k)
            }
        }
    }

    /// What a kept page counts against the budget: its address and its body.
    private static func size(_ key: String, _ page: Page) -> Int { key.utf8.count + page.body.readableBytes }

    func removeAll() { state.withLockedValue { $0.pages = [:]; $0.bytes = 0 } }
}

/// Serves the pages of a signed-in session from `PageCache` (see there). It stands before the
/// session is looked up, so a page served from the cache costs no database work: the page is
/// keyed by the session cookie, and was made for that session, signed in, at the current
/// generation (no sign-out, no account change since) and no longer ago than the cache's age.
/// It is served only while the session's idle time has not run out. Routes that only read are
/// grouped under it, ahead of `PrincipalMiddleware`.
struct PageCacheMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard req.method == .GET, let cache = req.application.liandong.pageCache, req.headers.bearerAuthorization == nil,
              let token = req.cookies[Auth.sessionCookie]?.string, !token.isEmpty
        else { return try await next.respond(to: req) }
        let key = "\(token)\u{0}\(req.url.string)"
        let generation = cache.generation
        let (made, page) = try await cache.page(key, generation: generation) {
            // The page's age counts from before it reads anything.
            let started = NIODeadline.now()
            let response = try await next.respond(to: req)
            guard response.status == .ok, response.headers[.setCookie].isEmpty, response.headers.contentType?.subType == "html",
                  let body = response.body.buffer, req.account != nil, let session = req.authSession
            else { return (response, nil) }
            var headers = response.headers
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            let idle = TimeInterval(req.application.liandong.security.idleTimeoutMinutes * 60)
            return (response, PageCache.Page(generation: generation, made: started, sessionEnds: session.lastSeenAt.addingTimeInterval(idle),
                                             headers: headers, body: body))
        }
        if let made { return made }
        guard let page, req.now <= page.sessionEnds else { return try await next.respond(to: req) }
        return Response(status: .ok, headers: page.headers, body: .init(buffer: page.body))
    }
}
