import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Whom a provincial notice names: a linkage unit, or the government of a county-level area
/// (or the development zone's administration), as D6 findings already are.
enum ProvincialSubject: Sendable, Equatable {
    case unit(Int)
    /// A jurisdiction's id (`longquan`).
    case government(String)
}

/// Annex 1 item 11: a deduction the province notified counts double in the city. Registering
/// the provincial notice files a D11 finding at the rule set's multiple, proposed as a deduction
/// in the same transaction; its figure is fixed. One notice names a subject once: the same
/// notice sent again for the same subject changes nothing.
enum ProvincialNotices {
    enum Outcome: Equatable { case stored, unchanged }

    /// The longest notice number and text a form takes.
    static let maxNumberLength = 60
    static let maxTextLength = 2000
    /// A provincial figure beyond this is a typing error, not a deduction.
    static let maxProvincialPoints = Points(20)

    /// Finds the county government a clerk names (`龙泉市`, `longquan`, `龙泉`). The city level is
    /// not a county government: a city department is named as a unit.
    static func government(_ raw: String) throws -> Jurisdiction {
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw AppError.invalid("请选择被通报的县（市、区）政府", field: "jurisdiction") }
        guard let jurisdiction = Jurisdictions.find(key) else {
            throw AppError.invalid("没有名为「\(key)」的县（市、区）；应为莲都区、龙泉市……或丽水开发区", field: "jurisdiction")
        }
        guard jurisdiction.kind != .city else {
            throw AppError.invalid("「市本级」不是县（市、区）政府；被通报的是市级部门时，请选择该单位", field: "jurisdiction")
        }
        return jurisdiction
    }

    @discardableResult
    static func register(number rawNumber: String, date: LocalDate, subject: ProvincialSubject, provincialPoints: Points, text rawText: String,
                         actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> (finding: Finding, outcome: Outcome) {
        let number = rawNumber.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty else { throw AppError.invalid("请填写省通报文号（如 浙应联〔2026〕5号）", field: "number") }
        guard number.count <= maxNumberLength, !IdentifierText.hasControlCharacters(number) else {
            throw AppError.invalid("省通报文号应为一行，不超过\(maxNumberLength)个字", field: "number")
        }
        guard date <= LocalDate(now) else { throw AppError.invalid("通报日期不能晚于今天", field: "date") }
        let text = rawText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AppError.invalid("请填写通报内容", field: "text") }
        guard text.count <= maxTextLength else { throw AppError.invalid("通报内容不能超过\(maxTextLength)个字", field: "text") }
        guard provincialPoints > .zero, provincialPoints <= maxProvincialPoints else {
            throw AppError.invalid("省扣分应大于0且不超过\(maxProvincialPoints)分", field: "points")
        }

        if let problem = FactDates(rules: rules, now: now).problem(day: date) { throw AppError.invalid(problem, field: "date") }

        // Whom the notice names, and whether this officer may file against it.
        let name: String, unitID: Int?, jurisdictionID: String?
        switch subject {
        case .unit(let id):
            guard let unit = try await LinkageUnit.find(id, on: db) else {
                throw AppError.invalid("登记册中没有编号为\(id)的单位", field: "unit_id")
            }
            guard AccessPolicy.canFileProvincialNotice(againstUnit: id, jurisdictionID: unit.jurisdictionID, by: actor.principal) else {
                throw AppError(.forbidden, "无权登记对\(unit.name)的扣分")
            }
            (name, unitID, jurisdictionID) = (unit.name, id, nil)
        case .government(let code):
            guard let jurisdiction = Jurisdictions.named(code), jurisdiction.kind != .city else {
                throw AppError.invalid("请选择被通报的县（市、区）政府", field: "jurisdiction")
            }
            guard AccessPolicy.canFileProvincialNotice(againstGovernment: code, by: actor.principal) else {
                throw AppError(.forbidden, "对县（市、区）政府的省通报扣分由市级部门登记")
            }
            (name, unitID, jurisdictionID) = (jurisdiction.governmentName, nil, code)
        }

        let ruleSet = rules.inForce(on: date)
        let city = ruleSet.cityPoints(forProvincial: provincialPoints)
        let finding = Finding(unitID: unitID, jurisdictionID: jurisdictionID, item: .d11, kind: .provincial, source: .province, ref: number,
                              occurredAt: date.start.addingTimeInterval(9 * 3600), proposedPoints: city,
                              reason: "\(name)被省通报扣\(provincialPoints)分（\(number)），按规定按\(ChineseNumeral.of(ruleSet.provincialMultiplier))倍扣\(city)分：\(text)",
                              ruleVersion: ruleSet.version)
        let outcome: Outcome = try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var occurred_at: Date; var points_tenths: Int; var reason: String }
            if let stored = try await sql.select().columns("occurred_at", "points_tenths", "reason").from("findings")
                .where("key", .equal, SQLBind(finding.key)).first(decoding: Row.self) {
                // Sent again: the same notice for the same subject is counted once. Its text is
                // compared, not the whole reason, which names the subject as it was then called.
                let sameDay = LocalDate(stored.occurred_at) == date
                let samePoints = stored.points_tenths == city.tenths
                let sameText = stored.reason.hasSuffix("：" + text) || stored.reason.hasSuffix(":" + text)
                if sameDay && samePoints && sameText { return .unchanged }
                let (field, label) = !sameDay ? ("date", "通报日期") : !samePoints ? ("points", "扣分") : ("text", "通报内容")
                throw AppError(.conflict, "省通报「\(number)」已登记过对\(name)的扣分，本次的\(label)与已登记的不同；同一通报对同一对象只登记一次", field: field)
            }
            _ = try await FindingStore.reconcile(source: .province, refs: [number],
                                                 scope: [Finding.scope(ref: number, subject: Finding.subject(unitID: unitID, jurisdictionID: jurisdictionID))],
                                                 findings: [finding], now: now, on: sql)
            try await AuditLog.append(tx, actor: actor, action: "finding.provincial", entity: "finding", entityID: finding.key, after: finding, at: now)
            return .stored
        }
        return (finding, outcome)
    }

    /// The provincial notices registered, newest first (the D11 findings still standing).
    static func recent(limit: Int = 20, on db: any Database) async throws -> [FindingDTO] {
        // A few a year: read whole, the latest kept.
        Array(try await FindingService.list(FindingFilter(source: .province), on: db).suffix(limit).reversed())
    }
}

