import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import Vapor
@testable import LiandongServer

@Suite("Storage: the seeded register and its history")
struct RegisterStorageTests {
    @Test func firstStartSeedsTheAnnex2Register() async throws {
        try await withTestApp { app in
            #expect(try await JurisdictionModel.query(on: app.db).count() == 11)
            // The city's three agencies and each county's three (issue 15).
            #expect(try await AgencyModel.query(on: app.db).count() == 30)
            let units = try await RegisterService.units(on: app.db)
            #expect(units.map(\.name) == Annex2.cityUnits.map(\.name))
            #expect(units.filter { $0.level == 1 }.count == 23)
            #expect(units.filter { $0.level == 2 }.count == 14)
            #expect(units.filter { $0.level == 3 }.count == 9)
            let police = try #require(units.first { $0.name == "市公安局" })
            #expect(police.publicSecurity && police.uniformExempt && police.ranked)
            #expect(police.duties == Annex2.duties(for: .one))
            #expect(units.first { $0.name == "丽水移动" }?.ranked == false)
        }
    }

    @Test func migratingAgainChangesNothing() async throws {
        try await withTestApp { app in
            try await app.autoMigrate()
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
        }
    }

    @Test func contactChangesAreKeptAsHistory() async throws {
        try await withTestApp { app in
            let unit = try #require(try await LinkageUnit.query(on: app.db).filter(\.$name == "市水利局").first())
            let t0 = ChinaTime.parseTimestamp("2026-03-01T09:00:00+08:00")!
            let first = ContactDetails(dutyPhone: "0578-2111111", liaisonName: "张三", liaisonMobile: "13811111111")
            try await RegisterService.reportContactChange(unit: unit, to: first, reportedAt: t0, reportedBy: "张三", channel: "wechat", note: nil, now: t0, actor: .console(), on: app.db)
            var second = first
            second.liaisonName = "李四"; second.liaisonMobile = "13922222222"
            let t1 = t0.addingTimeInterval(86_400)
            try await RegisterService.reportContactChange(unit: unit, to: second, reportedAt: t1, reportedBy: "李四", channel: "web", note: "人员调整", now: t1, actor: .console(), on: app.db)

            let history = try await RegisterService.history(unitID: unit.requireID(), on: app.db)
            #expect(history.count == 2)
            #expect(history[0].liaisonName == "李四" && history[0].changed == [.liaisonName, .liaisonMobile])
            #expect(history[1].liaisonName == "张三" && history[1].dutyPhone == "0578-2111111")
            let stored = try await RegisterService.unit(unit.requireID(), on: app.db)
            #expect(stored.contacts == second)
            #expect(stored.contactsReportedAt == t1)

            // The same details again: nothing to report, nothing written.
            #expect(try await RegisterService.reportContactChange(unit: stored, to: second, reportedAt: t1, reportedBy: "x", channel: "web", note: nil, now: t1, actor: .console(), on: app.db) == nil)
            #expect(try await ContactChange.query(on: app.db).count() == 2)
        }
    }

    @Test func anOlderReportRecordedLateDoesNotOverrideANewerOne() async throws {
        try await withTestApp { app in
            let unit = try #require(try await LinkageUnit.query(on: app.db).filter(\.$name == "市民政局").first())
            let now = ChinaTime.parseTimestamp("2026-03-10T09:00:00+08:00")!
            let newer = ContactDetails(dutyPhone: "0578-2333333")
            try await RegisterService.reportContactChange(unit: unit, to: newer, reportedAt: now, reportedBy: "甲", channel: "web", note: nil, now: now, actor: .console(), on: app.db)
            let older = ContactDetails(dutyPhone: "0578-2444444")
            try await RegisterService.reportContactChange(unit: unit, to: older, reportedAt: now.addingTimeInterval(-3 * 86_400), reportedBy: "乙", channel: "wechat", note: nil, now: now, actor: .console(), on: app.db)
            let stored = try await RegisterService.unit(unit.requireID(), on: app.db)
            #expect(stored.dutyPhone == "0578-2333333")
            #expect(try await RegisterService.history(unitID: unit.requireID(), on: app.db).count == 2)
        }
    }

