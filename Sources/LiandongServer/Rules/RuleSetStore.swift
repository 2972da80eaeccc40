import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Rule-set revisions (§四(三)): an administrator publishes a new version with an effective date;
/// findings and deductions are always judged by the version in force on their date, so a
/// revision changes what comes after it and never what came before.
enum RuleSetStore {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }()

    /// The initial rules and every stored revision.
    static func book(on db: any Database) async throws -> RuleBook {
        struct Row: Decodable { var version: String; var body: String }
        let stored = try await (db as! any SQLDatabase).select().columns("version", "body").from("rule_sets")
            .orderBy("effective_from").all(decoding: Row.self)
        let revisions = try stored.map { try JSONDecoder().decode(RuleSet.self, from: Data($0.body.utf8)) }
        do { return try RuleBook([.initial] + revisions) } catch {
            throw AppError(.internalServerError, "已保存的规则版本无法组成规则集：\(error)")
        }
    }

    /// A revision as an administrator writes it: the rule set in JSON, as `liandong rules export`
    /// prints it. Annex 1's wording of the items whose text states a number (D5, D8, D9) follows
    /// the new numbers unless the revision rewords the item itself.
    static func parse(_ data: Data, basedOn previous: RuleSet) throws -> RuleSet {
        let revision: RuleSet
        do { revision = try JSONDecoder().decode(RuleSet.self, from: data) } catch let error as DecodingError {
            throw AppError(.badRequest, "规则文件有误：\(describe(error))")
        } catch {
            throw AppError(.badRequest, "规则文件不是有效的 JSON")
        }
        return reword(revision, previous: previous)
    }

    /// Annex 1's wording of the items whose text states a number (D5, D8, D9) follows a
    /// revision's numbers, unless the revision rewords the item itself.
    static func reword(_ revision: RuleSet, previous: RuleSet) -> RuleSet {
        var revision = revision
        let oldGenerated = DeductionItem.annex1(limits: previous.responseLimits, phoneAttempts: previous.phoneCheckAttempts,
                                                specialPlanDrillYears: previous.specialPlanDrillYears)
        let newGenerated = DeductionItem.annex1(limits: revision.responseLimits, phoneAttempts: revision.phoneCheckAttempts,
                                                specialPlanDrillYears: revision.specialPlanDrillYears)
        revision.items = revision.items.map { item in
            guard let old = oldGenerated.first(where: { $0.id == item.id }), old == item,
                  let new = newGenerated.first(where: { $0.id == item.id }) else { return item }
            return new
        }
        return revision
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "缺少字段“\(path(context.codingPath + [key]))”"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "字段“\(path(context.codingPath))”的值类型不对"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "不是有效的 JSON" : "字段“\(path(context.codingPath))”的值无效"
        @unknown default: return "无法读取"
        }
    }

    /// Validates and stores a revision, and puts it in force for the running application.
    static func publish(_ revision: RuleSet, actor: Actor, app: Application, today: LocalDate = LocalDate(Date()),
                        now: Date = Date(), on db: any Database) async throws -> RuleBook {
        let book: RuleBook
        do { book = try app.liandong.ruleBook.adding(revision, today: today) } catch {
            throw AppError(.unprocessableEntity, "\(error)")
        }
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).insert(into: "rule_sets").columns("version", "effective_from", "body", "published_by", "published_at")
                .values(SQLBind(revision.version), SQLBind(revision.effectiveFrom.description),
                        SQLBind(String(decoding: try encoder.encode(revision), as: UTF8.self)), SQLBind(actor.principal.name), SQLBind(now))
                .run()
            try await AuditLog.append(tx, actor: actor, action: "rules.publish", entity: "rule_set", entityID: revision.version,
                                      after: ["version": revision.version, "effective_from": revision.effectiveFrom.description], at: now)
        }
        app.liandong.ruleBook = book
        return book
    }
}

/// `liandong rules export [--date D]`: the rule set in force as JSON, the starting point of a revision.
struct RulesExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "date", help: "导出该日施行的版本（YYYY-MM-DD），默认今天") var date: String?
    }

    var help: String { "以 JSON 导出施行中的规则版本，作为修订的底稿" }

    func run(using context: CommandContext, signature: Signature) async throws {
        var day = LocalDate(Date())
        if let raw = signature.date {
            guard let parsed = LocalDate(raw) else { throw CommandFailure("--date 格式应为 2026-03-04") }
            day = parsed
        }
        let rules = context.application.liandong.ruleBook.inForce(on: day)
        context.application.commandOutput.write(String(decoding: try RuleSetStore.encoder.encode(rules), as: UTF8.self) + "\n")
    }
}

/// `liandong rules publish FILE.json`: validates and publishes a revision with a later effective date.
struct RulesPublishCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "规则版本 JSON：可先用 rules export 导出，再修改 version、effectiveFrom（施行日期）和数值，时限以秒计") var file: String
    }

    var help: String { "发布新的规则版本（自生效日起适用，此前的问题与扣分不变）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
        let revision = try RuleSetStore.parse(data, basedOn: app.liandong.ruleBook.latest)
        let problems = revision.validate()
        guard problems.isEmpty else {
            throw CommandFailure("规则版本有误：\n" + problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        _ = try await RuleSetStore.publish(revision, actor: .console(), app: app, on: app.db)
        app.commandOutput.write("已发布规则版本 \(revision.version)，自\(revision.effectiveFrom.chinese)起施行\n")
    }
}
