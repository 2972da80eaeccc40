import Fluent
import Foundation
import LiandongCore
import SQLKit

/// Failed sign-ins in a row per subject (an account, or a username that names none, so that the
/// answers never tell the two apart) and client address. After `lockoutThreshold` of them that
/// address may not try that subject for `lockoutMinutes`; the account's owner signing in from
/// elsewhere is not affected. The same count over every address (`source` "*") locks the account
/// itself at `accountLockoutThreshold`, for a guessing attack spread over many addresses.
enum LoginThrottle {
    static let table = "login_failures"
    /// The row that counts a subject's failures from every address.
    static let everywhere = "*"

    static func subject(account: Account?, username: String) -> String {
        if let id = account?.id { return "account:\(id)" }
        return "user:" + username.lowercased()
    }

    private struct Row: Decodable { var failures: Int; var locked_until: Date? }

    /// Until when `source` may not try `subject`; nil when it may.
    static func pausedUntil(_ subject: String, source: String, now: Date, on db: any Database) async throws -> Date? {
        let row = try await (db as! any SQLDatabase).select().columns("failures", "locked_until").from(table)
            .where("subject", .equal, SQLBind(subject)).where("source", .equal, SQLBind(source)).first(decoding: Row.self)
        return row?.locked_until.flatMap { $0 > now ? $0 : nil }
    }

    /// Counts a failure of `source` at `subject`; returns the end of the pause this one starts.
    static func fail(_ subject: String, source: String, threshold: Int, minutes: Int, now: Date, on db: any Database) async throws -> Date? {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let row = try await sql.select().columns("failures", "locked_until").from(table)
                .where("subject", .equal, SQLBind(subject)).where("source", .equal, SQLBind(source)).first(decoding: Row.self)
            // A pause that ran out starts the count afresh.
            var failures = (row?.locked_until.map { $0 <= now } ?? false) ? 1 : (row?.failures ?? 0) + 1
            var until: Date?
            if failures >= threshold {
                until = now.addingTimeInterval(Double(minutes * 60))
                failures = 0
            }
            if row == nil {
                try await sql.insert(into: table).columns("subject", "source", "failures", "locked_until", "updated_at")
                    .values(SQLBind(subject), SQLBind(source), SQLBind(failures), SQLBind(until), SQLBind(now)).run()
            } else {
                try await sql.update(table).set("failures", to: SQLBind(failures)).set("locked_until", to: SQLBind(until ?? row?.locked_until))
                    .set("updated_at", to: SQLBind(now))
                    .where("subject", .equal, SQLBind(subject)).where("source", .equal, SQLBind(source)).run()
            }
            return until
        }
    }

    /// Forgets the failures of `sources` at `subject` (all of them when nil).
    static func clear(_ subject: String, sources: [String]? = nil, on db: any Database) async throws {
        var delete = (db as! any SQLDatabase).delete(from: table).where("subject", .equal, SQLBind(subject))
        if let sources { delete = delete.where("source", .in, SQLBind.group(sources)) }
        try await delete.run()
    }

    /// What the person is told when sign-in is paused: the same for every username.
    static func pausedMessage(until: Date) -> String {
        "登录失败次数过多，已暂停登录至\(ChinaTime.displayString(until).suffix(5))；如需提前解除，请联系管理员"
    }
}
