import Fluent
import Foundation
import LiandongCore
import Vapor

/// `liandong units list|import|export`: the register for operators.
struct UnitsCommand: AsyncCommandGroup {
    var help: String { "联动单位登记册：list 列出，import 导入，export 导出" }
    var commands: [String: any AnyAsyncCommand] {
        ["list": UnitsListCommand(), "import": UnitsImportCommand(), "export": UnitsExportCommand()]
    }
    var defaultCommand: (any AnyAsyncCommand)? { UnitsListCommand() }
}

struct UnitsListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "jurisdiction", short: "j", help: "辖区名称或代码，如 市本级、莲都区、longquan")
        var jurisdiction: String?
        @Option(name: "level", short: "l", help: "级别 1、2 或 3")
        var level: String?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv")
        var format: String?
    }

    var help: String { "列出联动单位" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        var filter = UnitFilter()
        if let j = signature.jurisdiction {
            guard let found = Jurisdictions.find(j) else {
                throw CommandFailure("未知辖区“\(j)”；应为 \(Jurisdictions.all.map(\.name).joined(separator: "、")) 之一")
            }
            filter.jurisdictionID = found.id
        }
        if let l = signature.level {
            guard let level = UnitLevel(parsing: l) else { throw CommandFailure("--level 应为 1、2 或 3") }
            filter.level = level
        }
        let units = try await RegisterService.units(filter, on: app.db)
        let rules = app.currentRules
        switch format {
        case .json:
            context.application.commandOutput.write(try CommandOutput.json(units.map { UnitDTO($0, rules: rules, full: true) }))
        case .csv:
            context.application.commandOutput.write(CommandOutput.csv(header: UnitTable.exportColumns.map(\.header), rows: RegisterService.exportRows(units)))
        case .table:
            let rows = units.map { u in
                [String(u.id ?? 0), u.name, u.unitLevel.name, Jurisdictions.named(u.jurisdictionID)?.name ?? "",
                 rules.limit(level: u.unitLevel, publicSecurity: u.publicSecurity).description,
                 u.dutyPhone ?? "", [u.liaisonName, u.liaisonMobile].compactMap { $0 }.joined(separator: " ")]
            }
            context.application.commandOutput.write(CommandOutput.table(header: ["编号", "单位名称", "级别", "辖区", "到场时限", "值班电话", "联络员"], rows: rows))
            context.application.commandOutput.write("共 \(units.count) 个单位\n")
        }
    }
}

struct UnitsImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: ".csv（UTF-8，可带 BOM）或 .xlsx 文件")
        var file: String
        @Option(name: "reported-by", help: "记入报备历史的报备人（默认“批量导入”）")
        var reportedBy: String?
    }

    var help: String { "从 CSV 或 XLSX 文件导入联动单位及联系方式；任一行有误则整个文件不导入" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let url = URL(fileURLWithPath: signature.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CommandFailure("无法读取文件 \(signature.file)")
        }
        let records = try RegisterFiles.read(data, filename: url.lastPathComponent)
        let summary = try await RegisterService.importUnits(records, reportedBy: signature.reportedBy ?? "批量导入", actor: .console(), on: context.application.db)
        context.application.commandOutput.write("已导入 \(records.count) 行：新增 \(summary.created) 个单位，更新 \(summary.updated) 个，联系方式变更 \(summary.contactChanges) 条，无变化 \(summary.unchanged) 个\n")
    }
}

struct UnitsExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "输出文件，.csv 或 .xlsx")
        var file: String
        @Option(name: "jurisdiction", short: "j", help: "只导出该辖区")
        var jurisdiction: String?
    }

    var help: String { "导出联动单位登记册（可再导入）" }

    func run(using context: CommandContext, signature: Signature) async throws {
        var filter = UnitFilter()
        if let j = signature.jurisdiction {
            guard let found = Jurisdictions.find(j) else { throw CommandFailure("未知辖区“\(j)”") }
            filter.jurisdictionID = found.id
        }
        let units = try await RegisterService.units(filter, on: context.application.db)
        let ext = (signature.file as NSString).pathExtension
        guard ["csv", "xlsx"].contains(ext.lowercased()) else { throw CommandFailure("输出文件应以 .csv 或 .xlsx 结尾") }
        let (data, _, _) = try RegisterFiles.export(units, format: ext)
        guard FileManager.default.createFile(atPath: signature.file, contents: data) else {
            throw CommandFailure("无法写入文件 \(signature.file)")
        }
        context.application.commandOutput.write("已导出 \(units.count) 个单位到 \(signature.file)\n")
    }
}
