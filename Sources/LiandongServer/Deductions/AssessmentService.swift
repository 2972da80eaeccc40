import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// The assessment of a period from the confirmed deductions (综合考核, 平安综治).
enum AssessmentService {
    struct Row: Content {
        var entity: String
        var kind: String
        var base: Double
        var deductions: Double
        var score: Double
        var rank: Int?
        var deductionCount: Int
        var previousScore: Double?
        var change: Double?
        var deductionIds: [Int]
    }

    struct Report: Content {
        var period: String
        var previousPeriod: String
        var ranked: [Row]
        var unranked: [Row]
        /// A closed year (issue 15 item 5): when and by whom, the snapshot's SHA-256 and its id.
        var closedAt: String? = nil
        var closedBy: String? = nil
        var sha256: String? = nil
        var closureId: Int? = nil
        /// Whether the previous period holds records: without, no previous scores are shown.
        var previousHasData: Bool? = nil

        /// The two rankings (§5): the counties with the development zone, and the city departments.
        var counties: [Row] { ranked.filter { $0.kind == Assessment.Kind.county.rawValue } }
        var departments: [Row] { ranked.filter { $0.kind != Assessment.Kind.county.rawValue } }
    }

    /// The whole year of a period, when it is one.
    static func wholeYear(_ period: Period) -> Int? {
        period.start.month == 1 && period.start.day == 1 && period.end == Period.year(period.start.year).end ? period.start.year : nil
    }

    /// The period before: the previous year, or the previous quarter for a quarter.
    static func previous(of period: Period) -> Period {
        let months = period.months.count
        if months == 3 {
            let q = (period.start.month - 1) / 3 + 1
            return q == 1 ? .quarter(period.start.year - 1, 4) : .quarter(period.start.year, q - 1)
        }
        return .year(period.start.year - 1)
    }

    /// `withIDs`: each deduction by its id (the workbook, the detail of one entity, the API and
    /// the command), read from the deductions. Without, the page's figures come from the totals
    /// kept on write (`DeductionTotals`), a row per subject and month.
    static func rows(_ period: Period, rules: RuleBook, withIDs: Bool = true, on db: any Database) async throws
        -> (ranked: [Assessment.Row], unranked: [Assessment.Row]) {
        let sql = db as! any SQLDatabase
        struct U: Decodable { var id: Int; var name: String; var jurisdiction_id: String; var ranked: Bool }
        let units = try await sql.select().columns("id", "name", "jurisdiction_id", "ranked").from(LinkageUnit.schema).all(decoding: U.self).map {
            Assessment.Unit(id: $0.id, name: $0.name, jurisdictionID: $0.jurisdiction_id, ranked: $0.ranked)
        }
        let deductions: [Assessment.Deduction]
        if !withIDs, let totals = try await DeductionTotals.deductions(in: period, on: sql) {
            deductions = totals
        } else {
            deductions = try await confirmed(in: period, on: sql)
        }
        return Assessment.compute(units: units, jurisdictions: Jurisdictions.all, deductions: deductions,
                                  base: rules.inForce(on: period.start).assessmentBase)
    }

    /// The confirmed deductions counted in a period, each by its id: those that occurred in it,
    /// and those carried over into one of its months from a closed year (上年度补扣), each with
    /// what it counts there (its figure less what the closed year counted). The same rows and
    /// points as `DeductionTotals` keeps.
    static func confirmed(in period: Period, on sql: any SQLDatabase) async throws -> [Assessment.Deduction] {
        struct D: Decodable {
            var id: Int; var unit_id: Int?; var agency: String?; var jurisdiction_id: String?; var status: String; var points_tenths: Int; var carried_tenths: Int
        }
        // A carried item counts where the first day of its month falls.
        func firstMonth(from day: LocalDate) -> String {
            day.day == 1 ? DeductionTotals.monthKey(day) : DeductionTotals.monthKey(Period.month(day.year, day.month).end)
        }
        let confirmed = DeductionStatus.confirmed.rawValue
        return try await sql.raw("""
            SELECT id, unit_id, agency, jurisdiction_id, status, points_tenths, carried_tenths FROM deductions
            WHERE (status = \(bind: confirmed) OR carried_tenths <> 0)
              AND ((assessed_month IS NULL AND occurred_at >= \(bind: period.startInstant) AND occurred_at < \(bind: period.endInstant))
                OR (assessed_month >= \(bind: firstMonth(from: period.start)) AND assessed_month < \(bind: firstMonth(from: period.end))))
            """).all(decoding: D.self).map {
                Assessment.Deduction(id: $0.id, unitID: $0.unit_id, agency: $0.agency.flatMap(Agency.init(rawValue:)), jurisdictionID: $0.jurisdiction_id,
                                     points: Points(tenths: ($0.status == confirmed ? $0.points_tenths : 0) - $0.carried_tenths))
            }
    }

