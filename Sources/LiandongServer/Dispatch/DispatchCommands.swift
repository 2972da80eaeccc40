import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// `liandong dispatches import FILE | judge`
struct DispatchesCommand: AsyncCommandGroup {
    var help: String { "110联动警情：import 导入事件，judge 判定到期未反馈的警情" }
    var commands: [String: any AnyAsyncCommand] { ["import": DispatchesImportCommand(), "judge": DispatchesJudgeCommand()] }
}

struct DispatchesImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: ".jsonl（每行一个事件）或 .csv（列名同字段名）")
        var file: String
    }

    var help: String { "导入联动警情事件；任一事件有误则整个文件不导入；重复导入不会重复计数" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
        let events: [DispatchEventInput]
        var positions: [Int] = []
        switch (signature.file as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson", "json":
            // With the line of each event, for errors found after parsing.
            (events, positions) = try DispatchEventParser.parseJSONLinesWithLines(data, dates: app.factDates)
        case "csv":
            let records: [CSVRecord]
            do { records = try CSV.parse(data) } catch { throw ImportError(row: error.line, field: "", message: error.message) }
            guard let header = records.first else { throw CommandFailure("文件为空") }
            let rows = records.dropFirst().map { (line: $0.line, cells: $0.fields) }
            events = try DispatchEventParser.parseCSV(header: header.fields, rows: rows, dates: app.factDates)
            positions = rows.map(\.line)
        default:
            throw CommandFailure("只能导入 .jsonl 或 .csv 文件")
        }
        guard !events.isEmpty else { throw CommandFailure("文件中没有事件") }
        // A progress line on a terminal for large files.
        let showProgress = isatty(STDERR_FILENO) == 1 && events.count >= 10_000
        let total = events.count
        let report: @Sendable (Int) -> Void = { done in
            FileHandle.standardError.write(Data("\r已写入 \(done)/\(total) 个事件".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
        let summary = try await DispatchService.ingest(events, positions: positions, actor: Actor.console(), rules: app.liandong.ruleBook,
                                                       now: app.liandong.clock.now(), on: app.db, progress: showProgress ? report : nil)
        app.commandOutput.write("共 \(summary.received) 个事件：新增 \(summary.new)，已存在 \(summary.known)；判定警情 \(summary.dispatchesJudged) 起，新增问题 \(summary.findingsAdded) 条，撤销 \(summary.findingsWithdrawn) 条\n")
    }
}

struct DispatchesJudgeCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "判定已超过反馈期限仍未结束的警情" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let count = try await DispatchService.judgePending(rules: context.application.liandong.ruleBook, on: context.application.db)
        context.application.commandOutput.write("已重新判定 \(count) 起警情\n")
    }
}

/// `liandong findings list`
struct FindingsCommand: AsyncCommandGroup {
    var help: String { "发现的问题（拟扣分）" }
    var commands: [String: any AnyAsyncCommand] { ["list": FindingsListCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { FindingsListCommand() }
}

struct FindingsListCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "起始日期 YYYY-MM-DD") var from: String?
        @Option(name: "to", help: "截止日期 YYYY-MM-DD（含）") var to: String?
        @Option(name: "unit", help: "单位名称或编号") var unit: String?
        @Option(name: "source", help: "phone、onsite、video、dispatch、plan、supervision、province、manual") var source: String?
        @Option(name: "format", short: "f", help: "table（默认）、json 或 csv") var format: String?
    }

    var help: String { "列出发现的问题" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let format = try OutputFormat.parse(signature.format)
        var filter = FindingFilter()
        if let raw = signature.from { guard let d = LocalDate(raw) else { throw CommandFailure("--from 应为日期，如 2026-03-01") }; filter.from = d }
        if let raw = signature.to { guard let d = LocalDate(raw) else { throw CommandFailure("--to 应为日期，如 2026-03-31") }; filter.to = d }
        if let raw = signature.source {
            guard let s = FindingSource(rawValue: raw) else { throw CommandFailure("未知来源“\(raw)”") }
            filter.source = s
        }
        if let raw = signature.unit { filter.unitID = try await RegisterService.resolve(raw, on: app.db).id }
        let findings = try await FindingService.list(filter, on: app.db)
        let t = FindingService.table(findings)
        try CommandOutput.emit(format, json: findings, header: t.header, rows: t.rows,
                               footer: "共 \(findings.count) 条，拟扣分合计 \(findings.reduce(Points.zero) { $0 + Points($1.proposedPoints) })",
                               to: app.commandOutput)
    }
}
