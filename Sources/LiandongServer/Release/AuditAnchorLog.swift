import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import Vapor

/// The audit chain's head, written to the server's log once a day (the first judging round after
/// start, then the first of each day in China), so that a copy of it exists outside the database:
/// journald, and whatever collects it. The same line as `liandong audit anchor`.
final class AuditAnchorLog: Sendable {
    private let lastDay = NIOLockedValueBox<LocalDate?>(nil)

    /// Logs the anchor if none was logged today by this process; a failure is logged, not thrown.
    func logIfDue(_ app: Application, now: Date) async {
        let today = LocalDate(now)
        let due = lastDay.withLockedValue { last -> Bool in
            guard last != today else { return false }
            last = today
            return true
        }
        guard due else { return }
        do {
            let line = try await Self.line(on: app.db, now: now)
            app.logger.notice("\(line)", metadata: ["audit_anchor": .string("daily")])
        } catch {
            lastDay.withLockedValue { $0 = nil }
            app.logger.error("audit anchor: \(String(reflecting: error))")
        }
    }

    /// `2026-12-02T08:00:00+08:00 seq=1234 sha256=…`, and `（链已损坏）` when the chain does not verify.
    static func line(on db: any Database, now: Date) async throws -> String {
        let result = try await AuditLog.verify(on: db)
        return "审计链头 \(ChinaTime.isoString(now)) seq=\(result.headSeq) \(result.headAlgorithm)=\(result.headHash)\(result.firstBroken == nil ? "" : "（链已损坏）")"
    }
}
