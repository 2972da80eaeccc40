import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `/plans`: the emergency-plans register, what falls due soon, and the forms to keep it.
enum PlanPages {
    struct Context: Encodable {
        var frame: PageFrame
        var warnings: [[String]]
        var warningsHead: TableHead
        var hasWarnings: Bool
        var plans: [[String]]
        var plansHead: TableHead
        var hasPlans: Bool
        var drills: [[String]]
        var drillsHead: TableHead
        var events: [[String]]
        var eventsHead: TableHead
        var records: [[String]]
        var recordsHead: TableHead
        var openFindings: Int
        var canManage: Bool
        var planOptions: [AdminPages.Option]
        var drillKinds: [AdminPages.Option]
        var jurisdictions: [AdminPages.Option]
        var today: String
        var lastYear: Int
        var warningDays: Int
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
    }

    static func yes(_ b: Bool) -> String { b ? "是" : "否" }

    @Sendable static func page(req: Request) async throws -> Response { try await render(req) }

    // Five tables on one page: each sorts by its own parameters (`sort`, `w_sort`, `d_sort` …).
    static let warningColumns = [SortColumn("期限", "due"), SortColumn("项目", "item"), SortColumn("单位或辖区", "subject"), SortColumn("事项")]
    static let planColumns = [
        SortColumn("编号", "id"), SortColumn("单位", "unit"), SortColumn("预案", "name"), SortColumn("类别", "kind"),
        SortColumn("应制定", "required"), SortColumn("印发", "issued", first: .desc), SortColumn("最近修订", "revised", first: .desc),
        SortColumn("下次修订期限", "due"), SortColumn("风险评估/资源调查"), SortColumn("公布", "published", first: .desc),
        SortColumn("最近演练", "drilled", first: .desc),
    ]
    static let drillColumns = [
        SortColumn("日期", "date", first: .desc), SortColumn("单位", "unit"), SortColumn("预案", "plan"), SortColumn("形式", "kind"),
        SortColumn("规模", "scale"), SortColumn("报告"),
    ]
    static let eventColumns = [SortColumn("活动", "name"), SortColumn("日期", "date", first: .desc), SortColumn("相关单位"), SortColumn("相关预案")]
    static let recordColumns = [
        SortColumn("年度", "year", numeric: true, first: .desc), SortColumn("辖区", "jurisdiction"), SortColumn("纳入部门绩效考核", "included"),
        SortColumn("日常定期考核", "regular"), SortColumn("文件"),
    ]

