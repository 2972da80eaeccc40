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
        let next: @Sendable () async throws -> DispatchService.EventBatch?
        let progress = ImportProgress(fileBytes: (try? FileManager.default.attributesOfItem(atPath: signature.file)[.size] as? Int) ?? 0)
        switch (signature.file as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson", "json":
            // Streamed: one block of lines parsed, checked, stored and judged at a time, all in
            // one transaction; memory holds one block, whatever the file's size.
            guard let handle = FileHandle(forReadingAtPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
            let reader = JSONLinesBatches(handle: handle, dates: app.factDates)
            next = {
                let batch = try reader.next()
                progress.read(bytes: reader.bytesRead)
                return batch
            }
        case "csv":
            guard let data = FileManager.default.contents(atPath: signature.file) else { throw CommandFailure("无法读取文件 \(signature.file)") }
            let records: [CSVRecord]
            do { records = try CSV.parse(data) } catch { throw ImportError(row: error.line, field: "", message: error.message) }
            guard let header = records.first else { throw CommandFailure("文件为空") }
            let rows = records.dropFirst().map { (line: $0.line, cells: $0.fields) }
            let events = try DispatchEventParser.parseCSV(header: header.fields, rows: rows, dates: app.factDates)
            let pending = NIOLockedValueBox<DispatchService.EventBatch?>(DispatchService.EventBatch(events: events, positions: rows.map(\.line)))
            next = {
                progress.read(bytes: data.count)
                return pending.withLockedValue { taken in defer { taken = nil }; return taken }
            }
        default:
            throw CommandFailure("只能导入 .jsonl 或 .csv 文件")
        }
        let summary = try await DispatchService.ingest(batches: next, actor: Actor.console(), rules: app.liandong.ruleBook,
                                                       now: app.liandong.clock.now(), on: app.db,
                                                       progress: { progress.wrote(events: $0) })
        progress.finish()
        guard summary.received > 0 else { throw CommandFailure("文件中没有事件") }
        app.commandOutput.write("共 \(summary.received) 个事件：新增 \(summary.new)，已存在 \(summary.known)；判定警情 \(summary.dispatchesJudged) 起，新增问题 \(summary.findingsAdded) 条，撤销 \(summary.findingsWithdrawn) 条\n")
    }
}

/// A JSON Lines file read a block at a time: each block ends at a line's end, is parsed on every
/// core, and its events carry the file's line numbers.
final class JSONLinesBatches: @unchecked Sendable {
    /// Bytes read per block (about 100,000 events).
    static let blockBytes = 16 << 20
    private let handle: FileHandle
    private let dates: FactDates
    private let blockBytes: Int
    private let lock = NIOLock()
    private var carry = Data()
    private var linesBefore = 0
    private var atEnd = false
    private(set) var bytesRead = 0

    init(handle: FileHandle, dates: FactDates, blockBytes: Int = JSONLinesBatches.blockBytes) {
        self.handle = handle
        self.dates = dates
        self.blockBytes = blockBytes
    }

    /// The next block's events, or nil at the end of the file.
    func next() throws -> DispatchService.EventBatch? {
        try lock.withLock {
            while true {
                if atEnd && carry.isEmpty { return nil }
                var data = carry
                if !atEnd {
                    let block = try handle.read(upToCount: blockBytes) ?? Data()
                    bytesRead += block.count
                    if block.isEmpty { atEnd = true; try? handle.close() }
                    data.append(block)
                }
                // Up to the last complete line; the rest waits for the next block.
                let cut = atEnd ? data.endIndex : (data.lastIndex(of: 0x0A).map { $0 + 1 } ?? data.startIndex)
                carry = Data(data[cut...])
                let piece = Data(data[..<cut])
                guard !piece.isEmpty else { continue }
                let offset = linesBefore
                linesBefore += piece.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
                let parsed: (events: [DispatchEventInput], lines: [Int])
                do throws(ImportError) {
                    parsed = try DispatchEventParser.parseJSONLinesWithLines(piece, dates: dates)
                } catch {
                    throw ImportError(row: error.row + offset, field: error.field, message: error.message)
                }
                guard !parsed.events.isEmpty else { continue }
                return DispatchService.EventBatch(events: parsed.events, positions: parsed.lines.map { $0 + offset })
            }
        }
    }
}

/// The progress bar of an import, on standard error when it is a terminal (nothing otherwise):
/// the share of the file read, the events written, events per second and the time left.
final class ImportProgress: Sendable {
    private struct State { var bytes = 0; var events = 0; var shown = false; var lastDraw = 0.0 }
    private let fileBytes: Int
    private let started = Date()
    private let state = NIOLockedValueBox(State())
    let enabled: Bool

    init(fileBytes: Int, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.fileBytes = fileBytes
        self.enabled = terminal
    }

    func read(bytes: Int) { update { $0.bytes = bytes } }
    func wrote(events: Int) { update { $0.events = max($0.events, events) } }

    /// Ends the bar's line.
    func finish() {
        guard enabled else { return }
        let shown = state.withLockedValue { s in defer { s.shown = false }; return s.shown }
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func update(_ change: (inout State) -> Void) {
        guard enabled else { return }
        let line: String? = state.withLockedValue { s in
            change(&s)
            let elapsed = Date().timeIntervalSince(started)
            // At most ten redraws a second.
            guard elapsed - s.lastDraw >= 0.1 || !s.shown else { return nil }
            s.lastDraw = elapsed
            s.shown = true
            return Self.line(bytes: s.bytes, of: fileBytes, events: s.events, elapsed: elapsed)
        }
        if let line { FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8)) }
    }

    /// `[########------------]  40%  已写入 400,000 个事件  95,000 个/秒  剩余约 0:06`
    static func line(bytes: Int, of total: Int, events: Int, elapsed: Double, width: Int = 24) -> String {
        let share = total > 0 ? min(1, Double(bytes) / Double(total)) : 0
        let filled = Int((share * Double(width)).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        let rate = elapsed > 0 ? Double(events) / elapsed : 0
        var text = "\(bar) \(String(format: "%3d", Int(share * 100)))%  已写入 \(grouped(events)) 个事件  \(grouped(Int(rate))) 个/秒"
        if share > 0.01, share < 1 {
            let left = Int((elapsed / share - elapsed).rounded())
            text += "  剩余约 \(left / 60):\(String(format: "%02d", left % 60))"
        }
        return text
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
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
