import Fluent
import Foundation
import LiandongCore
import Vapor

/// `/findings`: every active finding the reader may see (a liaison its own unit's).
enum FindingPages {
    struct Context: Encodable {
        var frame: PageFrame
        var sources: [RegisterPages.Option]
        var from: String
        var to: String
        var unitQuery: String
        var head: TableHead
        var rows: [[ListCell]]
        var count: Int
        var total: String
        var pager: Pager
        var canFile: Bool
        var canFileManual: Bool
        var canFileProvincial: Bool
        var items: [AdminPages.Option]
        var failures: [RegisterPages.Option]
        var units: [AdminPages.Option]
        var now: String
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
        var exportHref: String
    }

    static func mayFile(_ p: Principal?) -> Bool { p?.role == .psb || p?.role == .admin }

    @Sendable static func list(req: Request) async throws -> Response {
        try await render(req)
    }

    /// GET /findings/export: the list as filtered and sorted, every row, as a workbook.
    @Sendable static func export(req: Request) async throws -> Response {
        let filter = try await DispatchAPI.findingFilter(req)
        let sort = try ListSort(req, columns: FindingService.sortColumns, default: "occurred", .desc)
        let table = FindingService.table(try await FindingService.list(filter, sort: sort, on: req.db))
        return try await ListExport.respond(req, name: "发现的问题", ascii: "findings",
                                            title: "发现的问题" + ListExport.period(from: filter.from?.description ?? "", to: filter.to?.description ?? ""),
                                            header: table.header, rows: ListExport.cells(table.rows, integers: [0], numbers: [6]),
                                            action: "export.findings", entity: "finding")
    }

