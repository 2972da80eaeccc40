import Fluent
import Foundation
import LiandongCore
import Vapor

/// `/deductions`: the list for everyone who may see it; the EMB's and the police's officers
/// confirm or reject, each for their own agency.
enum DeductionPages {
    struct Row: Encodable {
        var id: Int
        var occurredAt: String
        var subject: String
        var item: String
        var points: String
        var status: String
        var awaiting: String
        var reason: String
        var canDecide: Bool
        var canAppeal: Bool
        var appealDeadline: String
        var appeal: String
        var canDecideAppeal: Bool
        var files: [Attachments.Meta]
        var hasFiles: Bool
        /// What the liaison typed into this row's appeal when it was refused: the form comes back with it.
        var statementDraft: String
    }

    struct Context: Encodable {
        var frame: PageFrame
        var statuses: [RegisterPages.Option]
        var unitQuery: String
        var head: TableHead
        var rows: [Row]
        var count: Int
        var total: String
        var pager: Pager
        var agencyName: String
        var allowedPoints: [String]
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
        /// Shown to an officer who may decide when the next decision will ask to re-authenticate.
        var reauth: Reauthentication.Banner
    }

    /// An appeal that was refused, to be shown again as typed.
    struct AppealDraft { var id: Int; var statement: String }

    static func render(_ req: Request, error: String? = nil, notice: String? = nil, status: HTTPResponseStatus = .ok,
                       draft: AppealDraft? = nil) async throws -> Response {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil, "无权查看扣分")
        var filter = DeductionFilter()
        if let raw = try? req.query.get(String.self, at: "status"), !raw.isEmpty {
            guard let s = DeductionStatus(rawValue: raw) else { throw AppError(.badRequest, "未知状态“\(raw)”", field: "status") }
            filter.status = s
        }
        var notice = notice
        if let raw = try? req.query.get(String.self, at: "awaiting"), !raw.isEmpty {
            guard let a = Agency(rawValue: raw), Agency.confirming.contains(a) else {
                throw AppError(.badRequest, "“\(raw)”不是确认扣分的机关,应为 emb 或 psb", field: "awaiting")
            }
            filter.awaiting = a
            notice = notice ?? "仅列出待\(a.name)确认的扣分"
        }
        switch principal.role {
        case .liaison: filter.unitID = principal.unitID ?? -1
        case .plc, .emb, .psb: filter.jurisdictionID = principal.jurisdictionID
        default: break
        }
        let unitQuery = (try? req.query.get(String.self, at: "q")) ?? ""
        filter.unitIDs = try await RegisterService.unitIDs(matching: unitQuery, on: req.db)
        let agency = principal.role?.agency.flatMap { Agency.confirming.contains($0) ? $0 : nil }
        let sort = try ListSort(req, columns: DeductionService.sortColumns + (agency.map { [SortColumn($0.name)] } ?? []), default: "occurred")
        // The database counts, sorts and pages: only the rows shown are read and decoded.
        let summary = try await DeductionService.summary(filter, on: req.db)
        let (offset, limit, pager) = Pager.page(count: summary.count, req)
        let shown = try await DeductionService.list(filter, rules: req.application.liandong.ruleBook, calendar: req.application.liandong.calendar, page: (offset, limit), sort: sort, on: req.db)
        let files = try await Attachments.list(.appeal, ids: shown.map(\.id), on: req.db)
        let rules = req.currentRules
        return try await req.page("deductions", Context(
            frame: PageFrame(req, title: "扣分", active: "deductions"),
            statuses: [RegisterPages.Option(value: "", label: "全部", selected: filter.status == nil)]
                + DeductionStatus.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == filter.status) },
            unitQuery: unitQuery, head: sort.head(req, path: "/deductions"),
            rows: shown.map { d in
                Row(id: d.id, occurredAt: ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? "", subject: d.unit ?? d.agency ?? d.jurisdiction ?? "",
                    item: d.item, points: Points(d.points).description, status: d.statusName, awaiting: d.awaiting.joined(separator: "、"),
                    reason: d.reason, canDecide: agency.map { d.awaiting.contains($0.name) } ?? false,
                    canAppeal: principal.role == .liaison && d.unitId == principal.unitID && d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map { $0 >= req.now } == true,
                    appealDeadline: (d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map(ChinaTime.displayString) ?? "") + (d.appealDeadlineNote ?? ""),
                    appeal: [d.appealStatement.map { "申诉:\($0)" }, d.appealDecision.map { "决定:\($0)" }].compactMap { $0 }.joined(separator: ";"),
                    canDecideAppeal: agency != nil && d.status == DeductionStatus.appealed.rawValue,
                    files: files[d.id] ?? [], hasFiles: files[d.id] != nil, statementDraft: draft?.id == d.id ? draft?.statement ?? "" : "")
            },
            count: summary.count, total: summary.points.description, pager: pager,
            agencyName: agency?.name ?? "", allowedPoints: rules.pointsRange.allowedValues.map(\.description),
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil,
            reauth: agency == nil ? Reauthentication.Banner(show: false, text: "", url: "")
                : Reauthentication.banner(req, action: "确认或驳回扣分", returnTo: req.method == .GET ? req.url.string : "/deductions")), status: status)
    }

    @Sendable static func list(req: Request) async throws -> Response { try await render(req) }

    /// POST /deductions/:id/appeal — the unit's liaison appeals, within the window.
    @Sendable static func appeal(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(actor.principal.role == .liaison, "由本单位联络员提出申诉")
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "扣分编号应为数字") }
        struct Form: Decodable { var statement: String?; var attachment: File? }
        let form = try req.content.decode(Form.self)
        do {
            let file = try Attachments.accept(form.attachment)
            // The appeal and its file are stored together or not at all.
            try await req.db.writeTransaction { tx in
                try await DeductionService.decide([id], decision: .appeal(statement: form.statement ?? ""), agency: nil, officer: actor.principal.name,
                                                  actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: tx)
                if let file { try await Attachments.save(file, owner: .appeal, ownerID: id, actor: actor, now: req.now, on: tx) }
            }
            return try await render(req, notice: "扣分 \(id) 的申诉已提交")
        } catch let error as AppError {
            return try await render(req, error: Attachments.refusal(error.message, chosen: form.attachment), status: error.status,
                                    draft: AppealDraft(id: id, statement: form.statement ?? ""))
        }
    }

    /// POST /deductions/:id/decision — confirm (at the figure, or another with a reason) or reject.
    @Sendable static func decide(req: Request) async throws -> Response {
        let actor = try req.actor()
        guard let agency = actor.principal.role?.agency, AccessPolicy.canConfirm(for: agency, by: actor.principal) else {
            throw AppError(.forbidden, "扣分由市应急管理局和市公安局工作人员各自代表本部门确认")
        }
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "扣分编号应为数字") }
        // A decision on someone's rating needs a recent password (and code).
        if let challenge = try Reauthentication.challenge(req, returnTo: "/deductions", action: "确认或驳回扣分") { return challenge }
        struct Form: Decodable { var action: String?; var points: String?; var reason: String? }
        let form = try req.content.decode(Form.self)
        do {
            let decision: DeductionService.Decision
            switch form.action {
            case "reject": decision = .reject(reason: form.reason ?? "")
            case "uphold", "reduce", "withdraw":
                var points: Points?
                if let raw = form.points?.nilIfEmpty {
                    guard let p = Points(parsing: raw) else { throw AppError.invalid("分值应为数字", field: "points") }
                    points = p
                }
                decision = .decideAppeal(DeductionState.Appeal.Decision(rawValue: form.action!)!, points: points, reason: form.reason ?? "")
            case "confirm":
                var points: Points?
                if let raw = form.points?.nilIfEmpty {
                    guard let p = Points(parsing: raw) else { throw AppError.invalid("分值应为数字", field: "points") }
                    points = p
                }
                decision = .confirm(points: points, reason: form.reason?.nilIfEmpty)
            default: throw AppError.invalid("请选择确认或驳回", field: "action")
            }
            // The person is the signed-in account: one account, one agency.
            try await DeductionService.decide([id], decision: decision, agency: agency, officer: actor.principal.name, actor: actor,
                                              rules: req.application.liandong.ruleBook, on: req.db)
            let done = ["reject": "驳回", "confirm": "确认", "uphold": "维持", "reduce": "减少扣分", "withdraw": "撤销"][form.action ?? ""] ?? "处理"
            return try await render(req, notice: "扣分 \(id) 已\(done)")
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }
}
