import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import Vapor
@testable import LiandongServer

@Suite("Tamper-evident audit log")
struct AuditTests {
    /// A few audited changes: a contact report, a token, an account.
    func populate(_ app: Application) async throws {
        let unit = try await RegisterService.unit(4, on: app.db)
        try await RegisterService.reportContactChange(unit: unit, to: ContactDetails(dutyPhone: "0578-2123456", liaisonName: "张三", liaisonMobile: "13812345678"),
                                                       reportedAt: Date(), reportedBy: "张三", channel: "web", note: nil, actor: .console(), on: app.db)
        _ = try await Auth.issueToken(name: "t1", scopes: [.registerRead], actor: .console(), on: app.db)
        _ = try await app.run(["accounts", "create", "--username", "emb1", "--name", "王五", "--role", "emb"])
    }

    /// Runs SQL behind the application's back: the sqlite3 program on the SQLite file, or a raw
    /// statement on PostgreSQL.
    func tamper(_ app: Application, _ statement: String) async throws {
        switch app.liandong.database {
        case .sqlite(let path):
            let result = try runProcess("sqlite3", [path, statement])
            #expect(result.status == 0, "sqlite3: \(result.stderr)")
        case .postgres:
            try await (app.db as! any SQLDatabase).raw(SQLQueryString(statement)).run()
        }
    }

    @Test func theChainHoldsAndRecordsWhoWhatWhen() async throws {
        try await withTestApp { app in
            try await populate(app)
            let entries = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            #expect(entries.map(\.action) == ["account.create", "contact.report", "token.issue", "account.create"])
            let report = entries[1]
            #expect(report.entity == "linkage_unit" && report.entityID == "4")
            #expect(report.after?.contains("13812345678") == true)
            #expect(report.actor.hasPrefix("console:"))
            #expect(report.prevHash == entries[0].hash)
            let verification = try await AuditLog.verify(on: app.db)
            #expect(verification.firstBroken == nil)
            #expect(verification.entries == 4 && verification.headSeq == 4)
            #expect(try await app.run(["audit", "verify"]).contains("审计日志完整：共 4 条"))
        }
    }

    @Test func anEditBehindTheApplicationsBackIsFound() async throws {
        try await withTestApp { app in
            try await populate(app)
            try await tamper(app, "UPDATE audit_log SET after = replace(after, '13812345678', '13900000000') WHERE seq = 2")
            let verification = try await AuditLog.verify(on: app.db)
            #expect(verification.firstBroken?.seq == 2)
            #expect(verification.firstBroken?.reason.contains("内容被修改") == true)
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["audit", "verify"]) }
        }
    }

    @Test func aRemovedEntryIsFound() async throws {
        try await withTestApp { app in
            try await populate(app)
            try await tamper(app, "DELETE FROM audit_log WHERE seq = 3")
            #expect(try await AuditLog.verify(on: app.db).firstBroken?.seq == 4)
        }
    }

    @Test func aRemovedLastEntryIsFound() async throws {
        try await withTestApp { app in
            try await populate(app)
            try await tamper(app, "DELETE FROM audit_log WHERE seq = 4")
            let verification = try await AuditLog.verify(on: app.db)
            #expect(verification.firstBroken?.seq == 4)
        }
    }

    @Test func aRecomputedHashDoesNotHideAnEdit() async throws {
        try await withTestApp { app in
            try await populate(app)
            // Changing the content and the entry's own hash still breaks the next link.
            let entries = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            var canonical = AuditLog.Canonical(seq: 2, atMs: entries[1].atMilliseconds, actor: "someone-else", role: entries[1].role,
                                               action: entries[1].action, entity: entries[1].entity, entityId: entries[1].entityID,
                                               before: entries[1].before, after: entries[1].after, source: entries[1].source,
                                               algorithm: entries[1].algorithm, prevHash: entries[1].prevHash)
            let forged = canonical.hash()
            canonical.actor = "someone-else"
            try await tamper(app, "UPDATE audit_log SET actor = 'someone-else', hash = '\(forged)' WHERE seq = 2")
            #expect(try await AuditLog.verify(on: app.db).firstBroken?.seq == 3)
        }
    }

    @Test func anchorPrintsTheHead() async throws {
        try await withTestApp { app in
            try await populate(app)
            let head = try await AuditEntry.query(on: app.db).sort(\.$id, .descending).first()
            let anchor = try await app.run(["audit", "anchor"])
            #expect(anchor.contains("seq=4 \(head!.algorithm)=\(head!.hash)"))
        }
    }
}

