import Foundation
import LiandongCore
import SQLKit

/// Keeps the stored findings of judged things (a dispatch, a check, a drill, a supervision
/// period) equal to their latest judgement: new findings are added, changed ones updated, and
/// those that no longer hold are withdrawn — never deleted, so a deduction made from one keeps
/// its evidence. Every writer of findings goes through here (or `FindingService`'s filings by
/// hand), and the deductions they imply are settled in the same transaction.
enum FindingStore {
    /// `scope`: which stored findings the judgement covers, as `ref|subject` pairs (`subject` is
    /// the unit id or the agency, `Finding.scope(ref:subject:)`); nil covers every finding of the
    /// refs. `reported`: keys of findings that a report by hand holds up (`finding_reports`):
    /// the judgement never withdraws them, and when it finds the same shortfall it brings the
    /// finding's facts up to date but keeps the figure it was first proposed at.
    static func reconcile(source: FindingSource, refs: [String], scope: Set<String>?, findings: [Finding], reported: Set<String> = [],
                          now: Date, on sql: any SQLDatabase) async throws -> (added: [String], withdrawn: [String]) {
        struct Existing: Decodable {
            var key: String; var withdrawn_at: Date?; var occurred_at: Date; var points_tenths: Int; var reason: String; var rule_version: String

            /// Stored as judged now: writing it again would change nothing.
            func holds(_ f: Finding) -> Bool {
                withdrawn_at == nil && abs(occurred_at.timeIntervalSince(f.occurredAt)) < 0.001 && points_tenths == f.proposedPoints.tenths
                    && reason == f.reason && rule_version == f.ruleVersion
            }
        }
        var existing: [String: Existing] = [:]
        for row in try await BulkSelect.rows(["key", "withdrawn_at", "occurred_at", "points_tenths", "reason", "rule_version"], from: "findings",
                                             where: "ref", in: Array(Set(refs)), filter: [("source", .text(source.rawValue))], on: sql) {
            let finding = try row.decode(model: Existing.self)
            existing[finding.key] = finding
        }
        // Each key made once.
        var keyed = findings.map { (key: $0.key, finding: $0) }
        for i in keyed.indices where reported.contains(keyed[i].key) {
            if let stored = existing[keyed[i].key], stored.withdrawn_at == nil {
                keyed[i].finding.proposedPoints = Points(tenths: stored.points_tenths)
            }
        }
        let newKeys = Set(keyed.map(\.key))
        // Only what is new or changed is written (judging again what has not changed writes
        // nothing), in key order (by bytes), so the unique index takes its new entries in order.
        let sorted = keyed.filter { key, finding in existing[key].map { !$0.holds(finding) } ?? true }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let added = sorted.filter { existing[$0.key] == nil || existing[$0.key]?.withdrawn_at != nil }.map(\.key)
        try await BulkInsert(table: "findings", columns: [
            "key", "unit_id", "agency", "jurisdiction_id", "item", "kind", "source", "ref", "occurred_at", "points_tenths", "reason", "rule_version",
            "created_at", "withdrawn_at",
        ], conflict: (["key"], ["occurred_at", "points_tenths", "reason", "rule_version", "withdrawn_at"])).run(sorted.map { key, f in
            [.text(key), .int(f.unitID), .text(f.agency?.rawValue), .text(f.jurisdictionID), .text(f.item.rawValue), .text(f.kind.rawValue),
             .text(f.source.rawValue), .text(f.ref), .date(f.occurredAt), .int(f.proposedPoints.tenths),
             .text(f.reason), .text(f.ruleVersion), .date(now), .date(nil)]
        }, on: sql)
        let stale = existing.values.filter { row in
            row.withdrawn_at == nil && !newKeys.contains(row.key) && !reported.contains(row.key)
                && (scope.map { $0.contains(Finding.scope(ofKey: row.key)) } ?? true)
        }.map(\.key)
        for chunk in stale.chunked(into: DispatchService.insertChunk) {
            try await sql.update("findings").set("withdrawn_at", to: SQLBind(now)).where("key", .in, SQLBind.group(chunk)).run()
        }
        // Settled with the facts: the deductions proposed or withdrawn in the same transaction.
        try await DeductionService.settle(findingKeys: added + stale, now: now, on: sql)
        return (added, stale)
    }
}
