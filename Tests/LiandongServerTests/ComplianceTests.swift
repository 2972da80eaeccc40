import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Compliance analytics")
struct ComplianceTests {
    /// Four live dispatches and one drill in 2026-Q1:
    /// - 市水利局 (level 1) in January: on time at 20:00, acknowledged after 30 s, both reports.
    /// - 市水利局 in February: 25:00, late; arrival and result reported.
    /// - 市教育局 (level 2) in March: 30:00, on time; no result report.
    /// - 市公安局 (police) in March: refused.
    /// - a drill of 市教育局, which must not count.
    func seed(_ app: Application) async throws {
        func at(_ s: String) -> Date { ChinaTime.parseTimestamp(s)! }
        var events: [DispatchEventInput] = []
        func add(_ incident: String, _ unit: String, _ start: String, _ steps: [(DispatchEventType, Double)], exercise: Bool = false) {
            let t0 = at(start)
            events.append(DispatchEventInput(eventID: "\(incident)-\(unit)-0", incidentID: incident, unit: unit, type: .instructed, at: t0, exercise: exercise))
            for (i, step) in steps.enumerated() {
                events.append(DispatchEventInput(eventID: "\(incident)-\(unit)-\(i + 1)", incidentID: incident, unit: unit, type: step.0,
                                                 at: t0.addingTimeInterval(step.1), exercise: exercise))
            }
        }
        add("110-1", "市水利局", "2026-01-10T09:00:00+08:00", [(.acknowledged, 30), (.arrived, 1200), (.arrivalReported, 1260), (.resultReported, 4000)])
        add("110-2", "市水利局", "2026-02-10T09:00:00+08:00", [(.acknowledged, 90), (.arrived, 1500), (.arrivalReported, 1560), (.resultReported, 5000)])
        add("110-3", "市教育局", "2026-03-10T09:00:00+08:00", [(.arrived, 1800), (.arrivalReported, 1830), (.closed, 7200)])
        add("110-4", "市公安局", "2026-03-20T09:00:00+08:00", [(.refused, 60), (.closed, 600)])
        add("DR-1", "市教育局", "2026-03-25T09:00:00+08:00", [(.arrived, 9000)], exercise: true)
        _ = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: at("2026-04-05T00:00:00+08:00"), on: app.db)
    }

    @Test func byLevelForAQuarter() async throws {
        try await withTestApp { app in
            try await seed(app)
            let report = try await ComplianceService.report(period: Period.parse("2026-Q1")!, by: .level, on: app.db)
            #expect(report.total.dispatches == 4)
            #expect(report.total.arrivalsJudged == 3)
            #expect(report.total.onTime == 2)
            #expect(report.total.refusals == 1)
            #expect(report.rows.map(\.label) == ["一级", "二级"])
            let one = report.rows[0]
            #expect(one.dispatches == 3 && one.arrivalsJudged == 2 && one.onTime == 1 && one.onTimeRate == 0.5)
            #expect(one.p50ArrivalSeconds == 1200 && one.p90ArrivalSeconds == 1500)
            #expect(one.p50AcknowledgeSeconds == 30)
            let two = report.rows[1]
            #expect(two.onTimeRate == 1.0 && two.completeReports == 0)
            #expect(report.total.completeReports == 2)
            #expect(report.months.map(\.dispatches) == [1, 1, 2])
            #expect(report.months.map(\.onTimeRate) == [1.0, 0.0, 1.0])
            // The drill's arrival (150 minutes) is not among the live arrivals.
            #expect(report.arrivalMinutes == [.init(minute: 20, count: 1), .init(minute: 25, count: 1), .init(minute: 30, count: 1)])
        }
    }

    @Test func byUnitLeastPunctualFirst() async throws {
        try await withTestApp { app in
            try await seed(app)
            let report = try await ComplianceService.report(period: Period.parse("2026-Q1")!, by: .unit, on: app.db)
            #expect(report.rows.first?.label == "市水利局")
            let march = try await ComplianceService.report(period: Period.parse("2026-03")!, by: .all, on: app.db)
            #expect(march.total.dispatches == 2)
        }
    }

    @Test func apiCommandAndPage() async throws {
        try await withTestApp { app in
            try await seed(app)
            let officer = try await app.signIn(.emb)
            try await app.send(.GET, "api/v1/compliance?period=2026-Q1&by=jurisdiction", as: officer) { res in
                #expect(res.status == .ok)
                let report = try res.content.decode(ComplianceService.Report.self)
                #expect(report.rows.map(\.label) == ["市本级"])
            }
            try await app.send(.GET, "api/v1/compliance?period=2026-Q5", as: officer) { res in #expect(res.status == .badRequest) }
            try await app.send(.GET, "api/v1/compliance?by=weekday", as: officer) { res in #expect(res.status == .badRequest) }
            let liaison = try await app.signIn(.liaison, unitID: 4) // 市水利局
            try await app.send(.GET, "api/v1/compliance?period=2026-Q1&by=all", as: liaison) { res in
                let report = try res.content.decode(ComplianceService.Report.self)
                #expect(report.total.dispatches == 2)
            }
            try await app.send(.GET, "compliance?period=2026-Q1&by=level", as: officer) { res in
                let html = res.body.string
                #expect(html.contains("<svg"))
                #expect(html.contains("到场用时分布（2026年第一季度）"))
                #expect(html.contains("一级20分钟"))
                #expect(html.contains("50.0%"))
            }
            let json = try await app.run(["compliance", "--period", "2026-Q1", "--by", "unit", "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            #expect((object["rows"] as? [Any])?.count == 3)
            let csv = try await app.run(["compliance", "--period", "2026-Q1", "--format", "csv"])
            #expect(csv.contains("合计,4,3,2,66.7%"))
        }
    }

    /// The database's aggregation agrees with a plain count and nearest-rank percentiles over
    /// the stored dispatches, on a generated quarter of realistic timelines.
    @Test func aggregatesAgreeWithTheRows() async throws {
        try await withTestApp { app in
            let units = try await LinkageUnit.query(on: app.db).all().map {
                GeneratorUnit(id: $0.id!, name: $0.name, level: $0.unitLevel, publicSecurity: $0.publicSecurity)
            }
            var generator = DispatchGenerator(units: units, rules: .initial, seed: 7)
            let quarter = Period.parse("2026-Q2")!
            let events = generator.events(in: quarter, dispatches: 600)
            _ = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook,
                                                 now: ChinaTime.parseTimestamp("2026-08-01T00:00:00+08:00")!, on: app.db)
            struct Stored: Decodable { var unit_id: Int; var elapsed_seconds: Int?; var on_time: Bool?; var ack_seconds: Int?; var refused: Bool; var instructed_at: Date }
            let stored = try await (app.db as! any SQLDatabase).select().columns("unit_id", "elapsed_seconds", "on_time", "ack_seconds", "refused", "instructed_at")
                .from("dispatches").where("exercise", .equal, SQLBind(false)).all(decoding: Stored.self)
            func nearestRank(_ values: [Int], _ p: Double) -> Int? {
                let sorted = values.sorted()
                guard !sorted.isEmpty else { return nil }
                return sorted[Int((p * Double(sorted.count)).rounded(.up)) - 1]
            }
            let report = try await ComplianceService.report(period: quarter, by: .unit, on: app.db)
            #expect(report.total.dispatches == stored.count)
            #expect(report.rows.map(\.dispatches).reduce(0, +) == stored.count)
            let judgedAll = stored.filter { $0.on_time != nil }
            #expect(report.total.onTime == judgedAll.filter { $0.on_time == true }.count)
            #expect(report.total.p50ArrivalSeconds == nearestRank(judgedAll.compactMap(\.elapsed_seconds), 0.5))
            #expect(report.total.p90ArrivalSeconds == nearestRank(judgedAll.compactMap(\.elapsed_seconds), 0.9))
            #expect(report.total.p50AcknowledgeSeconds == nearestRank(stored.compactMap(\.ack_seconds), 0.5))
            #expect(report.total.refusals == stored.filter(\.refused).count)
            #expect(report.arrivalMinutes.map(\.count).reduce(0, +) == judgedAll.count)
            #expect(report.months.map(\.dispatches).reduce(0, +) == stored.count)
            for row in report.rows {
                let mine = stored.filter { String($0.unit_id) == row.key }
                let judged = mine.filter { $0.on_time != nil }
                #expect(row.dispatches == mine.count)
                #expect(row.arrivalsJudged == judged.count)
                #expect(row.p50ArrivalSeconds == nearestRank(judged.compactMap(\.elapsed_seconds), 0.5), "\(row.label)")
                #expect(row.p90ArrivalSeconds == nearestRank(judged.compactMap(\.elapsed_seconds), 0.9), "\(row.label)")
                #expect(row.p50AcknowledgeSeconds == nearestRank(mine.compactMap(\.ack_seconds), 0.5), "\(row.label)")
            }
        }
    }
}
