import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `GET /deductions/:id`: one deduction's whole story on one page: the unit, the item and
/// figure, the finding and its evidence, when the unit was notified and until when it may
/// appeal, every decision (agency, officer, time, figure before and after, reason), the appeal
/// and its decision, the rectifications, the files. Who may see it is who may see it in the list
/// (a liaison: the own unit's; a county's officer: the county's); anyone else gets the same 404
/// as for a deduction that does not exist, so nothing tells them it is there.
enum DeductionDetailPage {
    struct Step: Encodable {
        var at: String
        var action: String
        var agency: String
        var officer: String
        var points: String
        /// `1.0分 → 1.5分` when the step changed the figure.
        var change: String
        var reason: String
    }

    struct Rectification: Encodable {
        var action: String
        var owner: String
        var dueOn: String
        var stage: String
        var overdue: Bool
        var evidence: String
        var completedAt: String
        var verified: String
        var files: [Attachments.Meta]
    }

    struct Context: Encodable {
        var frame: PageFrame
        var id: Int
        var subject: String
        var subjectHref: String
        var itemCode: String
        var itemTitle: String
        var itemText: String
        var points: String
        var findingPoints: String
        var status: String
        var awaiting: String
        /// The agencies that decide it (issue 15): its jurisdiction's EMB and police, or the other one and the PLC.
        var deciders: String
        var occurredAt: String
        /// Issue 15 item 5: carried over from a closed year (上年度补扣), the year it counts in.
        var carriedOver: String
        var source: String
        var sourceHref: String
        var ref: String
        var evidence: String
        var reports: [String]
        var hasReports: Bool
        var ruleVersion: String
        var notifiedAt: String
        var appealDeadline: String
        var canAppeal: Bool
        var steps: [Step]
        var hasSteps: Bool
        var hasAppeal: Bool
        var appealStatement: String
        var appealBy: String
        var appealAt: String
        var appealFiles: [Attachments.Meta]
        var hasAppealFiles: Bool
        var appealDecision: String
        var appealDecidedBy: String
        var appealDecidedAt: String
        var appealReason: String
        var rectifications: [Rectification]
        var hasRectifications: Bool
        /// The officer's own agency, when it is asked to decide now.
        var agencyName: String
        var canDecide: Bool
        var canDecideAppeal: Bool
        var allowedPoints: [String]
        var reauth: Reauthentication.Banner
    }

    static let actionNames = [
        "confirm": "确认", "reject": "驳回", "appeal": "提出申诉", "withdraw": "系统撤回", "reopen": "重新拟定",
        "appeal_uphold": "申诉决定：维持", "appeal_reduce": "申诉决定：减少扣分", "appeal_withdraw": "申诉决定：撤销扣分",
    ]

