import Fluent
import Foundation
import LiandongCore
import Vapor

/// `liandong checks import FILE.jsonl | campaign --month 2026-03 [--size N] [--seed S]`
struct ChecksCommand: AsyncCommandGroup {
    var help: String { "日常电话检查与实地、视频检查" }
    var commands: [String: any AnyAsyncCommand] { ["import": ChecksImportCommand(), "campaign": CampaignCommand()] }
}

struct ChecksImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "JSON Lines（每行一次检查），或 CSV/XLSX（电话检查每行一次；实地/视频检查每行一个单位）")
        var file: String
    }

    var help: String { "导入以往的检查记录；任一行有误则整个文件不导入；重复导入不会重复计数" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
        let result: InspectionService.ImportResult
        let ext = (signature.file as NSString).pathExtension.lowercased()
        if ext == "csv" || ext == "xlsx" {
            // A spreadsheet: converted row by row, with errors named by the spreadsheet's rows.
            let (text, rows) = try ChecksTable.jsonLines(try ChecksTable.rows(data, filename: signature.file),
                                                         attempts: app.liandong.ruleBook.latest.phoneCheckAttempts)
            do {
                result = try await InspectionService.importChecks(Data(text.utf8), actor: .console(), rules: app.liandong.ruleBook,
                                                                  now: app.liandong.clock.now(), on: app.db)
            } catch let error as ImportError {
                throw ImportError(row: error.row >= 1 && error.row <= rows.count ? rows[error.row - 1] : error.row, field: error.field, message: error.message)
            }
        } else {
            result = try await InspectionService.importChecks(data, actor: .console(), rules: app.liandong.ruleBook, now: app.liandong.clock.now(), on: app.db)
        }
        app.commandOutput.write("已导入电话检查 \(result.phoneChecks) 次、实地或视频检查 \(result.drills) 次，无变化 \(result.unchanged) 条\n")
    }
}

struct CampaignCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "month", help: "月份，如 2026-03（默认本月）") var month: String?
        @Option(name: "size", help: "抽查单位数（默认 10；为保证每季度全覆盖会自动增加）") var size: Int?
        @Option(name: "seed", help: "随机种子（默认随机；记录在案，可复现）") var seed: String?
    }

    var help: String { "生成月度电话抽查名单（按辖区和级别分层随机，可由种子复现）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let month: Period
        if let raw = signature.month {
            guard let p = Period.parse(raw), p.months.count == 1 else { throw CommandFailure("--month 应为月份，如 2026-03") }
            month = p
        } else {
            month = Period.containing(LocalDate(Date()), .month)
        }
        var seed: UInt64?
        if let raw = signature.seed {
            guard let s = UInt64(raw) else { throw CommandFailure("--seed 应为非负整数") }
            seed = s
        }
        let campaign = try await InspectionService.createCampaign(month: month, size: signature.size ?? 10, seed: seed, actor: .console(),
                                                                  rules: app.liandong.ruleBook, on: app.db)
        let units = try await LinkageUnit.query(on: app.db).filter(\.$id ~~ campaign.units).all()
        let names = Dictionary(uniqueKeysWithValues: units.map { ($0.id ?? 0, $0) })
        let rows = campaign.units.compactMap { names[$0] }.map { u in
            [String(u.id ?? 0), u.name, Jurisdictions.named(u.jurisdictionID)?.name ?? "", u.unitLevel.name, u.dutyPhone ?? "", u.liaisonMobile ?? ""]
        }
        app.commandOutput.write("\(month.label)抽查名单（第 \(campaign.id) 号，种子 \(campaign.seed)）：\n")
        app.commandOutput.write(CommandOutput.table(header: ["编号", "单位名称", "辖区", "级别", "值班电话", "联络员手机"], rows: rows))
    }
}

/// `liandong supervision status | judge | meeting`
struct SupervisionCommand: AsyncCommandGroup {
    var help: String { "监督检查工作日历（每月电话检查、每季度联合检查、每半年会商）与D7" }
    var commands: [String: any AnyAsyncCommand] { ["status": SupervisionStatusCommand(), "meeting": MeetingCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { SupervisionStatusCommand() }
}

struct SupervisionStatusCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "记录起始日（默认系统首次启动日）") var from: String?
        @Option(name: "format", short: "f", help: "table（默认）或 json") var format: String?
    }

    var help: String { "各项监督工作的完成情况；结束而未完成的期间记为D7问题" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format, allowed: [.table, .json])
        var from: LocalDate?
        if let raw = signature.from { guard let d = LocalDate(raw) else { throw CommandFailure("--from 应为日期") }; from = d }
        let (periods, _) = try await InspectionService.calendar(from: from, rules: app.liandong.ruleBook, on: app.db)
        struct Row: Encodable { var duty: String; var period: String; var count: Int; var status: String; var agencies: String }
        let rows = periods.map { Row(duty: $0.duty.title, period: $0.chineseLabel, count: $0.count, status: $0.status.rawValue,
                                     agencies: $0.duty.agencies.map(\.name).joined(separator: "、")) }
        try CommandOutput.emit(format, json: rows, header: ["工作", "期间", "完成次数", "状态", "责任部门"],
                               rows: periods.map { [$0.duty.title, $0.chineseLabel, String($0.count), $0.status.chinese, $0.duty.agencies.map(\.name).joined(separator: "、")] },
                               to: app.commandOutput)
    }
}

struct MeetingCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "date", help: "会商日期 YYYY-MM-DD") var date: String?
        @Option(name: "attendees", help: "参会人员") var attendees: String?
        @Option(name: "decisions", help: "决定事项") var decisions: String?
    }

    var help: String { "登记一次三部门会商会" }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let raw = signature.date, let day = LocalDate(raw) else { throw CommandFailure("--date 应为日期，如 2026-06-20") }
        try await InspectionService.recordMeeting(heldOn: day.start.addingTimeInterval(9 * 3600), attendees: signature.attendees ?? "",
                                                  decisions: signature.decisions ?? "", actor: .console(), rules: context.application.liandong.ruleBook,
                                                  on: context.application.db)
        context.application.commandOutput.write("已登记 \(day.chinese) 会商会\n")
    }
}
