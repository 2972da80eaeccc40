import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Issue 20 item 4: reporting back, and one shortfall counted once whoever finds it.
@Suite("Reporting back: one finding per shortfall, by the 110 timeline or by hand")
struct ReportingBackServerTests {
    static let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
    /// 市水利局, level 1.
    static let unit = 4
    /// Two days after the instruction: past the report deadline, well before the wall clock.
    static let later = t0.addingTimeInterval(2 * 86_400)

    static func events(_ incident: String, _ steps: [(DispatchEventType, Double)], unit: Int = unit) -> [DispatchEventInput] {
        steps.enumerated().map { i, step in
            DispatchEventInput(eventID: "\(incident)-\(unit)-\(i)-\(step.0.rawValue)", incidentID: incident, unit: String(unit), type: step.0,
                               at: t0.addingTimeInterval(step.1))
        }
    }

    @discardableResult
    static func ingest(_ app: Application, _ events: [DispatchEventInput], now: Date = later) async throws -> IngestSummary {
        try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
    }

    @discardableResult
    static func report(_ app: Application, _ incident: String, _ failure: LiveAlertFailure, points: Points? = nil,
                       narrative: String = "接指令后称不归本单位管辖，未派人到场", now: Date = later) async throws -> LiveAlertFiling {
        try await FindingService.fileLiveAlertFailure(unitID: unit, incidentID: incident, failure: failure, at: t0.addingTimeInterval(300),
                                                      narrative: narrative, points: points, actor: .console(), rules: app.liandong.ruleBook,
                                                      now: now, on: app.db)
    }

    static func findings(_ app: Application) async throws -> [FindingDTO] {
        try await FindingService.list(FindingFilter(), on: app.db)
    }

    struct Deduction: Decodable, Equatable { var id: Int; var finding_id: Int; var status: String; var points_tenths: Int }

    static func deductions(_ app: Application) async throws -> [Deduction] {
        try await (app.db as! any SQLDatabase).select().columns("id", "finding_id", "status", "points_tenths").from("deductions")
            .orderBy("id").all(decoding: Deduction.self)
    }

    static func active(_ deductions: [Deduction]) -> [Deduction] { deductions.filter { $0.status != DeductionStatus.withdrawn.rawValue } }

    /// What judging writes: findings, deductions and their steps, reports.
    static func judged(_ app: Application) async throws -> String {
        struct F: Decodable, CustomStringConvertible {
            var id: Int; var key: String; var kind: String; var source: String; var occurred_at: Date; var points_tenths: Int; var reason: String
            var withdrawn_at: Date?
            var description: String { "\(id) \(key) \(kind) \(source) \(occurred_at.timeIntervalSince1970) \(points_tenths) \(reason) \(withdrawn_at.map { "\($0.timeIntervalSince1970)" } ?? "-")" }
        }
        struct D: Decodable, CustomStringConvertible {
            var id: Int; var status: String; var points_tenths: Int; var state: String; var updated_at: Date
            var description: String { "\(id) \(status) \(points_tenths) \(state) \(updated_at.timeIntervalSince1970)" }
        }
        struct N: Decodable { var n: Int }
        let sql = app.db as! any SQLDatabase
        let f = try await sql.select().columns("id", "key", "kind", "source", "occurred_at", "points_tenths", "reason", "withdrawn_at")
            .from("findings").orderBy("id").all(decoding: F.self)
        let d = try await sql.select().columns("id", "status", "points_tenths", "state", "updated_at").from("deductions").orderBy("id").all(decoding: D.self)
        var counts: [String] = []
        for table in ["deduction_events", "finding_reports", AuditEntry.schema] {
            counts.append("\(table) \(try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first(decoding: N.self)?.n ?? -1)")
        }
        return (f.map(\.description) + d.map(\.description) + counts).joined(separator: "\n")
    }

    // MARK: Reporting back

