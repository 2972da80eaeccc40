import Fluent
import Foundation
import LiandongCore
import Vapor

/// `/notices`: the PLC drafts and publishes; everyone signed in reads published notices.
enum NoticePages {
    struct ListRow: Encodable {
        var id: Int
        var number: String
        var title: String
        var status: String
        var period: String
    }

    struct ListContext: Encodable {
        var frame: PageFrame
        var head: TableHead
        var rows: [ListRow]
        var canDraft: Bool
        var error: String?
        var hasError: Bool
    }

    static let listColumns = [
        SortColumn("文号", "number"), SortColumn("标题", "title"), SortColumn("期间", "period", first: .desc), SortColumn("状态", "status"),
    ]

    static func mayDraft(_ p: Principal?) -> Bool { p.map(AccessPolicy.canPublishNotices) ?? false }

    /// The PLC an officer drafts and publishes for: their jurisdiction's (issue 15).
    static func publisher(_ p: Principal, on db: any Database) async throws -> SupervisingAgency? {
        guard mayDraft(p) else { return nil }
        return try await AgencyStore.load(on: db).acting(for: p)
    }

    /// Whether the officer's PLC is the notice's publisher: only it sees its drafts, edits and publishes them.
    static func owns(_ p: Principal, publisherID: String?, on db: any Database) async throws -> Bool {
        guard let mine = try await publisher(p, on: db) else { return false }
        return mine.id == (publisherID ?? Agency.plc.rawValue)
    }

    static func renderList(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let p = try req.requirePrincipal()
        try req.authorize(p.role != nil, "无权查看通报")
        let sort = try ListSort(req, columns: listColumns, default: "period", .desc)
        let mine = try await publisher(p, on: req.db)?.id
        let notices = try await NoticeService.list(on: req.db).filter { $0.status == "published" || ($0.publisher_id ?? Agency.plc.rawValue) == mine }
        let rows = sort.sorted(notices, by: [
            "number": { .plain($0.number) }, "title": { .text($0.title) },
            "period": { .date($0.period_start) }, "status": { .plain($0.status) },
        ]).map { r in
            ListRow(id: r.id, number: r.number ?? "草稿", title: r.title, status: r.status == "published" ? "已发布" : "草稿",
                    period: "\(LocalDate(r.period_start).chinese)至\(LocalDate(r.period_end).adding(days: -1).chinese)")
        }
        return try await req.page("notices", ListContext(frame: PageFrame(req, title: "通报", active: "notices"),
                                                         head: sort.head(req, path: "/notices"), rows: rows,
                                                                     canDraft: mayDraft(p), error: error, hasError: error != nil), status: status)
    }

    @Sendable static func list(req: Request) async throws -> Response { try await renderList(req) }

    @Sendable static func draft(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(mayDraft(actor.principal), "通报由市委政法委起草和发布")
        struct Form: Decodable { var period: String?; var from: String?; var to: String?; var title: String?; var corrects: Int? }
        let form = try req.content.decode(Form.self)
        do {
            guard let publisher = try await publisher(actor.principal, on: req.db) else { throw AppError(.forbidden, "本辖区没有登记政法委，不能起草通报") }
            let period = try ComplianceService.period(period: form.period, from: form.from, to: form.to)
            let id = try await NoticeService.draft(period: period, title: form.title, intro: nil, corrects: form.corrects, publisher: publisher, actor: actor,
                                                   rules: req.application.liandong.ruleBook, now: req.application.liandong.clock.now(), on: req.db)
            return req.redirect(to: "/notices/\(id)")
        } catch let error as AppError {
            return try await renderList(req, error: error.message, status: error.status)
        }
    }

    struct Cell: Encodable {
        var text: String
        var align: String
    }

    struct Block: Encodable {
        var kind: String
        var text: String
        var header: [String]
        var rows: [[Cell]]
    }

    struct ViewContext: Encodable {
        var frame: PageFrame
        var id: Int
        var draft: Bool
        var canPublish: Bool
        var issuerMark: String
        var number: String
        var title: String
        var titleLines: [String]
        var intro: String
        var requirements: String
        var addressee: String
        var blocks: [Block]
        var annexTitle: String
        var annex: [Block]
        var hasAnnex: Bool
        var signature: String
        var date: String
        /// Shown above the publish button when publishing will ask to re-authenticate.
        var reauth: Reauthentication.Banner
        var error: String?
        var hasError: Bool
    }

    static func blocks(_ blocks: [NoticeDocument.Block]) -> [Block] {
        blocks.map { b in
            switch b {
            case .paragraph(let t): Block(kind: "p", text: t, header: [], rows: [])
            case .heading1(let t): Block(kind: "h1", text: t, header: [], rows: [])
            case .heading2(let t): Block(kind: "h2", text: t, header: [], rows: [])
            case .table(let h, let r, _, let align):
                Block(kind: "table", text: "", header: h,
                      rows: r.map { row in row.enumerated().map { Cell(text: $1, align: $0 < align.count ? align[$0].rawValue : "left") } })
            }
        }
    }