    /// A closed year is read from its snapshot (issue 15 item 5), never computed again.
    static func report(_ period: Period, rules: RuleBook, withIDs: Bool = true, on db: any Database) async throws -> Report {
        let sql = db as! any SQLDatabase
        if let year = wholeYear(period), let (closed, closure) = try await YearClose.closedReport(year, on: sql) {
            var report = closed
            report.closedAt = ChinaTime.isoString(closure.closed_at)
            report.closedBy = closure.closed_by
            report.sha256 = closure.hash
            report.closureId = closure.id
            return report
        }
        let prior = previous(of: period)
        var previousScores: [String: Points] = [:]
        if let year = wholeYear(prior), let (closed, _) = try await YearClose.closedReport(year, on: sql) {
            previousScores = Dictionary((closed.ranked + closed.unranked).map { ($0.entity, Points($0.score)) }, uniquingKeysWith: { a, _ in a })
        } else if try await hasRecords(in: prior, on: sql) {
            let before = try await rows(prior, rules: rules, withIDs: false, on: db)
            previousScores = Dictionary((before.ranked + before.unranked).map { ($0.entity, $0.score) }, uniquingKeysWith: { a, _ in a })
        }
        let now = try await rows(period, rules: rules, withIDs: withIDs, on: db)
        func convert(_ r: Assessment.Row) -> Row {
            let previous = previousScores[r.entity]
            return Row(entity: r.entity, kind: r.kind.rawValue, base: r.base.value, deductions: r.deductions.value, score: r.score.value, rank: r.rank,
                       deductionCount: r.deductionCount, previousScore: previous?.value, change: previous.map { (r.score - $0).value },
                       deductionIds: r.deductionIDs)
        }
        return Report(period: period.label, previousPeriod: prior.label, ranked: now.ranked.map(convert), unranked: now.unranked.map(convert),
                      previousHasData: !previousScores.isEmpty)
    }

    /// Whether the system holds any supervision record of a period (a dispatch instructed, a
    /// phone check or a drill in it): a period before the system was in use has no scores to
    /// compare with, not scores of 100. Deductions alone do not count: a plan's shortfall may be
    /// dated years back.
    static func hasRecords(in period: Period, on sql: any SQLDatabase) async throws -> Bool {
        for (table, column) in [("dispatches", "instructed_at"), ("phone_checks", "checked_at"), ("drills", "alert_at")] {
            let found = try await sql.select().column(SQLLiteral.numeric("1"), as: "found").from(table)
                .where(SQLColumn(column), .greaterThanOrEqual, SQLBind(period.startInstant))
                .where(SQLColumn(column), .lessThan, SQLBind(period.endInstant)).limit(1).first()
            if found != nil { return true }
        }
        return false
    }

    static let header = ["排名", "被考核单位", "类别", "基础分", "扣分", "得分", "扣分项数", "上期得分", "变化"]

    static func table(_ rows: [Row]) -> [[String]] {
        rows.map { r in
            [r.rank.map(String.init) ?? "—", r.entity, r.kind == "county" ? "县（市、区）" : "市直单位", Points(r.base).description,
             Points(r.deductions).description, Points(r.score).description, String(r.deductionCount),
             r.previousScore.map { Points($0).description } ?? "—", r.change.map { ($0 > 0 ? "+" : "") + Points($0).description } ?? "—"]
        }
    }

