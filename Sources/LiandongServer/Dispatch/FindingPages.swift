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
        var rows: [[String]]
        var count: Int
        var total: String
        var pager: Pager
        var canFile: Bool
        var canFileManual: Bool
        var items: [AdminPages.Option]
        var failures: [RegisterPages.Option]
        var units: [AdminPages.Option]
        var now: String
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
    }

    static func mayFile(_ p: Principal?) -> Bool { p?.role == .psb || p?.role == .admin }

    @Sendable static func list(req: Request) async throws -> Response {
        try await render(req)
    }

    static func render(_ req: Request, error: String? = nil, notice: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let filter = try await DispatchAPI.findingFilter(req)
        let sort = try ListSort(req, columns: FindingService.sortColumns, default: "occurred")
        // The database counts, sorts and pages: only the rows shown are read.
        let summary = try await FindingService.summary(filter, on: req.db)
        let (offset, limit, pager) = Pager.page(count: summary.count, req)
        let shown = try await FindingService.list(filter, page: (offset, limit), sort: sort, on: req.db)
        let table = FindingService.table(shown)
        let canFile = mayFile(req.principal)
        let canFileManual = req.principal.map(AccessPolicy.canFileFindings) ?? false
        let units = canFile || canFileManual ? try await RegisterService.units(on: req.db) : []
        let rules = req.currentRules
        return try await req.page("findings", Context(
            frame: PageFrame(req, title: "发现的问题", active: "findings"),
            sources: [RegisterPages.Option(value: "", label: "全部", selected: filter.source == nil)]
                + FindingSource.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == filter.source) },
            from: filter.from?.description ?? "", to: filter.to?.description ?? "",
            unitQuery: (try? req.query.get(String.self, at: "q")) ?? "", head: sort.head(req, path: "/findings"), rows: table.rows, count: summary.count,
            total: summary.points.description, pager: pager,
            canFile: canFile, canFileManual: canFileManual,
            items: rules.items.filter { $0.id != .d11 }.map { AdminPages.Option(value: $0.id.rawValue, label: "\($0.id.rawValue) \($0.title)") },
            failures: LiveAlertFailure.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: false) },
            units: units.map { AdminPages.Option(value: String($0.id ?? 0), label: "\(Jurisdictions.named($0.jurisdictionID)?.name ?? "") \($0.name)") },
            now: String(ChinaTime.isoString(Date()).prefix(16)),
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil), status: status)
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
            guard let points = form.points.flatMap(Points.init(parsing:)) else { throw AppError.invalid("请填写拟扣分,如 1.0", field: "points") }
            let finding = try await FindingService.fileManual(unitID: unit, item: item, at: at, narrative: form.narrative ?? "", points: points,
                                                              reference: form.reference, actor: actor, rules: req.application.liandong.ruleBook, on: req.db)
            return try await render(req, notice: "已登记：\(finding.reason)")
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }
}