    @Test("Arrived without reporting the arrival: a D10 of 0.5 once closed, not before; a late report withdraws it")
    func arrivalNotReported() async throws {
        try await withTestApp { app in
            let open = Self.events("110-R1", [(.instructed, 0), (.arrived, 900), (.resultReported, 3000)])
            // Open and inside the report deadline: nothing yet.
            try await Self.ingest(app, open, now: Self.t0.addingTimeInterval(3600))
            #expect(try await Self.findings(app).isEmpty)
            let summary = try await Self.ingest(app, Self.events("110-R1", [(.closed, 3600)]), now: Self.t0.addingTimeInterval(3700))
            #expect(summary.findingsAdded == 1)
            let found = try await Self.findings(app)
            #expect(found.map(\.kind) == ["no_report_back"])
            #expect(found.first?.item == "D10" && found.first?.proposedPoints == 0.5)
            #expect(found.first?.reason == "市水利局到场后未向110反馈到达情况")
            #expect(try await Self.deductions(app).map(\.status) == ["proposed"])
            // The arrival report after all: nothing is missing any more; the proposal goes with it.
            let reported = try await Self.ingest(app, Self.events("110-R1", [(.arrivalReported, 3650)]), now: Self.t0.addingTimeInterval(3800))
            #expect(reported.findingsWithdrawn == 1 && reported.findingsAdded == 0)
            #expect(try await Self.findings(app).isEmpty)
            #expect(try await Self.deductions(app).map(\.status) == ["withdrawn"])
        }
    }

    @Test("Arrival reported, result not: one finding naming the result report; both missing: one finding naming both")
    func resultAndBoth() async throws {
        try await withTestApp { app in
            try await Self.ingest(app, Self.events("110-R2", [(.instructed, 0), (.arrived, 900), (.arrivalReported, 950), (.closed, 4000)]))
            try await Self.ingest(app, Self.events("110-R3", [(.instructed, 0), (.arrived, 900), (.closed, 4000)]))
            try await Self.ingest(app, Self.events("110-R4", [(.instructed, 0), (.arrived, 900), (.arrivalReported, 950), (.resultReported, 3000), (.closed, 4000)]))
            let found = try await Self.findings(app)
            #expect(found.map(\.ref) == ["110-R2", "110-R3"])
            #expect(found.map(\.kind) == ["no_report_back", "no_report_back"])
            #expect(found.map(\.reason) == ["市水利局到场处置后未反馈处置结果", "市水利局到场后未向110反馈到达情况，也未反馈处置结果"])
            #expect(found.allSatisfy { $0.proposedPoints == 0.5 && $0.item == "D10" })
            #expect(try await Self.deductions(app).count == 2)
        }
    }

    @Test("A refused dispatch gives only the refusal; passed on and never arrived gives only the passing-on")
    func oneBehaviourOneFinding() async throws {
        try await withTestApp { app in
            try await Self.ingest(app, Self.events("110-R5", [(.instructed, 0), (.acknowledged, 30), (.refused, 60), (.closed, 600)]))
            try await Self.ingest(app, Self.events("110-R6", [(.instructed, 0), (.acknowledged, 30), (.passedOn, 120), (.closed, 4000)]))
            // Past the report deadline without a close, too.
            try await Self.ingest(app, Self.events("110-R7", [(.instructed, 0), (.passedOn, 120)]))
            let found = try await Self.findings(app)
            #expect(found.map(\.kind) == ["refused", "passed_on", "passed_on"])
            #expect(found.map(\.proposedPoints) == [2.0, 1.5, 1.5])
            #expect(try await Self.deductions(app).count == 3)
        }
    }

    // MARK: One shortfall, two writers