    static func render(_ req: Request, id: Int, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let p = try req.requirePrincipal()
        let notice = try await NoticeService.load(id, rules: req.application.liandong.ruleBook, on: req.db)
        let own = try await owns(p, publisherID: notice.publisherId, on: req.db)
        try req.authorize(p.role != nil && (notice.status == "published" || own), "通报发布前仅\(notice.publisher)可见")
        let doc = NoticeDocument(notice)
        let view = try await req.view.render("notice", ViewContext(
            frame: PageFrame(req, title: notice.title, active: "notices"), id: id, draft: notice.status == "draft",
            canPublish: notice.status == "draft" && own, issuerMark: doc.issuerMark, number: doc.number, title: doc.title,
            titleLines: doc.titleLines, intro: notice.intro, requirements: notice.requirements, addressee: doc.addressee,
            blocks: blocks(doc.blocks), annexTitle: doc.annex?.title ?? "", annex: blocks(doc.annex?.blocks ?? []), hasAnnex: doc.annex != nil,
            signature: doc.signature, date: doc.dateText,
            reauth: notice.status == "draft" && own ? Reauthentication.banner(req, action: "发布通报", returnTo: "/notices/\(id)")
                : Reauthentication.Banner(show: false, text: "", url: ""),
            error: error, hasError: error != nil))
        let response = try await view.encodeResponse(for: req)
        response.status = status
        return response
    }

    @Sendable static func show(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "通报编号应为数字") }
        return try await render(req, id: id)
    }

    /// The checkbox a page POST to publish must carry.
    static let confirmation = "已核对通报内容"

    @Sendable static func publish(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(mayDraft(actor.principal), "通报由市委政法委发布")
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "通报编号应为数字") }
        let notice = try await NoticeService.load(id, rules: req.application.liandong.ruleBook, on: req.db)
        try req.authorize(try await owns(actor.principal, publisherID: notice.publisherId, on: req.db), "该通报由\(notice.publisher)发布")
        guard notice.status == "draft" else { throw AppError(.conflict, "通报已发布，不能修改；如需更正请另发一期通报", field: "id") }
        // Publishing numbers and dates the notice for good: the officer says they checked it.
        struct Form: Decodable { var confirmed: String? }
        let confirmed = (try? req.content.decode(Form.self))?.confirmed.map { !$0.isEmpty && $0 != "0" && $0 != "false" } ?? false
        guard confirmed else {
            return try await render(req, id: id, error: "请先核对通报内容并勾选「\(confirmation)」，再发布。通报未发布。", status: .badRequest)
        }
        // Publishing names units and their deductions for good: a recent password (and code) first.
        if let challenge = try Reauthentication.challenge(req, returnTo: "/notices/\(id)", action: "发布通报") { return challenge }
        _ = try await NoticeService.publish(id, actor: actor, rules: req.application.liandong.ruleBook, now: req.application.liandong.clock.now(), on: req.db)
        return req.redirect(to: "/notices/\(id)")
    }

    @Sendable static func export(req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "通报编号应为数字") }
        let notice = try await NoticeService.load(id, rules: req.application.liandong.ruleBook, on: req.db)
        let own = try await owns(p, publisherID: notice.publisherId, on: req.db)
        try req.authorize(p.role != nil && (notice.status == "published" || own), "通报发布前仅\(notice.publisher)可见")
        let format = (try? req.query.get(String.self, at: "format")) ?? "docx"
        let data = try NoticeExport.render(notice, format: format)
        var headers = HTTPHeaders()
        headers.contentType = format == "html" ? .html : HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.wordprocessingml.document")
        let name = "\(notice.number ?? "通报草稿").\(format)"
        try await AccessAudit.disclosed(req, action: "export.notice", entity: "notice", entityID: String(id), detail: ["format": format])
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"notice.\(format)\"; filename*=UTF-8''\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    @Sendable static func edit(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(mayDraft(actor.principal), "通报由市委政法委起草")
        guard let id = req.parameters.get("id", as: Int.self) else { throw AppError(.notFound, "通报编号应为数字") }
        struct Form: Decodable { var title: String?; var intro: String?; var requirements: String? }
        let form = try req.content.decode(Form.self)
        let notice = try await NoticeService.load(id, rules: req.application.liandong.ruleBook, on: req.db)
        try req.authorize(try await owns(actor.principal, publisherID: notice.publisherId, on: req.db), "该通报由\(notice.publisher)起草")
        try await NoticeService.edit(id, title: form.title ?? "", intro: form.intro ?? "", requirements: form.requirements, actor: actor,
                                     rules: req.application.liandong.ruleBook, now: req.application.liandong.clock.now(), on: req.db)
        return req.redirect(to: "/notices/\(id)")
    }
}