    /// The list's filters and order as a query, for its export link.
    static func exportQuery(_ req: Request) -> String {
        var items = req.url.query.map { URLComponents(string: "/?\($0)")?.queryItems ?? [] } ?? []
        items.removeAll { $0.name == "page" }
        var components = URLComponents()
        components.queryItems = items
        return items.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? "")
    }

    static func render(_ req: Request, error: String? = nil, notice: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let filter = try await DispatchAPI.findingFilter(req)
        let sort = try ListSort(req, columns: FindingService.sortColumns, default: "occurred", .desc)
        // The database counts, sorts and pages: only the rows shown are read.
        let summary = try await FindingService.summary(filter, on: req.db)
        let (offset, limit, pager) = Pager.page(count: summary.count, req)
        let shown = try await FindingService.list(filter, page: (offset, limit), sort: sort, on: req.db)
        let table = FindingService.table(shown)
        let canFile = mayFile(req.principal)
        let canFileManual = req.principal.map(AccessPolicy.canFileFindings) ?? false
        // A county's officers file against their county's units only (issue 15).
        let units = canFile || canFileManual
            ? try await req.register().units.filter { u in req.principal.map(u.visible) ?? false }
            : []
        let rules = req.currentRules
        return try await req.page("findings", Context(
            frame: PageFrame(req, title: "发现的问题", active: "findings"),
            sources: [RegisterPages.Option(value: "", label: "全部", selected: filter.source == nil)]
                + FindingSource.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == filter.source) },
            from: filter.from?.description ?? "", to: filter.to?.description ?? "",
            unitQuery: (try? req.query.get(String.self, at: "q")) ?? "", head: sort.head(req, path: "/findings"), rows: ListCell.labelled(table.rows, FindingService.sortColumns), count: summary.count,
            total: summary.points.description, pager: pager,
            canFile: canFile, canFileManual: canFileManual,
            canFileProvincial: req.principal.map(AccessPolicy.canFileProvincialNotices) ?? false,
            items: rules.items.filter { $0.id != .d11 }.map { AdminPages.Option(value: $0.id.rawValue, label: "\($0.id.rawValue) \($0.title)") },
            failures: LiveAlertFailure.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: false) },
            units: units.map { AdminPages.Option(value: String($0.id), label: "\(Jurisdictions.named($0.jurisdictionID)?.name ?? "") \($0.name)") },
            now: String(ChinaTime.isoString(Date()).prefix(16)),
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil,
            exportHref: "/findings/export" + (req.method == .GET ? exportQuery(req) : "")), status: status)
    }

    /// POST /findings: a live-alert failure reported by the police.
    @Sendable static func file(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(mayFile(actor.principal), "实战警情问题由市公安局登记")
        struct Form: Decodable { var unit_id: Int?; var incident_id: String?; var failure: String?; var occurred_at: String?; var narrative: String?; var points: String? }
        let form = try req.content.decode(Form.self)
        do {
            guard let unit = form.unit_id else { throw AppError.invalid("请选择单位", field: "unit_id") }
            guard let failure = form.failure.flatMap(LiveAlertFailure.init(rawValue:)) else { throw AppError.invalid("请选择问题类型", field: "failure") }
            guard let at = form.occurred_at.flatMap(ChinaTime.parseTimestamp) else { throw AppError.invalid("请填写发生时间", field: "occurred_at") }
            var points: Points?
            if let raw = form.points?.nilIfEmpty {
                guard let p = Points(parsing: raw) else { throw AppError.invalid("扣分应为数字，如 1.5", field: "points") }
                points = p
            }
            let filed = try await FindingService.fileLiveAlertFailure(unitID: unit, incidentID: form.incident_id ?? "", failure: failure, at: at,
                                                                      narrative: form.narrative ?? "", points: points, actor: actor,
                                                                      rules: req.application.liandong.ruleBook, on: req.db)
            return try await render(req, notice: filed.joined
                ? "已登记，并入已有的同一问题（不重复扣分）：\(filed.reason)" : "已登记：\(filed.reason)")
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }

    /// POST /findings/manual: any other shortfall (D1–D12) filed by an officer with the facts.
    @Sendable static func fileManual(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canFileFindings(actor.principal), "问题由市应急管理局或市公安局登记")
        struct Form: Decodable { var unit_id: Int?; var item: String?; var occurred_at: String?; var narrative: String?; var points: String?; var reference: String? }
        let form = try req.content.decode(Form.self)
        do {
            guard let unit = form.unit_id else { throw AppError.invalid("请选择单位", field: "unit_id") }
            guard let item = form.item.flatMap(DeductionItemID.init(rawValue:)) else { throw AppError.invalid("请选择扣分项目", field: "item") }
            guard let at = form.occurred_at.flatMap(ChinaTime.parseTimestamp) else { throw AppError.invalid("请填写发生时间", field: "occurred_at") }
            guard let points = form.points.flatMap(Points.init(parsing:)) else { throw AppError.invalid("请填写拟扣分，如 1.0", field: "points") }
            let finding = try await FindingService.fileManual(unitID: unit, item: item, at: at, narrative: form.narrative ?? "", points: points,
                                                              reference: form.reference, actor: actor, rules: req.application.liandong.ruleBook, on: req.db)
            return try await render(req, notice: "已登记：\(finding.reason)")
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }

    // MARK: D11, a provincial notice

    struct ProvincialContext: Encodable {
        var frame: PageFrame
        var multiplier: String
        var number: String
        var date: String
        var today: String
        var points: String
        var text: String
        var units: [RegisterPages.Option]
        var governments: [RegisterPages.Option]
        var hasGovernments: Bool
        var noSubject: Bool
        var recent: [ProvincialRow]
        var hasRecent: Bool
        var error: String?
        var hasError: Bool
        /// The form field the error names (marked `aria-invalid`).
        var errorField: String
        var notice: String?
        var hasNotice: Bool
    }

    struct ProvincialRow: Encodable {
        var date: String
        var number: String
        var subject: String
        var points: String
        var reason: String
    }

    struct ProvincialForm: Decodable {
        var number: String?
        var date: String?
        /// `unit:12` or `jurisdiction:longquan`.
        var subject: String?
        var points: String?
        var text: String?
    }

    static func requireProvincial(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canFileProvincialNotices(actor.principal), "省通报扣分由市应急管理局或市公安局登记")
        return actor
    }

    static func renderProvincial(_ req: Request, form: ProvincialForm = ProvincialForm(), error: AppError? = nil, notice: String? = nil,
                                 status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try req.requirePrincipal()
        let rules = req.currentRules
        let units = try await req.register().units.filter { $0.visible(to: principal) }
        let governments = Jurisdictions.all.filter {
            $0.kind != .city && AccessPolicy.canFileProvincialNotice(againstGovernment: $0.id, by: principal)
        }
        let chosen = form.subject ?? ""
        let recent = try await ProvincialNotices.recent(on: req.db)
        return try await req.page("provincial", ProvincialContext(
            frame: PageFrame(req, title: "登记省通报扣分", active: "findings"),
            multiplier: ChineseNumeral.of(rules.provincialMultiplier),
            number: form.number ?? "", date: form.date ?? "", today: LocalDate(req.now).description,
            points: form.points ?? "", text: form.text ?? "",
            units: units.map { u in
                RegisterPages.Option(value: "unit:\(u.id)", label: "\(Jurisdictions.named(u.jurisdictionID)?.name ?? "") \(u.name)",
                                     selected: chosen == "unit:\(u.id)")
            },
            governments: governments.map { RegisterPages.Option(value: "jurisdiction:\($0.id)", label: $0.governmentName, selected: chosen == "jurisdiction:\($0.id)") },
            hasGovernments: !governments.isEmpty, noSubject: chosen.isEmpty,
            recent: recent.map { f in
                ProvincialRow(date: ChinaTime.parseTimestamp(f.occurredAt).map { LocalDate($0).description } ?? "", number: f.ref,
                              subject: f.unit ?? f.jurisdiction.map { name in Jurisdictions.all.first { $0.name == name }?.governmentName ?? name } ?? "",
                              points: Points(f.proposedPoints).description, reason: f.reason)
            }, hasRecent: !recent.isEmpty,
            error: error?.message, hasError: error != nil, errorField: error?.field ?? "",
            notice: notice, hasNotice: notice != nil), status: status)
    }

    /// GET /findings/provincial: the form for a provincial notice's deduction (D11).
    @Sendable static func provincialForm(req: Request) async throws -> Response {
        _ = try requireProvincial(req)
        return try await renderProvincial(req)
    }

    /// POST /findings/provincial: the notice's number, date and text, whom it names and the
    /// provincial points; the city's deduction is the rule set's multiple, proposed at once.
    @Sendable static func fileProvincial(req: Request) async throws -> Response {
        let actor = try requireProvincial(req)
        let form = try req.content.decode(ProvincialForm.self)
        do {
            guard let rawDate = form.date?.nilIfEmpty else { throw AppError.invalid("请填写通报日期", field: "date") }
            guard let date = LocalDate(rawDate) else { throw AppError.invalid("通报日期应为日期，如 2026-05-10", field: "date") }
            let subject: ProvincialSubject
            let raw = form.subject ?? ""
            if raw.hasPrefix("unit:"), let id = Int(raw.dropFirst(5)) {
                subject = .unit(id)
            } else if raw.hasPrefix("jurisdiction:") {
                subject = .government(try ProvincialNotices.government(String(raw.dropFirst(13))).id)
            } else {
                throw AppError.invalid("请选择被通报的单位或县（市、区）政府", field: "subject")
            }
            guard let rawPoints = form.points?.nilIfEmpty else { throw AppError.invalid("请填写省里扣分，如 1.5", field: "points") }
            guard let points = Points(parsing: rawPoints) else { throw AppError.invalid("省里扣分应为数字，如 1.5", field: "points") }
            let (finding, outcome) = try await ProvincialNotices.register(
                number: form.number ?? "", date: date, subject: subject, provincialPoints: points, text: form.text ?? "",
                actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: req.db)
            let notice = switch outcome {
            case .stored: "已登记，拟扣\(finding.proposedPoints)分，待市应急管理局和市公安局共同确认：\(finding.reason)"
            case .unchanged: "该通报对该对象已登记过，本次未重复计分：\(finding.reason)"
            }
            return try await renderProvincial(req, notice: notice)
        } catch let error as AppError where error.status != .forbidden {
            var field = error.field
            if field == "unit_id" || field == "jurisdiction" { field = "subject" }
            return try await renderProvincial(req, form: form, error: AppError(error.status, error.message, field: field), status: error.status)
        }
    }
}
