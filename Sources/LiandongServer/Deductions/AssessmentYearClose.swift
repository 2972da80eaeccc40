import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// The deductions behind a report: from the snapshot for a closed year, from the deductions
/// otherwise; carried-over items (上年度补扣) marked.
enum YearView {
    struct Line: Sendable {
        var id: Int
        var entity: String
        var subject: String
        var item: String
        var points: Double
        var occurredAt: String
        var reason: String
        var note: String
        var source: String
    }

    static func detail(_ report: AssessmentService.Report, period: Period, rules: RuleBook, entity: String? = nil,
                       on db: any Database) async throws -> [Line] {
        func mark(_ occurredAt: String) -> String {
            let year = ChinaTime.parseTimestamp(occurredAt).map { LocalDate($0).year }
            return "\(YearClosing.carriedOverMark)（\(year.map { "\($0)年度" } ?? "以前年度")发生）"
        }
        if let closure = report.closureId {
            return try await YearClose.snapshotDeductions(closure, on: db as! any SQLDatabase)
                .filter { entity == nil || $0.entity == entity }
                .map { Line(id: $0.id, entity: $0.entity, subject: $0.subject, item: $0.item, points: $0.points, occurredAt: $0.occurredAt,
                            reason: $0.reason, note: $0.assessedMonth == nil ? "" : mark($0.occurredAt), source: "") }
        }
        let rows = (report.ranked + report.unranked).filter { entity == nil || $0.entity == entity }
        let entityOf = Dictionary(rows.flatMap { r in r.deductionIds.map { ($0, r.entity) } }, uniquingKeysWith: { a, _ in a })
        let sql = db as! any SQLDatabase
        struct R: Decodable { var id: Int; var status: String; var points_tenths: Int; var assessed_month: String?; var carried_tenths: Int }
        var lines: [Line] = []
        for chunk in entityOf.keys.sorted().chunked(into: 300) {
            let kept = Dictionary(try await sql.select().columns("id", "status", "points_tenths", "assessed_month", "carried_tenths").from("deductions")
                .where("id", .in, SQLBind.group(chunk)).all(decoding: R.self).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for d in try await DeductionService.list(DeductionFilter(ids: chunk), rules: rules, calendar: .mondayToFriday, on: db) {
                guard let r = kept[d.id] else { continue }
                let counted = (r.status == DeductionStatus.confirmed.rawValue ? r.points_tenths : 0) - r.carried_tenths
                lines.append(Line(id: d.id, entity: entityOf[d.id] ?? "", subject: d.unit ?? d.agency ?? d.jurisdiction ?? "", item: d.item,
                                  points: Points(tenths: counted).value, occurredAt: d.occurredAt, reason: d.reason,
                                  note: r.assessed_month == nil ? "" : mark(d.occurredAt),
                                  source: "\(FindingSource(rawValue: d.source)?.name ?? d.source) \(d.ref)"))
            }
        }
        return lines.sorted { $0.id < $1.id }
    }

    /// The year's report in the notice layout, as DOCX.
    static func docx(_ report: AssessmentService.Report, year: Int, rules: RuleBook, now: Date, on db: any Database) async throws -> Data {
        let sql = db as! any SQLDatabase
        let closure = try await YearClose.active(year, on: sql)
        let carried = try await YearClose.carried(of: year, rules: rules, on: db)
        return try NoticeExport.docx(YearClose.document(report, year: year, closure: closure, carried: carried, now: now))
    }
}

/// The close and reopening of a year on the assessment page.
enum AssessmentYearPages {
    struct Form: Decodable { var year: String?; var reason: String? }

    static func year(_ form: Form) throws -> Int {
        guard let text = form.year?.trimmingCharacters(in: .whitespaces), let y = Int(text), (2000...2100).contains(y) else {
            throw AppError(.badRequest, "年度应为数字，如 2026", field: "year")
        }
        return y
    }

    static func person(_ p: Principal) -> YearClose.Person { YearClose.Person(name: p.name, accountID: p.accountID) }

