import Foundation
import LiandongCore
import Vapor

/// `/admin/rules`: the rule-set versions and publishing a revision (administrators). A revision
/// is written in a form of every figure, named and with its unit in Chinese (`RuleSetForm`),
/// prefilled with the latest version; the whole rule set as JSON stays behind 「高级：以 JSON 编辑」
/// for what the form does not hold (the wording of Annex 1's items).
enum RuleSetPages {
    struct Version: Encodable {
        var version: String
        var effectiveFrom: String
        var source: String
        var inForce: Bool
    }

    struct Option: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Field: Encodable {
        var name: String
        var id: String
        var label: String
        var unit: String
        var hint: String
        var value: String
        /// text, date, integer, points, time, choice or check.
        var kind: String
        var checked: Bool
        var options: [Option]
        var invalid: Bool
    }

    struct Group: Encodable {
        var title: String
        var fields: [Field]
    }

    struct Context: Encodable {
        var frame: PageFrame
        var head: TableHead
        var versions: [Version]
        var groups: [Group]
        var draft: String
        /// The JSON editor opens by itself when its own submission came back.
        var jsonOpen: Bool
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
        return try await render(req)
    }

    /// The form's fields for the latest version, with what was typed in place of its figures when
    /// a submission comes back.
    static func groups(_ rules: RuleSet, typed: [String: String]?, invalid: Set<String>) -> [Group] {
        RuleSetForm.groups(rules).map { group in
            Group(title: group.title, fields: group.fields.map { field in
                let kind: String, options: [Option]
                var value = field.value
                if let typed { value = typed[field.name] ?? (field.input == .check ? "" : value) }
                switch field.input {
                case .text: (kind, options) = ("text", [])
                case .date: (kind, options) = ("date", [])
                case .integer: (kind, options) = ("integer", [])
                case .points: (kind, options) = ("points", [])
                case .time: (kind, options) = ("time", [])
                case .check: (kind, options) = ("check", [])
                case .choice(let choices): (kind, options) = ("choice", choices.map { Option(value: $0.value, label: $0.label, selected: $0.value == value) })
                }
                return Field(name: field.name, id: "f-" + field.name.replacingOccurrences(of: ".", with: "-"), label: field.label,
                             unit: field.unit, hint: field.hint, value: value, kind: kind, checked: !value.isEmpty && value != "0",
                             options: options, invalid: invalid.contains(field.name))
            })
        }
    }

    static func render(_ req: Request, draft: String? = nil, typed: [String: String]? = nil, problems: [RuleSet.Problem] = [],
                       messages: [String] = [], notice: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let book = req.application.liandong.ruleBook
        let current = book.inForce(at: Date())
        // The starting point of a revision: the latest version, to be given a new label and date.
        let text = try draft ?? String(decoding: RuleSetStore.encoder.encode(book.latest), as: UTF8.self)
        let sort = try ListSort(req, columns: columns, default: "effective", .desc)
        let shown = problems.map(\.description) + messages
        return try await req.page("rulesets", Context(
            frame: PageFrame(req, title: "规则版本", active: "rulesets"), head: sort.head(req, path: "/admin/rules"),
            versions: sort.sorted(Array(book.versions.reversed()), by: [
                "version": { .plain($0.version) }, "effective": { .day($0.effectiveFrom) }, "source": { .text($0.source) },
            ]).map {
                Version(version: $0.version, effectiveFrom: $0.effectiveFrom.chinese, source: $0.source, inForce: $0.version == current.version)
            },
            groups: groups(book.latest, typed: typed, invalid: Set(problems.map { RuleSetForm.formName($0.field) })),
            draft: text, jsonOpen: draft != nil, problems: shown, hasProblems: !shown.isEmpty, notice: notice, hasNotice: notice != nil),
            status: status)
    }

    /// POST /admin/rules: publish the revision in the form, or, with `body`, the one written as JSON.
    @Sendable static func publish(req: Request) async throws -> Response {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canManageRules(actor.principal), "规则版本由系统管理员发布")
        var values = try req.content.decode([String: String].self)
        values["_csrf"] = nil
        if let body = values["body"] { return try await publishJSON(req, body: body, actor: actor) }

        // The form: every value read and checked before anything is written; any problem is a 400
        // naming the field in words, with what was typed kept.
        let book = req.application.liandong.ruleBook
        let base = book.latest
        var (revision, problems) = RuleSetForm.apply(values, to: base)
        if problems.isEmpty {
            revision = RuleSetStore.reword(revision, previous: base)
            problems = revision.validate()
        }
        if problems.isEmpty {
            do { _ = try book.adding(revision, today: LocalDate(Date())) } catch {
                problems = bookProblems(error)
            }
        }
        guard problems.isEmpty else {
            return try await render(req, typed: values, problems: problems, status: .badRequest)
        }
        _ = try await RuleSetStore.publish(revision, actor: actor, app: req.application, on: req.db)
        return try await render(req, notice: published(revision))
    }

    /// A revision refused by the rule book, pointed at the field it is about.
    static func bookProblems(_ error: RuleBook.Problem) -> [RuleSet.Problem] {
        switch error {
        case .invalid(let problems): problems
        case .duplicateVersion: [RuleSet.Problem(field: "version", message: error.description)]
        case .duplicateEffectiveDate, .notInFuture, .notAfterLatest: [RuleSet.Problem(field: "effectiveFrom", message: error.description)]
        case .empty: [RuleSet.Problem(field: "version", message: error.description)]
        }
    }

    static func published(_ revision: RuleSet) -> String {
        "已发布规则版本 \(revision.version)，自\(revision.effectiveFrom.chinese)起施行；此前发生的问题仍按原版本判定"
    }

    /// The JSON path, as `liandong rules publish` reads a file.
    static func publishJSON(_ req: Request, body: String, actor: Actor) async throws -> Response {
        do {
            let revision = try RuleSetStore.parse(Data(body.utf8), basedOn: req.application.liandong.ruleBook.latest)
            let problems = revision.validate()
            guard problems.isEmpty else {
                return try await render(req, draft: body, problems: problems, status: .unprocessableEntity)
            }
            _ = try await RuleSetStore.publish(revision, actor: actor, app: req.application, on: req.db)
            return try await render(req, notice: published(revision))
        } catch let error as AppError {
            return try await render(req, draft: body, messages: [error.message], status: error.status)
        }
    }
}