    static func render(_ req: Request, error: String? = nil, notice: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try req.requirePrincipal()
        let book = req.application.liandong.ruleBook
        var register = try await PlanService.register(on: req.db)
        // A liaison sees its own unit's plans.
        if principal.role == .liaison {
            let own = principal.unitID ?? -1
            register.plans = register.plans.filter { $0.unitID == own }
            register.drills = register.drills.filter { $0.unitID == own }
            register.events = register.events.filter { $0.unitIDs.contains(own) }
            register.performanceRecords = []
        }
        let today = LocalDate(Date())
        let units = try await RegisterService.unitNames(on: req.db as! any SQLDatabase)
        let planNames = Dictionary(register.plans.map { ($0.id, $0.quotedName) }, uniquingKeysWith: { a, _ in a })
        var warnings = PlanRules(book: book, register: register, from: try await PlanService.recordsBegan(on: req.db as! any SQLDatabase),
                                 calendar: req.application.liandong.calendar).warnings(asOf: today)
        // A liaison's own unit's only: the governments' D6 items are not the unit's to see.
        if principal.role == .liaison { warnings = warnings.filter { $0.unitID != nil && $0.unitID == principal.unitID } }
        let lastDrill = Dictionary(register.drills.map { ($0.planID, $0.heldOn) }, uniquingKeysWith: { max($0, $1) })
        func day(_ d: LocalDate?) -> String { d?.chinese ?? "—" }
        let openFindings = try await FindingService.list(FindingFilter(unitID: principal.role == .liaison ? principal.unitID : nil, source: .plan), on: req.db).count
        let warningSort = try ListSort(req, columns: warningColumns, default: "due", prefix: "w_")
        let planSort = try ListSort(req, columns: planColumns, default: "unit")
        let drillSort = try ListSort(req, columns: drillColumns, default: "date", .desc, prefix: "d_")
        let eventSort = try ListSort(req, columns: eventColumns, default: "date", .desc, prefix: "e_")
        let recordSort = try ListSort(req, columns: recordColumns, default: "year", .desc, prefix: "r_")
        func flag(_ b: Bool) -> SortValue { .int(b ? 1 : 0) }
        let path = "/plans"
        return try await req.page("plans", Context(
            frame: PageFrame(req, title: "应急预案", active: "plans"),
            warnings: warningSort.sorted(warnings.map { w in
                let subject = w.unitID.flatMap { units[$0] } ?? w.jurisdictionID.flatMap { Jurisdictions.named($0)?.name } ?? ""
                return KeyedRow(cells: [w.dueOn.chinese, w.kind.item.rawValue, subject, w.text],
                                keys: ["due": .day(w.dueOn), "item": .plain(w.kind.item.rawValue), "subject": .text(subject)])
            }),
            warningsHead: warningSort.head(req, path: path),
            hasWarnings: !warnings.isEmpty,
            plans: planSort.sorted(register.plans.sorted { ($0.unitID, $0.name) < ($1.unitID, $1.name) }.map { p in
                KeyedRow(cells: [p.id, units[p.unitID] ?? String(p.unitID), p.quotedName, p.kind.label, yes(p.required), day(p.issuedOn), day(p.lastRevisedOn),
                                 day(p.nextRevisionDue), p.lastRevisedOn == nil ? "—" : "\(yes(p.lastRevisionRiskAssessment))/\(yes(p.lastRevisionResourceSurvey))",
                                 p.publishedOn.map { "\($0.chinese) \(p.publishedWhere ?? "")" } ?? "未公布", day(lastDrill[p.id])],
                         keys: ["id": .plain(p.id), "unit": .text(units[p.unitID]), "name": .text(p.name), "kind": .text(p.kind.label),
                                "required": flag(p.required), "issued": .day(p.issuedOn), "revised": .day(p.lastRevisedOn),
                                "due": .day(p.nextRevisionDue), "published": .day(p.publishedOn), "drilled": .day(lastDrill[p.id])])
            }),
            plansHead: planSort.head(req, path: path),
            hasPlans: !register.plans.isEmpty,
            drills: drillSort.sorted(register.drills.sorted { $0.heldOn > $1.heldOn }.map { d in
                KeyedRow(cells: [d.heldOn.chinese, units[d.unitID] ?? String(d.unitID), planNames[d.planID] ?? d.planID, d.kind.label, d.scale, d.reportRef ?? "—"],
                         keys: ["date": .day(d.heldOn), "unit": .text(units[d.unitID]), "plan": .text(planNames[d.planID] ?? d.planID),
                                "kind": .text(d.kind.label), "scale": .text(d.scale)])
            }),
            drillsHead: drillSort.head(req, path: path),
            events: eventSort.sorted(register.events.sorted { $0.startsOn > $1.startsOn }.map { e in
                KeyedRow(cells: [e.name, "\(e.startsOn.chinese)至\(e.endsOn.chinese)", e.unitIDs.compactMap { units[$0] }.joined(separator: "、"),
                                 e.planIDs.compactMap { planNames[$0] }.joined(separator: "、")],
                         keys: ["name": .text(e.name), "date": .day(e.startsOn)])
            }),
            eventsHead: eventSort.head(req, path: path),
            records: recordSort.sorted(register.performanceRecords.sorted { ($1.year, $0.jurisdictionID) < ($0.year, $1.jurisdictionID) }.map { r in
                KeyedRow(cells: [String(r.year), r.jurisdiction?.name ?? r.jurisdictionID, yes(r.includedInPerformanceAssessment), yes(r.regularAssessmentsHeld),
                                 r.documentRef ?? "—"],
                         keys: ["year": .int(r.year), "jurisdiction": .int(RegisterService.jurisdictionOrder(r.jurisdictionID)),
                                "included": flag(r.includedInPerformanceAssessment), "regular": flag(r.regularAssessmentsHeld)])
            }),
            recordsHead: recordSort.head(req, path: path),
            openFindings: openFindings,
            canManage: AccessPolicy.canManagePlans(principal),
            planOptions: register.plans.sorted { $0.name < $1.name }.map { AdminPages.Option(value: $0.id, label: "\(units[$0.unitID] ?? "") \($0.quotedName)") },
            drillKinds: PlanDrill.Kind.allCases.map { AdminPages.Option(value: $0.rawValue, label: $0.label) },
            jurisdictions: PlanRules.defaultPerformanceJurisdictions.map { AdminPages.Option(value: $0.id, label: $0.name) },
            today: today.description, lastYear: today.year - 1, warningDays: book.inForce(on: today).plans.warningHorizonDays,
            error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil), status: status)
    }

    static func saved(_ s: PlanService.ImportSummary) -> String {
        "已保存：新增 \(s.new) 条，更新 \(s.updated) 条，未变 \(s.unchanged) 条；新增问题 \(s.findingsAdded) 条，撤销 \(s.findingsWithdrawn) 条"
    }