@Suite("Backup and restore")
struct BackupTests {
    @Test func aBackupRestoresEveryRecord() async throws {
        guard !TestDatabase.isPostgres else {
            try await withTestApp { app in
                await #expect(throws: CommandFailure.self) { _ = try await app.run(["backup", "/tmp/x.sqlite"]) }
            }
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let live = dir.appendingPathComponent("live.sqlite").path
        let backup = dir.appendingPathComponent("backup.sqlite").path

        let app = try await Application.make(.testing)
        try await configure(app, database: .sqlite(path: live))
        app.commandOutput = .capturing()
        let unit = try await RegisterService.unit(4, on: app.db)
        try await RegisterService.reportContactChange(unit: unit, to: ContactDetails(dutyPhone: "0578-2123456"), reportedAt: Date(),
                                                       reportedBy: "甲", channel: "web", note: nil, actor: .console(), on: app.db)
        #expect(try await app.run(["backup", backup]).contains("已备份"))
        await #expect(throws: CommandFailure.self) { _ = try await app.run(["backup", backup]) }
        // A change after the backup, which the restore takes back.
        try await RegisterService.reportContactChange(unit: unit, to: ContactDetails(dutyPhone: "0578-2999999"), reportedAt: Date(),
                                                       reportedBy: "乙", channel: "web", note: nil, actor: .console(), on: app.db)
        let auditAtBackup = 3 // admin creation, the first report, the backup itself
        do {
            try await Backup.restore(from: backup, to: live, app: app)
        } catch {
            Issue.record("restore failed: \(String(reflecting: error))")
        }
        try await app.asyncShutdown()

        let restored = try await Application.make(.testing)
        try await configure(restored, database: .sqlite(path: live))
        #expect(try await LinkageUnit.query(on: restored.db).count() == 46)
        #expect(try await RegisterService.unit(4, on: restored.db).dutyPhone == "0578-2123456")
        #expect(try await ContactChange.query(on: restored.db).count() == 1)
        #expect(try await AuditEntry.query(on: restored.db).count() == auditAtBackup - 1)
        #expect(try await AuditLog.verify(on: restored.db).firstBroken == nil)
        try await restored.asyncShutdown()

        let garbage = dir.appendingPathComponent("garbage.sqlite").path
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: garbage))
        let third = try await Application.make(.testing)
        try await configure(third, database: .sqlite(path: live))
        await #expect(throws: (any Error).self) { try await Backup.restore(from: garbage, to: live, app: third) }
        try await third.asyncShutdown()
        try? FileManager.default.removeItem(at: dir)
    }
}

@Suite("Audit hash: SHA-256 or SM3, recorded per entry")
struct AuditHashChainTests {
    func tamper(_ app: Application, _ statement: String) async throws { try await AuditTests().tamper(app, statement) }

    /// Entries chained alternately with SHA-256 and SM3, as when a deployment switches.
    func mixedChain(_ app: Application) async throws {
        for (i, algorithm) in [AuditHashAlgorithm.sha256, .sm3, .sm3, .sha256, .sm3].enumerated() {
            try await AuditLog.append(app.db, actor: .console(), action: "unit.update", entity: "linkage_unit", entityID: String(i + 1),
                                      after: ["note": "第\(i + 1)次"], algorithm: algorithm)
        }
    }

