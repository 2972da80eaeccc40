import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// `liandong bench`: the bulk paths measured on this machine, each against a baseline measured in
/// the same run (speed is reported as ratios, never asserted in unit tests). Build in release:
/// `swift run -c release liandong bench`.
struct BenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "dispatches", help: "合成警情数（默认 178000，约 100 万个事件）") var dispatches: Int?
        @Option(name: "seed", help: "随机种子（默认 2026）") var seed: String?
        @Option(name: "dir", help: "工作目录（默认临时目录，结束后删除）") var dir: String?
    }

    var help: String { "性能基准：导入联动警情事件（对比 sqlite3 .import）、年度到场统计" }

    struct Figure {
        var name: String
        var seconds: Double
        var count: Int
        var unit: String
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let out = app.commandOutput
        let count = signature.dispatches ?? 178_000
        let seed = UInt64(signature.seed ?? "2026") ?? 2026
        let keep = signature.dir != nil
        let dir = URL(fileURLWithPath: signature.dir ?? NSTemporaryDirectory()).appendingPathComponent("liandong-bench-\(seed)-\(count)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }

        // The register and a year of synthetic timelines.
        let units = Annex2.cityUnits.enumerated().map { i, u in
            GeneratorUnit(id: i + 1, name: u.name, level: u.level, publicSecurity: u.publicSecurity)
        }
        var generator = DispatchGenerator(units: units, rules: .initial, seed: seed)
        let year = Period.year(2026)
        let jsonl = generator.jsonLines(in: year, dispatches: count)
        let jsonlURL = dir.appendingPathComponent("events.jsonl")
        try jsonl.write(to: jsonlURL)
        let events = try DispatchEventParser.parseJSONLines(jsonl, dates: .unbounded)
        out.write("合成数据：\(count) 起警情，\(events.count) 个事件，\(jsonl.count / 1_048_576) MiB\n")

        // Baseline: sqlite3's own CSV import of the same rows into a table of the same columns.
        let csvURL = dir.appendingPathComponent("events.csv")
        let rows = events.map { e in
            [e.eventID, e.incidentID, e.unit, e.type.rawValue, ChinaTime.isoString(e.at), e.onSiteRequired.map { $0 ? "1" : "0" } ?? "",
             e.exercise ? "1" : "0", e.note ?? "", e.drillID ?? ""]
        }
        try CSV.write([DispatchEventParser.fields] + rows, bom: false).write(to: csvURL)
        let baselineDB = dir.appendingPathComponent("baseline.sqlite").path
        let schema = "PRAGMA journal_mode=WAL; CREATE TABLE dispatch_events (event_id TEXT PRIMARY KEY, incident_id TEXT, unit TEXT, type TEXT, at TEXT, on_site_required TEXT, exercise TEXT, note TEXT, drill_id TEXT);"
        _ = try shell("sqlite3", [baselineDB, schema])
        let started = Date()
        let imported = try shell("sqlite3", [baselineDB, ".mode csv", ".import --skip 1 \(csvURL.path) dispatch_events"])
        let baseline = Date().timeIntervalSince(started)
        guard imported.status == 0 else { throw CommandFailure("sqlite3 .import 失败：\(imported.stderr)") }

        // Liandong: parse, store and judge, on a fresh database of its own, in one transaction.
        let liandongDB = dir.appendingPathComponent("liandong.sqlite").path
        let bench = try await Application.make(.testing)
        bench.logger.logLevel = .error
        do {
            try await configure(bench, database: .sqlite(path: liandongDB))
            let t0 = Date()
            let parsed = try DispatchEventParser.parseJSONLines(try Data(contentsOf: jsonlURL), dates: .unbounded)
            let parseTime = Date().timeIntervalSince(t0)
            let summary = try await DispatchService.ingest(parsed, actor: .console(), rules: bench.liandong.ruleBook,
                                                           now: year.endInstant.addingTimeInterval(86_400 * 2), on: bench.db)
            let ingest = Date().timeIntervalSince(t0)
            // Compliance for the year, against counting the same rows.
            let c0 = Date()
            let report = try await ComplianceService.report(period: year, by: .unit, on: bench.db)
            let compliance = Date().timeIntervalSince(c0)
            // The same figures counted from the year's dispatches, as a span the read model does not keep would be.
            let f0 = Date()
            let recounted = try await ComplianceService.fromFacts(period: year, by: .unit, unitID: nil, jurisdictionID: nil, summary: false,
                                                                  on: bench.db as! any SQLDatabase)
            let recount = Date().timeIntervalSince(f0)
            let n0 = Date()
            let counted = try await (bench.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM dispatches WHERE exercise = 0").first()?.decode(column: "n", as: Int.self) ?? 0
            let countTime = Date().timeIntervalSince(n0)
            // The year's assessment with every proposed deduction taken as confirmed.
            try await DeductionService.sync(on: bench.db)
            try await (bench.db as! any SQLDatabase).update("deductions").set("status", to: SQLBind(DeductionStatus.confirmed.rawValue)).run()
            let a0 = Date()
            let assessment = try await AssessmentService.report(year, rules: bench.liandong.ruleBook, on: bench.db)
            let assessTime = Date().timeIntervalSince(a0)
            try await bench.asyncShutdown()

            let rate = Double(events.count) / ingest, baseRate = Double(events.count) / baseline
            out.write(CommandOutput.table(header: ["测量", "用时", "吞吐", "与基线之比"], rows: [
                ["sqlite3 .import（基线）", String(format: "%.2f s", baseline), String(format: "%.0f 事件/秒", baseRate), "1.00"],
                ["liandong 导入并判定", String(format: "%.2f s", ingest), String(format: "%.0f 事件/秒", rate), String(format: "%.2f", rate / baseRate)],
                ["COUNT(*) 全年警情（基线）", String(format: "%.3f s", countTime), "\(counted) 起", "1.00"],
                ["全年到场统计（按单位，读取写入时维护的汇总）", String(format: "%.3f s", compliance), "\(report.total.dispatches) 起", String(format: "%.1f×", compliance / max(countTime, 0.000_001))],
                ["全年到场统计（按单位，从警情重新统计）", String(format: "%.3f s", recount), "\(recounted.total.dispatches) 起", String(format: "%.1f×", recount / max(countTime, 0.000_001))],
                ["全年综合考核", String(format: "%.3f s", assessTime), "\(assessment.ranked.count + assessment.unranked.count) 个对象", String(format: "%.1f×", assessTime / max(countTime, 0.000_001))],
            ]))
            out.write(String(format: "其中读取并解析 JSONL %.2f s，校验、写入与判定 %.2f s\n", parseTime, ingest - parseTime))
            out.write("新增事件 \(summary.new)，判定警情 \(summary.dispatchesJudged) 起，问题 \(summary.findingsAdded) 条\n")
        } catch {
            try? await bench.asyncShutdown()
            throw error
        }
    }

    func shell(_ program: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// `liandong generate --year 2026 --dispatches N --out FILE.jsonl`: realistic synthetic 110
/// timelines (late arrivals, refusals, missing reports in realistic shares) for trials and demos.
struct GenerateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "year", help: "年份（默认今年）") var year: Int?
        @Option(name: "dispatches", help: "警情数（默认 10000）") var dispatches: Int?
        @Option(name: "seed", help: "随机种子（默认 1）") var seed: String?
        @Option(name: "out", help: "输出的 .jsonl 文件") var out: String?
    }

    var help: String { "生成合成的联动警情事件（JSON Lines），可用 dispatches import 导入" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let out = signature.out else { throw CommandFailure("请用 --out 指定输出文件") }
        let count = signature.dispatches ?? 10_000
        guard (1...5_000_000).contains(count) else { throw CommandFailure("--dispatches 应为 1 至 5000000") }
        let units = try await LinkageUnit.query(on: app.db).all().map {
            GeneratorUnit(id: $0.id ?? 0, name: $0.name, level: $0.unitLevel, publicSecurity: $0.publicSecurity)
        }
        var generator = DispatchGenerator(units: units, rules: app.currentRules, seed: UInt64(signature.seed ?? "1") ?? 1)
        let data = generator.jsonLines(in: .year(signature.year ?? LocalDate(Date()).year), dispatches: count)
        guard FileManager.default.createFile(atPath: out, contents: data) else { throw CommandFailure("无法写入 \(out)") }
        app.commandOutput.write("已生成 \(count) 起警情的事件到 \(out)\n")
    }
}