    @Test func aReportFromTheFutureIsRefused() async throws {
        try await withTestApp { app in
            let unit = try #require(try await LinkageUnit.query(on: app.db).first())
            let now = Date()
            await #expect(throws: AppError.self) {
                try await RegisterService.reportContactChange(unit: unit, to: ContactDetails(dutyPhone: "0578-2555555"),
                                                               reportedAt: now.addingTimeInterval(3600), reportedBy: "甲", channel: "web", note: nil, now: now, actor: .console(), on: app.db)
            }
            #expect(try await ContactChange.query(on: app.db).count() == 0)
        }
    }

    @Test func sqliteRunsInWALMode() async throws {
        guard !TestDatabase.isPostgres else { return }
        try await withTestApp { app in
            struct Row: Decodable { var journal_mode: String }
            let row = try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode").first(decoding: Row.self)
            #expect(row?.journal_mode == "wal")
        }
    }
}

@Suite("Configuration from the environment")
struct SettingsTests {
    @Test func signInSettings() throws {
        let policy = try securityPolicy(from: { ["LIANDONG_LOCKOUT_MINUTES": "30", "LIANDONG_SESSION_IDLE_MINUTES": "15"][$0] })
        #expect(policy.lockoutMinutes == 30 && policy.idleTimeoutMinutes == 15 && policy.lockoutThreshold == 5)
        #expect(throws: ConfigurationError.self) { try securityPolicy(from: { ["LIANDONG_LOCKOUT_THRESHOLD": "0"][$0] }) }
        #expect(throws: ConfigurationError.self) { try securityPolicy(from: { ["LIANDONG_SESSION_IDLE_MINUTES": "abc"][$0] }) }
    }

    @Test func databaseURL() throws {
        #expect(try DatabaseSetting.parse(nil) == .sqlite(path: "liandong.sqlite"))
        #expect(try DatabaseSetting.parse("") == .sqlite(path: "liandong.sqlite"))
        #expect(try DatabaseSetting.parse("/var/lib/liandong/db.sqlite") == .sqlite(path: "/var/lib/liandong/db.sqlite"))
        #expect(try DatabaseSetting.parse("sqlite:///var/lib/x.sqlite") == .sqlite(path: "/var/lib/x.sqlite"))
        #expect(try DatabaseSetting.parse("sqlite://data/x.sqlite") == .sqlite(path: "data/x.sqlite"))
        #expect(try DatabaseSetting.parse("postgres://u:p@db:5432/liandong") == .postgres(url: "postgres://u:p@db:5432/liandong"))
        #expect(try DatabaseSetting.parse("postgresql://u@db/liandong") == .postgres(url: "postgresql://u@db/liandong"))
        #expect(throws: ConfigurationError.self) { try DatabaseSetting.parse("mysql://u@db/x") }
        do {
            _ = try DatabaseSetting.parse("mysql://u@db/x")
        } catch let error as ConfigurationError {
            #expect(error.variable == "DATABASE_URL")
            #expect(error.description.contains("DATABASE_URL"))
        }
    }
}

@Suite("SQLite durability settings")
struct SQLiteSettingsTests {
    /// Every pooled connection writes with `synchronous = FULL` (2) and the file is in WAL mode.
    @Test func everyConnectionIsFullAndWAL() async throws {
        guard TestDatabase.postgresURL == nil else { return }
        try await withTestApp { app in
            for loop in app.eventLoopGroup.makeIterator() {
                let db = app.databases.database(.sqlite, logger: app.logger, on: loop) as! any SQLDatabase
                let synchronous = try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                #expect(synchronous == 2)
                let mode = try await db.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                #expect(mode == "wal")
            }
        }
    }

    @Test func theSettingIsReadStrictly() throws {
        #expect(try sqliteSynchronous(from: nil) == "FULL")
        #expect(try sqliteSynchronous(from: " normal ") == "NORMAL")
        #expect(throws: ConfigurationError.self) { try sqliteSynchronous(from: "OFF") }
    }
}
