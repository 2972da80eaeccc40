import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// A live-alert failure as the police reported it by hand, kept with the finding it makes or
/// joins (`finding_reports`): the evidence beside what the 110 timeline shows.
struct FindingReportDTO: Content, Equatable {
    var failure: String
    var failureName: String
    var occurredAt: String
    var narrative: String
    /// The figure the officer proposed.
    var proposedPoints: Double
    var reportedBy: String
    var reportedAt: String

    /// One line for tables: `推诿扯皮（张警官，2026-03-01 08:20）：经过……，拟扣1.5分`.
    var text: String {
        let at = ChinaTime.parseTimestamp(occurredAt).map(ChinaTime.displayString) ?? occurredAt
        return "\(failureName)（\(reportedBy)报告，发生于\(at)）：\(narrative)，拟扣\(Points(proposedPoints))分"
    }
}

/// Reading the reports by hand that stand behind findings.
enum FindingReports {
    static let table = "finding_reports"

    /// What the reports of the incidents say, for judging them: the failures reported for each
    /// (incident, unit) and the keys of the findings the reports hold up.
    static func known(incidents: [String], on sql: any SQLDatabase) async throws
        -> (failures: [DispatchService.PairKey: Set<LiveAlertFailure>], keys: Set<String>) {
        guard !incidents.isEmpty,
              try await sql.select().column("id").from(table).limit(1).first() != nil else { return ([:], []) }
        struct Row: Decodable { var incident_id: String; var unit_id: Int; var failure: String; var key: String }
        var failures: [DispatchService.PairKey: Set<LiveAlertFailure>] = [:], keys: Set<String> = []
        for chunk in incidents.chunked(into: DispatchService.insertChunk) {
            let rows = try await sql.select()
                .columns(SQLColumn("incident_id", table: table), SQLColumn("unit_id", table: table), SQLColumn("failure", table: table),
                         SQLColumn("key", table: "findings"))
                .from(table)
                .join("findings", on: SQLColumn("finding_id", table: table), .equal, SQLColumn("id", table: "findings"))
                .where(SQLColumn("incident_id", table: table), .in, SQLBind.group(chunk))
                .all(decoding: Row.self)
            for row in rows {
                keys.insert(row.key)
                if let failure = LiveAlertFailure(rawValue: row.failure) {
                    failures[DispatchService.PairKey(incident: row.incident_id, unit: row.unit_id), default: []].insert(failure)
                }
            }
        }
        return (failures, keys)
    }

    /// The reports behind each of the findings, oldest first.
    static func of(findings ids: [Int], on sql: any SQLDatabase) async throws -> [Int: [FindingReportDTO]] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable {
            var finding_id: Int; var failure: String; var occurred_at: Date; var narrative: String; var points_tenths: Int
            var reported_by: String; var created_at: Date
        }
        var reports: [Int: [FindingReportDTO]] = [:]
        for chunk in Array(Set(ids)).chunked(into: DispatchService.insertChunk) {
            let rows = try await sql.select()
                .columns("finding_id", "failure", "occurred_at", "narrative", "points_tenths", "reported_by", "created_at")
                .from(table).where("finding_id", .in, SQLBind.group(chunk)).orderBy("id").all(decoding: Row.self)
            for r in rows {
                reports[r.finding_id, default: []].append(FindingReportDTO(
                    failure: r.failure, failureName: LiveAlertFailure(rawValue: r.failure)?.name ?? r.failure,
                    occurredAt: ChinaTime.isoString(r.occurred_at), narrative: r.narrative, proposedPoints: Points(tenths: r.points_tenths).value,
                    reportedBy: r.reported_by, reportedAt: ChinaTime.isoString(r.created_at)))
            }
        }
        return reports
    }
}