    @Test("Reported by hand, then found in the 110 timeline: one finding, one deduction, the report kept")
    func manualThenAutomatic() async throws {
        try await withTestApp { app in
            // The officer proposes 2.0 for the passing-on (default 1.5).
            let filed = try await Self.report(app, "110-M", .passedOn, points: Points(2.0))
            #expect(!filed.joined)
            #expect(filed.key == "dispatch|110-M|4|passed_on")
            var found = try await Self.findings(app)
            #expect(found.count == 1)
            #expect(found.first?.source == "dispatch" && found.first?.kind == "passed_on" && found.first?.proposedPoints == 2.0)
            #expect(found.first?.reason == "市水利局推诿扯皮：接指令后称不归本单位管辖，未派人到场")
            #expect(try await Self.deductions(app).map(\.points_tenths) == [20])

            let events = Self.events("110-M", [(.instructed, 0), (.acknowledged, 30), (.passedOn, 120), (.closed, 4000)])
            let summary = try await Self.ingest(app, events)
            #expect(summary.findingsAdded == 0 && summary.findingsWithdrawn == 0)
            found = try await Self.findings(app)
            #expect(found.count == 1)
            let merged = try #require(found.first)
            #expect(merged.kind == "passed_on")
            // The judgement of the timeline describes it; the figure first proposed stays; the report is its evidence.
            #expect(merged.reason == "市水利局接到指令后推诿，未按首处责任制处置（08:17:00）")
            #expect(merged.proposedPoints == 2.0)
            #expect(merged.reports.count == 1)
            #expect(merged.reports.first?.narrative == "接指令后称不归本单位管辖，未派人到场")
            #expect(merged.reports.first?.proposedPoints == 2.0 && merged.reports.first?.failure == "passed_on")
            let deductions = try await Self.deductions(app)
            #expect(deductions.count == 1 && deductions[0].finding_id == merged.id && deductions[0].points_tenths == 20)

            // Judging again what has not changed writes nothing; a re-import is a no-op.
            let before = try await Self.judged(app)
            _ = try await DispatchService.judgeAgain(incident: "110-M", unitID: Self.unit, rules: app.liandong.ruleBook, now: Self.later, on: app.db)
            #expect(try await Self.judged(app) == before)
            let dump = try DatabaseDump.text(app)
            #expect(try await Self.ingest(app, events).new == 0)
            #expect(try await DispatchService.judgePending(rules: app.liandong.ruleBook, now: Self.later, on: app.db) == 0)
            #expect(try await DeductionService.sync(now: Self.later, on: app.db) == (0, 0))
            #expect(try DatabaseDump.text(app) == dump)

            // The same report twice is refused.
            await #expect(throws: AppError.self) { try await Self.report(app, "110-M", .passedOn) }
        }
    }

    @Test("Found in the 110 timeline, then reported by hand: one finding, one deduction, the report kept")
    func automaticThenManual() async throws {
        try await withTestApp { app in
            try await Self.ingest(app, Self.events("110-A", [(.instructed, 0), (.acknowledged, 30), (.refused, 60), (.closed, 600)]))
            let judged = try await Self.findings(app)
            #expect(judged.map(\.kind) == ["refused"])
            let deductionsBefore = try await Self.deductions(app)
            #expect(deductionsBefore.count == 1)

            let filed = try await Self.report(app, "110-A", .refused, points: Points(1.5))
            #expect(filed.joined)
            #expect(filed.key == "dispatch|110-A|4|refused")
            let found = try await Self.findings(app)
            #expect(found.count == 1 && found.first?.id == judged.first?.id)
            #expect(found.first?.reason == judged.first?.reason && found.first?.proposedPoints == 2.0)
            #expect(found.first?.reports.map(\.narrative) == ["接指令后称不归本单位管辖，未派人到场"])
            #expect(found.first?.reports.first?.proposedPoints == 1.5)
            #expect(try await Self.deductions(app) == deductionsBefore)
            // Shown where findings are shown: the list, its table and the filter of filings by hand.
            let table = FindingService.table(found)
            #expect(table.header.last == "人工报告")
            #expect(table.rows.first?.last?.contains("有警不出（console") == true)
            #expect(table.rows.first?.last?.contains("接指令后称不归本单位管辖") == true)
            #expect(try await FindingService.list(FindingFilter(source: .manual), on: app.db).map(\.id) == found.map(\.id))
            #expect(try await FindingService.list(FindingFilter(source: .dispatch), on: app.db).map(\.id) == found.map(\.id))
            let json = try await app.run(["findings", "list", "--format", "json"])
            #expect(json.contains("\"reports\"") && json.contains("接指令后称不归本单位管辖"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "finding.file").first()?.after?.contains("\"joined\":true") == true)
        }
    }

