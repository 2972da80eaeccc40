import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
@testable import LiandongServer

/// Migrations run one transaction each, with their record: a failing (or killed) migration leaves
/// the database as the previous one left it, and the next start finishes the job.
@Suite("Migrations, each in one transaction")
struct MigrationTests {
    /// A fresh database (SQLite file or PostgreSQL schema) for `body`, which may open it several
    /// times; removed afterwards.
    func withFreshDatabase(_ body: (DatabaseSetting) async throws -> Void) async throws {
        let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let setting: DatabaseSetting
        if let url = TestDatabase.postgresURL {
            setting = .postgres(url: url, searchPath: ["m_\(token)"])
        } else {
            setting = .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("liandong-migrate-\(token).sqlite").path)
        }
        func cleanUp() async {
            switch setting {
            case .postgres(_, let searchPath?):
                if let app = try? await bare(setting) {
                    try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: searchPath[0]) CASCADE").run()
                    try? await app.asyncShutdown()
                }
            case .sqlite(let path):
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            default: break
            }
        }
        do { try await body(setting) } catch { await cleanUp(); throw error }
        await cleanUp()
    }

    /// The database alone, not migrated.
    func bare(_ setting: DatabaseSetting) async throws -> Application {
        let app = try await Application.make(.testing)
        do { try await configureDatabase(app, setting) } catch { try? await app.asyncShutdown(); throw error }
        return app
    }

    func recorded(_ db: any Database) async throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try await MigrationLog.query(on: db).all().map { ($0.name, $0.batch) })
    }

    func tableExists(_ db: any Database, _ table: String) async -> Bool {
        (try? await (db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all)).from(table).all()) != nil
    }

    struct Failure: Error {}

    /// Creates a table and writes into the register's tables, then fails: none of it may remain.
    struct FailsAfterWriting: AsyncMigration {
        var name: String { "TestFailsAfterWriting" }
        func prepare(on database: any Database) async throws {
            try await database.schema("half_made").field("id", .int, .identifier(auto: true)).field("note", .string).create()
            let sql = database as! any SQLDatabase
            try await sql.insert(into: "half_made").columns("note").values(SQLBind("甲")).run()
            try await sql.insert(into: AgencyModel.schema).columns("id", "name").values(SQLBind("test"), SQLBind("测试机构")).run()
            try await sql.update(LinkageUnit.schema).set("duty_phone", to: SQLBind("0578-0000000")).run()
            throw Failure()
        }
        func revert(on database: any Database) async throws {}
    }

    /// Fails in the database itself (the table exists): PostgreSQL aborts the transaction at that
    /// statement, SQLite does not; both must roll back what came before.
    struct FailsInTheDatabase: AsyncMigration {
        var name: String { "TestFailsInTheDatabase" }
        func prepare(on database: any Database) async throws {
            try await database.schema("half_made").field("id", .int, .identifier(auto: true)).create()
            try await database.schema(LinkageUnit.schema).field("id", .int, .identifier(auto: true)).create()
        }
        func revert(on database: any Database) async throws {}
    }

    @Test(arguments: [0, 1])
    func aFailingMigrationLeavesTheOnesBeforeItAndTheNextStartFinishes(failure: Int) async throws {
        try await withFreshDatabase { setting in
            let app = try await bare(setting)
            let all = LiandongMigrations.all
            let failing: any Migration = failure == 0 ? FailsAfterWriting() : FailsInTheDatabase()
            // Migration k = 3 fails, after the register, its seed and the security tables.
            let list: [any Migration] = Array(all.prefix(3)) + [failing] + Array(all.dropFirst(3))
            await #expect(throws: (any Error).self) { try await SchemaMigrator.run(list, on: app.db, logger: app.logger) }
            #expect(try await recorded(app.db) == Dictionary(uniqueKeysWithValues: all.prefix(3).map { ($0.name, 1) }))
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
            #expect(try await LinkageUnit.query(on: app.db).filter(\.$dutyPhone == "0578-0000000").count() == 0)
            #expect(try await AgencyModel.query(on: app.db).count() == 3)
            #expect(await tableExists(app.db, AuditLog.headTable))
            #expect(await !tableExists(app.db, "half_made"))
            #expect(await !tableExists(app.db, "dispatch_events"))

            // The same failure again changes nothing.
            await #expect(throws: (any Error).self) { try await SchemaMigrator.run(list, on: app.db, logger: app.logger) }
            #expect(try await recorded(app.db).count == 3)

            // The good list runs the rest, in a second batch, and a third run has nothing to do.
            let ran = try await SchemaMigrator.run(all, on: app.db, logger: app.logger)
            #expect(ran == all.dropFirst(3).map(\.name))
            let log = try await recorded(app.db)
            #expect(log.count == all.count)
            #expect(all.map { log[$0.name] } == Array(repeating: 1, count: 3) + Array(repeating: 2, count: all.count - 3))
            #expect(try await SchemaMigrator.run(all, on: app.db, logger: app.logger).isEmpty)
            try await app.asyncShutdown()

            // The application starts on it as on any database, and works.
            let started = try await Application.make(.testing)
            started.commandOutput = .capturing()
            try await configure(started, database: setting)
            let units = try await started.run(["units", "list", "--format", "json"])
            #expect(try JSONSerialization.jsonObject(with: Data(units.utf8)) as? [Any] != nil)
            #expect(try await LinkageUnit.query(on: started.db).count() == 46)
            #expect(try await Account.query(on: started.db).count() == 1)
            #expect(try await started.run(["audit", "verify"]).contains("审计日志完整：共 1 条"))
            try await started.asyncShutdown()
        }
    }

    @Test func aDatabaseMigratedByFluentsOwnMigratorIsTakenOver() async throws {
        try await withFreshDatabase { setting in
            // An older database: the first five migrations run by Fluent's migrator.
            let app = try await bare(setting)
            app.migrations.add(Array(LiandongMigrations.all.prefix(5)))
            try await app.autoMigrate()
            #expect(try await recorded(app.db).count == 5)
            let ran = try await SchemaMigrator.run(LiandongMigrations.all, on: app.db, logger: app.logger)
            #expect(ran == LiandongMigrations.all.dropFirst(5).map(\.name))
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
            try await app.asyncShutdown()

            // Fluent's migrator, in turn, finds nothing left to do.
            let again = try await bare(setting)
            again.migrations.add(LiandongMigrations.all)
            #expect(try await again.migrator.previewPrepareBatch().get().isEmpty)
            try await again.asyncShutdown()
        }
    }

    @Test func twoStartsAtTheSameMomentMigrateOnce() async throws {
        try await withFreshDatabase { setting in
            let first = try await bare(setting), second = try await bare(setting)
            async let a = SchemaMigrator.run(LiandongMigrations.all, on: first.db, logger: first.logger)
            async let b = SchemaMigrator.run(LiandongMigrations.all, on: second.db, logger: second.logger)
            let (ranA, ranB) = try await (a, b)
            #expect(Set(ranA).isDisjoint(with: ranB))
            #expect(ranA.count + ranB.count == LiandongMigrations.all.count)
            #expect(try await recorded(first.db).count == LiandongMigrations.all.count)
            #expect(try await LinkageUnit.query(on: first.db).count() == 46)
            // And the first administrator: one account, one audit entry.
            first.passwords.use(.plaintext)
            second.passwords.use(.plaintext)
            async let x: Void = Bootstrap.firstAdministrator(first)
            async let y: Void = Bootstrap.firstAdministrator(second)
            _ = try await (x, y)
            #expect(try await Account.query(on: first.db).all().map(\.username) == ["admin"])
            #expect(try await AuditEntry.query(on: first.db).filter(\.$action == "account.create").count() == 1)
            #expect(try await AuditLog.verify(on: first.db).firstBroken == nil)
            try await first.asyncShutdown()
            try await second.asyncShutdown()
        }
    }
}
