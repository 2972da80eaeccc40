import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Live dispatches: ingest and judging")
struct DispatchIngestTests {
    /// An event as the 110 system sends it.
    static func event(_ id: String, _ incident: String, _ unit: String, _ type: String, _ at: String, extra: String = "") -> String {
        #"{"event_id":"\#(id)","incident_id":"\#(incident)","unit":"\#(unit)","type":"\#(type)","at":"2026-03-01T\#(at)+08:00"\#(extra)}"#
    }

    func ingestToken(_ app: Application) async throws -> String {
        try await Auth.issueToken(name: "110-\(UUID().uuidString.prefix(4))", scopes: [.dispatchIngest], actor: .console(), on: app.db).1
    }

    func post(_ app: Application, _ token: String, _ body: String, _ check: (TestingHTTPResponse) async throws -> Void) async throws {
        try await app.testing().test(.POST, "api/v1/dispatch-events", beforeRequest: { req in
            req.headers.bearerAuthorization = .init(token: token)
            req.headers.contentType = .json
            req.body = ByteBuffer(string: body)
        }, afterResponse: check)
    }

    func activeFindings(_ app: Application) async throws -> [FindingDTO] {
        try await FindingService.list(FindingFilter(), on: app.db)
    }

    @Test func aLateArrivalOverHTTPBecomesAD9Finding() async throws {
        try await withTestApp { app in
            let token = try await ingestToken(app)
            let batch = "[" + [
                Self.event("E-1", "110-A", "市水利局", "instructed", "08:15:00"),
                Self.event("E-2", "110-A", "市水利局", "arrived", "08:35:01"),
                Self.event("E-2a", "110-A", "市水利局", "arrival_reported", "08:36:00"),
                Self.event("E-3", "110-A", "市水利局", "result_reported", "09:30:00"),
                Self.event("E-4", "110-A", "市建设局", "instructed", "08:15:00"),
                Self.event("E-5", "110-A", "市建设局", "arrived", "08:35:00"),
                Self.event("E-5a", "110-A", "市建设局", "arrival_reported", "08:35:30"),
                Self.event("E-6", "110-A", "市建设局", "result_reported", "09:00:00"),
            ].joined(separator: ",") + "]"
            try await post(app, token, batch) { res in
                #expect(res.status == .ok, "\(res.body.string)")
                let summary = try res.content.decode(IngestSummary.self)
                #expect(summary == IngestSummary(received: 8, new: 8, known: 0, dispatchesJudged: 2, findingsAdded: 1, findingsWithdrawn: 0))
            }
            let findings = try await activeFindings(app)
            #expect(findings.count == 1)
            #expect(findings[0].unit == "市水利局" && findings[0].item == "D9" && findings[0].proposedPoints == 0.5)
            #expect(findings[0].source == "dispatch" && findings[0].ref == "110-A")
            // Resending changes nothing.
            try await post(app, token, batch) { res in
                let summary = try res.content.decode(IngestSummary.self)
                #expect(summary.new == 0 && summary.known == 8)
            }
            #expect(try await activeFindings(app).count == 1)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.ingest").all()
            #expect(audit.count == 1)
            #expect(audit.first?.after?.contains("dispatch|110-A|4|late_arrival") == true)
        }
    }