    /// The city PLC closes a year (the button on `/assessment`).
    @Sendable static func close(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(actor.principal.role == .plc, "年度考核只能由市委政法委结算")
        try await YearClose.requireCityPLC(actor.principal, agency: nil, on: req.db)
        let year = try year(try req.content.decode(Form.self))
        // Closing fixes a year's figures for the 平安综治 assessment: a recent password (and code) first.
        if let challenge = try Reauthentication.challenge(req, returnTo: "/assessment?year=\(year)", action: "结算年度考核") { return challenge }
        try await YearClose.close(year, by: person(actor.principal), actor: actor, rules: req.application.liandong.ruleBook,
                                  now: req.application.liandong.clock.now(), on: req.db)
        return req.redirect(to: "/assessment?year=\(year)")
    }

    /// One side's step towards reopening: the city PLC or an administrator asks, the other agrees.
    @Sendable static func reopen(req: Request) async throws -> Response {
        let actor = try req.actor()
        let side: YearClosing.Side
        switch actor.principal.role {
        case .admin: side = .admin
        case .plc:
            try await YearClose.requireCityPLC(actor.principal, agency: nil, on: req.db)
            side = .plc
        default: throw AppError(.forbidden, "重开年度考核须由市委政法委和系统管理员共同办理")
        }
        let form = try req.content.decode(Form.self)
        let year = try year(form)
        if let challenge = try Reauthentication.challenge(req, returnTo: "/assessment?year=\(year)", action: "重开年度考核") { return challenge }
        _ = try await YearClose.reopen(year, side: side, by: person(actor.principal), reason: form.reason, actor: actor,
                                       now: req.application.liandong.clock.now(), on: req.db)
        return req.redirect(to: "/assessment?year=\(year)")
    }

    /// What the page shows about the year's close, and which buttons the person gets.
    struct State: Encodable {
        var wholeYear: Bool
        var closed: Bool
        var closedLine: String
        var canClose: Bool
        var canReopen: Bool
        var reopenPending: String
        var carriedOut: [[String]]
        var hasPending: Bool { !reopenPending.isEmpty }
        var hasCarried: Bool { !carriedOut.isEmpty }

        enum CodingKeys: String, CodingKey { case wholeYear, closed, closedLine, canClose, canReopen, reopenPending, carriedOut, hasPending, hasCarried }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(wholeYear, forKey: .wholeYear); try c.encode(closed, forKey: .closed); try c.encode(closedLine, forKey: .closedLine)
            try c.encode(canClose, forKey: .canClose); try c.encode(canReopen, forKey: .canReopen); try c.encode(reopenPending, forKey: .reopenPending)
            try c.encode(carriedOut, forKey: .carriedOut); try c.encode(hasPending, forKey: .hasPending); try c.encode(hasCarried, forKey: .hasCarried)
        }
    }

    static func state(_ req: Request, report: AssessmentService.Report, period: Period) async throws -> State {
        guard let year = AssessmentService.wholeYear(period) else {
            return State(wholeYear: false, closed: false, closedLine: "", canClose: false, canReopen: false, reopenPending: "", carriedOut: [])
        }
        let p = try req.requirePrincipal()
        let directory = try await AgencyStore.load(on: req.db)
        let cityPLC = p.role == .plc && directory.acting(for: p)?.id == Agency.plc.rawValue
        let closure = try await YearClose.active(year, on: req.db as! any SQLDatabase)
        let carried = try await YearClose.carried(of: year, rules: req.application.liandong.ruleBook, on: req.db).map { c in
            [String(c.id), c.subject, c.item, Points(c.points).description, c.status,
             ChinaTime.parseTimestamp(c.occurredAt).map(ChinaTime.displayString) ?? c.occurredAt, "结算后确认或变更：计入\(c.countedIn)年度"]
        }
        var pending = ""
        if let closure, let side = closure.reopen_side.flatMap(YearClosing.Side.init(rawValue:)) {
            let other = side == .plc ? YearClosing.Side.admin : .plc
            pending = "\(side.name)（\(closure.reopen_requested_by ?? "")）已申请重开，理由：\(closure.reopen_reason ?? "")；待\(other.name)同意。"
        }
        let ended = LocalDate(req.application.liandong.clock.now()).year > year
        return State(wholeYear: true, closed: closure != nil,
                     closedLine: closure.map { "\(year)年度考核已于\(ChinaTime.displayString($0.closed_at))由\($0.closed_by)结算，以下为结算时的数据（SHA-256：\($0.hash)）。" } ?? "",
                     canClose: cityPLC && closure == nil && ended, canReopen: closure != nil && (cityPLC || p.role == .admin),
                     reopenPending: pending, carriedOut: carried)
    }
}