/// `liandong province add --number … --date … --unit …|--jurisdiction … --points … --text …`
struct ProvinceCommand: AsyncCommandGroup {
    var help: String { "省通报扣分（D11，市里加倍扣分）" }
    var commands: [String: any AnyAsyncCommand] { ["add": ProvinceAddCommand()] }
}

struct ProvinceAddCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "number", help: "省通报文号") var number: String?
        @Option(name: "date", help: "通报日期 YYYY-MM-DD") var date: String?
        @Option(name: "unit", help: "被通报单位名称或编号") var unit: String?
        @Option(name: "jurisdiction", help: "被通报的县（市、区）政府，如 龙泉市（与 --unit 二选一）") var jurisdiction: String?
        @Option(name: "points", help: "省里扣分") var points: String?
        @Option(name: "text", help: "通报内容") var text: String?
    }

    var help: String { "登记省通报扣分（对单位或县（市、区）政府）；市里按规定倍数扣分；同一通报重复登记不重复计分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let rawDate = signature.date?.nilIfEmpty else { throw CommandFailure("请用 --date 填写通报日期，如 2026-05-10") }
        guard let day = LocalDate(rawDate) else { throw CommandFailure("--date 应为日期，如 2026-05-10，而不是「\(rawDate)」") }
        guard let rawPoints = signature.points?.nilIfEmpty else { throw CommandFailure("请用 --points 填写省里扣分，如 1.5") }
        guard let points = Points(parsing: rawPoints) else { throw CommandFailure("--points 应为分值，如 1.5，而不是「\(rawPoints)」") }
        let subject: ProvincialSubject
        switch (signature.unit?.nilIfEmpty, signature.jurisdiction?.nilIfEmpty) {
        case (let unit?, nil):
            subject = .unit(try await RegisterService.resolve(unit, on: app.db).requireID())
        case (nil, let jurisdiction?):
            subject = .government(try ProvincialNotices.government(jurisdiction).id)
        case (.some, .some):
            throw CommandFailure("--unit 与 --jurisdiction 只能指定其一")
        case (nil, nil):
            throw CommandFailure("请用 --unit 指定被通报的单位，或用 --jurisdiction 指定被通报的县（市、区）政府")
        }
        let (finding, outcome) = try await ProvincialNotices.register(
            number: signature.number ?? "", date: day, subject: subject, provincialPoints: points, text: signature.text ?? "",
            actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        switch outcome {
        case .stored: app.commandOutput.write("已登记：\(finding.reason)\n")
        case .unchanged: app.commandOutput.write("该通报已登记过，未重复计分：\(finding.reason)\n")
        }
    }
}