    /// A workbook a clerk can print: the ranking, the units not ranked, and every deduction.
    static func xlsx(_ report: Report, period: Period, rules: RuleBook, on db: any Database) async throws -> Data {
        func cells(_ rows: [Row]) -> [[XLSXCell]] {
            rows.map { r in
                [r.rank.map { .integer($0) } ?? .text("—"), .text(r.entity), .text(r.kind == "county" ? "县（市、区）" : "市直单位"), .number(r.base),
                 .number(r.deductions), .number(r.score), .integer(r.deductionCount), r.previousScore.map { .number($0) } ?? .text("—"),
                 r.change.map { .number($0) } ?? .text("—")]
            }
        }
        let detail = try await YearView.detail(report, period: period, rules: rules, on: db).map { d -> [XLSXCell] in
            [.integer(d.id), .text(d.entity), .text(d.subject), .text(d.item), .number(d.points),
             .text(ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? d.occurredAt), .text(d.reason), .text(d.note)]
        }
        let closed = report.sha256 != nil
        var sheets = [
            XLSXSheet(name: "县（市、区）排名", title: "\(report.period)各县（市、区）和开发区社会应急联动工作考核（平安综治）\(closed ? "（已结算）" : "")",
                      header: header, rows: cells(report.counties), landscape: true),
            XLSXSheet(name: "市直单位排名", title: "\(report.period)市直单位社会应急联动工作考核（平安综治）\(closed ? "（已结算）" : "")",
                      header: header, rows: cells(report.departments), landscape: true),
            XLSXSheet(name: "不参与排名单位", title: "\(report.period)不参与排名单位扣分情况", header: header, rows: cells(report.unranked), landscape: true),
            XLSXSheet(name: "扣分明细", title: "\(report.period)已确认扣分明细",
                      header: ["扣分编号", "计入", "单位或部门", "项目", "分值", "发生时间", "事由", "备注"], rows: detail, landscape: true),
        ]
        if let year = wholeYear(period) {
            let later = try await YearClose.carried(of: year, rules: rules, on: db)
            if !later.isEmpty {
                sheets.append(XLSXSheet(name: "结算后补扣", title: "\(report.period)结算后确认或变更的扣分（计入以后年度）",
                                        header: ["扣分编号", "单位或部门", "项目", "分值", "状态", "发生时间", "计入年度"],
                                        rows: later.map { c in
                                            [.integer(c.id), .text(c.subject), .text(c.item), .number(c.points), .text(c.status),
                                             .text(ChinaTime.parseTimestamp(c.occurredAt).map(ChinaTime.displayString) ?? c.occurredAt), .integer(c.countedIn)]
                                        }, landscape: true))
            }
        }
        if let hash = report.sha256 {
            sheets.append(XLSXSheet(name: "结算信息", title: "\(report.period)考核结算信息", header: ["项目", "内容"],
                                    rows: [[.text("结算时间"), .text(report.closedAt.flatMap(ChinaTime.parseTimestamp).map(ChinaTime.displayString) ?? "")],
                                           [.text("结算人"), .text(report.closedBy ?? "")], [.text("SHA-256"), .text(hash)]]))
        }
        return try XLSX.write(sheets: sheets)
    }

    /// `year=2026` and optionally `quarter=1..4`.
    static func period(year: Int?, quarter: Int?) throws -> Period {
        let y = year ?? LocalDate(Date()).year
        guard (2000...2100).contains(y) else { throw AppError(.badRequest, "年份不正确", field: "year") }
        if let q = quarter {
            guard (1...4).contains(q) else { throw AppError(.badRequest, "季度应为1至4", field: "quarter") }
            return .quarter(y, q)
        }
        return .year(y)
    }
}