    @Test("A refusal reported by hand: the dispatch that never arrived is not also a no-arrival, in either order")
    func aReportedRefusalIsNotAlsoANoArrival() async throws {
        try await withTestApp { app in
            // Report first, timeline later.
            try await Self.report(app, "110-N1", .refused)
            try await Self.ingest(app, Self.events("110-N1", [(.instructed, 0), (.acknowledged, 30), (.closed, 4000)]))
            // Timeline first: the no-arrival and its proposal are withdrawn when the report comes.
            try await Self.ingest(app, Self.events("110-N2", [(.instructed, 0), (.acknowledged, 30), (.closed, 4000)]))
            #expect(try await Self.findings(app).map(\.kind) == ["refused", "no_arrival"])
            let filed = try await Self.report(app, "110-N2", .refused)
            #expect(!filed.joined)
            let found = try await Self.findings(app)
            #expect(found.map(\.ref) == ["110-N1", "110-N2"])
            #expect(found.map(\.kind) == ["refused", "refused"])
            #expect(found.allSatisfy { $0.reports.count == 1 })
            let deductions = try await Self.deductions(app)
            // The report's refusal of 110-N1; the no-arrival of 110-N2, withdrawn; the report's refusal of 110-N2.
            #expect(deductions.map(\.status) == ["proposed", "withdrawn", "proposed"])
            #expect(Self.active(deductions).map(\.finding_id).sorted() == found.map(\.id).sorted())
            // A later event of the timeline leaves the report's finding standing and the no-arrival withdrawn.
            try await Self.ingest(app, Self.events("110-N2", [(.acknowledged, 40)]).map { e in
                var e = e; e.eventID += "-again"; return e
            })
            #expect(try await Self.findings(app).map(\.kind) == ["refused", "refused"])
            #expect(Self.active(try await Self.deductions(app)).count == 2)
        }
    }

    @Test("A no-arrival the agencies have decided on is not counted again: a later report of refusal joins it")
    func aDecidedNoArrivalIsJoined() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            try await Self.ingest(app, Self.events("110-D", [(.instructed, 0), (.acknowledged, 30), (.closed, 4000)]))
            let id = try #require(try await Self.deductions(app).first?.id)
            try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李", actor: .console(), rules: book, on: app.db)
            try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: book, on: app.db)
            let filed = try await Self.report(app, "110-D", .refused)
            #expect(filed.joined)
            #expect(filed.key == "dispatch|110-D|4|no_arrival")
            let found = try await Self.findings(app)
            #expect(found.map(\.kind) == ["no_arrival"])
            #expect(found.first?.reports.map(\.failure) == ["refused"])
            #expect(try await Self.deductions(app).map(\.status) == ["confirmed"])
            // Judged again, the report holds it: still one finding, one deduction.
            var again = Self.events("110-D", [(.acknowledged, 45)])
            again[0].eventID += "-again"
            try await Self.ingest(app, again)
            #expect(try await Self.findings(app).map(\.kind) == ["no_arrival"])
            #expect(try await Self.deductions(app).map(\.status) == ["confirmed"])
        }
    }

    @Test("The police's form: a refusal reported twice is refused; the page says when a report joined a finding")
    func theFormSaysWhenAReportJoins() async throws {
        try await withTestApp { app in
            try await Self.ingest(app, Self.events("110-F", [(.instructed, 0), (.passedOn, 120), (.closed, 4000)]),
                                  now: app.liandong.clock.now())
            let police = try await app.signIn(.psb)
            let form = ["unit_id": String(Self.unit), "incident_id": "110-F", "failure": "passed_on", "occurred_at": "2026-03-01T08:20",
                        "narrative": "接指令后称不归本单位管辖"]
            try await app.send(.POST, "findings", as: police, form: form) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("已登记，并入已有的同一问题（不重复扣分）：市水利局接到指令后推诿"))
            }
            try await app.send(.POST, "findings", as: police, form: form) { res in #expect(res.status == .conflict) }
            try await app.send(.GET, "findings", as: police) { res in
                #expect(res.body.string.contains("人工报告") && res.body.string.contains("接指令后称不归本单位管辖"))
            }
            #expect(try await Self.findings(app).count == 1)
            #expect(try await Self.deductions(app).count == 1)
        }
    }
}

