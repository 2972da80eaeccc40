import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The whole database as text: `sqlite3 .dump` of the test's file, or `pg_dump` of the test's
/// schema. Two dumps are equal only if no row was added, changed or removed.
enum DatabaseDump {
    /// `exceptAudit`: without the audit log, whose entries `AccessAudit` checks on its own.
    static func text(_ app: Application, exceptAudit: Bool = false) throws -> String {
        let run: (status: Int32, stdout: String, stderr: String)
        let audit = [AuditEntry.schema, AuditLog.headTable]
        switch app.liandong.database {
        case .sqlite(let path):
            run = try runProcess("sqlite3", [path, ".dump"])
        case .postgres(let url, let searchPath):
            let schema = searchPath?.first ?? "public"
            run = try runProcess("pg_dump", ["--dbname=\(url)", "--schema=\(schema)", "--data-only", "--no-owner"]
                + (exceptAudit ? audit.map { "--exclude-table-data=\(schema).\($0)" } : []))
        }
        guard run.status == 0, !run.stdout.isEmpty else {
            throw AppError(.internalServerError, "dump failed (\(run.status)): \(run.stderr)")
        }
        // pg_dump's session guard lines carry a random key each time; comments carry nothing.
        return run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") && !$0.hasPrefix("--") }
            .filter { line in !exceptAudit || !audit.contains { line.hasPrefix("INSERT INTO \($0) ") || line.hasPrefix("INSERT INTO \"\($0)\" ") } }
            .joined(separator: "\n")
    }

    /// The first lines that differ, for a failure message.
    static func difference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n"), y = b.split(separator: "\n")
        let gone = Set(x).subtracting(y).prefix(3), new = Set(y).subtracting(x).prefix(3)
        return "gone: \(gone.map { String($0.prefix(200)) }) new: \(new.map { String($0.prefix(200)) })"
    }
}

@Suite("Settle on write: facts and their consequences in one transaction, reads that never write")
struct SettleOnWriteTests {
    static let timelines = [
        // 市水利局 late (D9), 市建设局 on time, 市民政局 refused (D10).
        #"{"event_id":"S-1","incident_id":"110-S1","unit":"市水利局","type":"instructed","at":"2026-03-01T08:15:00+08:00"}"#,
        #"{"event_id":"S-2","incident_id":"110-S1","unit":"市水利局","type":"arrived","at":"2026-03-01T08:35:01+08:00"}"#,
        #"{"event_id":"S-2a","incident_id":"110-S1","unit":"市水利局","type":"arrival_reported","at":"2026-03-01T08:36:00+08:00"}"#,
        #"{"event_id":"S-3","incident_id":"110-S1","unit":"市水利局","type":"result_reported","at":"2026-03-01T09:30:00+08:00"}"#,
        #"{"event_id":"S-4","incident_id":"110-S2","unit":"市建设局","type":"instructed","at":"2026-03-02T10:00:00+08:00"}"#,
        #"{"event_id":"S-5","incident_id":"110-S2","unit":"市建设局","type":"arrived","at":"2026-03-02T10:20:00+08:00"}"#,
        #"{"event_id":"S-5a","incident_id":"110-S2","unit":"市建设局","type":"arrival_reported","at":"2026-03-02T10:21:00+08:00"}"#,
        #"{"event_id":"S-6","incident_id":"110-S2","unit":"市建设局","type":"result_reported","at":"2026-03-02T11:00:00+08:00"}"#,
        #"{"event_id":"S-7","incident_id":"110-S3","unit":"市民政局","type":"instructed","at":"2026-03-03T10:00:00+08:00"}"#,
        #"{"event_id":"S-8","incident_id":"110-S3","unit":"市民政局","type":"refused","at":"2026-03-03T10:02:00+08:00"}"#,
    ].joined(separator: "\n") + "\n"

    struct Proposal: Decodable { var id: Int; var item: String; var status: String; var unit: String?; var appealDeadline: String? }

