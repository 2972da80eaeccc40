import Fluent
import Foundation
import LiandongCore
import Vapor

/// `liandong deductions list|confirm|reject`
struct DeductionsCommand: AsyncCommandGroup {
    var help: String { "扣分：list 列出，confirm 确认，reject 驳回" }
    var commands: [String: any AnyAsyncCommand] {
        ["list": DeductionsListCommand(), "confirm": DeductionsConfirmCommand(), "reject": DeductionsRejectCommand()]
    }
    var defaultCommand: (any AnyAsyncCommand)? { DeductionsListCommand() }
}

enum DeductionTable {
    static func rows(_ list: [DeductionDTO]) -> (header: [String], rows: [[String]]) {
        (["编号", "发生时间", "单位", "项目", "分值", "状态", "待确认", "事由"],
         list.map { d in
             [String(d.id), ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? d.occurredAt, d.unit ?? d.agency ?? d.jurisdiction ?? "",
              d.item, Points(d.points).description, d.statusName, d.awaiting.joined(separator: "、"), d.reason]
         })
    }
}

struct DeductionsListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "status", help: "proposed、confirmed、rejected、withdrawn") var status: String?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }

    var help: String { "列出扣分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        var filter = DeductionFilter()
        if let raw = signature.status {
            guard let s = DeductionStatus(rawValue: raw) else {
                throw CommandFailure("--status 应为 \(DeductionStatus.allCases.map(\.rawValue).joined(separator: "、")) 之一")
            }
            filter.status = s
        }
        let list = try await DeductionService.list(filter, rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
        let t = DeductionTable.rows(list)
        try CommandOutput.emit(format, json: list, header: t.header, rows: t.rows,
                               footer: "共 \(list.count) 条，分值合计 \(list.reduce(Points.zero) { $0 + Points($1.points) })", to: app.commandOutput)
    }
}

/// The agency and officer every decision names; one person never acts for both agencies.
struct DecisionOptions {
    /// `--agency` by name or code (`龙泉市公安局`, `longquan-psb`; `市公安局` or `psb` is the city's).
    static func agency(_ raw: String?, on db: any Database) async throws -> SupervisingAgency {
        let directory = try await AgencyStore.load(on: db)
        guard let raw, let agency = directory.find(raw) else {
            throw CommandFailure("--agency 应为决定扣分的机关的名称或代码，如 市应急管理局、市公安局、龙泉市公安局（见 liandong agencies list）")
        }
        return agency
    }

    static func ids(_ raw: [String]) throws -> [Int] {
        try raw.flatMap { $0.split(separator: ",") }.map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw CommandFailure("扣分编号应为数字：“\(part)”") }
            return id
        }
    }
}

struct DeductionsConfirmCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "ids", help: "扣分编号，可用逗号分隔多个") var ids: String
        @Option(name: "agency", help: "机关名称或代码，如 市应急管理局、龙泉市公安局") var agency: String?
        @Option(name: "officer", help: "确认人姓名") var officer: String?
        @Option(name: "points", help: "调整后的分值（须说明理由）") var points: String?
        @Option(name: "reason", help: "理由") var reason: String?
    }

    var help: String { "代表一个部门确认扣分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        var points: Points?
        if let raw = signature.points {
            guard let p = Points(parsing: raw) else { throw CommandFailure("--points 应为分值，如 1.5") }
            points = p
        }
        let ids = try DecisionOptions.ids([signature.ids])
        let agency = try await DecisionOptions.agency(signature.agency, on: app.db)
        try await DeductionService.decide(ids, decision: .confirm(points: points, reason: signature.reason),
                                          agency: agency.kind, seat: agency.jurisdictionID, officer: signature.officer ?? "",
                                          actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        let list = try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).filter { ids.contains($0.id) }
        for d in list {
            app.commandOutput.write("扣分 \(d.id)：\(d.statusName)，分值 \(Points(d.points))\(d.awaiting.isEmpty ? "" : "，待\(d.awaiting.joined(separator: "、"))确认")\n")
        }
    }
}

struct DeductionsRejectCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "id", help: "扣分编号") var id: String
        @Option(name: "agency", help: "机关名称或代码，如 市应急管理局、龙泉市公安局") var agency: String?
        @Option(name: "officer", help: "驳回人姓名") var officer: String?
        @Option(name: "reason", help: "理由（必填）") var reason: String?
    }

    var help: String { "代表一个部门驳回扣分" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let ids = try DecisionOptions.ids([signature.id])
        let agency = try await DecisionOptions.agency(signature.agency, on: app.db)
        try await DeductionService.decide(ids, decision: .reject(reason: signature.reason ?? ""), agency: agency.kind, seat: agency.jurisdictionID,
                                          officer: signature.officer ?? "", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        let d = try await DeductionService.list(DeductionFilter(id: ids[0]), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first
        if let d, d.status == DeductionStatus.proposed.rawValue {
            app.commandOutput.write("扣分 \(signature.id) 已驳回（\(agency.name)意见），待\(d.awaiting.joined(separator: "、"))同意后生效\n")
        } else {
            app.commandOutput.write("扣分 \(signature.id) 已驳回\n")
        }
    }
}
