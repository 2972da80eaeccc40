import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
@testable import LiandongServer

/// Upgrading in place (issue 22): a database an earlier release left is brought up to date by the
/// first start of the new one, after a copy of it is put aside (SQLite); a database a newer
/// release migrated is refused, untouched.
@Suite("Upgrades: from an earlier schema, and refusing a newer one")
struct UpgradeTests {
    let migrations = MigrationTests()

    /// Files beside an SQLite database whose names say they are its pre-upgrade copies.
    func backups(of setting: DatabaseSetting) -> [String] {
        guard case .sqlite(let path) = setting else { return [] }
        let url = URL(fileURLWithPath: path)
        let prefix = url.deletingPathExtension().lastPathComponent + "-before-\(LiandongVersion.string)-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.map { url.deletingLastPathComponent().appendingPathComponent($0).path }
    }

    struct Phone: Decodable { var duty_phone: String? }

    @Test func anEarlierSchemaWithItsDataIsUpgradedAfterABackup() async throws {
        try await migrations.withFreshDatabase { setting in
            let all = LiandongMigrations.all
            // The schema as an earlier release left it: every migration before the outbound
            // watermarks (021), with a change the register's pages of that time made.
            let upTo = try #require(all.firstIndex { $0 is CreateOutboundWatermarks })
            let old = try await migrations.bare(setting)
            try await SchemaMigrator.run(Array(all[..<upTo]), on: old.db, logger: old.logger)
            let sql = old.db as! any SQLDatabase
            try await sql.update(LinkageUnit.schema).set("duty_phone", to: SQLBind("0578-2222222")).where("id", .equal, SQLBind(4)).run()
            try await old.asyncShutdown()
            #expect(backups(of: setting).isEmpty)

            let app = try await Application.make(.testing)
            app.commandOutput = .capturing()
            do {
                try await configure(app, database: setting)
                let log = try await migrations.recorded(app.db)
                #expect(Set(log.keys) == Set(all.map(\.name)))
                #expect(all[upTo...].allSatisfy { log[$0.name] == 2 }, "the upgrade's migrations run as one batch after the old ones")
                #expect(try await LinkageUnit.query(on: app.db).count() == 46)
                let phone = try await (app.db as! any SQLDatabase).select().column("duty_phone").from(LinkageUnit.schema)
                    .where("id", .equal, SQLBind(4)).first(decoding: Phone.self)
                #expect(phone?.duty_phone == "0578-2222222")
                #expect(try await app.run(["audit", "verify"]).contains("审计日志完整"))
                #expect(try await app.run(["units", "list", "--format", "json"]).contains("0578-2222222"))
                try await app.asyncShutdown()
            } catch {
                try? await app.asyncShutdown()
                throw error
            }

            if case .sqlite = setting {
                // One copy, taken before the first migration: the earlier schema and its data.
                let copies = backups(of: setting)
                #expect(copies.count == 1)
                let copy = try #require(copies.first)
                defer { try? FileManager.default.removeItem(atPath: copy) }
                let before = try await migrations.bare(.sqlite(path: copy))
                #expect(try await migrations.recorded(before.db).count == upTo)
                let phone = try await (before.db as! any SQLDatabase).select().column("duty_phone").from(LinkageUnit.schema)
                    .where("id", .equal, SQLBind(4)).first(decoding: Phone.self)
                #expect(phone?.duty_phone == "0578-2222222")
                try await before.asyncShutdown()
            }

            // A second start has nothing to migrate, and takes no copy.
            let again = try await Application.make(.testing)
            do {
                try await configure(again, database: setting)
                try await again.asyncShutdown()
            } catch {
                try? await again.asyncShutdown()
                throw error
            }
            #expect(backups(of: setting).isEmpty)
        }
    }

    @Test func aDatabaseMigratedByANewerReleaseIsRefusedUntouched() async throws {
        try await migrations.withFreshDatabase { setting in
            let newer = try await migrations.bare(setting)
            try await SchemaMigrator.run(LiandongMigrations.all, on: newer.db, logger: newer.logger)
            try await MigrationLog(name: "LiandongServer.CreateSomethingOfTomorrow", batch: 2).create(on: newer.db)
            try await newer.asyncShutdown()

            let app = try await Application.make(.testing)
            app.commandOutput = .capturing()
            var refusal: (any Error)?
            do {
                try await configure(app, database: setting)
            } catch {
                refusal = error
            }
            let error = try #require(refusal as? NewerDatabaseError)
            #expect(error.unknownMigrations == ["LiandongServer.CreateSomethingOfTomorrow"])
            let message = Entrypoint.describe(error)
            #expect(message.contains("较新版本"))
            #expect(message.contains("LiandongServer.CreateSomethingOfTomorrow"))
            #expect(message.contains("INSTALL.md"))
            // Nothing was written: no first administrator, no copy, the log as it was.
            #expect(try await Account.query(on: app.db).count() == 0)
            #expect(try await migrations.recorded(app.db).count == LiandongMigrations.all.count + 1)
            #expect(backups(of: setting).isEmpty)
            try await app.asyncShutdown()
        }
    }

    @Test func theBackupIsNamedBesideTheDatabaseWithTheVersionAndTime() {
        let at = Date(timeIntervalSince1970: 1_764_664_800)
        #expect(UpgradeSafety.backupPath(for: "/var/lib/liandong/liandong.sqlite", version: "0.2.0", at: at)
                == "/var/lib/liandong/liandong-before-0.2.0-20251202T084000Z.sqlite")
        #expect(UpgradeSafety.backupPath(for: "/var/lib/liandong/liandong.sqlite", version: "0.2.0", at: at, attempt: 2)
                == "/var/lib/liandong/liandong-before-0.2.0-20251202T084000Z-2.sqlite")
        #expect(UpgradeSafety.backupPath(for: "/srv/data", version: "1.0", at: at) == "/srv/data-before-1.0-20251202T084000Z.sqlite")
    }
}