    /// POST /plans: a register file uploaded (JSON), a drill held, or a year's D6 record.
    @Sendable static func save(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canManagePlans(actor.principal), "应急预案台账由市应急管理局维护")
        struct Form: Decodable {
            var action: String?
            var file: File?
            var plan_id: String?; var held_on: String?; var kind: String?; var scale: String?; var report_ref: String?
            var year: Int?; var jurisdiction_id: String?; var included: String?; var regular: String?; var document_ref: String?
        }
        do {
            let form = try req.content.decode(Form.self)
            let register = try await PlanService.register(on: req.db)
            var incoming = PlanRegister()
            switch form.action {
            case "import":
                guard let file = form.file, file.data.readableBytes > 0 else { throw AppError.invalid("请选择台账文件（JSON）", field: "file") }
                incoming = try PlanService.parse(Data(buffer: file.data))
            case "drill":
                guard let plan = register.plans.first(where: { $0.id == form.plan_id }) else { throw AppError.invalid("请选择预案", field: "plan_id") }
                guard let day = form.held_on.flatMap(LocalDate.init) else { throw AppError.invalid("请填写演练日期", field: "held_on") }
                guard day <= LocalDate(req.now) else { throw AppError.invalid("演练日期不能晚于今天", field: "held_on") }
                guard let kind = form.kind.flatMap(PlanDrill.Kind.init(rawValue:)) else { throw AppError.invalid("请选择演练形式", field: "kind") }
                incoming.drills = [PlanDrill(id: "\(plan.id)@\(day)", planID: plan.id, unitID: plan.unitID, heldOn: day, kind: kind,
                                             scale: form.scale ?? "", reportRef: form.report_ref?.nilIfEmpty)]
            case "performance":
                guard let year = form.year, (2000...LocalDate(req.now).year).contains(year) else { throw AppError.invalid("请填写年度", field: "year") }
                guard let j = form.jurisdiction_id, Jurisdictions.named(j) != nil else { throw AppError.invalid("请选择辖区", field: "jurisdiction_id") }
                incoming.performanceRecords = [PerformanceAssessmentRecord(year: year, jurisdictionID: j, includedInPerformanceAssessment: form.included == "on",
                                                                          regularAssessmentsHeld: form.regular == "on", documentRef: form.document_ref?.nilIfEmpty)]
            default:
                throw AppError.invalid("未知操作", field: "action")
            }
            let summary = try await PlanService.save(incoming, actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: req.db)
            return try await render(req, notice: saved(summary))
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }
}

/// `liandong plans import FILE.json | list | judge | warnings`
struct PlansCommand: AsyncCommandGroup {
    var help: String { "应急预案台账：导入、列表、判定、即将到期" }
    var commands: [String: any AnyAsyncCommand] {
        ["import": PlansImportCommand(), "list": PlansListCommand(), "judge": PlansJudgeCommand(), "warnings": PlansWarningsCommand()]
    }
}

struct PlansImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "台账 JSON：{\"plans\":[…],\"drills\":[…],\"events\":[…],\"performance_records\":[…]}") var file: String
    }
    var help: String { "导入应急预案台账（按编号新增或更新；任一记录有误则整个文件不导入）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
        let summary = try await PlanService.save(try PlanService.parse(data), actor: .console(), rules: app.liandong.ruleBook,
                                                 now: app.liandong.clock.now(), on: app.db)
        app.commandOutput.write(PlanPages.saved(summary) + "\n")
    }
}

struct PlansListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }
    var help: String { "列出应急预案台账" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        let register = try await PlanService.register(on: app.db)
        let units = try await RegisterService.unitNames(on: app.db as! any SQLDatabase)
        let rows = register.plans.map { p in
            [p.id, units[p.unitID] ?? String(p.unitID), p.name, p.kind.label, PlanPages.yes(p.required), p.issuedOn?.description ?? "",
             p.lastRevisedOn?.description ?? "", p.nextRevisionDue?.description ?? "", p.publishedOn?.description ?? ""]
        }
        try CommandOutput.emit(format, json: register, header: ["编号", "单位", "预案", "类别", "应制定", "印发", "最近修订", "下次修订期限", "公布"],
                               rows: rows, to: app.commandOutput)
    }
}

struct PlansJudgeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "date", help: "按该日判定（YYYY-MM-DD），默认今天") var date: String?
    }
    var help: String { "按台账判定 D1–D6 问题（每日自动运行）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        var day = LocalDate(Date())
        if let raw = signature.date { guard let d = LocalDate(raw) else { throw CommandFailure("--date 格式应为 2026-03-04") }; day = d }
        let (added, withdrawn) = try await PlanService.judge(rules: app.liandong.ruleBook, asOf: day, on: app.db)
        app.commandOutput.write("新增问题 \(added.count) 条，撤销 \(withdrawn.count) 条\n")
    }
}

struct PlansWarningsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }
    var help: String { "列出即将到期、尚未成为问题的事项" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        let warnings = try await PlanService.warnings(rules: app.liandong.ruleBook, calendar: try await WorkingCalendarStore.load(on: app.db), on: app.db)
        try CommandOutput.emit(format, json: warnings, header: ["期限", "项目", "事项"],
                               rows: warnings.map { [$0.dueOn.description, $0.kind.item.rawValue, $0.text] }, to: app.commandOutput)
    }
}