/// `liandong assess --year 2026 [--quarter N] --format json|csv|xlsx [--output FILE]`
struct AssessCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "year", help: "年度（默认今年）") var year: Int?
        @Option(name: "quarter", help: "季度 1-4（季度滚动查看）") var quarter: Int?
        @Option(name: "format", short: "f", help: "table（默认）、json、csv、xlsx 或 docx（年度报告）") var format: String?
        @Option(name: "output", short: "o", help: "输出文件（xlsx、docx 必填）") var output: String?
    }

    var help: String { "综合考核：各县（市、区）、开发区和市直单位得分与排名" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let period = try AssessmentService.period(year: signature.year, quarter: signature.quarter)
        let report = try await AssessmentService.report(period, rules: app.liandong.ruleBook, on: app.db)
        switch signature.format?.lowercased() ?? "table" {
        case "xlsx":
            guard let path = signature.output else { throw CommandFailure("xlsx 格式须用 --output 指定文件") }
            let data = try await AssessmentService.xlsx(report, period: period, rules: app.liandong.ruleBook, on: app.db)
            guard FileManager.default.createFile(atPath: path, contents: data) else { throw CommandFailure("无法写入 \(path)") }
            app.commandOutput.write("已导出 \(report.period)考核表到 \(path)\n")
        case "docx":
            guard let path = signature.output else { throw CommandFailure("docx 格式须用 --output 指定文件") }
            guard let year = AssessmentService.wholeYear(period) else { throw CommandFailure("Word 报告按年度导出，请不要指定 --quarter") }
            let data = try await YearView.docx(report, year: year, rules: app.liandong.ruleBook, now: app.liandong.clock.now(), on: app.db)
            guard FileManager.default.createFile(atPath: path, contents: data) else { throw CommandFailure("无法写入 \(path)") }
            app.commandOutput.write("已导出 \(report.period)考核报告到 \(path)\n")
        case let raw:
            let format = try OutputFormat.parse(raw)
            let rows = report.ranked + report.unranked
            try CommandOutput.emit(format, json: rows, header: AssessmentService.header, rows: AssessmentService.table(rows), to: app.commandOutput)
        }
    }
}

/// `/assessment`: the ranking for the period, each score opening onto its deductions.
enum AssessmentPages {
    struct Line: Encodable {
        /// With their columns' names and whether they are figures (right-aligned like their headings).
        var cells: [ListCell]
        var entity: String
        var query: String
    }

