import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import NIOConcurrencyHelpers
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
        @Option(name: "format", help: "输出格式：table（默认）或 json") var format: String?
    }

    var help: String { "性能基准：导入联动警情事件（对比 sqlite3 .import，或设 DATABASE_URL 时对比 psql \\copy）、年度到场统计、年度综合考核" }

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
        let jsonlURL = dir.appendingPathComponent("events.jsonl")
        let csvURL = dir.appendingPathComponent("events.csv")
        let eventCount: Int
        do {
            // The generated data is released before the measurements begin.
            let jsonl = generator.jsonLines(in: year, dispatches: count)
            try jsonl.write(to: jsonlURL)
            let events = try DispatchEventParser.parseJSONLines(jsonl, dates: .unbounded)
            out.write("合成数据：\(count) 起警情，\(events.count) 个事件，\(jsonl.count / 1_048_576) MiB\n")

            // The same rows as CSV, for the baseline's import.
            let rows = events.map { e in
                [e.eventID, e.incidentID, e.unit, e.type.rawValue, ChinaTime.isoString(e.at), e.onSiteRequired.map { $0 ? "1" : "0" } ?? "",
                 e.exercise ? "1" : "0", e.note ?? "", e.drillID ?? ""]
            }
            try CSV.write([DispatchEventParser.fields] + rows, bom: false).write(to: csvURL)
            eventCount = events.count
        }
        let json = signature.format?.lowercased() == "json"
        guard json || signature.format == nil || signature.format?.lowercased() == "table" else { throw CommandFailure("--format 应为 table 或 json") }
        // PostgreSQL when DATABASE_URL names one, in schemas of the bench's own (dropped at the end).
        let postgresURL: String? = if case .postgres(let url, _) = app.liandong.database { url } else { nil }
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let baseline: Double
        let baselineName: String
        if let url = postgresURL {
            // Baseline: psql's own \copy of the same rows into a table of the same columns and key.
            baselineName = "psql \\copy"
            let table = "bench_copy_\(token).dispatch_events"
            let created = try shell("psql", [url, "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE SCHEMA bench_copy_\(token); CREATE TABLE \(table) (event_id TEXT PRIMARY KEY, incident_id TEXT, unit TEXT, type TEXT, at TEXT, on_site_required TEXT, exercise TEXT, note TEXT, drill_id TEXT)"])
            guard created.status == 0 else { throw CommandFailure("psql 建表失败：\(created.stderr)") }
            let started = Date()
            let copied = try shell("psql", [url, "-q", "-v", "ON_ERROR_STOP=1", "-c", "\\copy \(table) FROM '\(csvURL.path)' WITH (FORMAT csv, HEADER true)"])
            baseline = Date().timeIntervalSince(started)
            _ = try? shell("psql", [url, "-q", "-c", "DROP SCHEMA bench_copy_\(token) CASCADE"])
            guard copied.status == 0 else { throw CommandFailure("psql \\copy 失败：\(copied.stderr)") }
        } else {
            // Baseline: sqlite3's own CSV import of the same rows into a table of the same columns.
            baselineName = "sqlite3 .import"
            let baselineDB = dir.appendingPathComponent("baseline.sqlite").path
            let schema = "PRAGMA journal_mode=WAL; CREATE TABLE dispatch_events (event_id TEXT PRIMARY KEY, incident_id TEXT, unit TEXT, type TEXT, at TEXT, on_site_required TEXT, exercise TEXT, note TEXT, drill_id TEXT);"
            _ = try shell("sqlite3", [baselineDB, schema])
            let started = Date()
            let imported = try shell("sqlite3", [baselineDB, ".mode csv", ".import --skip 1 \(csvURL.path) dispatch_events"])
            baseline = Date().timeIntervalSince(started)
            guard imported.status == 0 else { throw CommandFailure("sqlite3 .import 失败：\(imported.stderr)") }
        }

        // Liandong: read, parse, check, store and judge, as `dispatches import` does (streamed a
        // block at a time), on a fresh database of its own, in one transaction.
        let setting: DatabaseSetting = postgresURL.map { .postgres(url: $0, searchPath: ["bench_\(token)"]) }
            ?? .sqlite(path: dir.appendingPathComponent("liandong.sqlite").path)
        let bench = try await Application.make(.testing)
        bench.logger.logLevel = .error
        func dropSchema() async {
            if postgresURL != nil { try? await (bench.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: "bench_\(token)") CASCADE").run() }
        }
        do {
            try await configure(bench, database: setting)
            // The peak resident memory of the ingest and what follows, not of generating the data.
            try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
            guard let handle = FileHandle(forReadingAtPath: jsonlURL.path) else { throw CommandFailure("无法读取 \(jsonlURL.path)") }
            let reader = JSONLinesBatches(handle: handle, dates: .unbounded)
            let parsing = NIOLockedValueBox(0.0)
            let t0 = Date()
            let summary = try await DispatchService.ingest(batches: {
                let p0 = Date()
                let batch = try reader.next()
                parsing.withLockedValue { $0 += Date().timeIntervalSince(p0) }
                return batch
            }, actor: .console(), rules: bench.liandong.ruleBook, now: year.endInstant.addingTimeInterval(86_400 * 2), on: bench.db)
            let ingest = Date().timeIntervalSince(t0)
            let parseTime = parsing.withLockedValue { $0 }
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
            let counted = try await (bench.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("dispatches").where("exercise", .equal, SQLBind(false)).first()?.decode(column: "n", as: Int.self) ?? 0
            let countTime = Date().timeIntervalSince(n0)
            // The year's assessment with every proposed deduction taken as confirmed.
            try await DeductionService.sync(on: bench.db)
            try await (bench.db as! any SQLDatabase).update("deductions").set("status", to: SQLBind(DeductionStatus.confirmed.rawValue)).run()
            let a0 = Date()
            let assessment = try await AssessmentService.report(year, rules: bench.liandong.ruleBook, on: bench.db)
            let assessTime = Date().timeIntervalSince(a0)
            let peak = Self.peakResidentMiB()
            await dropSchema()
            try await bench.asyncShutdown()

            let rate = Double(eventCount) / ingest, baseRate = Double(eventCount) / baseline
            if json {
                struct Result: Encodable {
                    var database: String; var dispatches: Int; var events: Int; var baseline: String; var baseline_s: Double
                    var baseline_events_per_s: Double; var ingest_s: Double; var ingest_events_per_s: Double; var ingest_ratio: Double
                    var parse_s: Double; var count_s: Double; var compliance_s: Double; var compliance_recount_s: Double; var assessment_s: Double; var peak_rss_mib: Double?
                }
                let result = Result(database: postgresURL == nil ? "sqlite" : "postgresql", dispatches: count, events: eventCount,
                                    baseline: baselineName, baseline_s: baseline, baseline_events_per_s: baseRate.rounded(), ingest_s: ingest,
                                    ingest_events_per_s: rate.rounded(), ingest_ratio: (rate / baseRate * 1000).rounded() / 1000, parse_s: parseTime,
                                    count_s: countTime, compliance_s: compliance, compliance_recount_s: recount, assessment_s: assessTime, peak_rss_mib: peak)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                out.write(String(decoding: try encoder.encode(result), as: UTF8.self) + "\n")
                return
            }
            out.write(CommandOutput.table(header: ["测量", "用时", "吞吐", "与基线之比"], rows: [
                ["\(baselineName)（基线）", String(format: "%.2f s", baseline), String(format: "%.0f 事件/秒", baseRate), "1.00"],
                ["liandong 导入并判定", String(format: "%.2f s", ingest), String(format: "%.0f 事件/秒", rate), String(format: "%.2f", rate / baseRate)],
                ["COUNT(*) 全年警情（基线）", String(format: "%.3f s", countTime), "\(counted) 起", "1.00"],
                ["全年到场统计（按单位，读取写入时维护的汇总）", String(format: "%.3f s", compliance), "\(report.total.dispatches) 起", String(format: "%.1f×", compliance / max(countTime, 0.000_001))],
                ["全年到场统计（按单位，从警情重新统计）", String(format: "%.3f s", recount), "\(recounted.total.dispatches) 起", String(format: "%.1f×", recount / max(countTime, 0.000_001))],
                ["全年综合考核", String(format: "%.3f s", assessTime), "\(assessment.ranked.count + assessment.unranked.count) 个对象", String(format: "%.1f×", assessTime / max(countTime, 0.000_001))],
            ]))
            out.write("数据库 \(postgresURL == nil ? "SQLite" : "PostgreSQL")；" + String(format: "其中读取并解析 JSONL %.2f s，校验、写入与判定 %.2f s\n", parseTime, ingest - parseTime))
            out.write("新增事件 \(summary.new)，判定警情 \(summary.dispatchesJudged) 起，问题 \(summary.findingsAdded) 条")
            out.write(peak.map { String(format: "；导入起峰值常驻内存 %.0f MiB\n", $0) } ?? "\n")
        } catch {
            await dropSchema()
            try? await bench.asyncShutdown()
            throw error
        }
    }

    /// The process's peak resident memory (`VmHWM`), in MiB; nil where /proc is missing.
    static func peakResidentMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
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