    @Test func aChainMixingBothAlgorithmsVerifiesEachEntryWithItsOwn() async throws {
        try await withTestApp { app in
            try await mixedChain(app)
            let entries = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            // The first start's account.create (with the configured algorithm), then the five.
            #expect(entries.dropFirst().map(\.algorithm) == ["sha256", "sm3", "sm3", "sha256", "sm3"])
            let counts = ["sha256": 2, "sm3": 3].merging([entries[0].algorithm: 1], uniquingKeysWith: +)
            let sm3 = entries[2]
            let canonical = AuditLog.Canonical(seq: sm3.id!, atMs: sm3.atMilliseconds, actor: sm3.actor, role: sm3.role, action: sm3.action,
                                               entity: sm3.entity, entityId: sm3.entityID, before: sm3.before, after: sm3.after,
                                               source: sm3.source, algorithm: sm3.algorithm, prevHash: sm3.prevHash)
            #expect(sm3.hash == canonical.hash(using: .sm3) && sm3.hash != canonical.hash(using: .sha256))
            let verification = try await AuditLog.verify(on: app.db)
            #expect(verification.firstBroken == nil)
            #expect(verification.byAlgorithm == counts)
            #expect(verification.headAlgorithm == "sm3")
            #expect(try await app.run(["audit", "verify"]).contains("审计日志完整：共 6 条（SHA-256 \(counts["sha256"]!) 条、SM3 \(counts["sm3"]!) 条）"))
            #expect(try await app.run(["audit", "anchor"]).contains("seq=6 sm3=\(entries[5].hash)"))
        }
    }

    @Test func anEditIsFoundUnderSM3() async throws {
        try await withTestApp { app in
            try await mixedChain(app)
            try await tamper(app, "UPDATE audit_log SET after = replace(after, '第3次', '第9次') WHERE seq = 4")
            let verification = try await AuditLog.verify(on: app.db)
            #expect(verification.firstBroken?.seq == 4)
            #expect(verification.firstBroken?.reason.contains("SM3 摘要不符") == true)
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["audit", "verify"]) }
        }
    }

    @Test func relabellingAnEntryWithTheOtherAlgorithmIsFound() async throws {
        try await withTestApp { app in
            try await mixedChain(app)
            // Switch seq 3 from SM3 to SHA-256 with a correct SHA-256 hash of the relabelled entry:
            // the algorithm is part of what is hashed, and the next entry still links to the old hash.
            let e = try #require(try await AuditEntry.find(3, on: app.db))
            let relabelled = AuditLog.Canonical(seq: 3, atMs: e.atMilliseconds, actor: e.actor, role: e.role, action: e.action, entity: e.entity,
                                                entityId: e.entityID, before: e.before, after: e.after, source: e.source,
                                                algorithm: "sha256", prevHash: e.prevHash).hash(using: .sha256)
            try await tamper(app, "UPDATE audit_log SET algorithm = 'sha256', hash = '\(relabelled)' WHERE seq = 3")
            #expect(try await AuditLog.verify(on: app.db).firstBroken?.seq == 4)
            // An algorithm the log does not know is named.
            try await tamper(app, "UPDATE audit_log SET algorithm = 'md5' WHERE seq = 2")
            #expect(try await AuditLog.verify(on: app.db).firstBroken?.reason.contains("未知的摘要算法 md5") == true)
        }
    }

    @Test func theAlgorithmSettingIsReadStrictly() throws {
        #expect(try auditHashAlgorithm(from: { _ in nil }) == .sha256)
        #expect(try auditHashAlgorithm(from: { ["LIANDONG_AUDIT_HASH": "SM3"][$0] }) == .sm3)
        #expect(try auditHashAlgorithm(from: { ["LIANDONG_AUDIT_HASH": "sha-256"][$0] }) == .sha256)
        #expect(throws: ConfigurationError.self) { try auditHashAlgorithm(from: { ["LIANDONG_AUDIT_HASH": "md5"][$0] }) }
    }
}
