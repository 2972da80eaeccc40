import Foundation
import LiandongCore
import Vapor

/// `liandong rules list`: the rule set in force.
struct RulesCommand: AsyncCommandGroup {
    var help: String { "扣分标准与规则版本" }
    var commands: [String: any AnyAsyncCommand] {
        ["list": RulesListCommand(), "export": RulesExportCommand(), "publish": RulesPublishCommand()]
    }
    var defaultCommand: (any AnyAsyncCommand)? { RulesListCommand() }
}

struct RulesListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "format", short: "f", help: "table（默认）或 json")
        var format: String?
        @Option(name: "date", help: "显示该日施行的版本（YYYY-MM-DD），默认今天")
        var date: String?
    }

    var help: String { "列出施行中的扣分项目（附件1）及默认分值" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let format = try OutputFormat.parse(signature.format, allowed: [.table, .json])
        var day = LocalDate(Date())
        if let raw = signature.date {
            guard let parsed = LocalDate(raw) else { throw CommandFailure("--date 格式应为 2026-03-04") }
            day = parsed
        }
        let rules = context.application.liandong.ruleBook.inForce(on: day)
        let dto = RuleSetDTO(rules)
        switch format {
        case .json:
            context.application.commandOutput.write(try CommandOutput.json(dto.items))
        default:
            context.application.commandOutput.write("\(rules.title)  版本 \(rules.version)（\(rules.source)，自\(rules.effectiveFrom.chinese)起施行）\n")
            context.application.commandOutput.write("每项扣分 \(rules.pointsRange.chinese)；被省通报扣分的按省扣分的\(ChineseNumeral.of(rules.provincialMultiplier))倍扣分\n\n")
            let rows = dto.items.map { item in
                [item.id, item.title, item.defaultPoints.map { "\($0.label) \(Points($0.points))" }.joined(separator: ";")]
            }
            context.application.commandOutput.write(CommandOutput.table(header: ["项目", "内容", "默认扣分"], rows: rows))
        }
    }
}
