import Foundation
import LiandongCore
import Vapor

/// `/admin/rules`: the rule-set versions and publishing a revision (administrators).
enum RuleSetPages {
    struct Version: Encodable {
        var version: String
        var effectiveFrom: String
        var source: String
        var inForce: Bool
    }

    struct Context: Encodable {
        var frame: PageFrame
        var head: TableHead
        var versions: [Version]
        var draft: String
        var problems: [String]
        var hasProblems: Bool
        var notice: String?
        var hasNotice: Bool
    }

    static let columns = [
        SortColumn("版本", "version"), SortColumn("施行日期", "effective", first: .desc), SortColumn("依据", "source"), SortColumn("状态"),
    ]

    @Sendable static func page(req: Request) async throws -> Response {
        try req.authorize(AccessPolicy.canManageRules(try req.requirePrincipal()), "规则版本由系统管理员发布")
        return try await render(req, draft: nil)
    }

    static func render(_ req: Request, draft: String?, problems: [String] = [], notice: String? = nil,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let book = req.application.liandong.ruleBook
        let current = book.inForce(at: Date())
        // The starting point of a revision: the latest version, to be given a new label and date.
        let text = try draft ?? String(decoding: RuleSetStore.encoder.encode(book.latest), as: UTF8.self)
        let sort = try ListSort(req, columns: columns, default: "effective", .desc)
        return try await req.page("rulesets", Context(
            frame: PageFrame(req, title: "规则版本", active: "rulesets"), head: sort.head(req, path: "/admin/rules"),
            versions: sort.sorted(Array(book.versions.reversed()), by: [
                "version": { .plain($0.version) }, "effective": { .day($0.effectiveFrom) }, "source": { .text($0.source) },
            ]).map {
                Version(version: $0.version, effectiveFrom: $0.effectiveFrom.chinese, source: $0.source, inForce: $0.version == current.version)
            },
            draft: text, problems: problems, hasProblems: !problems.isEmpty, notice: notice, hasNotice: notice != nil), status: status)
    }

    /// POST /admin/rules: publish the revision in the form.
    @Sendable static func publish(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canManageRules(actor.principal), "规则版本由系统管理员发布")
        struct Form: Decodable { var body: String? }
        let body = try req.content.decode(Form.self).body ?? ""
        do {
            let revision = try RuleSetStore.parse(Data(body.utf8), basedOn: req.application.liandong.ruleBook.latest)
            let problems = revision.validate()
            guard problems.isEmpty else {
                return try await render(req, draft: body, problems: problems.map(\.description), status: .unprocessableEntity)
            }
            _ = try await RuleSetStore.publish(revision, actor: actor, app: req.application, on: req.db)
            return try await render(req, draft: nil, notice: "已发布规则版本 \(revision.version)，自\(revision.effectiveFrom.chinese)起施行；此前发生的问题仍按原版本判定")
        } catch let error as AppError {
            return try await render(req, draft: body, problems: [error.message], status: error.status)
        }
    }
}
