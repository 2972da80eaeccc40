import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The read models kept on write equal a recomputation from the facts (issue 14 item 4).
@Suite("Read models kept on write")
struct ReadModelTests {
    static let year = 2025
    /// After the year, so every dispatch is past its grace period.
    static let now = Period.year(year).endInstant.addingTimeInterval(86_400 * 2)

    static func units(_ app: Application) async throws -> [GeneratorUnit] {
        try await LinkageUnit.query(on: app.db).sort(\.$id).all().map {
            GeneratorUnit(id: $0.id!, name: $0.name, level: UnitLevel(rawValue: $0.level) ?? .three, publicSecurity: $0.publicSecurity)
        }
    }

    /// Every kept row equals the row counted again from the dispatches, and every report a page
    /// can ask for (each stored period, grouping and scope) is the same from either.
    static func expectKeptEqualsRecounted(_ app: Application, _ note: String, reports: Bool = false,
                                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let sql = app.db as! any SQLDatabase
        let kept = try await DispatchRollups.all(on: sql)
        try await app.db.writeTransaction { tx in try await DispatchRollups.rebuild(on: tx as! any SQLDatabase) }
        let recounted = try await DispatchRollups.all(on: sql)
        #expect(!kept.isEmpty, "\(note): no rows kept", sourceLocation: sourceLocation)
        #expect(kept.count == recounted.count, "\(note): \(kept.count) rows kept, \(recounted.count) recounted", sourceLocation: sourceLocation)
        for (key, tally) in recounted where kept[key] != tally {
            Issue.record("\(note): \(key) kept \(String(describing: kept[key])) recounted \(tally)", sourceLocation: sourceLocation)
        }
        for key in kept.keys where recounted[key] == nil {
            Issue.record("\(note): \(key) kept but absent from the dispatches", sourceLocation: sourceLocation)
        }
        guard reports else { return }

        struct Unit: Decodable { var unit_id: Int; var jurisdiction_id: String }
        let someUnit = try await sql.select().columns("unit_id", "jurisdiction_id").from("dispatches").limit(1).first(decoding: Unit.self)
        let periods = (1...12).map { Period.month(year, $0) } + (1...4).map { Period.quarter(year, $0) } + [Period.halfYear(year, 1), .halfYear(year, 2), .year(year)]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for period in periods {
            for grouping in ComplianceService.Grouping.allCases {
                for (unit, jurisdiction) in [(nil, nil), (nil, someUnit?.jurisdiction_id), (someUnit?.unit_id, nil)] as [(Int?, String?)] {
                    for summary in [false, true] {
                        let model = try #require(try await ComplianceService.readModel(period: period, by: grouping, unitID: unit, jurisdictionID: jurisdiction,
                                                                                      summary: summary, on: sql))
                        let facts = try await ComplianceService.fromFacts(period: period, by: grouping, unitID: unit, jurisdictionID: jurisdiction,
                                                                          summary: summary, on: sql)
                        let a = try encoder.encode(try await ComplianceService.build(model, period: period, by: grouping, summary: summary, on: sql))
                        let b = try encoder.encode(try await ComplianceService.build(facts, period: period, by: grouping, summary: summary, on: sql))
                        if a != b {
                            Issue.record("\(note): \(period) by \(grouping) unit \(String(describing: unit)) jurisdiction \(String(describing: jurisdiction)) summary \(summary):\n\(String(decoding: a, as: UTF8.self))\n\(String(decoding: b, as: UTF8.self))",
                                         sourceLocation: sourceLocation)
                        }
                    }
                }
            }
        }
    }

    @Test func theComplianceRowsEqualARecountAfterEveryKindOfWrite() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let units = try await Self.units(app)
            var generator = DispatchGenerator(units: units, rules: .initial, seed: 20_251_202)
            let events = generator.events(in: .year(Self.year), dispatches: 600)
            // Random batches, part of each timeline first: later batches find known events,
            // re-judge dispatches and change what they count (a late report, a late arrival).
            var rng = SplitMix64(seed: 99)
            let shuffledFirst = events.filter { _ in rng.next() % 3 != 0 }
            var start = 0
            while start < shuffledFirst.count {
                let size = Int(rng.next() % 600) + 1
                let batch = Array(shuffledFirst[start..<min(start + size, shuffledFirst.count)])
                _ = try await DispatchService.ingest(batch, actor: .console(), rules: book, now: Self.now, on: app.db)
                start += size
            }
            try await Self.expectKeptEqualsRecounted(app, "after part of each timeline")
            _ = try await DispatchService.ingest(events, actor: .console(), rules: book, now: Self.now.addingTimeInterval(60), on: app.db)
            try await Self.expectKeptEqualsRecounted(app, "after the whole year, resent")

            // An earlier instruction for a dispatch of March moves it into February; a drill
            // event makes another an exercise, which no longer counts.
            let sql = app.db as! any SQLDatabase
            struct Pair: Decodable { var incident_id: String; var unit_id: Int; var instructed_at: Date }
            let march = try await sql.select().columns("incident_id", "unit_id", "instructed_at").from("dispatches")
                .where("exercise", .equal, SQLBind(false))
                .where("instructed_at", .greaterThanOrEqual, SQLBind(Period.month(Self.year, 3).startInstant))
                .where("instructed_at", .lessThan, SQLBind(Period.month(Self.year, 3).endInstant))
                .orderBy("instructed_at").limit(2).all(decoding: Pair.self)
            try #require(march.count == 2)
            let name = Dictionary(uniqueKeysWithValues: units.map { ($0.id, $0.name) })
            let moved = DispatchEventInput(eventID: "moved-\(march[0].incident_id)", incidentID: march[0].incident_id, unit: name[march[0].unit_id]!,
                                           type: .instructed, at: Period.month(Self.year, 2).endInstant.addingTimeInterval(-600))
            let drill = DispatchEventInput(eventID: "drill-\(march[1].incident_id)", incidentID: march[1].incident_id, unit: name[march[1].unit_id]!,
                                           type: .acknowledged, at: march[1].instructed_at.addingTimeInterval(5), exercise: true)
            _ = try await DispatchService.ingest([moved, drill], actor: .console(), rules: book, now: Self.now.addingTimeInterval(120), on: app.db)
            let february = try await ComplianceService.report(period: .month(Self.year, 2), by: .all, on: app.db)
            let recountedFebruary = try await ComplianceService.fromFacts(period: .month(Self.year, 2), by: .all, unitID: nil, jurisdictionID: nil, summary: false, on: sql)
            #expect(february.total.dispatches == recountedFebruary.total.dispatches)
            try await Self.expectKeptEqualsRecounted(app, "after a dispatch changed month and another became an exercise")

            // A unit moved to another level and jurisdiction: judging its dispatch again moves
            // the dispatch's figures to the new groups.
            let unit = try #require(try await LinkageUnit.find(march[0].unit_id, on: app.db))
            unit.level = unit.level == 1 ? 2 : 1
            unit.jurisdictionID = "longquan"
            try await unit.save(on: app.db)
            try await app.db.writeTransaction { tx in
                _ = try await DispatchService.judgeAgain(incident: march[0].incident_id, unitID: march[0].unit_id, rules: book,
                                                         now: Self.now.addingTimeInterval(180), on: tx)
            }
            try await Self.expectKeptEqualsRecounted(app, "after a unit changed level and jurisdiction")
            let longquan = try await ComplianceService.report(period: .year(Self.year), by: .jurisdiction, on: app.db)
            #expect(longquan.rows.contains { $0.key == "longquan" && $0.dispatches == 1 })

            // Judging what is pending, later, changes nothing the recount would not.
            _ = try await DispatchService.judgePending(rules: book, now: Self.now.addingTimeInterval(86_400 * 30), on: app.db)
            try await Self.expectKeptEqualsRecounted(app, "after the pending dispatches were judged", reports: true)
        }
    }

    @Test func aPageReadsTheKeptRowsNotTheDispatches() async throws {
        try await withTestApp { app in
            let units = try await Self.units(app)
            var generator = DispatchGenerator(units: units, rules: .initial, seed: 5)
            _ = try await DispatchService.ingest(generator.events(in: .year(Self.year), dispatches: 200), actor: .console(),
                                                 rules: app.liandong.ruleBook, now: Self.now, on: app.db)
            let sql = app.db as! any SQLDatabase
            let before = try await ComplianceService.report(period: .year(Self.year), by: .unit, on: app.db)
            // Take the dispatches away behind the read model's back: the year's page still shows
            // what was kept, while a span of days the model does not keep is counted afresh.
            try await sql.delete(from: "dispatches").run()
            let after = try await ComplianceService.report(period: .year(Self.year), by: .unit, on: app.db)
            #expect(before.total.dispatches == 200 && after.total.dispatches == 200)
            let span = Period(start: LocalDate(year: Self.year, month: 1, day: 1)!, end: LocalDate(year: Self.year, month: 12, day: 31)!)
            #expect(try await ComplianceService.report(period: span, by: .unit, on: app.db).total.dispatches == 0)
        }
    }

    @Test func theConfirmedPointsKeptByTheDatabaseEqualARecountAndTheAssessmentReadsThem() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            var generator = DispatchGenerator(units: try await Self.units(app), rules: .initial, seed: 31)
            _ = try await DispatchService.ingest(generator.events(in: .year(Self.year), dispatches: 400), actor: .console(),
                                                 rules: book, now: Self.now, on: app.db)
            let sql = app.db as! any SQLDatabase
            // Deductions the EMB and the police decide (not those against one of the two).
            let ids = try await DeductionService.list(DeductionFilter(), rules: book, calendar: app.liandong.calendar, on: app.db)
                .filter { Set($0.deciders) == ["市应急管理局", "市公安局"] }.map(\.id).sorted()
            try #require(ids.count > 30)
            // Confirmed by both agencies, the way officers do it.
            let confirmed = ids.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
            for (agency, officer) in [(Agency.emb, "李应急"), (.psb, "王公安")] {
                try await DeductionService.decide(confirmed, decision: .confirm(points: nil, reason: nil), agency: agency, officer: officer,
                                                  actor: .console(), rules: book, now: Self.now, on: app.db)
            }
            func expectTotalsEqualRecount(_ note: String) async throws {
                let stored = Set(try await DeductionTotals.stored(on: sql)), recounted = Set(try await DeductionTotals.recount(on: sql))
                #expect(stored == recounted, "\(note): kept \(stored.subtracting(recounted)) recounted \(recounted.subtracting(stored))")
            }
            try await expectTotalsEqualRecount("after confirmations")
            #expect(try await DeductionTotals.stored(on: sql).reduce(0) { $0 + $1.n } == confirmed.count)

            // Whatever changes a row (status, figure, date across a month, subject), and a row
            // taken away: the triggers follow, whichever code makes the change.
            var rng = SplitMix64(seed: 4)
            let statuses: [DeductionStatus] = [.confirmed, .confirmed, .proposed, .rejected, .appealed, .withdrawn]
            for id in ids.shuffled(using: &rng).prefix(60) {
                let status = statuses[Int(rng.next() % UInt64(statuses.count))]
                var update = sql.update("deductions").set("status", to: SQLBind(status.rawValue))
                    .set("points_tenths", to: SQLBind(Int(rng.next() % 20) + 1))
                if rng.next() % 2 == 0 {
                    update = update.set("occurred_at", to: SQLBind(Period.month(Self.year, Int(rng.next() % 12) + 1).startInstant.addingTimeInterval(-1)))
                }
                if rng.next() % 4 == 0 { update = update.set("unit_id", to: SQLBind(Int(rng.next() % 5) + 1)) }
                try await update.where("id", .equal, SQLBind(id)).run()
            }
            try await expectTotalsEqualRecount("after random changes")
            // Issue 15 item 5: rows carried over from a closed year count in their assessed month,
            // less what the closed year counted (a withdrawn one gives it back), whatever their status.
            for id in ids.shuffled(using: &rng).prefix(40) {
                let carried = rng.next() % 3 == 0 ? 0 : Int(rng.next() % 20) + 1
                var update = sql.update("deductions").set("assessed_month", to: SQLBind(String(format: "%04d-%02d", Self.year + 1, Int(rng.next() % 12) + 1)))
                    .set("carried_tenths", to: SQLBind(carried))
                if rng.next() % 2 == 0 { update = update.set("status", to: SQLBind(statuses[Int(rng.next() % UInt64(statuses.count))].rawValue)) }
                try await update.where("id", .equal, SQLBind(id)).run()
            }
            try await expectTotalsEqualRecount("after carried-over rows")
            for id in ids.shuffled(using: &rng).prefix(10) {
                try await sql.update("deductions").set("assessed_month", to: SQLLiteral.null).set("carried_tenths", to: SQLBind(0))
                    .where("id", .equal, SQLBind(id)).run()
            }
            try await expectTotalsEqualRecount("after carried rows moved back")
            let gone = confirmed[1]
            try await sql.update("deductions").set("status", to: SQLBind(DeductionStatus.confirmed.rawValue)).where("id", .equal, SQLBind(gone)).run()
            try await sql.delete(from: "deduction_events").where("deduction_id", .equal, SQLBind(gone)).run()
            try await sql.delete(from: "deductions").where("id", .equal, SQLBind(gone)).run()
            try await expectTotalsEqualRecount("after a deletion")

            // The assessment from the totals equals the one from each deduction, ids aside.
            for period in [Period.year(Self.year), .quarter(Self.year, 1), .quarter(Self.year, 4), .year(Self.year + 1), .quarter(Self.year + 1, 2)] {
                let kept = try await AssessmentService.report(period, rules: book, withIDs: false, on: app.db)
                let each = try await AssessmentService.report(period, rules: book, withIDs: true, on: app.db)
                func strip(_ rows: [AssessmentService.Row]) -> [String] {
                    rows.map { "\($0.entity)|\($0.kind)|\($0.deductions)|\($0.score)|\($0.rank ?? -1)|\($0.deductionCount)|\($0.previousScore ?? -1)" }
                }
                #expect(strip(kept.ranked) == strip(each.ranked), "\(period)")
                #expect(strip(kept.unranked) == strip(each.unranked), "\(period)")
                let idsLeftOut = kept.ranked.allSatisfy { $0.deductionIds.isEmpty }
                #expect(idsLeftOut)
            }
            let year = try await AssessmentService.report(.year(Self.year), rules: book, withIDs: false, on: app.db)
            #expect(year.ranked.contains { $0.deductionCount > 0 })
        }
    }

    @Test func storedPeriodsAreCalendarMonthsQuartersHalvesAndYears() {
        #expect(DispatchRollups.key(of: .month(2026, 3)) == "2026-03")
        #expect(DispatchRollups.key(of: .quarter(2026, 4)) == "2026-Q4")
        #expect(DispatchRollups.key(of: .halfYear(2026, 2)) == "2026-H2")
        #expect(DispatchRollups.key(of: .year(2026)) == "2026")
        // Two months, or a quarter that does not begin a quarter, or a month short a day: counted from the facts.
        #expect(DispatchRollups.key(of: Period(start: LocalDate(year: 2026, month: 1, day: 1)!, end: LocalDate(year: 2026, month: 3, day: 1)!)) == nil)
        #expect(DispatchRollups.key(of: Period(start: LocalDate(year: 2026, month: 2, day: 1)!, end: LocalDate(year: 2026, month: 5, day: 1)!)) == nil)
        #expect(DispatchRollups.key(of: Period(start: LocalDate(year: 2026, month: 3, day: 1)!, end: LocalDate(year: 2026, month: 3, day: 31)!)) == nil)
    }
}