    @Test func theSameIdWithOtherContentIsAConflictNamingTheField() async throws {
        try await withTestApp { app in
            let token = try await ingestToken(app)
            try await post(app, token, Self.event("E-1", "110-B", "市水利局", "instructed", "08:15:00")) { res in #expect(res.status == .ok) }
            try await post(app, token, Self.event("E-1", "110-B", "市水利局", "instructed", "08:16:00")) { res in
                #expect(res.status == .conflict)
                let body = res.body.string
                #expect(body.contains(#""field":"at""#))
                #expect(body.contains("E-1"))
            }
        }
    }

    @Test("One bad event refuses the whole batch, naming index and field; nothing is stored", arguments: [
        (Self.event("E-9", "110-C", "不存在的单位", "instructed", "08:15:00"), "unit"),
        (Self.event("E-9", "110-C", "市水利局", "beamed", "08:15:00"), "type"),
        (#"{"event_id":"E-9","incident_id":"110-C","unit":"市水利局","type":"arrived","at":"yesterday"}"#, "at"),
        (Self.event("E-9", "110-C", "市水利局", "arrived", "08:14:59"), "at"),
    ])
    func atomicRefusal(bad: String, field: String) async throws {
        try await withTestApp { app in
            let token = try await ingestToken(app)
            let batch = "[" + Self.event("E-1", "110-C", "市水利局", "instructed", "08:15:00") + "," + bad + "]"
            try await post(app, token, batch) { res in
                #expect(res.status == .unprocessableEntity, "\(res.body.string)")
                #expect(res.body.string.contains("第2条事件「\(field)」"), "\(res.body.string)")
            }
            let count = try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("dispatch_events").first()?.decode(column: "n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func eventsMayArriveOutOfOrderAndAcrossRequests() async throws {
        try await withTestApp { app in
            let token = try await ingestToken(app)
            // The arrival first: the dispatch cannot be judged without its instruction.
            try await post(app, token, Self.event("E-2", "110-D", "市民政局", "arrived", "08:45:00")) { res in #expect(res.status == .ok) }
            #expect(try await activeFindings(app).isEmpty)
            try await post(app, token, Self.event("E-1", "110-D", "市民政局", "instructed", "08:15:00")) { res in
                let decoded = try res.content.decode(IngestSummary.self)
                // Late, and (months later, past the grace period) no result report: two findings.
                #expect(decoded.findingsAdded == 2)
            }
            let kinds = try await activeFindings(app).map(\.kind)
            #expect(kinds == ["late_arrival", "no_report_back"])
            // A first instruction later than an arrival already stored is impossible.
            try await post(app, token, Self.event("E-5", "110-D2", "市民政局", "arrived", "08:45:00")) { res in #expect(res.status == .ok) }
            try await post(app, token, Self.event("E-6", "110-D2", "市民政局", "instructed", "08:50:00")) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("下达指令时间晚于"))
            }
        }
    }

    @Test func aMissingArrivalBecomesAFindingOnceTheGracePeriodPasses() async throws {
        try await withTestApp { app in
            let instructed = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
            let events = [DispatchEventInput(eventID: "E-1", incidentID: "110-E", unit: "市交通运输局", type: .instructed, at: instructed)]
            let book = app.liandong.ruleBook
            let grace = Double(book.latest.reportGraceHours * 3600)
            _ = try await DispatchService.ingest(events, actor: .console(), rules: book, now: instructed.addingTimeInterval(60), on: app.db)
            #expect(try await activeFindings(app).isEmpty)
            try await DispatchService.judgePending(rules: book, now: instructed.addingTimeInterval(grace), on: app.db)
            #expect(try await activeFindings(app).isEmpty)
            try await DispatchService.judgePending(rules: book, now: instructed.addingTimeInterval(grace + 1), on: app.db)
            let findings = try await activeFindings(app)
            #expect(findings.map(\.kind) == ["no_arrival"])
            // A late report of the arrival takes the finding back and judges the lateness instead.
            let late = [DispatchEventInput(eventID: "E-2", incidentID: "110-E", unit: "市交通运输局", type: .arrived, at: instructed.addingTimeInterval(1500)),
                        DispatchEventInput(eventID: "E-2a", incidentID: "110-E", unit: "市交通运输局", type: .arrivalReported, at: instructed.addingTimeInterval(1560)),
                        DispatchEventInput(eventID: "E-3", incidentID: "110-E", unit: "市交通运输局", type: .resultReported, at: instructed.addingTimeInterval(3600))]
            let summary = try await DispatchService.ingest(late, actor: .console(), rules: book, now: instructed.addingTimeInterval(grace + 60), on: app.db)
            #expect(summary.findingsWithdrawn == 1 && summary.findingsAdded == 1)
            #expect(try await activeFindings(app).map(\.kind) == ["late_arrival"])
        }
    }

    @Test func exerciseEventsAreKeptButNeverJudged() async throws {
        try await withTestApp { app in
            let token = try await ingestToken(app)
            let batch = "[" + Self.event("X-1", "110-X", "市水利局", "instructed", "08:15:00", extra: #","exercise":true"#) + ","
                + Self.event("X-2", "110-X", "市水利局", "arrived", "09:15:00", extra: #","exercise":true"#) + "]"
            try await post(app, token, batch) { res in
                let decoded = try res.content.decode(IngestSummary.self)
                #expect(decoded.new == 2)
            }
            #expect(try await activeFindings(app).isEmpty)
        }
    }

    @Test func onlyIngestTokensAndAdministratorsMayPost() async throws {
        try await withTestApp { app in
            let reader = try await Auth.issueToken(name: "reader", scopes: [.registerRead], actor: .console(), on: app.db).1
            try await post(app, reader, Self.event("E-1", "110-F", "市水利局", "instructed", "08:15:00")) { res in #expect(res.status == .forbidden) }
            try await post(app, "ld_nonsense", Self.event("E-1", "110-F", "市水利局", "instructed", "08:15:00")) { res in #expect(res.status == .unauthorized) }
        }
    }

    @Test func importingAFileIsAtomicAndIdempotent() async throws {
        try await withTestApp { app in
            let lines = [
                Self.event("F-1", "110-G", "市水利局", "instructed", "08:15:00"),
                Self.event("F-2", "110-G", "市水利局", "refused", "08:16:00"),
                Self.event("F-3", "110-G", "市水利局", "closed", "08:30:00"),
            ]
            let file = try Fixtures.temporaryFile("events.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
            let out = try await app.run(["dispatches", "import", file.path])
            #expect(out.contains("新增 3"))
            #expect(try await app.run(["dispatches", "import", file.path]).contains("新增 0，已存在 3"))
            let json = try await app.run(["findings", "list", "--format", "json", "--source", "dispatch"])
            let findings = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
            #expect(findings.count == 1)
            for key in ["unit", "item", "source", "ref", "occurred_at", "proposed_points", "reason"] { #expect(findings[0][key] != nil, "\(key)") }
            #expect(findings[0]["item"] as? String == "D10" && findings[0]["proposed_points"] as? Double == 2.0)

            let bad = try Fixtures.temporaryFile("bad.jsonl", contents: Data((Self.event("G-1", "110-H", "市水利局", "instructed", "08:15:00") + "\n\n"
                + Self.event("G-2", "110-H", "市水利局", "arrived", "nope") + "\n").utf8))
            await #expect(throws: ImportError(row: 3, field: "at", message: "时间“2026-03-01Tnope+08:00”格式不正确，应为 2026-03-01T08:15:00+08:00")) {
                _ = try await app.run(["dispatches", "import", bad.path])
            }
            let csv = try Fixtures.temporaryFile("events.csv", contents: Data("event_id,incident_id,unit,type,at\nC-1,110-J,市水利局,instructed,2026-03-02 10:00:00\nC-2,110-J,市水利局,arrived,2026-03-02 10:19:00\n".utf8))
            #expect(try await app.run(["dispatches", "import", csv.path]).contains("新增 2"))
        }
    }

    @Test func liaisonsSeeTheirOwnFindingsOnly() async throws {
        try await withTestApp { app in
            let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
            let events = [
                DispatchEventInput(eventID: "L-1", incidentID: "110-L", unit: "4", type: .instructed, at: t0),
                DispatchEventInput(eventID: "L-2", incidentID: "110-L", unit: "4", type: .refused, at: t0.addingTimeInterval(60)),
                DispatchEventInput(eventID: "L-3", incidentID: "110-L", unit: "5", type: .instructed, at: t0),
                DispatchEventInput(eventID: "L-4", incidentID: "110-L", unit: "5", type: .refused, at: t0.addingTimeInterval(60)),
            ]
            _ = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(120), on: app.db)
            let own = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "api/v1/findings", as: own) { res in
                let list = try res.content.decode([FindingDTO].self)
                #expect(list.map(\.unitId) == [4])
            }
            try await app.send(.GET, "api/v1/findings?unit=5", as: own) { res in #expect(res.status == .forbidden) }
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "api/v1/findings?from=2026-03-01&to=2026-03-01", as: emb) { res in
                let decoded = try res.content.decode([FindingDTO].self)
                #expect(decoded.count == 2)
            }
            try await app.send(.GET, "api/v1/findings?from=2026-03-02", as: emb) { res in
                let decoded = try res.content.decode([FindingDTO].self)
                #expect(decoded.isEmpty)
            }
        }
    }

    @Test func thePoliceFileALiveAlertFailureByHand() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            let form = ["unit_id": "4", "incident_id": "110-M1", "failure": "passed_on", "occurred_at": "2026-03-01T08:20", "narrative": "接指令后称不归本单位管辖"]
            try await app.send(.POST, "findings", as: police, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("已登记：市水利局推诿扯皮：接指令后称不归本单位管辖"))
            }
            var list = try await activeFindings(app)
            // The passing-on of a live dispatch: the finding the judging of the incident would give.
            #expect(list.count == 1 && list[0].item == "D10" && list[0].proposedPoints == 1.5 && list[0].source == "dispatch")
            #expect(list[0].kind == "passed_on" && list[0].reports.map(\.narrative) == ["接指令后称不归本单位管辖"])
            #expect(list[0].reports.first?.reportedBy == police.account.username)
            // Once per failure, incident and unit.
            try await app.send(.POST, "findings", as: police, form: form) { res in #expect(res.status == .conflict) }
            var outOfRange = form
            outOfRange["failure"] = "refused"
            outOfRange["points"] = "2.5"
            try await app.send(.POST, "findings", as: police, form: outOfRange) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("0.5至2.0分"))
            }
            // Judging the incident's events later leaves the hand-filed report standing.
            let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
            _ = try await DispatchService.ingest([DispatchEventInput(eventID: "M-1", incidentID: "110-M1", unit: "4", type: .instructed, at: t0),
                                                  DispatchEventInput(eventID: "M-2", incidentID: "110-M1", unit: "4", type: .arrived, at: t0.addingTimeInterval(600)),
                                                  DispatchEventInput(eventID: "M-2a", incidentID: "110-M1", unit: "4", type: .arrivalReported, at: t0.addingTimeInterval(660)),
                                                  DispatchEventInput(eventID: "M-3", incidentID: "110-M1", unit: "4", type: .resultReported, at: t0.addingTimeInterval(3600))],
                                                 actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            list = try await activeFindings(app)
            #expect(list.map(\.kind) == ["passed_on"])
            #expect(list.map(\.reason) == ["市水利局推诿扯皮：接指令后称不归本单位管辖"])
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "finding.file").count() == 1)
            // An instruction that did not get through is the police's own finding (D8).
            var failed = form
            failed["failure"] = "instruction_failed"
            try await app.send(.POST, "findings", as: police, form: failed) { res in #expect(res.status == .ok) }
            list = try await activeFindings(app)
            #expect(list.map(\.kind).sorted() == ["instruction_failed", "passed_on"])
            #expect(list.first { $0.kind == "instruction_failed" }.map { $0.item == "D8" && $0.source == "manual" && $0.proposedPoints == 1.0 } == true)
        }
    }
}

@Suite("Concurrent writers")
struct ConcurrentIngestTests {
    struct N: Decodable { var n: Int }

    static func count(_ table: String, _ app: Application) async throws -> Int {
        try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(ident: table)").first(decoding: N.self)?.n ?? -1
    }

    /// Forty incidents of batch `batch`, each instructed and arrived: 80 events, 40 dispatches.
    static func batch(_ batch: Int) -> [DispatchEventInput] {
        let t0 = ChinaTime.parseTimestamp("2026-03-01T08:00:00+08:00")!
        return (0..<40).flatMap { i -> [DispatchEventInput] in
            let incident = "C-\(batch)-\(i)"
            let at = t0.addingTimeInterval(Double(batch * 1000 + i * 10))
            return [DispatchEventInput(eventID: "\(incident)-0", incidentID: incident, unit: "市水利局", type: .instructed, at: at),
                    DispatchEventInput(eventID: "\(incident)-1", incidentID: incident, unit: "市水利局", type: .arrived, at: at.addingTimeInterval(600))]
        }
    }

    /// Batches arriving at once on different connections all land, whole and once: each waits
    /// its turn (SQLite's write queue, PostgreSQL's pool), never fails. Nothing here depends on
    /// how fast the machine is: the commands wait as long as it takes.
    @Test func concurrentBatchesAllLand() async throws {
        try await withTestApp { app in
            let loops = Array(app.eventLoopGroup.makeIterator())
            try await withThrowingTaskGroup(of: IngestSummary.self) { group in
                for batch in 0..<12 {
                    let db = app.databases.database(logger: app.logger, on: loops[batch % loops.count])!
                    let events = Self.batch(batch)
                    group.addTask { try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, on: db) }
                }
                var new = 0
                for try await summary in group { new += summary.new }
                #expect(new == 12 * 80)
            }
            #expect(try await Self.count("dispatch_events", app) == 12 * 80)
            #expect(try await Self.count("dispatches", app) == 12 * 40)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "dispatch.ingest").count() == 12)
            // All of them on one unit and one month: the rows they share hold every batch's part,
            // none written over by another's (PostgreSQL's writers of dispatches take turns).
            try await ReadModelTests.expectKeptEqualsRecounted(app, "twelve batches at once")
        }
    }

    /// Twenty-four clients post at once over HTTP: each gets 200 (stored whole) or 503 with
    /// Retry-After (stored not at all), never another answer; what was answered 200 is there once.
    @Test func twentyFourClientsAtOnceGetTwoHundredOrFiveOhThree() async throws {
        try await withTestApp { app in
            let token = try await DispatchIngestTests().ingestToken(app)
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPStatus, String?).self) { group in
                for batch in 0..<24 {
                    let body = "[" + Self.batch(batch).map { e in
                        DispatchIngestTests.event(e.eventID, e.incidentID, e.unit, e.type.rawValue,
                                                  String(ChinaTime.isoString(e.at).dropFirst(11).prefix(8)))
                    }.joined(separator: ",") + "]"
                    group.addTask {
                        var result: (Int, HTTPStatus, String?) = (batch, .internalServerError, nil)
                        try await DispatchIngestTests().post(app, token, body) { res in
                            result = (batch, res.status, res.headers.first(name: .retryAfter))
                        }
                        return result
                    }
                }
                var all: [(Int, HTTPStatus, String?)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(statuses.count == 24)
            for (batch, status, retryAfter) in statuses {
                #expect(status == .ok || status == .serviceUnavailable, "batch \(batch): \(status)")
                if status == .serviceUnavailable { #expect(retryAfter != nil) }
            }
            let landed = statuses.filter { $0.1 == .ok }.count
            #expect(try await Self.count("dispatch_events", app) == landed * 80)
            #expect(try await Self.count("dispatches", app) == landed * 40)
            if landed > 0 { try await ReadModelTests.expectKeptEqualsRecounted(app, "twenty-four clients at once") }
        }
    }

    /// A write begun inside a write of the same task, on the application's handle instead of the
    /// transaction's, joins the transaction under way (SQLite has one write lock per file): it
    /// neither waits for itself nor commits apart.
    @Test(.enabled(if: !TestDatabase.isPostgres)) func aWriteInsideAWriteJoinsIt() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            struct Stop: Error {}
            await #expect(throws: Stop.self) {
                try await app.db.writeTransaction { _ in
                    try await InspectionService.recordMeeting(heldOn: Date(), attendees: "三部门", decisions: "通报", actor: .console(), rules: rules, on: app.db)
                    throw Stop()
                }
            }
            #expect(try await Self.count("consultation_meetings", app) == 0)
            try await app.db.writeTransaction { _ in
                try await InspectionService.recordMeeting(heldOn: Date(), attendees: "三部门", decisions: "通报", actor: .console(), rules: rules, on: app.db)
            }
            #expect(try await Self.count("consultation_meetings", app) == 1)
        }
    }