/// `liandong assess [--year …]` shows the assessment; `assess close` and `assess reopen` close and
/// reopen a year.
struct AssessCommandGroup: AsyncCommandGroup {
    var help: String { "综合考核：查看（默认）、close 年度结算、reopen 申请或同意重开" }
    var commands: [String: any AnyAsyncCommand] { ["close": AssessCloseCommand(), "reopen": AssessReopenCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { AssessCommand() }

    /// `assess --year 2026` (options first) is the default command, as before the subcommands.
    func run(using context: inout CommandContext) async throws {
        if let first = context.input.arguments.first, let command = commands[first] {
            context.input.arguments.removeFirst()
            context.input.executablePath.append(first)
            try await command.run(using: &context)
        } else {
            try await AssessCommand().run(using: &context)
        }
    }
}

/// `liandong assess close --year 2026 --agency 市委政法委 --officer 张三`
struct AssessCloseCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "year", help: "结算的年度") var year: Int?
        @Option(name: "agency", help: "结算机关：市委政法委") var agency: String?
        @Option(name: "officer", help: "结算人姓名") var officer: String?
    }

    var help: String { "市委政法委结算年度考核：保存得分、排名和扣分明细，校验值记入审计日志" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let year = signature.year else { throw CommandFailure("请用 --year 指定结算的年度，如 --year 2026") }
        guard signature.agency != nil else { throw CommandFailure("请用 --agency 市委政法委 指明结算机关（年度考核只能由市委政法委结算）") }
        let actor = Actor.console()
        try await YearClose.requireCityPLC(actor.principal, agency: signature.agency ?? "", on: app.db)
        let (id, hash) = try await YearClose.close(year, by: YearClose.Person(name: signature.officer ?? "", accountID: nil), actor: actor,
                                                   rules: app.liandong.ruleBook, now: app.liandong.clock.now(), on: app.db)
        app.commandOutput.write("已结算\(year)年度考核（结算记录 \(id)，SHA-256：\(hash)）\n")
    }
}

/// `liandong assess reopen --year 2026 --side plc|admin --officer 张三 [--reason …]`: the first
/// side asks with a reason, the other side (another person) agrees.
struct AssessReopenCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "year", help: "重开的年度") var year: Int?
        @Option(name: "side", help: "plc（市委政法委，须同时以 --agency 指明）或 admin（系统管理员）") var side: String?
        @Option(name: "agency", help: "以市委政法委办理时：市委政法委") var agency: String?
        @Option(name: "officer", help: "经办人姓名") var officer: String?
        @Option(name: "reason", help: "理由（申请时必填）") var reason: String?
    }

    var help: String { "申请或同意重开已结算的年度考核（市委政法委与系统管理员两人办理）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let year = signature.year else { throw CommandFailure("请用 --year 指定重开的年度，如 --year 2026") }
        guard let side = signature.side.flatMap({ YearClosing.Side(rawValue: $0.lowercased()) }) else {
            throw CommandFailure("--side 应为 plc（市委政法委）或 admin（系统管理员）")
        }
        let actor = Actor.console()
        if side == .plc { try await YearClose.requireCityPLC(actor.principal, agency: signature.agency ?? "", on: app.db) }
        let step = try await YearClose.reopen(year, side: side, by: YearClose.Person(name: signature.officer ?? "", accountID: nil),
                                              reason: signature.reason, actor: actor, now: app.liandong.clock.now(), on: app.db)
        switch step {
        case .requested: app.commandOutput.write("已申请重开\(year)年度考核，待\(side == .plc ? YearClosing.Side.admin.name : YearClosing.Side.plc.name)同意\n")
        case .reopened: app.commandOutput.write("已重开\(year)年度考核，结算后补扣的扣分已计回\(year)年度\n")
        }
    }
}
