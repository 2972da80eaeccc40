import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
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
        /// The live-alert failures the police reported by hand behind the finding.
        var reports: String
        var canDecide: Bool
        var canAppeal: Bool
        var appealDeadline: String
        var appeal: String
        var canDecideAppeal: Bool
        var files: [Attachments.Meta]
        var hasFiles: Bool
        /// What the liaison typed into this row's appeal when it was refused: the form comes back with it.
        var statementDraft: String
        /// The last change of figure or reason, for the agency asked to agree.
        var lastChange: String
    }

    struct Context: Encodable {
        var frame: PageFrame
        var statuses: [RegisterPages.Option]
        var unitQuery: String
        /// The period filter, as typed (`2026-03-01`), and the list's own address to come back to.
        var from: String
        var to: String
        var awaitingValue: String
        var back: String
        var exportHref: String
        /// Rows the officer may confirm together.
        var canBatch: Bool
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
        let scoped = try await listFilter(req)
        let filter = scoped.filter, acting = scoped.acting, unitQuery = scoped.unitQuery, fromText = scoped.from, toText = scoped.to
        var notice = notice ?? scoped.notice
        // What the decision just made did comes first, then what the filter shows.
        if let done = try await Self.doneNotice(req) { notice = [done, notice].compactMap { $0 }.joined(separator: "。") }
        let agency = acting
        let sort = try ListSort(req, columns: DeductionService.sortColumns + (agency.map { [SortColumn($0.name)] } ?? []), default: "occurred", .desc)
        // The database counts, sorts and pages: only the rows shown are read and decoded.
        let summary = try await DeductionService.summary(filter, on: req.db)
        let (offset, limit, pager) = Pager.page(count: summary.count, req)
        let directory = try await req.register().agencies
        let shown = try await DeductionService.list(filter, rules: req.application.liandong.ruleBook, calendar: req.application.liandong.calendar,
                                                    page: (offset, limit), sort: sort, directory: directory, on: req.db)
        let files = try await Attachments.list(.appeal, ids: shown.map(\.id), on: req.db)
        let changes = try await DeductionService.lastChanges(shown.map(\.id), directory: directory, on: req.db)
        let reports = try await FindingReports.of(findings: shown.map(\.findingId), on: req.db as! any SQLDatabase)
        let rules = req.currentRules
        return try await req.page("deductions", Context(
            frame: PageFrame(req, title: "扣分", active: "deductions"),
            statuses: [RegisterPages.Option(value: "", label: "全部", selected: filter.status == nil)]
                + DeductionStatus.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == filter.status) },
            unitQuery: unitQuery, from: fromText, to: toText, awaitingValue: filter.awaiting?.rawValue ?? "", back: listAddress(req),
            exportHref: "/deductions/export" + listAddress(req).dropFirst("/deductions".count),
            canBatch: agency != nil && shown.contains { d in Self.mayConfirm(d, agency) },
            head: sort.head(req, path: "/deductions"),
            rows: shown.map { d in
                Row(id: d.id, occurredAt: ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? "", subject: d.unit ?? d.agency ?? d.jurisdiction ?? "",
                    item: d.item, points: Points(d.points).description, status: d.statusName, awaiting: Self.awaitingText(d),
                    reason: d.reason, reports: (reports[d.findingId] ?? []).map(\.text).joined(separator: "；"), canDecide: Self.mayConfirm(d, agency),
                    canAppeal: principal.role == .liaison && d.unitId == principal.unitID && d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map { $0 >= req.now } == true,
                    appealDeadline: (d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map(ChinaTime.displayString) ?? "") + (d.appealDeadlineNote ?? ""),
                    appeal: [d.appealStatement.map { "申诉：\($0)" }, d.appealDecision.map { "决定：\($0)" }].compactMap { $0 }.joined(separator: "；"),
                    canDecideAppeal: d.status == DeductionStatus.appealed.rawValue && agency.map { d.awaitingIds.contains($0.id) } == true,
                    files: files[d.id] ?? [], hasFiles: files[d.id] != nil, statementDraft: draft?.id == d.id ? draft?.statement ?? "" : "",
                    lastChange: changes[d.id] ?? "")
            },
            count: summary.count, total: summary.points.description, pager: pager,
            agencyName: agency?.name ?? "", allowedPoints: rules.pointsRange.allowedValues.map(\.description),
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil,
            reauth: agency == nil ? Reauthentication.Banner(show: false, text: "", url: "")
                : Reauthentication.banner(req, action: "确认或驳回扣分", returnTo: req.method == .GET ? req.url.string : "/deductions")), status: status)
    }

    /// What the list shows, from its query: status, agency awaited, unit, period, and the
    /// reader's scope (a liaison its unit, a county officer its county). The export reads the same.
    static func listFilter(_ req: Request) async throws
        -> (filter: DeductionFilter, acting: SupervisingAgency?, notice: String?, unitQuery: String, from: String, to: String) {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil, "无权查看扣分")
        var filter = DeductionFilter()
        if let raw = try? req.query.get(String.self, at: "status"), !raw.isEmpty {
            guard let s = DeductionStatus(rawValue: raw) else { throw AppError(.badRequest, "未知状态“\(raw)”", field: "status") }
            filter.status = s
        }
        var notice: String?
        // Issue 15: the agency the officer acts for (their jurisdiction's), and the deductions it decides.
        let directory = try await req.register().agencies
        let acting = directory.acting(for: principal)
        if let raw = try? req.query.get(String.self, at: "awaiting"), !raw.isEmpty {
            guard let a = Agency(rawValue: raw) else {
                throw AppError(.badRequest, "“\(raw)”不是决定扣分的机关，应为 emb、psb 或 plc", field: "awaiting")
            }
            filter.awaiting = a
            let seat = acting?.kind == a ? acting : nil
            filter.decidedBy = seat.map { DecidingSeat($0.jurisdictionID, directory: directory) }
            notice = "仅列出待\(seat?.name ?? a.name)确认的扣分"
        }
        switch principal.role {
        case .liaison: filter.unitID = principal.unitID ?? -1
        case .plc, .emb, .psb: filter.jurisdictionID = principal.jurisdictionID
        default: break
        }
        let unitQuery = (try? req.query.get(String.self, at: "q")) ?? ""
        filter.unitIDs = try await RegisterService.unitIDs(matching: unitQuery, on: req.db)
        // When it happened, both days included.
        let fromText = ((try? req.query.get(String.self, at: "from")) ?? "").trimmingCharacters(in: .whitespaces)
        let toText = ((try? req.query.get(String.self, at: "to")) ?? "").trimmingCharacters(in: .whitespaces)
        if !fromText.isEmpty {
            guard let day = LocalDate(fromText) else { throw AppError(.badRequest, "起始日期“\(fromText)”应写作 2026-03-01", field: "from") }
            filter.from = day.start
        }
        if !toText.isEmpty {
            guard let day = LocalDate(toText) else { throw AppError(.badRequest, "截止日期“\(toText)”应写作 2026-03-31", field: "to") }
            guard filter.from.map({ day.adding(days: 1).start > $0 }) ?? true else { throw AppError(.badRequest, "截止日期不能早于起始日期", field: "to") }
            filter.to = day.adding(days: 1).start
        }
        return (filter, acting, notice, unitQuery, fromText, toText)
    }

    /// GET /deductions/export: the list as filtered and sorted, every row, as a workbook.
    @Sendable static func export(req: Request) async throws -> Response {
        let scoped = try await listFilter(req)
        let sort = try ListSort(req, columns: DeductionService.sortColumns, default: "occurred", .desc)
        let all = try await DeductionService.list(scoped.filter, rules: req.application.liandong.ruleBook, calendar: req.application.liandong.calendar,
                                                  sort: sort, on: req.db)
        let header = ["编号", "发生时间", "单位或部门", "项目", "分值", "状态", "待确认", "事由", "申诉截止", "申诉"]
        let rows: [[XLSXCell]] = all.map { d in
            [.integer(d.id), .text(ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? d.occurredAt),
             .text(d.unit ?? d.agency ?? d.jurisdiction ?? ""), .text(d.item), .number(d.points), .text(d.statusName),
             .text(awaitingText(d)), .text(d.reason),
             .text((d.appealDeadline.flatMap(ChinaTime.parseTimestamp).map(ChinaTime.displayString) ?? "") + (d.appealDeadlineNote ?? "")),
             .text([d.appealStatement.map { "申诉：\($0)" }, d.appealDecision.map { "决定：\($0)" }].compactMap { $0 }.joined(separator: "；"))]
        }
        return try await ListExport.respond(req, name: "扣分清单", ascii: "deductions",
                                            title: "扣分清单" + ListExport.period(from: scoped.from, to: scoped.to), header: header, rows: rows,
                                            action: "export.deductions", entity: "deduction")
    }

    @Sendable static func list(req: Request) async throws -> Response { try await render(req) }

    /// Whether the officer's agency is awaited on a proposed deduction (issue 15: its jurisdiction's deciders only).
    static func mayConfirm(_ d: DeductionDTO, _ agency: SupervisingAgency?) -> Bool {
        d.status == DeductionStatus.proposed.rawValue && agency.map { d.awaitingIds.contains($0.id) } == true
    }

    /// Who is awaited, and on what when it is not the figure: `市公安局（驳回）`.
    static func awaitingText(_ d: DeductionDTO) -> String {
        let names = d.awaiting.joined(separator: "、")
        guard !names.isEmpty, !d.onTable.hasPrefix("确认") else { return names }
        return names + "（\(d.onTable)）"
    }

    /// The list's address with its filters, sorting and page, for a decision to come back to: the
    /// GET that showed it, or what a form sent as `back` (a path of this list only).
    static func listAddress(_ req: Request) -> String {
        if req.method == .GET {
            var items = req.url.query.map { URLComponents(string: "/?\($0)")?.queryItems ?? [] } ?? []
            items.removeAll { ["done", "id", "n"].contains($0.name) }
            var components = URLComponents()
            components.queryItems = items
            return "/deductions" + (items.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? ""))
        }
        let sent = (try? req.content.get(String.self, at: "back")) ?? ""
        return sent.hasPrefix("/deductions") && !sent.hasPrefix("/deductions/") ? AuthPages.safeNext(sent) : "/deductions"
    }

    /// Back to the list as it was, saying what was done (Post/Redirect/Get: a reload repeats nothing).
    static func back(_ req: Request, done: String, ids: [Int]) -> Response {
        let address = listAddress(req)
        let query = "done=\(done)&" + (ids.count == 1 ? "id=\(ids[0])" : "n=\(ids.count)")
        return req.redirect(to: address + (address.contains("?") ? "&" : "?") + query)
    }

    /// The notice for `done=…&id=…`: what the decision did, read from the deduction as it now stands.
    static func doneNotice(_ req: Request) async throws -> String? {
        guard let done = try? req.query.get(String.self, at: "done") else { return nil }
        if done == "batch", let n = try? req.query.get(Int.self, at: "n") { return "已按原分值确认 \(n) 条扣分" }
        guard let id = try? req.query.get(Int.self, at: "id"),
              let d = try await DeductionService.list(DeductionFilter(id: id), rules: req.application.liandong.ruleBook,
                                                      calendar: req.application.liandong.calendar, on: req.db).first
        else { return nil }
        switch done {
        case "confirm":
            if d.status == DeductionStatus.confirmed.rawValue { return "扣分 \(id) 两部门均已确认，按\(Points(d.points))分生效" }
            return "扣分 \(id) 已确认" + (d.awaiting.isEmpty ? "" : "，待\(d.awaiting.joined(separator: "、"))确认") + "（\(Points(d.points))分）"
        case "reject" where d.status == DeductionStatus.proposed.rawValue:
            return "扣分 \(id) 已驳回（本部门意见），待\(d.awaiting.joined(separator: "、"))同意后生效"
        case "uphold", "reduce", "withdraw" where d.status == DeductionStatus.appealed.rawValue:
            return "扣分 \(id) 的申诉处理意见已提交，待\(d.awaiting.joined(separator: "、"))同意"
        case "reject": return "扣分 \(id) 已驳回"
        case "uphold": return "扣分 \(id) 的申诉已处理：维持"
        case "reduce": return "扣分 \(id) 的申诉已处理：减为\(Points(d.points))分"
        case "withdraw": return "扣分 \(id) 的申诉已处理：撤销扣分"
        default: return nil
        }
    }

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

    /// POST /deductions/confirm — the officer confirms the ticked deductions at their figures, for
    /// the officer's agency, all or none: one that cannot be confirmed refuses the batch, naming it.
    @Sendable static func confirmBatch(req: Request) async throws -> Response {
        let actor = try req.actor()
        guard let agency = actor.principal.role?.agency, AccessPolicy.canConfirm(for: agency, by: actor.principal) else {
            throw AppError(.forbidden, "扣分由所在辖区应急管理局和公安局的工作人员各自代表本部门确认")
        }
        if let challenge = try Reauthentication.challenge(req, returnTo: listAddress(req), action: "确认或驳回扣分") { return challenge }
        struct Form: Decodable { var ids: [String]? }
        let raw = (try? req.content.decode(Form.self))?.ids ?? []
        let ids = raw.compactMap { Int($0) }
        do {
            guard !ids.isEmpty, ids.count == raw.count else { throw AppError.invalid("请勾选要确认的扣分", field: "ids") }
            try await DeductionService.decide(ids, decision: .confirm(points: nil, reason: nil), agency: agency, officer: actor.principal.name,
                                              actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: req.db)
            return back(req, done: "batch", ids: ids)
        } catch let error as AppError {
            return try await render(req, error: error.message + "（所选扣分均未确认）", status: error.status)
        }
    }

    /// POST /deductions/:id/decision — confirm (at the figure, or another with a reason) or reject.
    @Sendable static func decide(req: Request) async throws -> Response {
        let actor = try req.actor()
        guard let agency = actor.principal.role?.agency, AccessPolicy.canConfirm(for: agency, by: actor.principal) else {
            throw AppError(.forbidden, "扣分由所在辖区应急管理局和公安局的工作人员各自代表本部门确认")
        }
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "扣分编号应为数字") }
        // A decision on someone's rating needs a recent password (and code).
        if let challenge = try Reauthentication.challenge(req, returnTo: listAddress(req), action: "确认或驳回扣分") { return challenge }
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
            return back(req, done: form.action ?? "confirm", ids: [id])
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }
}