/// `liandong notice draft|publish|export`
struct NoticeCommand: AsyncCommandGroup {
    var help: String { "通报：draft 起草，publish 发布，show 查看，export 导出" }
    var commands: [String: any AnyAsyncCommand] {
        ["draft": NoticeDraftCommand(), "publish": NoticePublishCommand(), "show": NoticeShowCommand(), "export": NoticeExportCommand()]
    }
}

struct NoticeDraftCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "起始日期") var from: String?
        @Option(name: "to", help: "截止日期（含）") var to: String?
        @Option(name: "period", help: "或期间：2026-Q1、2026-03") var period: String?
        @Option(name: "title", help: "标题（默认按期间生成）") var title: String?
        @Option(name: "publisher", help: "发布机关（政法委）名称或代码，如 龙泉市委政法委；默认市委政法委") var publisher: String?
    }
    var help: String { "起草一期通报" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let period = try ComplianceService.period(period: signature.period, from: signature.from, to: signature.to)
        var publisher: SupervisingAgency?
        if let raw = signature.publisher {
            guard let found = try await AgencyStore.load(on: context.application.db).find(raw), found.kind == .plc else {
                throw CommandFailure("--publisher 应为政法委的名称或代码，如 市委政法委、龙泉市委政法委（见 liandong agencies list）")
            }
            publisher = found
        }
        let id = try await NoticeService.draft(period: period, title: signature.title, intro: nil, publisher: publisher, actor: .console(),
                                               rules: context.application.liandong.ruleBook, now: context.application.liandong.clock.now(), on: context.application.db)
        let notice = try await NoticeService.load(id, rules: context.application.liandong.ruleBook, on: context.application.db)
        context.application.commandOutput.write("已起草通报 \(id)：\(notice.title)（扣分 \(notice.content.count) 项，合计 \(Points(notice.content.total)) 分）\n")
    }
}

struct NoticePublishCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "id", help: "通报编号") var id: Int
    }
    var help: String { "发布通报（发布后不可修改）" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let notice = try await NoticeService.publish(signature.id, actor: .console(), rules: context.application.liandong.ruleBook,
                                                     now: context.application.liandong.clock.now(), on: context.application.db)
        context.application.commandOutput.write("已发布 \(notice.number ?? "")：\(notice.title)\n")
    }
}

/// `liandong notice show ID --format json`: what a notice is and which deductions it carries.
struct NoticeShowCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "id", help: "通报编号") var id: Int
        @Option(name: "format", short: "f", help: "table（默认）或 json") var format: String?
    }
    struct Shown: Encodable {
        var id: Int; var number: String?; var publisher: String; var publisherId: String; var status: String; var publishedAt: String?
        var title: String; var deductionIds: [Int]; var changedDeductionIds: [Int]
        enum CodingKeys: String, CodingKey { case id, number, publisher, publisherId, status, publishedAt, title, deductionIds, changedDeductionIds }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(number, forKey: .number); try c.encode(publisher, forKey: .publisher)
            try c.encode(publisherId, forKey: .publisherId); try c.encode(status, forKey: .status); try c.encode(publishedAt, forKey: .publishedAt)
            try c.encode(title, forKey: .title); try c.encode(deductionIds, forKey: .deductionIds); try c.encode(changedDeductionIds, forKey: .changedDeductionIds)
        }
    }
    var help: String { "查看一期通报：文号、发布机关、状态和所列扣分" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format, allowed: [.table, .json])
        let n = try await NoticeService.load(signature.id, rules: app.liandong.ruleBook, on: app.db)
        let shown = Shown(id: n.id, number: n.number, publisher: n.publisher, publisherId: n.publisherId, status: n.status, publishedAt: n.publishedAt,
                          title: n.title, deductionIds: n.deductionIds, changedDeductionIds: n.changedDeductionIds)
        try CommandOutput.emit(format, json: shown, header: ["编号", "文号", "发布机关", "状态", "发布时间", "所列扣分", "申诉后变更"],
                               rows: [[String(n.id), n.number ?? "草稿", n.publisher, n.status == "published" ? "已发布" : "草稿",
                                       n.publishedAt.flatMap(ChinaTime.parseTimestamp).map(ChinaTime.displayString) ?? "",
                                       n.deductionIds.map(String.init).joined(separator: "、"), n.changedDeductionIds.map(String.init).joined(separator: "、")]],
                               to: app.commandOutput)
    }
}

struct NoticeExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "id", help: "通报编号") var id: Int
        @Option(name: "format", short: "f", help: "docx 或 html") var format: String?
        @Option(name: "output", short: "o", help: "输出文件") var output: String?
    }
    var help: String { "导出通报为 DOCX 或 HTML" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let notice = try await NoticeService.load(signature.id, rules: app.liandong.ruleBook, on: app.db)
        let format = (signature.format ?? "docx").lowercased()
        let data = try NoticeExport.render(notice, format: format)
        let path = signature.output ?? "通报-\(notice.number ?? "草稿\(notice.id)").\(format)"
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw CommandFailure("无法写入 \(path)") }
        app.commandOutput.write("已导出到 \(path)\n")
    }
}
