import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Page cache: pages are kept per session and never outlive a write")
struct PageCacheTests {
    @Test func aPageIsKeptUntilItAgesOrTheDataChanges() {
        let cache = PageCache(maxAge: .seconds(5))
        let made = NIODeadline.now()
        let page = PageCache.Page(generation: 7, made: made, sessionEnds: .distantFuture, headers: [:], body: ByteBuffer(string: "页面"))
        #expect(cache.page("k", generation: 7, now: made) == nil)
        cache.store("k", page)
        #expect(cache.page("k", generation: 7, now: made)?.body == ByteBuffer(string: "页面"))
        // Exactly at the age limit the page is stale; a nanosecond before, it is good.
        #expect(cache.page("k", generation: 7, now: made + .seconds(5) - .nanoseconds(1)) != nil)
        #expect(cache.page("k", generation: 7, now: made + .seconds(5)) == nil)
        #expect(cache.page("k", generation: 8, now: made) == nil)
    }

    @Test func aPageNearItsAgeIsMadeAfreshByOneRequestWhileTheOthersGetTheKeptOne() async throws {
        let cache = PageCache(maxAge: .seconds(5))
        let made = NIODeadline.now()
        cache.store("k", PageCache.Page(generation: 0, made: made, sessionEnds: .distantFuture, headers: [:], body: ByteBuffer(string: "旧")))
        // Young: served as kept, nothing made.
        let (young, keptYoung) = try await cache.page("k", generation: 0, now: made + .seconds(3)) { Issue.record("made"); return (Response(), nil) }
        #expect(young == nil && keptYoung?.body == ByteBuffer(string: "旧"))
        // In its last fifth: the first request makes it; one arriving meanwhile gets the kept page.
        let started = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
        let maker = Task {
            try await cache.page("k", generation: 0, now: made + .seconds(4)) {
                started.continuation.yield(); for await _ in release.stream { break }
                let fresh = PageCache.Page(generation: 0, made: .now(), sessionEnds: .distantFuture, headers: [:], body: ByteBuffer(string: "新"))
                return (Response(status: .ok, body: .init(string: "新")), fresh)
            }
        }
        for await _ in started.stream { break }
        let (other, keptOther) = try await cache.page("k", generation: 0, now: made + .seconds(4)) { Issue.record("made twice"); return (Response(), nil) }
        #expect(other == nil && keptOther?.body == ByteBuffer(string: "旧"))
        release.continuation.yield()
        let (response, page) = try await maker.value
        #expect(response?.body.string == "新" && page?.body == ByteBuffer(string: "新"))
        #expect(cache.page("k", generation: 0)?.body == ByteBuffer(string: "新"))
    }

    @Test func theByteBudgetDropsTheOldestPages() {
        // Each page counts its key (1 byte) and its body (10 bytes): two fit in 25, not three.
        let cache = PageCache(maxAge: .seconds(60), maxBytes: 25)
        cache.advance()
        let generation = cache.generation, start = NIODeadline.now()
        for (i, key) in ["a", "b", "c"].enumerated() {
            cache.store(key, PageCache.Page(generation: generation, made: start + .milliseconds(Int64(i)), sessionEnds: .distantFuture,
                                            headers: [:], body: ByteBuffer(string: String(repeating: "x", count: 10))))
        }
        #expect(cache.count == 2)
        #expect(cache.page("a", generation: generation, now: start) == nil)
        #expect(cache.page("c", generation: generation, now: start) != nil)
        // A page of an older generation never replaces a newer one.
        cache.store("c", PageCache.Page(generation: generation &- 1, made: start + .seconds(1), sessionEnds: .distantFuture, headers: [:], body: ByteBuffer(string: "旧")))
        #expect(cache.page("c", generation: generation, now: start)?.body.readableBytes == 10)
    }

    @Test func aFailedPageIsNotKeptAndWhoeverWaitedGetsTheError() async throws {
        struct Broken: Error {}
        let cache = PageCache(maxAge: .seconds(60))
        let started = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
        let maker = Task {
            try await cache.page("k", generation: 0) {
                started.continuation.yield(); for await _ in release.stream { break }
                throw Broken()
            }
        }
        for await _ in started.stream { break }
        let waiter = Task { try await cache.page("k", generation: 0) { Issue.record("made twice"); return (Response(), nil) } }
        while cache.waits == 0 { await Task.yield() }
        release.continuation.yield()
        await #expect(throws: Broken.self) { _ = try await maker.value }
        await #expect(throws: Broken.self) { _ = try await waiter.value }
        // Nothing kept, nothing left being made: the next request makes the page.
        #expect(cache.count == 0)
        let (made, _) = try await cache.page("k", generation: 0) { (Response(status: .ok, body: "新"), nil) }
        #expect(made?.body.string == "新")
    }

    @Test func settingsAreChecked() throws {
        #expect(try PageCache.configured(nil, default: 5)?.maxAge == .seconds(5))
        #expect(try PageCache.configured("0", default: 5) == nil)
        #expect(try PageCache.configured(" 12 ", default: 0)?.maxAge == .seconds(12))
        #expect(try PageCache.configured("30", default: 5)?.maxAge == .seconds(30))
        #expect(throws: ConfigurationError.self) { try PageCache.configured("31", default: 5) }
        #expect(throws: ConfigurationError.self) { try PageCache.configured("abc", default: 5) }
    }

    @Test func aWriteIsSeenAtOnceAndSessionsDoNotShare() async throws {
        try await withTestApp { app in
            app.liandong.pageCache = PageCache(maxAge: .seconds(60))
            let admin = try await app.signIn(.admin)
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "units/7", as: admin) { res in #expect(!res.body.string.contains("0578-2999999")) }
            // A change the process does not see (another process writing the file) waits for the
            // page to age: proof that the page was kept.
            try await (app.db as! any SQLDatabase).update("linkage_units").set("duty_phone", to: SQLBind("0578-2888888"))
                .where("id", .equal, SQLBind(7)).run()
            try await app.send(.GET, "units/7", as: admin) { res in #expect(!res.body.string.contains("0578-2888888")) }
            // Another session makes its own page, from the data as it is now.
            try await app.send(.GET, "units/7", as: emb) { res in #expect(res.body.string.contains("0578-2888888")) }
            // A write through the server is seen on the next page at once.
            try await app.send(.POST, "units/7/contacts", as: admin, form: [
                "duty_phone": "0578-2999999", "liaison_name": "陈七", "liaison_mobile": "13600000000",
                "reported_at": "2026-03-04T09:10", "channel": "wechat", "reported_by": "陈七", "_csrf": admin.csrf,
            ]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "units/7", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("0578-2999999"))
            }
            #expect(app.liandong.pageCache!.count >= 2)
            // A page is not served past its session's end, nor after signing out.
            app.liandong.clock.advance(by: Double(app.liandong.security.idleTimeoutMinutes * 60 + 1))
            try await app.send(.GET, "units/7", as: admin) { res in
                #expect(res.status == .seeOther || res.status == .found)
                #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true)
            }
            try await app.send(.GET, "units/7", as: emb) { res in #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true) }
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "units/7", as: police) { res in #expect(res.status == .ok) }
            try await app.send(.POST, "logout", as: police, form: ["_csrf": police.csrf]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "units/7", as: police) { res in #expect(res.headers.first(name: .location)?.hasPrefix("/login") == true) }
            // Errors are not kept: a missing unit stays a 404 with its message.
            let another = try await app.signIn(.admin, username: "admin2")
            for _ in 0..<2 {
                try await app.send(.GET, "units/424242", as: another) { res in #expect(res.status == .notFound) }
            }
        }
    }
}
