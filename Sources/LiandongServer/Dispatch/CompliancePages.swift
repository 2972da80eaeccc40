import Fluent
import Foundation
import LiandongCore
import Vapor

/// Compliance: the API, the page and the command share `ComplianceService`.
enum ComplianceControllers {
    struct Query: Decodable {
        var period: String?
        var from: String?
        var to: String?
        var by: String?
    }

    /// The scope a principal may see: a liaison its unit, a county officer its county.
    static func scope(_ req: Request) throws -> (unitID: Int?, jurisdictionID: String?) {
        let p = try req.requirePrincipal()
        switch p.role {
        case .liaison: return (p.unitID ?? -1, nil)
        case .admin: return (nil, nil)
        case .plc, .emb, .psb: return (nil, p.jurisdictionID)
        case nil: throw AppError(.forbidden, "接口令牌无权查看到场统计")
        }
    }

    static func load(_ req: Request) async throws -> (ComplianceService.Report, ComplianceService.Grouping, Query) {
        let q = try req.query.decode(Query.self)
        let period = try ComplianceService.period(period: q.period, from: q.from, to: q.to)
        guard let grouping = ComplianceService.Grouping(rawValue: q.by?.nilIfEmpty ?? "level") else {
            throw AppError(.badRequest, "by 应为 unit、level、jurisdiction 或 all", field: "by")
        }
        let (unit, jurisdiction) = try scope(req)
        let names = grouping == .unit ? try await req.register().names : nil
        return (try await ComplianceService.report(period: period, by: grouping, unitID: unit, jurisdictionID: jurisdiction, names: names, on: req.db), grouping, q)
    }

    /// GET /api/v1/compliance
    @Sendable static func api(req: Request) async throws -> ComplianceService.Report {
        try await load(req).0
    }

    struct PageContext: Encodable {
        var frame: PageFrame
        var period: String
        var periodValue: String
        var groupings: [RegisterPages.Option]
        var head: TableHead
        var rows: [[ListCell]]
        var histogram: String
        var trend: String
        var hasData: Bool
        var limitsNote: String
        var exportHref: String
    }

    static let sortColumns = [
        SortColumn("分组", "group"), SortColumn("警情数", "dispatches", numeric: true, first: .desc),
        SortColumn("判定到场数", "judged", numeric: true, first: .desc), SortColumn("按时到场", "on_time", numeric: true, first: .desc),
        SortColumn("按时率", "rate", numeric: true), SortColumn("到场用时P50", "p50", numeric: true, first: .desc),
        SortColumn("到场用时P90", "p90", numeric: true, first: .desc), SortColumn("接收指令P50", "ack", numeric: true, first: .desc),
        SortColumn("报告齐全率", "reports", numeric: true), SortColumn("有警不出", "refusals", numeric: true, first: .desc),
        SortColumn("推诿", "passed_on", numeric: true, first: .desc),
    ]

