import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Issue 14: the register pages read is kept while the database's register version stands, and
/// any change of the register moves that version in its own statement, whoever makes it.
@Suite("Register cache: kept while the register is unchanged, right with any writer")
struct RegisterCacheTests {
    static func unit(_ app: Application, named name: String) async throws -> Int {
        struct R: Decodable { var id: Int }
        return try #require(try await (app.db as! any SQLDatabase).select().column("id").from(LinkageUnit.schema)
            .where("name", .equal, SQLBind(name)).first(decoding: R.self)).id
    }

    /// A writer that is not this process (plain SQL, as another server or an operator's client would
    /// write) changes a unit, an agency and an agency's units: each change is read at once.
    @Test func everyChangeOfTheRegisterIsSeenAtOnce() async throws {
        try await withTestApp { app in
            let sql = app.db as! any SQLDatabase
            let cache = app.liandong.registerCache
            let id = try await Self.unit(app, named: "市水利局")
            let first = try await cache.snapshot(on: sql)
            #expect(first.name(id) == "市水利局")
            // Unchanged register, same snapshot: nothing read again.
            #expect(try await cache.snapshot(on: sql).version == first.version)

            try await sql.update(LinkageUnit.schema).set("name", to: SQLBind("市水利局（改）")).where("id", .equal, SQLBind(id)).run()
            let renamed = try await cache.snapshot(on: sql)
            #expect(renamed.version > first.version)
            #expect(renamed.name(id) == "市水利局（改）")
            #expect(renamed.units.first { $0.id == id }?.name == "市水利局（改）")

            try await sql.update(AgencyModel.schema).set("name", to: SQLBind("市应急管理局（改）")).where("id", .equal, SQLBind("emb")).run()
            let agency = try await cache.snapshot(on: sql)
            #expect(agency.version > renamed.version)
            #expect(agency.agencies.agencies.contains { $0.name == "市应急管理局（改）" })

            #expect(agency.agencies.agencies.first { $0.id == "emb" }?.unitIDs.contains(id) == false)
            try await sql.insert(into: AgencyStore.unitsTable).columns("agency_id", "unit_id").values(SQLBind("emb"), SQLBind(id)).run()
            let linked = try await cache.snapshot(on: sql)
            #expect(linked.agencies.agencies.first { $0.id == "emb" }?.unitIDs.contains(id) == true)

            try await sql.delete(from: AgencyStore.unitsTable).where("unit_id", .equal, SQLBind(id)).run()
            #expect(try await cache.snapshot(on: sql).agencies.agencies.first { $0.id == "emb" }?.unitIDs.contains(id) == false)
        }
    }

    /// A change rolled back leaves the version, and what pages read, as they were.
    @Test func aChangeRolledBackChangesNothing() async throws {
        try await withTestApp { app in
            let sql = app.db as! any SQLDatabase
            let id = try await Self.unit(app, named: "市水利局")
            let before = try await app.liandong.registerCache.snapshot(on: sql)
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await app.db.writeTransaction { tx in
                    try await (tx as! any SQLDatabase).update(LinkageUnit.schema).set("name", to: SQLBind("不存在的名称"))
                        .where("id", .equal, SQLBind(id)).run()
                    throw Refused()
                }
            }
            let after = try await app.liandong.registerCache.snapshot(on: sql)
            #expect(after.version == before.version)
            #expect(after.name(id) == "市水利局")
        }
    }

    /// The pages follow: a unit renamed is listed under its new name on the next request, and
    /// the old name is gone.
    @Test func pagesShowTheRegisterAsItNowIs() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "/findings", as: police) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("市水利局"))
            }
            let id = try await Self.unit(app, named: "市水利局")
            try await (app.db as! any SQLDatabase).update(LinkageUnit.schema).set("name", to: SQLBind("丽水市水利局"))
                .where("id", .equal, SQLBind(id)).run()
            try await app.send(.GET, "/findings", as: police) { res in
                let html = res.body.string
                #expect(html.contains("丽水市水利局"))
                #expect(!html.contains(">市水利局<") && !html.contains(" 市水利局<"))
            }
        }
    }
}
