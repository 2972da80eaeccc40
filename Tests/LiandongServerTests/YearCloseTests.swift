import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Issue 15 item 5: the city PLC closes a year; later decisions on it count in the next open year
/// (上年度补扣); reopening takes the PLC and an administrator.
@Suite("The year closed")
struct YearCloseTests {
    static let afterTheYear = ChinaTime.parseTimestamp("2027-01-05T09:00:00+08:00")!
    static let february = ChinaTime.parseTimestamp("2027-02-10T10:00:00+08:00")!

    /// The March 2026 deductions of the assessment tests (市水利局 confirmed 0.5, 市民政局 2.0
    /// proposed), the clock moved to January 2027.
    func seed(_ app: Application) async throws -> (pending: Int, confirmed: Int) {
        try await AssessmentServerTests().seed(app)
        app.liandong.clock.freeze()
        app.liandong.clock.advance(by: Self.afterTheYear.timeIntervalSince(app.liandong.clock.now()))
        let list = try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
        return (try #require(list.first { $0.unit == "市民政局" }).id, try #require(list.first { $0.unit == "市水利局" }).id)
    }

    func score(_ app: Application, _ year: Int, _ entity: String) async throws -> Double? {
        let report = try await AssessmentService.report(.year(year), rules: app.liandong.ruleBook, on: app.db)
        return (report.ranked + report.unranked).first { $0.entity == entity }?.score
    }

    func confirmBoth(_ app: Application, _ id: Int, at now: Date) async throws {
        for (agency, officer) in [(Agency.emb, "李"), (.psb, "王")] {
            try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: officer,
                                              actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
        }
    }

    func expectTotalsExact(_ app: Application, _ note: String) async throws {
        let sql = app.db as! any SQLDatabase
        let stored = Set(try await DeductionTotals.stored(on: sql)), recounted = Set(try await DeductionTotals.recount(on: sql))
        #expect(stored == recounted, "\(note): kept \(stored.subtracting(recounted)) recounted \(recounted.subtracting(stored))")
    }

    func writes(_ app: Application) async throws -> [Int] {
        struct N: Decodable { var n: Int }
        let closures = try await (app.db as! any SQLDatabase).raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \(ident: YearClose.closures)").first(decoding: N.self)?.n ?? -1
        let requests = try await (app.db as! any SQLDatabase).raw("SELECT CAST(COUNT(reopen_side) AS BIGINT) AS n FROM \(ident: YearClose.closures)").first(decoding: N.self)?.n ?? -1
        // Refusals are audited (`access.refused`): bookkeeping, not a change; everything else counts.
        let changes = try await AuditEntry.query(on: app.db).all().filter { !$0.action.hasPrefix("access.") }.count
        return [changes, closures, requests]
    }

    @Test func closingFreezesTheYearAndALaterConfirmationCountsInTheNext() async throws {
        try await withTestApp { app in
            let (pending, _) = try await seed(app)
            let out = try await app.run(["assess", "close", "--year", "2026", "--agency", "市委政法委", "--officer", "张三"])
            #expect(out.contains("已结算2026年度考核"))
            #expect(try await score(app, 2026, "市水利局") == 99.5)
            #expect(try await score(app, 2027, "市民政局") == 100)

            // 市民政局's March 2026 deduction confirmed in February 2027: 2027 falls by exactly its
            // points, the closed 2026 does not move.
            try await confirmBoth(app, pending, at: Self.february)
            #expect(try await score(app, 2026, "市民政局") == 100)
            #expect(try await score(app, 2027, "市民政局") == 98)
            let json = try await app.run(["assess", "--year", "2026", "--format", "json"])
            let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
            #expect(rows.first { $0["entity"] as? String == "市民政局" }?["score"] as? Double == 100)
            let q1 = try await AssessmentService.report(.quarter(2027, 1), rules: app.liandong.ruleBook, withIDs: false, on: app.db)
            #expect((q1.ranked + q1.unranked).first { $0.entity == "市民政局" }?.score == 98)
            try await expectTotalsExact(app, "after the carried confirmation")

            let carried = try await YearClose.carried(of: 2026, rules: app.liandong.ruleBook, on: app.db)
            #expect(carried.map(\.id) == [pending] && carried.first?.countedIn == 2027 && carried.first?.points == 2)
            #expect(try await YearClose.carried(of: 2027, into: true, rules: app.liandong.ruleBook, on: app.db).map(\.id) == [pending])
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "deduction.carry_over").count() == 1)

            let plc = try await app.signIn(.plc)
            try await app.send(.GET, "assessment?year=2026", as: plc) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("2026年度考核已于"))
                #expect(res.body.string.contains("结算后确认或变更：计入2027年度"))
                #expect(!res.body.string.contains("id=\"close-year\""))
            }
            try await app.send(.GET, "assessment?year=2027&entity=%E5%B8%82%E6%B0%91%E6%94%BF%E5%B1%80", as: plc) { res in
                #expect(res.body.string.contains("上年度补扣（2026年度发生）"))
            }
            try await app.send(.GET, "deductions/\(pending)", as: plc) { res in
                #expect(res.body.string.contains("上年度补扣：2026年度考核已结算，计入2027年度"))
            }

            // The snapshot's hash is in the audit chain, and the chain verifies.
            let entry = try #require(try await AuditEntry.query(on: app.db).filter(\.$action == "assessment.close").first())
            let closure = try #require(try await YearClose.active(2026, on: app.db as! any SQLDatabase))
            #expect(entry.after?.contains(closure.hash) == true && closure.hash.count == 64)
            let snapshot = try JSONDecoder().decode(YearClose.Snapshot.self, from: Data(closure.report.utf8))
            #expect(try snapshot.sha256() == closure.hash)
            let verified = try await app.run(["audit", "verify"])
            #expect(verified.contains("审计日志完整") && verified.contains("年度考核结算 1 份，数据与审计日志记录的校验值一致"))
            // A snapshot changed behind the application's back: verify says so.
            try await (app.db as! any SQLDatabase).update(YearClose.closureDeductions).set("points_tenths", to: SQLBind(1))
                .where("closure_id", .equal, SQLBind(closure.id)).run()
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["audit", "verify"]) }
            try await (app.db as! any SQLDatabase).update(YearClose.closures)
                .set("report", to: SQLBind(closure.report.replacingOccurrences(of: "99.5", with: "100")))
                .where("id", .equal, SQLBind(closure.id)).run()
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["audit", "verify"]) }
        }
    }

    @Test func theTotalsStayExactForCarriedItemsChangedAndWithdrawn() async throws {
        try await withTestApp { app in
            let (pending, confirmed) = try await seed(app)
            try await YearClose.close(2026, by: .init(name: "张三", accountID: nil), actor: .console(), rules: app.liandong.ruleBook,
                                      now: app.liandong.clock.now(), on: app.db)
            // A deduction the closed year counted (0.5), changed after the close: the change only,
            // in 2027. Reduced to 0.3 … then withdrawn: 2027 gets the 0.5 back.
            let sql = app.db as! any SQLDatabase
            let carry = try await YearClose.carry(id: confirmed, status: "confirmed", points: 5, occurredAt: ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!,
                                                  assessedMonth: nil, carriedTenths: 0, newStatus: "withdrawn", newPoints: 5, now: Self.february, on: sql)
            #expect(carry?.month == "2027-02" && carry?.carried == 5)
            try await sql.update("deductions").set("assessed_month", to: SQLBind("2027-02")).set("carried_tenths", to: SQLBind(5))
                .set("status", to: SQLBind("withdrawn")).where("id", .equal, SQLBind(confirmed)).run()
            try await expectTotalsExact(app, "withdrawn after the close")
            #expect(try await score(app, 2027, "市水利局") == 100.5)
            #expect(try await score(app, 2026, "市水利局") == 99.5)
            try await confirmBoth(app, pending, at: Self.february)
            try await expectTotalsExact(app, "confirmed after the close")
            try await sql.update("deductions").set("points_tenths", to: SQLBind(15)).where("id", .equal, SQLBind(pending)).run()
            try await expectTotalsExact(app, "changed after the carry")
            #expect(try await score(app, 2027, "市民政局") == 98.5)
        }
    }

    @Test func reopeningTakesThePLCAndAnAdministratorAndPutsCarriedItemsBack() async throws {
        try await withTestApp { app in
            let (pending, _) = try await seed(app)
            let plc = try await app.signIn(.plc), admin = try await app.signIn(.admin), otherPLC = try await app.signIn(.plc)
            try await app.send(.GET, "assessment?year=2026", as: plc) { res in #expect(res.body.string.contains("id=\"close-year\"")) }
            try await app.send(.POST, "assessment/close", as: plc, form: ["year": "2026"]) { res in #expect(res.status == .seeOther) }
            try await confirmBoth(app, pending, at: Self.february)
            #expect(try await score(app, 2026, "市民政局") == 100)

            // Asking without a reason, or twice by the same side: refused, nothing written.
            var before = try await writes(app)
            try await app.send(.POST, "assessment/reopen", as: plc, form: ["year": "2026"]) { res in
                #expect(res.status == .unprocessableEntity || res.status == .badRequest, "\(res.status)")
            }
            #expect(try await writes(app) == before)
            try await app.send(.POST, "assessment/reopen", as: plc, form: ["year": "2026", "reason": "市民政局扣分有误"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "assessment?year=2026", as: admin) { res in
                #expect(res.body.string.contains("已申请重开，理由：市民政局扣分有误；待系统管理员同意"))
            }
            before = try await writes(app)
            try await app.send(.POST, "assessment/reopen", as: otherPLC, form: ["year": "2026"]) { res in
                #expect(res.status == .conflict && res.body.string.contains("须由系统管理员同意"))
            }
            #expect(try await writes(app) == before)
            #expect(try await score(app, 2026, "市民政局") == 100)
            try await app.send(.POST, "assessment/reopen", as: admin, form: ["year": "2026"]) { res in #expect(res.status == .seeOther) }
            // Live again, the carried item back in 2026 and out of 2027.
            #expect(try await YearClose.active(2026, on: app.db as! any SQLDatabase) == nil)
            #expect(try await score(app, 2026, "市民政局") == 98)
            #expect(try await score(app, 2027, "市民政局") == 100)
            try await expectTotalsExact(app, "after the reopening")
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "assessment.reopen").count() == 1)

            // Reopening an open year: refused, nothing written.
            before = try await writes(app)
            try await app.send(.POST, "assessment/reopen", as: admin, form: ["year": "2026", "reason": "再次"]) { res in
                #expect(res.status == .conflict && res.body.string.contains("未结算"))
            }
            #expect(try await writes(app) == before)

            // The console: the same two steps, two different people.
            _ = try await app.run(["assess", "close", "--year", "2026", "--agency", "市委政法委", "--officer", "张三"])
            _ = try await app.run(["assess", "reopen", "--year", "2026", "--side", "admin", "--officer", "李四", "--reason", "复核"])
            await #expect(throws: AppError.self) { _ = try await app.run(["assess", "reopen", "--year", "2026", "--side", "plc", "--agency", "市委政法委", "--officer", "李四"]) }
            let out = try await app.run(["assess", "reopen", "--year", "2026", "--side", "plc", "--agency", "市委政法委", "--officer", "张三"])
            #expect(out.contains("已重开2026年度考核"))
        }
    }

    @Test func onlyTheCityPLCClosesAndOnlyAYearThatHasEnded() async throws {
        try await withTestApp { app in
            try await AssessmentServerTests().seed(app)
            // Before the end of 2026 (China time): refused, nothing written.
            app.liandong.clock.freeze()
            app.liandong.clock.advance(by: ChinaTime.parseTimestamp("2026-12-31T23:59:59+08:00")!.timeIntervalSince(app.liandong.clock.now()))
            var before = try await writes(app)
            await #expect(throws: AppError.self) { _ = try await app.run(["assess", "close", "--year", "2026", "--agency", "市委政法委", "--officer", "张三"]) }
            #expect(try await writes(app) == before)
            app.liandong.clock.advance(by: 1)
            for (role, jurisdiction) in [(Role.plc, "longquan"), (.emb, nil), (.psb, nil), (.admin, nil), (.plc, "liandu")] as [(Role, String?)] {
                let user = try await app.signIn(role, jurisdiction: jurisdiction)
                before = try await writes(app)
                try await app.send(.POST, "assessment/close", as: user, form: ["year": "2026"]) { res in
                    #expect(res.status == .forbidden, "\(role) \(jurisdiction ?? "city")")
                    #expect(res.body.string.contains("市委政法委"))
                }
                #expect(try await writes(app) == before)
            }
            let liaison = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.POST, "assessment/close", as: liaison, form: ["year": "2026"]) { res in #expect(res.status == .forbidden) }
            await #expect(throws: AppError.self) { _ = try await app.run(["assess", "close", "--year", "2026", "--agency", "龙泉市委政法委", "--officer", "张三"]) }
            await #expect(throws: AppError.self) { _ = try await app.run(["assess", "close", "--year", "2026", "--agency", "市应急管理局", "--officer", "张三"]) }
            #expect(try await writes(app) == before)
            // A session left open past the re-authentication window asks for the password first.
            let stale = try await app.signIn(.plc)
            app.liandong.clock.advance(by: Double(app.liandong.security.reauthenticationMinutes * 60 + 60))
            before = try await writes(app)
            try await app.send(.POST, "assessment/close", as: stale, form: ["year": "2026"]) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location)?.hasPrefix("/account/reauth?next=") == true, "\(res.headers)")
            }
            #expect(try await writes(app) == before)
            let plc = try await app.signIn(.plc)
            try await app.send(.POST, "assessment/close", as: plc, form: ["year": "2026"]) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == "/assessment?year=2026")
            }
            // Twice: refused, nothing written.
            before = try await writes(app)
            try await app.send(.POST, "assessment/close", as: plc, form: ["year": "2026"]) { res in
                #expect(res.status == .conflict && res.body.string.contains("已结算"))
            }
            #expect(try await writes(app) == before)
        }
    }

    @Test func theClosedYearExportsToAWorkbookAndAReportInTheNoticeLayout() async throws {
        try await withTestApp { app in
            let (pending, _) = try await seed(app)
            _ = try await app.run(["assess", "close", "--year", "2026", "--agency", "市委政法委", "--officer", "张三"])
            try await confirmBoth(app, pending, at: Self.february)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let xlsx = dir.appendingPathComponent("closed.xlsx").path, docx = dir.appendingPathComponent("closed.docx").path
            _ = try await app.run(["assess", "--year", "2026", "--format", "xlsx", "--output", xlsx])
            _ = try await app.run(["assess", "--year", "2026", "--format", "docx", "--output", docx])
            let script = """
            import json, sys, zipfile, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            rows = [r for r in wb["市直单位排名"].iter_rows(values_only=True)]
            later = [r for r in wb["结算后补扣"].iter_rows(values_only=True)]
            info = [r for r in wb["结算信息"].iter_rows(values_only=True)]
            doc = zipfile.ZipFile(sys.argv[2]).read("word/document.xml").decode("utf-8")
            print(json.dumps({"sheets": wb.sheetnames, "title": rows[0][0], "civil": [r for r in rows if r[1] == "市民政局"][0][5],
                              "later": [list(r) for r in later[2:]], "hash": info[-1][1],
                              "doc": ["考核结果的通报" in doc, "结算后确认或变更的扣分" in doc, "市民政局" in doc, "中共丽水市委政法委员会" in doc]},
                             ensure_ascii=False, default=str))
            """
            let result = try runProcess("python3", ["-c", script, xlsx, docx])
            #expect(result.status == 0, "\(result.stderr)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            #expect(parsed["sheets"] as? [String] == ["县（市、区）排名", "市直单位排名", "不参与排名单位", "扣分明细", "结算后补扣", "结算信息"])
            #expect((parsed["title"] as? String)?.contains("（已结算）") == true)
            #expect(parsed["civil"] as? Double == 100)
            let later = parsed["later"] as? [[Any]]
            #expect(later?.count == 1 && later?.first?[1] as? String == "市民政局" && later?.first?[6] as? Int == 2027)
            #expect(parsed["hash"] as? String == (try await YearClose.active(2026, on: app.db as! any SQLDatabase))?.hash)
            #expect(parsed["doc"] as? [Bool] == [true, true, true, true])
        }
    }
}