@Suite("Reporting back: the findings of an older database take the new shape")
struct ReportingBackMigrationTests {
    struct Row: Decodable { var id: Int; var key: String; var kind: String; var source: String; var withdrawn_at: Date? }
    struct Report: Decodable { var finding_id: Int; var failure: String; var narrative: String; var reported_by: String; var points_tenths: Int }
    struct Deduction: Decodable { var finding_id: Int; var status: String }

    @Test func olderFindingsAreRenamedRekeyedAndCountedOnce() async throws {
        let migrations = MigrationTests()
        try await migrations.withFreshDatabase { setting in
            let app = try await migrations.bare(setting)
            do {
                let all = LiandongMigrations.all
                let upTo = try #require(all.firstIndex { $0 is AddFindingReports })
                try await SchemaMigrator.run(Array(all[..<upTo]), on: app.db, logger: app.logger)
                let sql = app.db as! any SQLDatabase
                let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
                // As the earlier code wrote them.
                let old: [(key: String, item: String, kind: String, source: String, ref: String, points: Int, reason: String)] = [
                    ("dispatch|110-O1|4|no_result_report", "D10", "no_result_report", "dispatch", "110-O1", 5, "市水利局到场处置后未反馈处置结果"),
                    ("manual|110-O2|4|passed_on", "D10", "manual", "manual", "110-O2", 15, "市水利局推诿扯皮：称不归本单位管辖"),
                    ("dispatch|110-O3|4|refused", "D10", "refused", "dispatch", "110-O3", 20, "市水利局接到指令后有警不出（08:16:00）"),
                    ("manual|110-O3|4|refused", "D10", "manual", "manual", "110-O3", 20, "市水利局有警不出：拒不出警"),
                    ("dispatch|110-O4|4|refused", "D10", "refused", "dispatch", "110-O4", 20, "市水利局接到指令后有警不出（08:16:00）"),
                    ("manual|110-O4|4|refused", "D10", "manual", "manual", "110-O4", 20, "市水利局有警不出：拒不出警"),
                    ("dispatch|110-O5|4|passed_on", "D10", "passed_on", "dispatch", "110-O5", 15, "市水利局接到指令后推诿，未按首处责任制处置（08:17:00）"),
                    ("dispatch|110-O5|4|no_arrival", "D10", "no_arrival", "dispatch", "110-O5", 10, "市水利局需现场处置，但未到达现场或未反馈到达情况"),
                    ("manual|110-O6|4|instruction_failed", "D8", "manual", "manual", "110-O6", 10, "市水利局指令不畅：值班电话无人接听"),
                ]
                for f in old {
                    try await sql.insert(into: "findings")
                        .columns("key", "unit_id", "item", "kind", "source", "ref", "occurred_at", "points_tenths", "reason", "rule_version", "created_at")
                        .values(SQLBind(f.key), SQLBind(4), SQLBind(f.item), SQLBind(f.kind), SQLBind(f.source), SQLBind(f.ref), SQLBind(t0),
                                SQLBind(f.points), SQLBind(f.reason), SQLBind("2020.1"), SQLBind(t0)).run()
                }
                // Each proposed, as the code of that schema did (today's settling reads tables the
                // later migrations add).
                struct F: Decodable { var id: Int; var item: String; var points_tenths: Int }
                for f in try await sql.select().columns("id", "item", "points_tenths").from("findings").all(decoding: F.self) {
                    let state = DeductionState(item: DeductionItemID(rawValue: f.item) ?? .d12, points: Points(tenths: f.points_tenths), notifiedAt: t0)
                    try await sql.insert(into: "deductions").columns("finding_id", "unit_id", "item", "status", "points_tenths", "occurred_at", "state",
                                                                     "awaiting", "rule_version", "created_at", "updated_at")
                        .values(SQLBind(f.id), SQLBind(4), SQLBind(f.item), SQLBind(DeductionStatus.proposed.rawValue), SQLBind(f.points_tenths),
                                SQLBind(t0), SQLBind(try DeductionService.encode(state)), SQLBind(",emb,psb,"), SQLBind("2020.1"), SQLBind(t0), SQLBind(t0))
                        .run()
                }
                // The agencies have decided on the hand-filed refusal of 110-O4.
                try await sql.raw("""
                    UPDATE deductions SET status = 'confirmed'
                    WHERE finding_id = (SELECT id FROM findings WHERE key = 'manual|110-O4|4|refused')
                    """).run()
                try await AuditLog.append(app.db, actor: Actor(principal: Principal(kind: .console, name: "psb-zhang"), source: "test"),
                                          action: "finding.file", entity: "finding", entityID: "manual|110-O2|4|passed_on", at: t0)

                try await SchemaMigrator.run(all, on: app.db, logger: app.logger)

                let rows = try await sql.select().columns("id", "key", "kind", "source", "withdrawn_at").from("findings").orderBy("id").all(decoding: Row.self)
                let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
                let reports = try await sql.select().columns("finding_id", "failure", "narrative", "reported_by", "points_tenths")
                    .from("finding_reports").orderBy("id").all(decoding: Report.self)
                let deductions = Dictionary(try await sql.select().columns("finding_id", "status").from("deductions").all(decoding: Deduction.self)
                    .map { ($0.finding_id, $0.status) }, uniquingKeysWith: { a, _ in a })
                func status(_ key: String) -> String? { byKey[key].flatMap { deductions[$0.id] } }

                // The report-back finding, under its kind now.
                #expect(byKey["dispatch|110-O1|4|no_result_report"] == nil)
                #expect(byKey["dispatch|110-O1|4|no_report_back"]?.kind == "no_report_back")
                // A passing-on reported by hand takes the judging's key; its text becomes its report.
                let o2 = try #require(byKey["dispatch|110-O2|4|passed_on"])
                #expect(o2.kind == "passed_on" && o2.source == "dispatch" && o2.withdrawn_at == nil && status(o2.key) == "proposed")
                #expect(reports.filter { $0.finding_id == o2.id }.map(\.narrative) == ["称不归本单位管辖"])
                #expect(reports.first { $0.finding_id == o2.id }?.reported_by == "psb-zhang")
                // Counted twice before: one finding now, the hand-filed one withdrawn with its proposal.
                let o3 = try #require(byKey["dispatch|110-O3|4|refused"])
                #expect(o3.withdrawn_at == nil && status(o3.key) == "proposed")
                #expect(byKey["manual|110-O3|4|refused"]?.withdrawn_at != nil)
                #expect(status("manual|110-O3|4|refused") == "withdrawn")
                #expect(reports.filter { $0.finding_id == o3.id }.map(\.narrative) == ["拒不出警"])
                // …unless the agencies had decided on the hand-filed one: their decision stands.
                let o4 = try #require(byKey["manual|110-O4|4|refused"])
                #expect(o4.withdrawn_at == nil && status(o4.key) == "confirmed")
                #expect(reports.filter { $0.finding_id == o4.id }.map(\.failure) == ["refused"])
                #expect(status("dispatch|110-O4|4|refused") == "proposed")
                // Passed on is not also a no-arrival.
                #expect(byKey["dispatch|110-O5|4|no_arrival"]?.withdrawn_at != nil)
                #expect(status("dispatch|110-O5|4|no_arrival") == "withdrawn")
                #expect(status("dispatch|110-O5|4|passed_on") == "proposed")
                // The instruction failure keeps its key, under its kind.
                let o6 = try #require(byKey["manual|110-O6|4|instruction_failed"])
                #expect(o6.kind == "instruction_failed" && o6.source == "manual")
                #expect(reports.filter { $0.finding_id == o6.id }.map(\.points_tenths) == [10])
                #expect(reports.count == 4)
                #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "finding.migrate").count() == 1)
            } catch {
                try? await app.asyncShutdown()
                throw error
            }
            try await app.asyncShutdown()
        }
    }
}