    @Sendable static func show(req: Request) async throws -> Response {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil, "无权查看扣分")
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError.notFound("扣分") }
        // The list's own visibility, so the page shows exactly what the list would.
        var filter = DeductionFilter(id: id)
        switch principal.role {
        case .liaison: filter.unitID = principal.unitID ?? -1
        case .plc, .emb, .psb: filter.jurisdictionID = principal.jurisdictionID
        default: break
        }
        let book = req.application.liandong.ruleBook
        guard let d = try await DeductionService.list(filter, rules: book, calendar: req.application.liandong.calendar, on: req.db).first else {
            throw AppError.notFound("编号为 \(id) 的扣分")
        }
        let sql = req.db as! any SQLDatabase
        struct Stored: Decodable { var state: String; var points_tenths: Int; var occurred_at: Date; var assessed_month: String? }
        guard let stored = try await sql.select()
            .columns(SQLColumn("state", table: "deductions"), SQLColumn("points_tenths", table: "findings"), SQLColumn("occurred_at", table: "deductions"),
                     SQLColumn("assessed_month", table: "deductions"))
            .from("deductions").join("findings", on: SQLColumn("finding_id", table: "deductions"), .equal, SQLColumn("id", table: "findings"))
            .where(SQLColumn("id", table: "deductions"), .equal, SQLBind(id)).first(decoding: Stored.self)
        else { throw AppError.notFound("编号为 \(id) 的扣分") }
        let state = try InspectionService.decode(DeductionState.self, stored.state)

        // Each step with the figure it found and the one it left.
        var before = stored.points_tenths
        let steps: [Step] = try await DeductionService.events(id, on: req.db).map { e in
            let now = e.points.map { Points($0) }
            var change = ""
            if let now, now.tenths != before {
                change = "\(Points(tenths: before))分 → \(now)分"
            }
            if let now { before = now.tenths }
            return Step(at: ChinaTime.parseTimestamp(e.at).map(ChinaTime.displayString) ?? e.at, action: actionNames[e.action] ?? e.action,
                        agency: e.agency ?? "—", officer: e.officer == "system" ? "系统" : e.officer,
                        points: now.map { "\($0)分" } ?? "—", change: change, reason: e.reason?.nilIfEmpty ?? "")
        }

        let appealFiles = try await Attachments.list(.appeal, ids: [id], on: req.db)[id] ?? []
        let rectificationItems = try await Rectifications.list(unitID: d.unitId, on: req.db).filter { $0.deductionId == id }
        let rectificationFiles = try await Attachments.list(.rectification, ids: rectificationItems.map(\.id), on: req.db)
        let reports = try await FindingReports.of(findings: [d.findingId], on: sql)[d.findingId] ?? []

        let agency = principal.role?.agency.flatMap { Agency.confirming.contains($0) ? $0 : nil }
        let rules = book.inForce(at: stored.occurred_at)
        let item = DeductionItemID(rawValue: d.item).map { rules.item($0) }
        let source = FindingSource(rawValue: d.source)
        let sourceHref: String = switch source {
        case .onsite?, .video?: "/checks/drills/\(d.ref)"
        default: ""
        }
        let appeal = state.appeal
        return try await req.page("deduction", Context(
            frame: PageFrame(req, title: "扣分 \(id)", active: "deductions"),
            id: id, subject: d.unit ?? d.agency ?? d.jurisdiction ?? "", subjectHref: d.unitId.map { "/units/\($0)" } ?? "",
            itemCode: DeductionItemID(rawValue: d.item).map { String($0.number) } ?? d.item, itemTitle: item?.title ?? "", itemText: item?.text ?? "",
            points: Points(d.points).description, findingPoints: Points(tenths: stored.points_tenths).description,
            status: d.statusName, awaiting: DeductionPages.awaitingText(d), deciders: d.deciders.joined(separator: "和"),
            occurredAt: ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? "",
            carriedOver: stored.assessed_month.flatMap(YearClosing.year(ofMonth:))
                .map { "\(YearClosing.carriedOverMark)：\(LocalDate(stored.occurred_at).year)年度考核已结算，计入\($0)年度" } ?? "",
            source: source?.name ?? d.source, sourceHref: sourceHref, ref: d.ref, evidence: d.reason, reports: reports.map(\.text), hasReports: !reports.isEmpty,
            ruleVersion: d.ruleVersion,
            notifiedAt: state.notifiedAt.map(ChinaTime.displayString) ?? "—",
            appealDeadline: d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map { ChinaTime.displayString($0) + (d.appealDeadlineNote ?? "") }
                ?? (appeal != nil ? "已申诉" : "已过或不适用"),
            canAppeal: principal.role == .liaison && d.unitId == principal.unitID && d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map { $0 >= req.now } == true,
            steps: steps, hasSteps: !steps.isEmpty,
            hasAppeal: appeal != nil, appealStatement: appeal?.statement ?? "", appealBy: appeal?.by ?? "",
            appealAt: appeal.map { ChinaTime.displayString($0.at) } ?? "", appealFiles: appealFiles, hasAppealFiles: !appealFiles.isEmpty,
            appealDecision: appeal?.decision?.name ?? "", appealDecidedBy: [appeal?.decidedAgency?.name, appeal?.decidedBy].compactMap { $0 }.joined(separator: " "),
            appealDecidedAt: appeal?.decidedAt.map(ChinaTime.displayString) ?? "", appealReason: appeal?.reason ?? "",
            rectifications: rectificationItems.map { r in
                Rectification(action: r.action, owner: r.owner, dueOn: r.dueOn, stage: r.stage, overdue: r.overdue, evidence: r.evidence ?? "",
                              completedAt: r.completedAt ?? "", verified: [r.verifiedBy, r.verifiedAt, r.verificationNote].compactMap { $0?.nilIfEmpty }.joined(separator: " "),
                              files: rectificationFiles[r.id] ?? [])
            },
            hasRectifications: !rectificationItems.isEmpty,
            agencyName: agency?.name ?? "",
            canDecide: agency.map { d.awaiting.contains($0.name) } ?? false,
            canDecideAppeal: agency != nil && d.status == DeductionStatus.appealed.rawValue,
            allowedPoints: req.currentRules.pointsRange.allowedValues.map(\.description),
            reauth: agency == nil ? Reauthentication.Banner(show: false, text: "", url: "")
                : Reauthentication.banner(req, action: "确认或驳回扣分", returnTo: req.url.string)))
    }
}
