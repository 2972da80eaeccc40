import Fluent
import FluentSQLiteDriver
import LiandongSQLite
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The bulk ingest path, one way per database: on SQLite the project's own writing connection
/// (statements compiled once per transaction), on PostgreSQL `COPY` into a staging table merged
/// by one `INSERT … SELECT … ON CONFLICT`. Both store the same rows.
@Suite("Bulk ingest: SQLite writer and PostgreSQL COPY")
struct BulkIngestTests {
    /// A past year: events more than a day ahead of the clock are refused.
    static let year = Period.year(2025)
    /// After the year, so every dispatch is past its grace period and judged in full.
    static let now = year.endInstant.addingTimeInterval(86_400 * 2)

    static func events(dispatches: Int, seed: UInt64) -> [DispatchEventInput] {
        let units = Annex2.cityUnits.enumerated().map { i, u in
            GeneratorUnit(id: i + 1, name: u.name, level: u.level, publicSecurity: u.publicSecurity)
        }
        var generator = DispatchGenerator(units: units, rules: .initial, seed: seed)
        return generator.events(in: year, dispatches: dispatches)
    }

    struct EventRow: Decodable, Hashable {
        var event_id: String; var incident_id: String; var unit_id: Int; var type: String; var at: Date
        var on_site_required: Bool?; var exercise: Bool; var note: String?; var drill_id: String?; var received_at: Date
    }

    struct DispatchRow: Decodable, Hashable {
        var incident_id: String; var unit_id: Int; var jurisdiction_id: String; var level: Int; var public_security: Bool
        var exercise: Bool; var on_site_required: Bool; var instructed_at: Date?; var acknowledged_at: Date?; var arrived_at: Date?
        var arrival_reported_at: Date?; var result_reported_at: Date?; var closed_at: Date?; var refused: Bool; var passed_on: Bool
        var limit_seconds: Int?; var elapsed_seconds: Int?; var ack_seconds: Int?; var on_time: Bool?; var settled: Bool; var judged_at: Date
    }

    struct FindingRow: Decodable, Hashable {
        var key: String; var unit_id: Int?; var agency: String?; var jurisdiction_id: String?; var item: String; var kind: String
        var source: String; var ref: String; var occurred_at: Date; var points_tenths: Int; var reason: String; var rule_version: String
        var created_at: Date; var withdrawn_at: Date?
    }

    struct DeductionRow: Decodable, Hashable {
        var key: String; var status: String; var item: String; var points_tenths: Int; var awaiting: String?
    }

    struct Snapshot: Equatable {
        var events: [EventRow]
        var dispatches: [DispatchRow]
        var findings: [FindingRow]
        var deductions: [DeductionRow]
        var audits: Int
    }

