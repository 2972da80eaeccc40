import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The bulk ingest path: on SQLite, statements compiled once and reused on the connection's own
/// handle; elsewhere (and as a fallback) SQLKit's multi-row statements. Both store the same.
@Suite("Bulk ingest: prepared statements")
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

    struct Snapshot: Equatable {
        var events: [EventRow]
        var dispatches: [DispatchRow]
        var findings: [FindingRow]
        var audits: Int
    }

    static func snapshot(_ app: Application) async throws -> Snapshot {
        let sql = app.db as! any SQLDatabase
        func all<T: Decodable>(_ table: String, _ type: T.Type, by order: [String]) async throws -> [T] {
            var select = sql.select().column("*").from(table)
            for column in order { select = select.orderBy(column) }
            return try await select.all(decoding: T.self)
        }
        return Snapshot(
            events: try await all("dispatch_events", EventRow.self, by: ["event_id"]),
            dispatches: try await all("dispatches", DispatchRow.self, by: ["incident_id", "unit_id"]),
            findings: try await all("findings", FindingRow.self, by: ["key"]),
            audits: try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.ingest").count())
    }

    static func count(_ table: String, _ app: Application) async throws -> Int {
        try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func onSQLiteTheConnectionsOwnHandleIsReached() async throws {
        try await withTestApp { app in
            let reached = try await app.db.writeTransaction { tx in
                try await SQLiteRaw.run(tx as! any SQLDatabase) { _ in true }
            }
            // PostgreSQL has no such path; on SQLite the handle must be found, or every bulk
            // ingest would silently take the slower statements.
            #expect(reached == (TestDatabase.isPostgres ? nil : true))
            let off = try await SQLiteRaw.$enabled.withValue(false) {
                try await app.db.writeTransaction { tx in try await SQLiteRaw.run(tx as! any SQLDatabase) { _ in true } }
            }
            #expect(off == nil)
        }
    }

    @Test func preparedStatementsStoreExactlyWhatSQLKitStatementsStore() async throws {
        let events = Self.events(dispatches: 1_500, seed: 7)
        // A first batch with part of the timelines, then the whole file again: the second batch
        // finds known events, re-judges dispatches and withdraws findings a later event answers.
        let first = Array(events.prefix(events.count * 3 / 5))
        func ingestBoth(_ app: Application) async throws -> [IngestSummary] {
            let book = app.liandong.ruleBook
            return [
                try await DispatchService.ingest(first, actor: .console(), rules: book, now: Self.now, on: app.db),
                try await DispatchService.ingest(events, actor: .console(), rules: book, now: Self.now.addingTimeInterval(60), on: app.db),
            ]
        }
        let (prepared, preparedSummaries) = try await withTestApp { app in
            let summaries = try await ingestBoth(app)
            return (try await Self.snapshot(app), summaries)
        }
        let (sqlkit, sqlkitSummaries) = try await SQLiteRaw.$enabled.withValue(false) {
            try await withTestApp { app in
                let summaries = try await ingestBoth(app)
                return (try await Self.snapshot(app), summaries)
            }
        }
        #expect(preparedSummaries == sqlkitSummaries)
        #expect(preparedSummaries[1].known == first.count && preparedSummaries[1].new == events.count - first.count)
        #expect(preparedSummaries[1].findingsWithdrawn > 0)
        #expect(prepared.events.count == events.count && prepared.audits == 2)
        #expect(!prepared.findings.isEmpty && prepared.findings.contains { $0.withdrawn_at != nil })
        #expect(prepared.events == sqlkit.events)
        #expect(prepared.dispatches == sqlkit.dispatches)
        #expect(prepared.findings == sqlkit.findings)
        #expect(prepared == sqlkit)
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
