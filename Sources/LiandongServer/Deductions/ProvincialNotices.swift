import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// Annex 1 item 11: a deduction the province notified counts double in the city. Registering
/// the provincial notice files a D11 finding at the rule set's multiple; its figure is fixed.
enum ProvincialNotices {
    static func register(number rawNumber: String, date: LocalDate, unitID: Int, provincialPoints: Points, text rawText: String,
                         actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> Finding {
        let number = rawNumber.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty, number.count <= 60 else { throw AppError.invalid("请填写省通报文号", field: "number") }
        let text = rawText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AppError.invalid("请填写通报内容", field: "text") }
        guard provincialPoints > .zero, provincialPoints <= Points(20) else { throw AppError.invalid("省扣分应大于0", field: "points") }
        guard date <= LocalDate(now) else { throw AppError.invalid("通报日期不能晚于今天", field: "date") }
        if let problem = FactDates(rules: rules, now: now).problem(day: date) { throw AppError.invalid(problem, field: "date") }
        let unit = try await RegisterService.unit(unitID, on: db)
        let ruleSet = rules.inForce(on: date)
        let city = ruleSet.cityPoints(forProvincial: provincialPoints)
        let finding = Finding(unitID: unitID, item: .d11, kind: .provincial, source: .province, ref: number, occurredAt: date.start.addingTimeInterval(9 * 3600),
                              proposedPoints: city,
                              reason: "\(unit.name)被省通报扣\(provincialPoints)分(\(number)),按规定按\(ChineseNumeral.of(ruleSet.provincialMultiplier))倍扣\(city)分:\(text)", ruleVersion: ruleSet.version)
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            struct Row: Decodable { var key: String }
            if try await sql.select().column("key").from("findings").where("key", .equal, SQLBind(finding.key)).first(decoding: Row.self) != nil {
                throw AppError(.conflict, "省通报 \(number) 已登记过\(unit.name)的扣分", field: "number")
            }
            _ = try await FindingStore.reconcile(source: .province, refs: [number], scope: ["\(number)|\(unitID)"], findings: [finding], now: now, on: sql)
            try await AuditLog.append(tx, actor: actor, action: "finding.provincial", entity: "finding", entityID: finding.key, after: finding, at: now)
        }
        return finding
    }
}

/// `liandong province add --number … --date … --unit … --points … --text …`
struct ProvinceCommand: AsyncCommandGroup {
    var help: String { "省通报扣分(D11,市里加倍扣分)" }
    var commands: [String: any AnyAsyncCommand] { ["add": ProvinceAddCommand()] }
}

struct ProvinceAddCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "number", help: "省通报文号") var number: String?
        @Option(name: "date", help: "通报日期 YYYY-MM-DD") var date: String?
        @Option(name: "unit", help: "被通报单位名称或编号") var unit: String?
        @Option(name: "points", help: "省里扣分") var points: String?
        @Option(name: "text", help: "通报内容") var text: String?
    }

    var help: String { "登记省通报扣分;市里按规定倍数扣分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let day = signature.date.flatMap(LocalDate.init) else { throw CommandFailure("--date 应为日期,如 2026-05-10") }
        guard let points = signature.points.flatMap(Points.init(parsing:)) else { throw CommandFailure("--points 应为分值,如 1") }
        guard let raw = signature.unit else { throw CommandFailure("请用 --unit 指定单位") }
        let id = try await RegisterService.resolve(raw, on: app.db).requireID()
        let finding = try await ProvincialNotices.register(number: signature.number ?? "", date: day, unitID: id, provincialPoints: points,
                                                           text: signature.text ?? "", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        app.commandOutput.write("已登记:\(finding.reason)\n")
    }
}