    /// A time as both databases keep it: SQLite a double of seconds, PostgreSQL microseconds.
    static func ms(_ date: Date) -> Date { Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000) }
    static func ms(_ date: Date?) -> Date? { date.map { ms($0) } }

    /// Every row of the ingest's tables, in the same order on both databases (sorted here by the
    /// keys' bytes: the databases' collations differ), times to the millisecond.
    static func snapshot(_ app: Application) async throws -> Snapshot {
        let sql = app.db as! any SQLDatabase
        func all<T: Decodable>(_ table: String, _ type: T.Type) async throws -> [T] {
            try await sql.select().column("*").from(table).all(decoding: T.self)
        }
        func before(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        let events = try await all("dispatch_events", EventRow.self).map { e in
            var e = e; e.at = ms(e.at); e.received_at = ms(e.received_at); return e
        }.sorted { before($0.event_id, $1.event_id) }
        let dispatches = try await all("dispatches", DispatchRow.self).map { d in
            var d = d
            d.instructed_at = ms(d.instructed_at); d.acknowledged_at = ms(d.acknowledged_at); d.arrived_at = ms(d.arrived_at)
            d.arrival_reported_at = ms(d.arrival_reported_at); d.result_reported_at = ms(d.result_reported_at)
            d.closed_at = ms(d.closed_at); d.judged_at = ms(d.judged_at)
            return d
        }.sorted { $0.incident_id == $1.incident_id ? $0.unit_id < $1.unit_id : before($0.incident_id, $1.incident_id) }
        let findings = try await all("findings", FindingRow.self).map { f in
            var f = f; f.occurred_at = ms(f.occurred_at); f.created_at = ms(f.created_at); f.withdrawn_at = ms(f.withdrawn_at); return f
        }.sorted { before($0.key, $1.key) }
        let deductions = try await sql.select()
            .column(SQLColumn("key", table: "findings")).column(SQLColumn("status", table: "deductions"))
            .column(SQLColumn("item", table: "deductions")).column(SQLColumn("points_tenths", table: "deductions"))
            .column(SQLColumn("awaiting", table: "deductions"))
            .from("deductions").join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .all(decoding: DeductionRow.self).sorted { before($0.key, $1.key) }
        return Snapshot(events: events, dispatches: dispatches, findings: findings, deductions: deductions,
                        audits: try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.ingest").count())
    }

    static func count(_ table: String, _ app: Application) async throws -> Int {
        try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func onSQLiteEveryWriteRunsOnTheProjectsOwnConnection() async throws {
        try await withTestApp(database: .sqlite) { app in
            // The same SQLite library as SQLiteNIO's: one copy in the process.
            #expect(sqlite_nio_sqlite3_libversion_number() == SQLiteConnection.libraryVersion())
            let path = try #require(app.db.sqliteWriter?.path)
            // Another connection, SQLiteNIO's, that does not wait for the lock.
            let other = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await other.query("PRAGMA busy_timeout = 0")
            struct Pragmas: Decodable { var synchronous: Int }
            let seen = try await app.db.writeTransaction { tx -> Int in
                #expect(tx is SQLiteWriterDatabase)
                // BEGIN IMMEDIATE: the write lock is the writer's before its first statement.
                do {
                    _ = try await other.query("BEGIN IMMEDIATE")
                    Issue.record("another connection took the write lock during a write transaction")
                    _ = try await other.query("ROLLBACK")
                } catch let error as SQLiteError {
                    #expect(error.isContention, "\(error)")
                }
                return try await (tx as! any SQLDatabase).raw("PRAGMA synchronous").first(decoding: Pragmas.self)?.synchronous ?? -1
            }
            // FULL (2) unless LIANDONG_SQLITE_SYNCHRONOUS says otherwise.
            #expect(seen == 2)
            // The lock is free again once the transaction is over.
            _ = try await other.query("BEGIN IMMEDIATE")
            _ = try await other.query("ROLLBACK")
            try await other.close()
            struct Mode: Decodable { var journal_mode: String }
            #expect(try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode").first(decoding: Mode.self)?.journal_mode == "wal")
        }
    }

    /// Text with what COPY's text format must escape, Chinese, NULLs, and times before and after
    /// 2000 with fractions of a second: what the bulk path stores reads back as SQLKit's own
    /// statements store it.
    @Test func bulkRowsStoreExactlyWhatBoundStatementsStore() async throws {
        try await withTestApp { app in
            let sql = app.db as! any SQLDatabase
            try await sql.raw("CREATE TABLE bulk_probe (k TEXT PRIMARY KEY, t TEXT, i BIGINT, b BOOLEAN, d \(unsafeRaw: TestDatabase.isPostgres ? "TIMESTAMPTZ" : "REAL"))").run()
            let texts = ["a\tb\nc\\d\re", "联动处置,反馈“已到场”", "", "\\N", " trailing ", "emoji 🚒"]
            let dates = [Date(timeIntervalSince1970: 1_740_787_200.123456), Date(timeIntervalSince1970: 946_684_799.5),
                         Date(timeIntervalSince1970: -86_400.25), Date(timeIntervalSince1970: 1_767_225_599.999999)]
            var built: [[BulkValue]] = []
            for (i, text) in texts.enumerated() {
                built.append([.text("bulk-\(i)"), .text(text), .int(i * 1_000_000_007 - 3), .bool(i % 2 == 0), .date(dates[i % dates.count])])
            }
            built.append([.text("bulk-null"), .text(nil), .int(nil), .bool(nil), .date(nil)])
            let rows = built
            try await app.db.writeTransaction { tx in
                try await BulkInsert(table: "bulk_probe", columns: ["k", "t", "i", "b", "d"]).run(rows, on: tx as! any SQLDatabase)
                let keys = (0..<texts.count).map { "bulk-\($0)" } + ["bulk-null"]
                let bound = zip(keys, rows).map { key, row in [BulkValue.text("bound" + key)] + row.dropFirst() }
                for row in bound {
                    try await (tx as! any SQLDatabase).insert(into: "bulk_probe").columns("k", "t", "i", "b", "d").values(row.map(\.bind)).run()
                }
            }
            struct Row: Decodable, Equatable { var k: String; var t: String?; var i: Int?; var b: Bool?; var d: Date? }
            let stored = try await sql.select().column("*").from("bulk_probe").all(decoding: Row.self)
            let byKey = Dictionary(uniqueKeysWithValues: stored.map { ($0.k, $0) })
            #expect(stored.count == rows.count * 2)
            for row in stored where !row.k.hasPrefix("bound") {
                let twin = try #require(byKey["bound" + row.k])
                #expect(Row(k: row.k, t: twin.t, i: twin.i, b: twin.b, d: twin.d) == row, "\(row.k)")
            }
            #expect(byKey["bulk-0"]?.t == texts[0])
            #expect(byKey["bulk-null"] == Row(k: "bulk-null", t: nil, i: nil, b: nil, d: nil))
            // Upsert: a second batch on the same keys takes the new values of the listed columns.
            try await app.db.writeTransaction { tx in
                try await BulkInsert(table: "bulk_probe", columns: ["k", "t", "i"], conflict: (["k"], ["t"]))
                    .run([[.text("bulk-1"), .text("改"), .int(5)], [.text("bulk-new"), .text("新"), .int(6)]], on: tx as! any SQLDatabase)
            }
            let after = try await sql.select().column("*").from("bulk_probe").all(decoding: Row.self)
            #expect(after.first { $0.k == "bulk-1" }?.t == "改" && after.first { $0.k == "bulk-1" }?.i == byKey["bulk-1"]?.i)
            #expect(after.first { $0.k == "bulk-new" }?.i == 6)
            // Outside a write transaction a bulk write is refused before it writes anything.
            await #expect(throws: BulkInsert.NotInWriteTransaction.self) {
                try await BulkInsert(table: "bulk_probe", columns: ["k"]).run([[.text("loose")]], on: sql)
            }
        }
    }

    /// The same timelines, in the same batches, on SQLite (the project's writer) and PostgreSQL
    /// (COPY; when `TEST_DATABASE_URL` is set): a first batch with part of the timelines, then the
    /// whole file again (resent events are known; later events re-judge dispatches and withdraw
    /// findings they answer), then the whole file once more (nothing changes).
    @Test func sqliteAndPostgreSQLStoreExactlyTheSameRows() async throws {
        let events = Self.events(dispatches: 1_500, seed: 7)
        let first = Array(events.prefix(events.count * 3 / 5))
        func ingestAll(_ app: Application) async throws -> (Snapshot, [IngestSummary]) {
            let book = app.liandong.ruleBook
            let summaries = [
                try await DispatchService.ingest(first, actor: .console(), rules: book, now: Self.now, on: app.db),
                try await DispatchService.ingest(events, actor: .console(), rules: book, now: Self.now.addingTimeInterval(60), on: app.db),
                try await DispatchService.ingest(events, actor: .console(), rules: book, now: Self.now.addingTimeInterval(120), on: app.db),
            ]
            return (try await Self.snapshot(app), summaries)
        }
        let (sqlite, summaries) = try await withTestApp(database: .sqlite, ingestAll)
        #expect(summaries[1].known == first.count && summaries[1].new == events.count - first.count)
        #expect(summaries[1].findingsWithdrawn > 0)
        #expect(summaries[2].known == events.count && summaries[2].new == 0 && summaries[2].findingsAdded == 0)
        #expect(sqlite.events.count == events.count && sqlite.audits == 2)
        #expect(!sqlite.findings.isEmpty && sqlite.findings.contains { $0.withdrawn_at != nil })
        #expect(!sqlite.deductions.isEmpty && sqlite.deductions.contains { $0.status == DeductionStatus.withdrawn.rawValue })
        guard TestDatabase.isPostgres else { return }
        let (postgres, postgresSummaries) = try await withTestApp(database: .postgres, ingestAll)
        #expect(postgresSummaries == summaries)
        #expect(postgres.events == sqlite.events)
        #expect(postgres.dispatches == sqlite.dispatches)
        #expect(postgres.findings == sqlite.findings)
        #expect(postgres.deductions == sqlite.deductions)
        #expect(postgres == sqlite)
    }

    @Test func aBadLineInTheMiddleOfALargeFileLeavesNothing() async throws {
        try await withTestApp { app in
            var lines = String(decoding: DispatchGenerator.jsonLines(Self.events(dispatches: 3_000, seed: 11)), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            // An arrival before its instruction, for an instruction in the middle of the file:
            // found only once the file is in the transaction.
            let middle = lines.indices.dropFirst(lines.count / 2).first { lines[$0].contains(#""type":"instructed""#) }!
            let object = try JSONSerialization.jsonObject(with: Data(lines[middle].utf8)) as! [String: Any]
            let incident = object["incident_id"] as! String, unit = object["unit"] as! String
            lines.insert(#"{"event_id":"BAD-1","incident_id":"\#(incident)","unit":"\#(unit)","type":"arrived","at":"2024-12-31T00:00:00+08:00"}"#,
                         at: middle + 1)
            let file = try Fixtures.temporaryFile("large.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
            do {
                _ = try await app.run(["dispatches", "import", file.path])
                Issue.record("the file was accepted")
            } catch let error as ImportError {
                #expect(error.row == middle + 2 && error.field == "at", "\(error)")
            }
            for table in ["dispatch_events", "dispatches", "findings"] { #expect(try await Self.count(table, app) == 0, "\(table)") }
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.ingest").count() == 0)
        }
    }

    @Test func aFailureWhileRowsAreBeingWrittenRollsBackTheWholeFile() async throws {
        try await withTestApp { app in
            let events = Self.events(dispatches: 3_000, seed: 13)
            let victim = events[events.count * 2 / 3].eventID
            let sql = app.db as! any SQLDatabase
            // The database itself refuses one row, after thousands were written in the transaction.
            if TestDatabase.isPostgres {
                try await sql.raw("""
                    CREATE FUNCTION refuse_event() RETURNS trigger AS $$ BEGIN
                    IF NEW.event_id = \(literal: victim) THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql
                    """).run()
                try await sql.raw("CREATE TRIGGER refuse_event BEFORE INSERT ON dispatch_events FOR EACH ROW EXECUTE FUNCTION refuse_event()").run()
            } else {
                try await sql.raw("CREATE TRIGGER refuse_event BEFORE INSERT ON dispatch_events WHEN NEW.event_id = \(literal: victim) BEGIN SELECT RAISE(ABORT, 'refused'); END").run()
            }
            await #expect(throws: (any Error).self) {
                _ = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: Self.now, on: app.db)
            }
            for table in ["dispatch_events", "dispatches", "findings"] { #expect(try await Self.count(table, app) == 0, "\(table)") }
            // The connection is fine afterwards: without the trigger the same file goes in whole.
            try await sql.raw("DROP TRIGGER refuse_event\(unsafeRaw: TestDatabase.isPostgres ? " ON dispatch_events" : "")").run()
            let summary = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: Self.now, on: app.db)
            #expect(summary.new == events.count)
            #expect(try await Self.count("dispatch_events", app) == events.count)
        }
    }
}

/// `dispatches import` reads a JSON Lines file a block at a time, in one transaction.
@Suite("Streamed import")
struct StreamedImportTests {
    static func file(_ events: [DispatchEventInput]) throws -> URL {
        try Fixtures.temporaryFile("events.jsonl", contents: DispatchGenerator.jsonLines(events))
    }

    /// Blocks of a few KiB (dozens of them) store and judge exactly what one batch does.
    @Test func aFileInManyBlocksStoresAndJudgesAsOneBatch() async throws {
        let events = BulkIngestTests.events(dispatches: 400, seed: 21)
        let url = try Self.file(events)
        let now = BulkIngestTests.now
        let (whole, wholeSummary) = try await withTestApp { app in
            let summary = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
            return (try await BulkIngestTests.snapshot(app), summary)
        }
        let (streamed, streamedSummary, batches) = try await withTestApp { app in
            let reader = JSONLinesBatches(handle: try #require(FileHandle(forReadingAtPath: url.path)), dates: .unbounded, blockBytes: 8 * 1024)
            let count = NIOLockedValueBox(0)
            let summary = try await DispatchService.ingest(batches: {
                let batch = try reader.next()
                if batch != nil { count.withLockedValue { $0 += 1 } }
                return batch
            }, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
            return (try await BulkIngestTests.snapshot(app), summary, count.withLockedValue { $0 })
        }
        #expect(batches > 20)
        #expect(streamedSummary == wholeSummary)
        #expect(streamed == whole)
        #expect(!streamed.findings.contains { $0.withdrawn_at != nil })
    }

    /// A bad line in a later block names its line in the file, and nothing of the file is stored.
    @Test func aBadLineInALaterBlockNamesItsLineAndLeavesNothing() async throws {
        var lines = String(decoding: DispatchGenerator.jsonLines(BulkIngestTests.events(dispatches: 200, seed: 5)), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let bad = lines.count * 4 / 5
        lines[bad] = #"{"event_id":"X-1","incident_id":"110-X","unit":"没有这个单位","type":"instructed","at":"2025-06-01T08:00:00+08:00"}"#
        let url = try Fixtures.temporaryFile("bad.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        try await withTestApp { app in
            let reader = JSONLinesBatches(handle: try #require(FileHandle(forReadingAtPath: url.path)), dates: .unbounded, blockBytes: 4 * 1024)
            do {
                _ = try await DispatchService.ingest(batches: { try reader.next() }, actor: .console(), rules: app.liandong.ruleBook,
                                                     now: BulkIngestTests.now, on: app.db)
                Issue.record("the file was accepted")
            } catch let error as ImportError {
                #expect(error.row == bad + 1 && error.field == "unit", "\(error)")
            }
            for table in ["dispatch_events", "dispatches", "findings"] { #expect(try await BulkIngestTests.count(table, app) == 0, "\(table)") }
        }
    }

    @Test func theProgressBarShowsTheShareTheRateAndTheTimeLeft() {
        let line = ImportProgress.line(bytes: 40, of: 100, events: 400_000, elapsed: 4)
        #expect(line.hasPrefix("[#########---------------]  40%"))
        #expect(line.contains("已写入 400,000 个事件") && line.contains("100,000 个/秒") && line.contains("剩余约 0:06"))
        // Not a terminal: nothing is drawn.
        #expect(!ImportProgress(fileBytes: 100, terminal: false).enabled)
    }
}
