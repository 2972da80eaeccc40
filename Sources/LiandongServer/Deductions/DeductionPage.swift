import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `/deductions/:id`: one deduction, who decides it and every step taken on it (issue 15 item 3:
/// every step is kept and shown on the deduction's page).
enum DeductionPage {
    struct Step: Encodable { var at: String; var agency: String; var officer: String; var action: String; var points: String; var reason: String }

    struct Context: Encodable {
        var frame: PageFrame
        var id: Int
        var subject: String
        var item: String
        var points: String
        var status: String
        var occurredAt: String
        var reason: String
        var deciders: String
        var awaiting: String
        var hasAwaiting: Bool
        var appeal: String
        var hasAppeal: Bool
        var steps: [Step]
        var hasSteps: Bool
    }

    /// How the steps read.
    static func actionName(_ action: String) -> String {
        switch action {
        case "confirm": "确认"
        case "reject": "驳回"
        case "appeal": "单位申诉"
        case "appeal_uphold": "申诉处理意见：维持"
        case "appeal_reduce": "申诉处理意见：减少扣分"
        case "appeal_withdraw": "申诉处理意见：撤销扣分"
        case "withdraw": "撤销（所依据的问题已撤销）"
        case "reopen": "重新提出（所依据的问题重新成立）"
        default: action
        }
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil, "无权查看扣分")
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "扣分编号应为数字") }
        // The list's own scope: a liaison its unit's, a county's officers their county's units.
        var filter = DeductionFilter(id: id)
        switch principal.role {
        case .liaison: filter.unitID = principal.unitID ?? -1
        case .plc, .emb, .psb: filter.jurisdictionID = principal.jurisdictionID
        default: break
        }
        guard let d = try await DeductionService.list(filter, rules: req.application.liandong.ruleBook, calendar: req.application.liandong.calendar,
                                                      on: req.db).first else {
            throw AppError.notFound("编号为 \(id) 的扣分")
        }
        let steps = try await DeductionService.events(id, on: req.db)
        return try await req.page("deduction", Context(
            frame: PageFrame(req, title: "扣分 \(id)", active: "deductions"), id: id, subject: d.unit ?? d.agency ?? d.jurisdiction ?? "",
            item: d.item, points: Points(d.points).description, status: d.statusName,
            occurredAt: ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? d.occurredAt, reason: d.reason,
            deciders: d.deciders.joined(separator: "和"), awaiting: DeductionPages.awaitingText(d), hasAwaiting: !d.awaiting.isEmpty,
            appeal: [d.appealStatement.map { "申诉：\($0)" }, d.appealDecision.map { "决定：\($0)" }].compactMap { $0 }.joined(separator: "；"),
            hasAppeal: d.appealStatement != nil,
            steps: steps.map { s in
                Step(at: ChinaTime.parseTimestamp(s.at).map(ChinaTime.displayString) ?? s.at, agency: s.agency ?? (s.officer == "system" ? "系统" : "被扣分单位"),
                     officer: s.officer == "system" ? "—" : s.officer, action: actionName(s.action), points: s.points.map { Points($0).description } ?? "",
                     reason: s.reason ?? "")
            }, hasSteps: !steps.isEmpty))
    }
}
