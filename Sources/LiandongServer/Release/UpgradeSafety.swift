import Fluent
import Foundation
import Logging
import SQLKit
import Vapor

/// The database was migrated by a newer release than this one: its migration log names
/// migrations this binary does not know. Running on it could misread or damage what the newer
/// release wrote, so nothing starts (rolling back is restoring the backup taken before the
/// upgrade, INSTALL.md).
struct NewerDatabaseError: Error, CustomStringConvertible {
    var unknownMigrations: [String]

    var description: String {
        "数据库已由较新版本的联动系统升级（本版本 \(LiandongVersion.string) 不认识其中的迁移：\(unknownMigrations.joined(separator: "、"))），"
            + "本版本不能在其上运行，以免误读或损坏数据。请安装升级所用的较新版本；如需回退到本版本，"
            + "请先停止服务，再恢复升级前的备份（见 INSTALL.md“回退”一节）。"
    }
}

/// Upgrading in place (issue 22): what happens before the first migration of a new release.
enum UpgradeSafety {
    /// Brings the schema up to date. On an existing SQLite database with migrations to apply, a
    /// consistent copy of the file is written beside it first and named on the log; on PostgreSQL
    /// the log says the operator must have backed up (pg_dump) before starting the new version.
    /// A fresh database is created without either.
    static func migrate(_ app: Application, _ setting: DatabaseSetting) async throws {
        let logger = app.logger
        let db = app.db
        let ran = try await SchemaMigrator.run(LiandongMigrations.all, on: db, logger: logger) { pending, recorded in
            guard !recorded.isEmpty else { return }
            switch setting {
            case .sqlite(let path):
                let copy = try await backUp(sqlite: path, on: db)
                logger.notice("升级前已备份 SQLite 数据库：\(copy)（待执行迁移 \(pending.count) 个：\(pending.joined(separator: "、"))）",
                              metadata: ["backup": .string(copy), "version": .string(LiandongVersion.string)])
            case .postgres:
                logger.warning("即将对 PostgreSQL 数据库执行 \(pending.count) 个迁移（\(pending.joined(separator: "、"))）。本程序不会自动备份 PostgreSQL：升级前应已用 pg_dump 备份（见 INSTALL.md“升级”一节）",
                               metadata: ["version": .string(LiandongVersion.string)])
            }
        }
        if !ran.isEmpty {
            logger.notice("数据库已升级到版本 \(LiandongVersion.string) 的结构（执行迁移 \(ran.count) 个）")
        }
    }

    /// The path of the copy taken before `version` migrates the SQLite file at `path`:
    /// `liandong-before-0.2.0-20261202T124500Z.sqlite` beside `liandong.sqlite`.
    static func backupPath(for path: String, version: String = LiandongVersion.string, at date: Date = Date(), attempt: Int = 1) -> String {
        let url = URL(fileURLWithPath: path)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var base = url.deletingPathExtension().lastPathComponent
        if base.isEmpty { base = "liandong" }
        let ext = url.pathExtension.isEmpty ? "sqlite" : url.pathExtension
        return url.deletingLastPathComponent().appendingPathComponent("\(base)-before-\(version)-\(formatter.string(from: date))\(attempt > 1 ? "-\(attempt)" : "").\(ext)").path
    }

    /// Writes the copy with VACUUM INTO (one read transaction: consistent even while another
    /// process writes) and returns its path. Fails, and so stops the start, if it cannot.
    static func backUp(sqlite path: String, on db: any Database, at date: Date = Date()) async throws -> String {
        var attempt = 1
        var copy = backupPath(for: path, at: date)
        while FileManager.default.fileExists(atPath: copy) {
            attempt += 1
            copy = backupPath(for: path, at: date, attempt: attempt)
        }
        do {
            try await (db as! any SQLDatabase).raw("VACUUM INTO \(bind: copy)").run()
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL",
                                     message: "升级前无法备份 SQLite 数据库到 \(copy)（\(String(reflecting: error))），未执行迁移；请检查数据目录的空间和权限")
        }
        return copy
    }
}