    /// After an import the deductions exist: listed at once and confirmable, notified at the
    /// moment of the import (the appeal window starts there), with nothing read in between.
    @Test func afterAnImportEveryProposalIsThereAndCanBeConfirmed() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("timelines.jsonl", contents: Data(Self.timelines.utf8))
            // The import is notified at the moment of the import, as the (stopped) clock reads it.
            let before = app.liandong.clock.now()
            let out = try await app.run(["dispatches", "import", file.path])
            let after = app.liandong.clock.now()
            #expect(out.contains("新增问题 2 条"))
            struct State: Decodable { var notifiedAt: Date? }
            struct Row: Decodable { var state: String }
            let rows = try await (app.db as! any SQLDatabase).select().column("state").from("deductions").all(decoding: Row.self)
            #expect(rows.count == 2)
            for row in rows {
                let notified = try InspectionService.decode(DeductionState.self, row.state).notifiedAt
                #expect(notified.map { $0 >= before.addingTimeInterval(-0.001) && $0 <= after.addingTimeInterval(0.001) } == true)
            }
            let listed = try await app.run(["deductions", "list", "--status", "proposed", "--format", "json"])
            let proposals = try JSONDecoder.snakeCase.decode([Proposal].self, from: Data(listed.utf8))
            #expect(Set(proposals.map(\.item)) == ["D9", "D10"])
            #expect(proposals.allSatisfy { $0.appealDeadline != nil })
            let late = try #require(proposals.first { $0.item == "D9" })
            let confirmed = try await app.run(["deductions", "confirm", String(late.id), "--agency", "市应急管理局", "--officer", "张应急"])
            #expect(!confirmed.contains("未找到"))
            #expect(try await DeductionService.sync(on: app.db) == (0, 0))
        }
    }

    /// The read commands leave every row as they found it.
    @Test func theReadCommandsWriteNothing() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("timelines.jsonl", contents: Data(Self.timelines.utf8))
            _ = try await app.run(["dispatches", "import", file.path])
            _ = try await app.run(["supervision", "meeting", "--date", "2026-06-20", "--attendees", "三部门分管领导", "--decisions", "通报上半年情况"])
            let before = try DatabaseDump.text(app)
            for command in [["deductions", "list"], ["deductions", "list", "--status", "proposed", "--format", "json"],
                            ["findings", "list"], ["compliance", "--period", "2026"], ["compliance", "--period", "2026-Q1", "--by", "unit"],
                            ["assess", "--year", "2026", "--format", "json"], ["supervision", "status"], ["rules", "list"], ["units", "list"],
                            ["calendar", "list"], ["calendar", "list", "--year", "2026", "--format", "csv"]] {
                _ = try await app.run(command)
                let now = try DatabaseDump.text(app)
                #expect(now == before, "liandong \(command.joined(separator: " ")) wrote: \(DatabaseDump.difference(before, now))")
            }
        }
    }

    /// Every GET route, as every role and as an API client, leaves the database as it was.
    @Test func noPageOrAPIReadWrites() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let file = try Fixtures.temporaryFile("timelines.jsonl", contents: Data(Self.timelines.utf8))
            _ = try await app.run(["dispatches", "import", file.path])
            let police = try await app.signIn(.psb)
            try await app.send(.POST, "checks/drills", as: police, form: ["check_id": "DR-M", "kind": "onsite", "scenario": "模拟", "units[]": "3"])
            _ = try await NoticeService.draft(period: ComplianceService.period(period: "2026-Q1", from: nil, to: nil), title: nil, intro: nil,
                                              actor: .console(), rules: book, on: app.db)
            var users: [TestUser] = [police]
            for role in [Role.admin, .plc, .emb] { users.append(try await app.signIn(role)) }
            users.append(try await app.signIn(.liaison, unitID: 3))
            let (_, bearer) = try await Auth.issueToken(name: "reader", scopes: [.registerRead], actor: .console(), on: app.db)
            // Bookkeeping aside: each session and token was last seen "later", so none is due a refresh.
            let later = app.liandong.clock.now().addingTimeInterval(3600)
            try await (app.db as! any SQLDatabase).update(AuthSession.schema).set("last_seen_at", to: SQLBind(later)).run()
            try await (app.db as! any SQLDatabase).update(ApiToken.schema).set("last_used_at", to: SQLBind(later)).run()
            let before = try DatabaseDump.text(app, exceptAudit: true)
            let auditBefore = try await AuditEntry.query(on: app.db).count()
            let gets = AuthorizationMatrixTests.cases.filter { $0.method == .GET }
            for c in gets {
                for user in users as [TestUser?] + [nil] {
                    try await app.testing().test(.GET, c.path, beforeRequest: { req in user?.sign(&req) }) { res in
                        #expect(res.status.code < 500, "\(c.path) \(res.status)")
                    }
                }
                if c.path.hasPrefix("/api/") {
                    try await app.testing().test(.GET, c.path, beforeRequest: { req in req.headers.bearerAuthorization = .init(token: bearer) })
                }
            }
            let after = try DatabaseDump.text(app, exceptAudit: true)
            #expect(after == before, "a GET wrote: \(DatabaseDump.difference(before, after))")
            // What a read adds is the record of what it disclosed or refused, nothing else.
            let added = try await AuditEntry.query(on: app.db).sort(\.$id).all().dropFirst(auditBefore).map(\.action)
            #expect(!added.isEmpty, "exports, unmasked views and refusals are recorded")
            #expect(Set(added).isSubset(of: AccessAudit.actions), "\(Set(added).subtracting(AccessAudit.actions))")
        }
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}