    /// The ranking sorts in memory (one row a group); the total stays last.
    static func sorted(_ loaded: ComplianceService.Report, _ grouping: ComplianceService.Grouping, _ sort: ListSort) -> ComplianceService.Report {
        let given = Dictionary(loaded.rows.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var report = loaded
        report.rows = sort.sorted(loaded.rows, by: [
            // Units by name in pinyin order; levels and jurisdictions in their own order.
            "group": { grouping == .unit ? .text($0.label) : .int(given[$0.key]) },
            "dispatches": { .int($0.dispatches) }, "judged": { .int($0.arrivalsJudged) }, "on_time": { .int($0.onTime) },
            "rate": { .double($0.onTimeRate) }, "p50": { .int($0.p50ArrivalSeconds) }, "p90": { .int($0.p90ArrivalSeconds) },
            "ack": { .int($0.p50AcknowledgeSeconds) }, "reports": { .double($0.completeReportRate) },
            "refusals": { .int($0.refusals) }, "passed_on": { .int($0.passedOn) },
        ])
        return report
    }

    /// GET /compliance
    @Sendable static func page(req: Request) async throws -> View {
        let (loaded, grouping, q) = try await load(req)
        let rules = req.currentRules
        // The ranking sorts in memory (one row a group); the total stays last.
        let sort = try ListSort(req, columns: sortColumns, default: "group")
        let report = sorted(loaded, grouping, sort)
        let table = ComplianceService.table(report)
        let limits = rules.responseLimits
        let histogram = ComplianceCharts.arrivals(report, title: "到场用时分布（\(report.period)）", rules: rules)
        let trend = ComplianceCharts.onTimeTrend(title: "按时到场率（按月）", points: report.months.map { (String($0.month.suffix(2)) + "月", $0.onTimeRate) })
        return try await req.view.render("compliance", PageContext(
            frame: PageFrame(req, title: "到场时限", active: "compliance"),
            period: report.period, periodValue: q.period ?? "",
            groupings: ComplianceService.Grouping.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == grouping) },
            head: sort.head(req), rows: ListCell.labelled(table.rows, sortColumns), histogram: histogram, trend: trend, hasData: report.total.dispatches > 0,
            limitsNote: "自收到110指令起计时；公安部门\(limits.publicSecurity)，一级联动单位\(limits.levelOne)，其他单位\(limits.levelTwo)。演练不计入。",
            exportHref: "/compliance/export" + FindingPages.exportQuery(req)))
    }

    /// GET /compliance/export: the table of the page (period, grouping, order) as a workbook,
    /// in the reader's scope.
    @Sendable static func export(req: Request) async throws -> Response {
        let (report, grouping, _) = try await load(req)
        let sort = try ListSort(req, columns: sortColumns, default: "group")
        let table = ComplianceService.table(sorted(report, grouping, sort))
        let integers = Set(table.header.enumerated().filter { ["警情数", "判定到场数", "按时到场", "有警不出", "推诿"].contains($0.element) }.map(\.offset))
        return try await ListExport.respond(req, name: "到场时限", ascii: "compliance",
                                            title: "联动警情到场时限（\(report.period)，按\(grouping.name)分组）", header: table.header,
                                            rows: ListExport.cells(table.rows, integers: integers), action: "export.compliance", entity: "dispatch")
    }
}

/// `liandong compliance --period 2026-Q1 --by unit --format json|csv|table`
struct ComplianceCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "period", help: "2026、2026-H1、2026-Q1 或 2026-03（默认本季度）") var period: String?
        @Option(name: "from", help: "起始日期") var from: String?
        @Option(name: "to", help: "截止日期（含）") var to: String?
        @Option(name: "by", help: "unit、level（默认）、jurisdiction 或 all") var by: String?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }

    var help: String { "联动警情到场时限统计" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        let period = try ComplianceService.period(period: signature.period, from: signature.from, to: signature.to)
        guard let grouping = ComplianceService.Grouping(rawValue: signature.by ?? "level") else {
            throw CommandFailure("--by 应为 unit、level、jurisdiction 或 all")
        }
        let report = try await ComplianceService.report(period: period, by: grouping, on: app.db)
        let t = ComplianceService.table(report)
        if format == .table { app.commandOutput.write("\(report.period)（\(report.from) 至 \(report.to)）\n") }
        try CommandOutput.emit(format, json: report, header: t.header, rows: t.rows, to: app.commandOutput)
    }
}

/// The charts the compliance page and the wall screen both draw, in one place.
enum ComplianceCharts {
    /// Arrival times in two-minute bars up to twice the longest limit, with each level's limit drawn.
    static func arrivals(_ report: ComplianceService.Report, title: String, rules: RuleSet, width: Double = 640, height: Double = 260) -> String {
        let limits = rules.responseLimits
        return SVGChart.histogram(
            title: title, values: report.arrivalMinutes.map { (Double($0.minute), $0.count) }, binWidth: 2,
            maxValue: Double(max(limits.levelTwo.minutes, limits.levelThree.minutes) * 2), xUnit: "分钟", yUnit: "起",
            lines: [SVGChart.Line(value: Double(limits.publicSecurity.minutes), label: "公安\(limits.publicSecurity)"),
                    SVGChart.Line(value: Double(limits.levelOne.minutes), label: "一级\(limits.levelOne)"),
                    SVGChart.Line(value: Double(limits.levelTwo.minutes), label: "二、三级\(limits.levelTwo)")],
            width: width, height: height)
    }

    /// The on-time rate by month. Every arrival is due within its unit's limit: the line to reach
    /// is all of them on time.
    static func onTimeTrend(title: String, points: [(label: String, value: Double?)], width: Double = 640, height: Double = 240) -> String {
        SVGChart.percentLine(title: title, points: points, target: SVGChart.Line(value: 1, label: "要求：全部在时限内到场"), width: width, height: height)
    }
}
