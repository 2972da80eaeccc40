import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// What time alone decides, judged in one place (architecture principle 9): report deadlines
/// passing (D10 for a dispatch never closed), plan dates falling due (D1–D5), supervision periods
/// ending without their duty (D7), and any finding not yet proposed as a deduction. Every writer
/// settles its own consequences; this runner only takes what a clock passing brings. Each step is
/// idempotent, so running it twice, or on two servers, judges each boundary once. With several app
/// servers on one PostgreSQL database only one runs it at a time (an advisory lock held by the
/// round's transaction); the others skip that round.
enum ScheduledJudgement {
    struct Summary: Sendable, Equatable, Encodable {
        var dispatchesJudged = 0
        var planFindingsAdded = 0
        var planFindingsWithdrawn = 0
        var supervisionFindingsAdded = 0
        var supervisionFindingsWithdrawn = 0
        var deductionsProposed = 0
        var deductionsWithdrawn = 0

        var chinese: String {
            "判定超期警情 \(dispatchesJudged) 起；应急预案问题新增 \(planFindingsAdded) 条、撤销 \(planFindingsWithdrawn) 条；"
                + "日常监督问题新增 \(supervisionFindingsAdded) 条、撤销 \(supervisionFindingsWithdrawn) 条；"
                + "补提扣分 \(deductionsProposed) 条、撤销 \(deductionsWithdrawn) 条"
        }
    }

    /// The advisory-lock key of the runner, with the schema's hash as the second key (tests run
    /// many schemas side by side); the start-up lock uses 19524.
    static let lockKey: Int32 = 19_525

    /// Judges as of `now`. Returns nil when another server is judging at this moment.
    static func run(rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Summary? {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else {
            // SQLite: one server per file; its write queue orders the steps with every other write.
            return try await judge(rules: rules, now: now, on: db)
        }
        // The round in one transaction holding a transaction-level lock: released at commit or
        // rollback, whatever happens to the connection afterwards.
        return try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            struct Got: Decodable { var got: Bool }
            let got = try await sql.raw("SELECT pg_try_advisory_xact_lock(\(bind: lockKey), hashtext(current_schema())) AS got")
                .first(decoding: Got.self)?.got ?? false
            guard got else { return nil }
            return try await judge(rules: rules, now: now, on: tx)
        }
    }

    private static func judge(rules: RuleBook, now: Date, on db: any Database) async throws -> Summary {
        var summary = Summary()
        summary.dispatchesJudged = try await DispatchService.judgePending(rules: rules, now: now, on: db)
        let today = LocalDate(now)
        let plans = try await PlanService.judge(rules: rules, asOf: today, now: now, on: db)
        summary.planFindingsAdded = plans.added.count
        summary.planFindingsWithdrawn = plans.withdrawn.count
        let supervision = try await InspectionService.judgeSupervision(asOf: today, rules: rules, now: now, on: db)
        summary.supervisionFindingsAdded = supervision.added.count
        summary.supervisionFindingsWithdrawn = supervision.withdrawn.count
        let deductions = try await DeductionService.sync(now: now, on: db)
        summary.deductionsProposed = deductions.proposed
        summary.deductionsWithdrawn = deductions.withdrawn
        return summary
    }

    /// `--date D`: the end of that day in China, or now if that is earlier (a judgement never
    /// runs ahead of the clock).
    static func moment(date: String?, now: Date = Date()) throws -> Date {
        guard let raw = date else { return now }
        guard let day = LocalDate(raw) else { throw CommandFailure("--date 应为日期，如 2026-03-04") }
        return min(day.adding(days: 1).start.addingTimeInterval(-1), now)
    }
}

/// `liandong judge [--date D]`: the scheduled judging, once, by hand.
struct JudgeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "date", help: "判定截至该日（默认现在）") var date: String?
    }

    var help: String { "判定随时间到期的事项：超过反馈期限的警情、应急预案到期事项、日常监督期间（D7），并补提扣分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let now = try ScheduledJudgement.moment(date: signature.date, now: app.liandong.clock.now())
        try await WorkingCalendarStore.refresh(app)
        guard let summary = try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: now, on: app.db) else {
            app.commandOutput.write("另一台服务器正在判定，本次未执行\n")
            return
        }
        app.commandOutput.write(summary.chinese + "\n")
    }
}

/// While the server runs, the scheduled judging every five minutes (the first half a minute
/// after start, which also catches up a database written by an older version).
final class PendingJudgement: LifecycleHandler, Sendable {
    private let task = NIOLockedValueBox<RepeatedTask?>(nil)
    private let anchor = AuditAnchorLog()

    func didBootAsync(_ application: Application) async throws {
        guard application.environment != .testing else { return }
        let app = application
        let anchor = self.anchor
        let repeated = application.eventLoopGroup.next().scheduleRepeatedAsyncTask(initialDelay: .seconds(30), delay: .minutes(5)) { _ in
            app.eventLoopGroup.next().makeFutureWithTask {
                do {
                    // Every server reads the working calendar again each round, judging or not:
                    // an import on another server reaches this one's pages within a round.
                    try await WorkingCalendarStore.refresh(app)
                    _ = try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: app.liandong.clock.now(), on: app.db)
                    if let outbound = app.liandong.outbound {
                        try await UnitInbox.deliver(via: outbound, now: app.liandong.clock.now(), rules: app.liandong.ruleBook, on: app.db)
                    }
                } catch {
                    app.logger.error("scheduled judging failed: \(String(reflecting: error))")
                }
                // The audit chain's head, once a day, to the log (an external copy of it).
                await anchor.logIfDue(app, now: app.liandong.clock.now())
            }
        }
        task.withLockedValue { $0 = repeated }
    }

    func shutdownAsync(_ application: Application) async {
        task.withLockedValue { $0?.cancel(); $0 = nil }
    }
}