    /// A writer that cannot get its turn in time is answered 503 with Retry-After, and nothing of
    /// it is stored; once the turn is free the same request lands. (SQLite: PostgreSQL has no queue.)
    @Test(.enabled(if: !TestDatabase.isPostgres)) func aWriterThatWaitsTooLongGetsFiveOhThreeAndStoresNothing() async throws {
        try await withTestApp { app in
            let token = try await DispatchIngestTests().ingestToken(app)
            app.liandong.writePatience = .milliseconds(200)
            let body = "[" + DispatchIngestTests.event("W-1", "110-W", "市水利局", "instructed", "08:15:00") + "]"
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            // Another writer holds the turn until told to let go.
            let holder = Task {
                try await app.db.writeTransaction { _ in
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in holding.stream { break }
            try await DispatchIngestTests().post(app, token, body) { res in
                #expect(res.status == .serviceUnavailable)
                #expect(res.headers.first(name: .retryAfter) == "2")
                #expect(res.body.string.contains("系统正忙"))
            }
            #expect(try await Self.count("dispatch_events", app) == 0)
            release.continuation.yield()
            try await holder.value
            try await DispatchIngestTests().post(app, token, body) { res in #expect(res.status == .ok) }
            #expect(try await Self.count("dispatch_events", app) == 1)
        }
    }
}
