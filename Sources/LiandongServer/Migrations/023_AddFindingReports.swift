import Fluent
import Foundation
import LiandongCore
import SQLKit

/// Reporting back (issue 20 item 4): one shortfall is counted once, whoever finds it.
///
/// - `finding_reports`: a live-alert failure the police report by hand, kept as evidence with
///   the finding it makes or joins; one per incident, unit and failure.
/// - A missing result report becomes the one report-back finding (`no_result_report` →
///   `no_report_back`, key and kind), which names every report that is missing.
/// - A refusal or passing-on reported by hand had its own key (`manual|…`): it takes the key the
///   judging of the dispatch gives the same shortfall (`dispatch|…|refused`), its text becomes its
///   report. Where the judging had found the same shortfall too, the two are one finding: the
///   report joins the judged finding and the hand-filed one is withdrawn with its proposal — unless
///   the agencies have already acted on the hand-filed one's deduction, whose decision stands
///   (the pair is then left as it was).
/// - An instruction failure reported by hand keeps its key and is of kind `instruction_failed`.
/// - A no-arrival that a refusal or passing-on of the same incident and unit accounts for is
///   withdrawn with its proposal, as judging now does, while no agency has acted on its deduction.
struct AddFindingReports: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("finding_reports")
            .field("id", .int, .identifier(auto: true))
            .field("finding_id", .int, .required, .references("findings", "id"))
            .field("incident_id", .string, .required)
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .field("failure", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("narrative", .string, .required)
            .field("points_tenths", .int, .required)
            .field("reported_by", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "incident_id", "unit_id", "failure")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "finding_reports_finding").on("finding_reports").column("finding_id").run()

        let now = Date()
        var changed: [String: [String]] = ["renamed": [], "rekeyed": [], "joined": [], "withdrawn": []]

        // The report-back finding.
        let former = "no_result_report", current = FindingKind.noReportBack.rawValue
        struct Keyed: Decodable { var key: String }
        changed["renamed"] = try await sql.select().column("key").from("findings").where("kind", .equal, SQLBind(former))
            .all(decoding: Keyed.self).map(\.key)
        try await sql.raw("""
            UPDATE findings SET kind = \(bind: current),
                key = substr(key, 1, length(key) - \(unsafeRaw: String(former.count))) || \(bind: current)
            WHERE kind = \(bind: former)
            """).run()

        // Live-alert failures filed by hand.
        struct Manual: Decodable {
            var id: Int; var key: String; var unit_id: Int?; var ref: String; var occurred_at: Date; var points_tenths: Int
            var reason: String; var created_at: Date; var withdrawn_at: Date?
        }
        let manual = try await sql.select().columns("id", "key", "unit_id", "ref", "occurred_at", "points_tenths", "reason", "created_at", "withdrawn_at")
            .from("findings").where("source", .equal, SQLBind(FindingSource.manual.rawValue))
            .where("kind", .equal, SQLBind(FindingKind.manual.rawValue)).all(decoding: Manual.self)
        struct Unit: Decodable { var id: Int; var name: String }
        let names = Dictionary(try await sql.select().columns("id", "name").from(LinkageUnit.schema).all(decoding: Unit.self).map { ($0.id, $0.name) },
                               uniquingKeysWith: { a, _ in a })
        struct Stored: Decodable { var id: Int; var withdrawn_at: Date? }
        struct Status: Decodable { var status: String }
        struct Reporter: Decodable { var actor: String }
        var withdraw: [String] = []
        for row in manual {
            guard let unit = row.unit_id, let failure = LiveAlertFailure.allCases.first(where: {
                row.key == Finding.key(source: .manual, ref: row.ref, subject: Finding.subject(unitID: unit), shortfall: $0.rawValue)
            }) else { continue }
            var findingID = row.id
            switch failure {
            case .instructionFailed:
                try await sql.update("findings").set("kind", to: SQLBind(FindingKind.instructionFailed.rawValue)).where("id", .equal, SQLBind(row.id)).run()
            case .refused, .passedOn:
                let key = Finding.key(source: .dispatch, ref: row.ref, subject: Finding.subject(unitID: unit), shortfall: failure.kind.rawValue)
                if let judged = try await sql.select().columns("id", "withdrawn_at").from("findings").where("key", .equal, SQLBind(key))
                    .first(decoding: Stored.self) {
                    let status = try await sql.select().column("status").from("deductions").where("finding_id", .equal, SQLBind(row.id))
                        .first(decoding: Status.self)?.status
                    // Counted twice: one finding, unless a decision of the agencies stands on the hand-filed one.
                    if judged.withdrawn_at == nil, row.withdrawn_at == nil, status == nil || status == DeductionStatus.proposed.rawValue {
                        try await sql.update("findings").set("withdrawn_at", to: SQLBind(now)).where("id", .equal, SQLBind(row.id)).run()
                        withdraw.append(row.key)
                        changed["joined", default: []].append("\(row.key) → \(key)")
                        findingID = judged.id
                    }
                } else {
                    try await sql.update("findings").set("key", to: SQLBind(key)).set("source", to: SQLBind(FindingSource.dispatch.rawValue))
                        .set("kind", to: SQLBind(failure.kind.rawValue)).where("id", .equal, SQLBind(row.id)).run()
                    changed["rekeyed", default: []].append("\(row.key) → \(key)")
                }
            }
            // The report as it was filed: its text without the unit and failure the finding's reason began with.
            var narrative = row.reason
            for prefix in [(names[unit] ?? "") + failure.name + ":", (names[unit] ?? "") + failure.name + "："] where narrative.hasPrefix(prefix) {
                narrative = String(narrative.dropFirst(prefix.count))
            }
            let reporter = try await sql.select().column("actor").from(AuditEntry.schema).where("action", .equal, SQLBind("finding.file"))
                .where("entity_id", .equal, SQLBind(row.key)).orderBy("seq").first(decoding: Reporter.self)?.actor
            try await sql.insert(into: "finding_reports")
                .columns("finding_id", "incident_id", "unit_id", "failure", "occurred_at", "narrative", "points_tenths", "reported_by", "created_at")
                .values(SQLBind(findingID), SQLBind(row.ref), SQLBind(unit), SQLBind(failure.rawValue), SQLBind(row.occurred_at),
                        SQLBind(narrative.isEmpty ? row.reason : narrative), SQLBind(row.points_tenths), SQLBind(reporter ?? "未记录"),
                        SQLBind(row.created_at)).run()
        }

        // A no-arrival that a refusal or passing-on of the same incident and unit accounts for.
        struct Pair: Decodable { var ref: String; var unit_id: Int? }
        var pairs = try await sql.select().columns("ref", "unit_id").from("findings")
            .where("source", .equal, SQLBind(FindingSource.dispatch.rawValue)).where("withdrawn_at", .is, SQLLiteral.null)
            .where("kind", .in, SQLBind.group([FindingKind.refused.rawValue, FindingKind.passedOn.rawValue]))
            .all(decoding: Pair.self)
        struct Reported: Decodable { var incident_id: String; var unit_id: Int }
        pairs += try await sql.select().columns("incident_id", "unit_id").from("finding_reports")
            .where("failure", .in, SQLBind.group([LiveAlertFailure.refused.rawValue, LiveAlertFailure.passedOn.rawValue]))
            .all(decoding: Reported.self).map { Pair(ref: $0.incident_id, unit_id: $0.unit_id) }
        let noArrivals = Set(pairs.compactMap { pair in
            pair.unit_id.map { Finding.key(source: .dispatch, ref: pair.ref, subject: Finding.subject(unitID: $0), shortfall: FindingKind.noArrival.rawValue) }
        })
        struct Candidate: Decodable { var key: String; var status: String? }
        for chunk in Array(noArrivals).sorted().chunked(into: DispatchService.insertChunk) {
            let candidates = try await sql.select()
                .columns(SQLColumn("key", table: "findings"), SQLColumn("status", table: "deductions"))
                .from("findings")
                .join("deductions", method: SQLJoinMethod.left, on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
                .where(SQLColumn("key", table: "findings"), .in, SQLBind.group(chunk))
                .where(SQLColumn("withdrawn_at", table: "findings"), .is, SQLLiteral.null)
                .all(decoding: Candidate.self)
            for c in candidates where c.status == nil || c.status == DeductionStatus.proposed.rawValue {
                try await sql.update("findings").set("withdrawn_at", to: SQLBind(now)).where("key", .equal, SQLBind(c.key)).run()
                withdraw.append(c.key)
                changed["withdrawn", default: []].append(c.key)
            }
        }
        // Their proposals go with them.
        try await DeductionService.settle(findingKeys: withdraw, now: now, on: sql)
        if changed.values.contains(where: { !$0.isEmpty }) {
            try await AuditLog.append(database, actor: .system(), action: "finding.migrate", entity: "findings", after: changed, at: now)
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("finding_reports").delete()
    }
}