@Suite("Scheduled judging: once per boundary, one runner at a time")
struct ScheduledJudgementTests {
    static let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!

    struct N: Decodable { var n: Int }

    /// The dispatch's findings and the deductions proposed from them.
    static func dispatchCounts(_ app: Application) async throws -> (findings: Int, deductions: Int) {
        let sql = app.db as! any SQLDatabase
        let findings = try await sql.raw("SELECT COUNT(*) AS n FROM findings WHERE source = 'dispatch'").first(decoding: N.self)?.n ?? -1
        let deductions = try await sql.raw("""
            SELECT COUNT(*) AS n FROM deductions JOIN findings ON findings.id = deductions.finding_id WHERE findings.source = 'dispatch'
            """).first(decoding: N.self)?.n ?? -1
        return (findings, deductions)
    }

    /// A dispatch instructed and never heard of again: judged only once its report deadline passes.
    static func silentDispatch(_ app: Application) async throws {
        _ = try await DispatchService.ingest([DispatchEventInput(eventID: "J-1", incidentID: "110-J", unit: "市水利局", type: .instructed, at: t0)],
                                             actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(600), on: app.db)
    }

    static func deadlinePassed(_ app: Application) -> Date {
        t0.addingTimeInterval(Double(app.liandong.ruleBook.latest.reportGraceHours * 3600) + 60)
    }

    @Test func judgingTwiceChangesNothing() async throws {
        try await withTestApp { app in
            try await Self.silentDispatch(app)
            #expect(try await Self.dispatchCounts(app) == (0, 0))
            let first = try #require(try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: Self.deadlinePassed(app), on: app.db))
            #expect(first.dispatchesJudged == 1)
            // The finding (D10, never arrived) and its proposal, together.
            let counts = try await Self.dispatchCounts(app)
            #expect(counts.findings == 1 && counts.deductions == 1, "\(counts)")
            let dump = try DatabaseDump.text(app)
            let second = try #require(try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: Self.deadlinePassed(app), on: app.db))
            #expect(second == ScheduledJudgement.Summary())
            #expect(try DatabaseDump.text(app) == dump)
            // By hand, the same.
            let out = try await app.run(["judge"])
            #expect(out.contains("判定超期警情 0 起"))
            #expect(try DatabaseDump.text(app) == dump)
        }
    }