    static func lines(_ rows: [AssessmentService.Row]) -> [Line] {
        zip(rows, AssessmentService.table(rows)).map { row, cells in
            Line(cells: ListCell.labelled([cells], sortColumns)[0], entity: row.entity, query: row.entity.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
    }

    struct Context: Encodable {
        var frame: PageFrame
        var period: String
        var previousPeriod: String
        var year: Int
        var quarter: String
        var head: TableHead
        var counties: [Line]
        var departments: [Line]
        var unranked: [Line]
        var previousHasData: Bool
        var entity: String
        var hasEntity: Bool
        var detail: [[String]]
        /// The year's close (issue 15 item 5).
        var close: AssessmentYearPages.State
    }

    static func load(_ req: Request, withIDs: Bool = true) async throws -> (AssessmentService.Report, Period) {
        let p = try req.requirePrincipal()
        try req.authorize(WorkArea.assessment.isOpen(to: p), "考核结果供三部门查看")
        // The form's 「全年」 sends an empty quarter: the whole year.
        struct Q: Decodable { var year: String?; var quarter: String? }
        let q = try req.query.decode(Q.self)
        func number(_ raw: String?, _ field: String, _ message: String) throws -> Int? {
            guard let text = raw?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let n = Int(text) else { throw AppError(.badRequest, message, field: field) }
            return n
        }
        let period = try AssessmentService.period(year: try number(q.year, "year", "年度应为数字，如 2026"),
                                                  quarter: try number(q.quarter, "quarter", "季度应为1至4，或留空表示全年"))
        return (try await AssessmentService.report(period, rules: req.application.liandong.ruleBook, withIDs: withIDs, on: req.db), period)
    }

    static let sortColumns = [
        SortColumn("排名", "rank", numeric: true), SortColumn("被考核单位", "entity"), SortColumn("类别", "kind"),
        SortColumn("基础分", "base", numeric: true, first: .desc), SortColumn("扣分", "deductions", numeric: true, first: .desc),
        SortColumn("得分", "score", numeric: true, first: .desc), SortColumn("扣分项数", "count", numeric: true, first: .desc),
        SortColumn("上期得分", "previous", numeric: true, first: .desc), SortColumn("变化", "change", numeric: true), SortColumn("明细"),
    ]

    @Sendable static func page(req: Request) async throws -> View {
        let entity = (try? req.query.get(String.self, at: "entity")) ?? ""
        // The ranking from the totals kept on write; the ids only when one entity's detail is asked for.
        let (report, period) = try await load(req, withIDs: !entity.isEmpty)
        // Both tables (ranked and not ranked) in the order asked; by rank by default.
        let sort = try ListSort(req, columns: sortColumns, default: "rank")
        let values: [String: (AssessmentService.Row) -> SortValue] = [
            "rank": { .int($0.rank) }, "entity": { .text($0.entity) }, "kind": { .plain($0.kind) },
            "base": { .double($0.base) }, "deductions": { .double($0.deductions) }, "score": { .double($0.score) },
            "count": { .int($0.deductionCount) }, "previous": { .double($0.previousScore) }, "change": { .double($0.change) },
        ]
        var detail: [[String]] = []
        if (report.ranked + report.unranked).contains(where: { $0.entity == entity }) {
            detail = try await YearView.detail(report, period: period, rules: req.application.liandong.ruleBook, entity: entity, on: req.db).map { d in
                [String(d.id), d.subject, d.item, Points(d.points).description,
                 ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? "", d.reason, d.source, d.note]
            }
        }
        return try await req.view.render("assessment", Context(
            frame: PageFrame(req, title: "综合考核", active: "assessment"), period: report.period, previousPeriod: report.previousPeriod,
            year: period.start.year, quarter: period.months.count == 3 ? String((period.start.month - 1) / 3 + 1) : "",
            head: sort.head(req), counties: lines(sort.sorted(report.counties, by: values)),
            departments: lines(sort.sorted(report.departments, by: values)),
            unranked: lines(sort.sorted(report.unranked, by: values)), previousHasData: report.previousHasData ?? false,
            entity: entity, hasEntity: !entity.isEmpty, detail: detail,
            close: try await AssessmentYearPages.state(req, report: report, period: period)))
    }

    @Sendable static func export(req: Request) async throws -> Response {
        let (report, period) = try await load(req)
        let format = (try? req.query.get(String.self, at: "format")) ?? "xlsx"
        var headers = HTTPHeaders()
        let data: Data
        switch format {
        case "xlsx":
            data = try await AssessmentService.xlsx(report, period: period, rules: req.application.liandong.ruleBook, on: req.db)
            headers.contentType = RegisterFiles.xlsxType
        case "csv":
            data = CSV.write([AssessmentService.header] + AssessmentService.table(report.ranked + report.unranked))
            headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        case "docx":
            // The year's report in the notice layout, for the 平安综治 assessment.
            guard let year = AssessmentService.wholeYear(period) else { throw AppError(.badRequest, "Word 报告按年度导出，请选择全年", field: "quarter") }
            data = try await YearView.docx(report, year: year, rules: req.application.liandong.ruleBook, now: req.application.liandong.clock.now(), on: req.db)
            headers.contentType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.wordprocessingml.document")
        default:
            throw AppError(.badRequest, "导出格式应为 xlsx、csv 或 docx", field: "format")
        }
        let name = "综合考核-\(report.period).\(format)"
        try await AccessAudit.disclosed(req, action: "export.assessment", entity: "assessment", entityID: report.period, detail: ["format": format])
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"assessment.\(format)\"; filename*=UTF-8''\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