    /// A new deployment whose plans register holds nothing yet is not charged for the years
    /// before it (D6 for every county since 2021 was found on the first scheduled round).
    @Test func aNewDeploymentIsNotChargedForTheYearsBeforeIt() async throws {
        try await withTestApp { app in
            let summary = try #require(try await ScheduledJudgement.run(rules: app.liandong.ruleBook, on: app.db))
            #expect(summary == ScheduledJudgement.Summary())
            #expect(try await ConcurrentIngestTests.count("findings", app) == 0)
        }
    }

    /// `--date`: a day in the past judges as at its end; a day ahead never runs ahead of the clock.
    @Test func theDateOptionNeverRunsAheadOfTheClock() throws {
        let now = ChinaTime.parseTimestamp("2026-03-04T10:00:00+08:00")!
        #expect(try ScheduledJudgement.moment(date: "2026-03-02", now: now) == ChinaTime.parseTimestamp("2026-03-02T23:59:59+08:00")!)
        #expect(try ScheduledJudgement.moment(date: "2026-03-09", now: now) == now)
        #expect(try ScheduledJudgement.moment(date: nil, now: now) == now)
        #expect(throws: CommandFailure.self) { try ScheduledJudgement.moment(date: "3月2日", now: now) }
    }

    /// Two app servers on one database start the job together: the dispatch is judged once, one
    /// audit entry says so, one finding and one proposal exist.
    @Test func twoServersStartingTogetherJudgeOnce() async throws {
        try await withTestApp { app in
            let other = try await Application.make(.testing)
            other.commandOutput = .capturing()
            do {
                try await configure(other, database: app.liandong.database)
                try await Self.silentDispatch(app)
                let moment = Self.deadlinePassed(app)
                async let a = ScheduledJudgement.run(rules: app.liandong.ruleBook, now: moment, on: app.db)
                async let b = ScheduledJudgement.run(rules: other.liandong.ruleBook, now: moment, on: other.db)
                let results = try await [a, b]
                #expect(results.compactMap { $0?.dispatchesJudged }.reduce(0, +) == 1)
                let counts = try await Self.dispatchCounts(app)
                #expect(counts.findings == 1 && counts.deductions == 1, "\(counts)")
                let judged = try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.judge_pending").count()
                #expect(judged == 1)
            } catch {
                try? await other.asyncShutdown()
                throw error
            }
            try await other.asyncShutdown()
        }
    }

    /// While one server holds the runner's lock, another skips its round (PostgreSQL).
    @Test(.enabled(if: TestDatabase.isPostgres)) func aServerSkipsWhileAnotherJudges() async throws {
        try await withTestApp { app in
            try await Self.silentDispatch(app)
            let other = try await Application.make(.testing)
            other.commandOutput = .capturing()
            do {
                try await configure(other, database: app.liandong.database)
                try await other.db.withConnection { conn in
                    let holder = conn as! any SQLDatabase
                    try await holder.raw("SELECT pg_advisory_lock(\(bind: ScheduledJudgement.lockKey), hashtext(current_schema()))").run()
                    let skipped = try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: Self.deadlinePassed(app), on: app.db)
                    #expect(skipped == nil)
                    try await holder.raw("SELECT pg_advisory_unlock(\(bind: ScheduledJudgement.lockKey), hashtext(current_schema()))").run()
                }
            } catch {
                try? await other.asyncShutdown()
                throw error
            }
            try await other.asyncShutdown()
            #expect(try await Self.dispatchCounts(app) == (0, 0))
            let ran = try await ScheduledJudgement.run(rules: app.liandong.ruleBook, now: Self.deadlinePassed(app), on: app.db)
            #expect(ran?.dispatchesJudged == 1)
        }
    }
}
