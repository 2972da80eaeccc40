import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Deductions: from finding to joint confirmation")
struct DeductionServerTests {
    /// Two findings: 市水利局 late by 1 second (D9 0.5), 市民政局 refused (D10 2.0).
    func seed(_ app: Application) async throws {
        let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
        let events = [
            DispatchEventInput(eventID: "A1", incidentID: "110-A", unit: "市水利局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "A2", incidentID: "110-A", unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(1201)),
            DispatchEventInput(eventID: "A3", incidentID: "110-A", unit: "市水利局", type: .resultReported, at: t0.addingTimeInterval(3600)),
            DispatchEventInput(eventID: "B1", incidentID: "110-B", unit: "市民政局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "B2", incidentID: "110-B", unit: "市民政局", type: .refused, at: t0.addingTimeInterval(60)),
        ]
        _ = try await DispatchService.ingest(events, actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(7200), on: app.db)
    }

    func deduction(_ app: Application, unit: String) async throws -> DeductionDTO {
        try #require(try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first { $0.unit == unit })
    }

    @Test func everyFindingIsProposedOnceAndConfirmedJointlyFromTheCommandLine() async throws {
        try await withTestApp { app in
            try await seed(app)
            let listed = try await app.run(["deductions", "list", "--format", "json"])
            let list = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as! [[String: Any]]
            #expect(list.count == 2)
            #expect(Set(list.map { $0["status"] as? String }) == ["proposed"])
            // Syncing again proposes nothing new.
            #expect(try await DeductionService.sync(on: app.db).proposed == 0)

            let late = try await deduction(app, unit: "市水利局")
            #expect(late.points == 0.5 && late.awaiting == ["市应急管理局", "市公安局"])
            _ = try await app.run(["deductions", "confirm", String(late.id), "--agency", "市应急管理局", "--officer", "李科长"])
            // One person cannot confirm for both agencies.
            await #expect(throws: AppError.self) {
                _ = try await app.run(["deductions", "confirm", String(late.id), "--agency", "市公安局", "--officer", "李科长"])
            }
            let out = try await app.run(["deductions", "confirm", String(late.id), "--agency", "市公安局", "--officer", "王警官"])
            #expect(out.contains("已确认"))
            #expect(try await deduction(app, unit: "市水利局").status == "confirmed")

            // Out of range, no reason: refused, nothing changes.
            let refused = try await deduction(app, unit: "市民政局")
            await #expect(throws: AppError.self) {
                _ = try await app.run(["deductions", "confirm", String(refused.id), "--agency", "市公安局", "--officer", "王警官", "--points", "2.5", "--reason", "x"])
            }
            await #expect(throws: AppError.self) {
                _ = try await app.run(["deductions", "confirm", String(refused.id), "--agency", "市公安局", "--officer", "王警官", "--points", "1.5"])
            }
            let first = try await app.run(["deductions", "reject", String(refused.id), "--agency", "市应急管理局", "--officer", "李科长", "--reason", "经核实当时已由其他单位处置"])
            // Issue 15: a rejection needs both agencies.
            #expect(first.contains("待市公安局同意后生效"))
            #expect(try await deduction(app, unit: "市民政局").status == "proposed")
            _ = try await app.run(["deductions", "reject", String(refused.id), "--agency", "市公安局", "--officer", "王警官", "--reason", "同意驳回"])
            #expect(try await deduction(app, unit: "市民政局").status == "rejected")
            let steps = try await DeductionService.events(late.id, on: app.db)
            #expect(steps.map(\.officer) == ["李科长", "王警官"])
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "deduction.confirm").count() == 2)
            #expect(try await AuditLog.verify(on: app.db).firstBroken == nil)
        }
    }

    @Test func theAwaitingColumnFollowsEveryDecision() async throws {
        try await withTestApp { app in
            try await seed(app)
            try await DeductionService.sync(on: app.db)
            let book = app.liandong.ruleBook
            func counted(_ agency: Agency) async throws -> Int {
                try await DeductionService.summary(DeductionFilter(awaiting: agency), on: app.db).count
            }
            func decoded(_ agency: Agency) async throws -> Int {
                try await DeductionService.list(DeductionFilter(status: .proposed), rules: book, calendar: app.liandong.calendar, on: app.db).filter { $0.awaiting.contains(agency.name) }.count
            }
            #expect(try await counted(.emb) == 2); #expect(try await counted(.psb) == 2)
            let late = try await deduction(app, unit: "市水利局"), refused = try await deduction(app, unit: "市民政局")
            try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李科长", actor: .console(), rules: book, on: app.db)
            #expect(try await counted(.emb) == 1); #expect(try await counted(.psb) == 2)
            // A changed figure asks the other agency again.
            try await DeductionService.decide([late.id], decision: .confirm(points: Points(1.0), reason: "多次迟到"), agency: .psb, officer: "王警官", actor: .console(), rules: book, on: app.db)
            #expect(try await counted(.emb) == 2); #expect(try await counted(.psb) == 1)
            try await DeductionService.decide([refused.id], decision: .reject(reason: "已由其他单位处置"), agency: .psb, officer: "王警官", actor: .console(), rules: book, on: app.db)
            // Issue 15: the rejection awaits the EMB's agreement.
            #expect(try await counted(.emb) == 2); #expect(try await counted(.psb) == 0)
            try await DeductionService.decide([refused.id], decision: .reject(reason: "同意驳回"), agency: .emb, officer: "李科长", actor: .console(), rules: book, on: app.db)
            for agency in Agency.confirming {
                let (a, b) = (try await counted(agency), try await decoded(agency))
                #expect(a == b)
            }
            #expect(try await counted(.emb) == 1); #expect(try await counted(.psb) == 0)

            let police = try await app.signIn(.psb)
            try await app.send(.GET, "deductions?awaiting=emb", as: police) { res in
                #expect(res.body.string.contains("仅列出待市应急管理局确认的扣分"))
                #expect(res.body.string.contains("共 1 条"))
            }
            try await app.send(.GET, "deductions?awaiting=xyz", as: police) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("不是决定扣分的机关"))
            }
        }
    }

    @Test func eachAgencyConfirmsForItselfOnTheWeb() async throws {
        try await withTestApp { app in
            try await seed(app)
            try await DeductionService.sync(on: app.db)
            let late = try await deduction(app, unit: "市水利局")
            let emb = try await app.signIn(.emb), psb = try await app.signIn(.psb), plc = try await app.signIn(.plc)
            try await app.send(.GET, "deductions", as: emb) { res in
                #expect(res.body.string.contains("市应急管理局"))
                #expect(res.body.string.contains("待确认"))
            }
            // A different figure goes back to the other agency; the officer comes back to the list
            // as it was filtered, told what happened.
            var landing = ""
            try await app.send(.POST, "deductions/\(late.id)/decision", as: emb,
                               form: ["action": "confirm", "points": "1.0", "reason": "到场后未及时反馈", "back": "/deductions?awaiting=emb&sort=occurred"]) { res in
                #expect(res.status == .seeOther)
                landing = res.headers.first(name: .location) ?? ""
            }
            #expect(landing == "/deductions?awaiting=emb&sort=occurred&done=confirm&id=\(late.id)")
            try await app.send(.GET, String(landing.dropFirst()), as: emb) { res in
                #expect(res.body.string.contains("扣分 \(late.id) 已确认，待市公安局确认（1.0分）"))
            }
            var now = try await deduction(app, unit: "市水利局")
            #expect(now.points == 1.0 && now.awaiting == ["市公安局"] && now.status == "proposed")
            // The police, asked to agree, see the old figure and the EMB's reason.
            try await app.send(.GET, "deductions?awaiting=psb", as: psb) { res in
                #expect(res.body.string.contains("市应急管理局改为1.0分（原\(Points(late.points))分）：到场后未及时反馈"))
            }
            try await app.send(.POST, "deductions/\(late.id)/decision", as: plc, form: ["action": "confirm"]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "deductions/\(late.id)/decision", as: psb, form: ["action": "confirm", "back": "//evil.example"]) { res in
                #expect(res.status == .seeOther)
                // Only this list is a place to come back to.
                #expect(res.headers.first(name: .location) == "/deductions?done=confirm&id=\(late.id)")
            }
            try await app.send(.GET, "deductions?done=confirm&id=\(late.id)", as: psb) { res in
                #expect(res.body.string.contains("扣分 \(late.id) 两部门均已确认，按1.0分生效"))
            }
            now = try await deduction(app, unit: "市水利局")
            #expect(now.status == "confirmed" && now.points == 1.0)
            try await app.send(.POST, "deductions/\(late.id)/decision", as: psb, form: ["action": "reject", "reason": "x"]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            // A liaison sees its own unit's deductions only.
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "deductions", as: liaison) { res in
                #expect(res.body.string.contains("共 1 条"))
            }
        }
    }

    @Test func aWithdrawnFindingWithdrawsItsProposal() async throws {
        try await withTestApp { app in
            let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
            let book = app.liandong.ruleBook
            let grace = Double(book.latest.reportGraceHours * 3600)
            _ = try await DispatchService.ingest([DispatchEventInput(eventID: "W1", incidentID: "110-W", unit: "4", type: .instructed, at: t0)],
                                                 actor: .console(), rules: book, now: t0.addingTimeInterval(grace + 10), on: app.db)
            // Proposed by the ingest itself, with nothing read in between.
            #expect(try await deduction(app, unit: "市水利局").status == "proposed")
            _ = try await DispatchService.ingest([DispatchEventInput(eventID: "W2", incidentID: "110-W", unit: "4", type: .arrived, at: t0.addingTimeInterval(600)),
                                                  DispatchEventInput(eventID: "W3", incidentID: "110-W", unit: "4", type: .resultReported, at: t0.addingTimeInterval(3600))],
                                                 actor: .console(), rules: book, now: t0.addingTimeInterval(grace + 20), on: app.db)
            #expect(try await deduction(app, unit: "市水利局").status == "withdrawn")
            // Nothing was left for a later catch-up.
            #expect(try await DeductionService.sync(on: app.db) == (0, 0))
        }
    }

    @Test func aProvincialDeductionCountsDoubleAndItsFigureIsFixed() async throws {
        try await withTestApp { app in
            let out = try await app.run(["province", "add", "--number", "浙应联〔2026〕5号", "--date", "2026-05-10", "--unit", "市水利局",
                                         "--points", "1.5", "--text", "5月汛期联动响应迟缓"])
            #expect(out.contains("按二倍扣3.0分"))
            await #expect(throws: AppError.self) {
                _ = try await app.run(["province", "add", "--number", "浙应联〔2026〕5号", "--date", "2026-05-10", "--unit", "市水利局", "--points", "1.5", "--text", "重复"])
            }
            try await DeductionService.sync(on: app.db)
            let d = try await deduction(app, unit: "市水利局")
            #expect(d.item == "D11" && d.points == 3.0 && d.source == "province")
            await #expect(throws: AppError.self) {
                try await DeductionService.decide([d.id], decision: .confirm(points: Points(2.0), reason: "减轻"), agency: .emb, officer: "李",
                                                  actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            try await DeductionService.decide([d.id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await DeductionService.decide([d.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let report = try await AssessmentService.report(.year(2026), rules: app.liandong.ruleBook, on: app.db)
            #expect(report.ranked.first { $0.entity == "市水利局" }?.score == 97.0)
        }
    }

    @Test func aUnitAppealsAndTheAgenciesDecide() async throws {
        try await withTestApp { app in
            try await seed(app)
            try await DeductionService.sync(on: app.db)
            let late = try await deduction(app, unit: "市水利局")
            try await DeductionService.decide([late.id], decision: .confirm(points: Points(1.0), reason: "情节较重"), agency: .emb, officer: "李", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let own = try await app.signIn(.liaison, unitID: 4)
            let other = try await app.signIn(.liaison, unitID: 5)
            try await app.send(.GET, "deductions", as: own) { res in #expect(res.body.string.contains("提出申诉")) }
            try await app.send(.POST, "deductions/\(late.id)/appeal", as: other, form: ["statement": "不服"]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "deductions/\(late.id)/appeal", as: own, form: ["statement": "当日道路塌方封闭，绕行导致迟到1秒"]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("申诉已提交"))
            }
            try await app.send(.POST, "deductions/\(late.id)/appeal", as: own, form: ["statement": "再次申诉"]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            let listed = try await app.run(["deductions", "list", "--status", "appealed", "--format", "json"])
            #expect((try JSONSerialization.jsonObject(with: Data(listed.utf8)) as! [Any]).count == 1)
            let emb = try await app.signIn(.emb)
            try await app.send(.POST, "deductions/\(late.id)/decision", as: emb, form: ["action": "reduce", "points": "0.5", "reason": "情况属实，酌情减轻"]) { res in
                #expect(res.status == .seeOther)
            }
            // Issue 15: the police must agree on the same outcome.
            #expect(try await deduction(app, unit: "市水利局").status == "appealed")
            let psb = try await app.signIn(.psb)
            try await app.send(.POST, "deductions/\(late.id)/decision", as: psb, form: ["action": "reduce", "points": "0.5", "reason": "同意减轻"]) { res in
                #expect(res.status == .seeOther)
            }
            let decided = try await deduction(app, unit: "市水利局")
            #expect(decided.status == "confirmed" && decided.points == 0.5)
            #expect(decided.appealDecision?.hasPrefix("减少扣分") == true)
            #expect(decided.appealDeadline == nil)
            #expect(try await DeductionService.events(late.id, on: app.db).map(\.action) == ["confirm", "confirm", "appeal", "appeal_reduce", "appeal_reduce"])
        }
    }

    @Test func rectificationFromRequestToVerificationAndOverdueOnTheHomePage() async throws {
        try await withTestApp { app in
            try await seed(app)
            try await DeductionService.sync(on: app.db)
            let late = try await deduction(app, unit: "市水利局")
            let emb = try await app.signIn(.emb), liaison = try await app.signIn(.liaison, unitID: 4)
            let due = LocalDate(Date()).adding(days: 7).description
            // Only confirmed deductions take a corrective action.
            try await app.send(.POST, "rectifications", as: emb, form: ["op": "assign", "deduction_id": String(late.id), "action": "完善值班制度", "owner": "水利局办公室", "due_on": due]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await DeductionService.decide([late.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await app.send(.POST, "rectifications", as: emb, form: ["op": "assign", "deduction_id": String(late.id), "action": "完善值班制度", "owner": "水利局办公室", "due_on": due]) { res in
                #expect(res.status == .ok)
            }
            let item = try #require(try await Rectifications.list(on: app.db).first)
            #expect(item.stage == "整改中" && !item.overdue)
            try await app.send(.POST, "rectifications", as: liaison, form: ["op": "complete", "id": String(item.id), "evidence": "已修订值班制度并组织培训"]) { res in
                #expect(res.status == .ok)
            }
            try await app.send(.POST, "rectifications", as: liaison, form: ["op": "verify", "id": String(item.id)]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "rectifications", as: emb, form: ["op": "verify", "id": String(item.id), "note": "材料齐全"]) { res in #expect(res.status == .ok) }
            #expect(try await Rectifications.list(on: app.db).first?.stage == "已验收")

            // An action past its due date and not verified shows on the home page as overdue.
            let refused = try await deduction(app, unit: "市民政局")
            try await DeductionService.decide([refused.id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "李", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await DeductionService.decide([refused.id], decision: .confirm(points: nil, reason: nil), agency: .psb, officer: "王", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            try await Rectifications.assign(deductionID: refused.id, action: "落实出警责任", owner: "民政局", due: .date(LocalDate(Date())), actor: .console(),
                                            now: Date().addingTimeInterval(-86_400 * 3), on: app.db)
            try await (app.db as! any SQLDatabase).update("rectifications").set("due_at", to: SQLBind(Date().addingTimeInterval(-86_400)))
                .where("deduction_id", .equal, SQLBind(refused.id)).run()
            try await app.send(.GET, "/", as: emb) { res in
                #expect(res.body.string.contains("逾期未完成的整改"))
                #expect(res.body.string.contains("落实出警责任"))
            }
        }
    }
}

@Suite("Confirming many at once, and a list filtered by date")
struct DeductionBatchTests {
    @Test func anOfficerConfirmsTheTickedDeductionsAllOrNone() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            for (unit, day) in [(3, "2026-03-02"), (4, "2026-03-20"), (5, "2026-04-02")] {
                _ = try await FindingService.fileManual(unitID: unit, item: .d12, at: ChinaTime.parseTimestamp("\(day)T10:00:00+08:00")!,
                                                        narrative: "值班人员擅自离岗两小时", points: Points(1.0), reference: nil, actor: .console(),
                                                        rules: rules, on: app.db)
            }
            let all = try await DeductionService.list(DeductionFilter(), rules: rules, calendar: app.liandong.calendar, on: app.db).map(\.id).sorted()
            let emb = try await app.signIn(.emb)
            // March only, both days included.
            try await app.send(.GET, "deductions?from=2026-03-01&to=2026-03-20", as: emb) { res in
                #expect(res.body.string.contains("共 2 条"))
                #expect(res.body.string.contains(#"form="batch""#) && res.body.string.contains("按原分值确认所选"))
            }
            try await app.send(.GET, "deductions?from=2026-03-21&to=2026-03-20", as: emb) { res in
                #expect(res.status == .badRequest && res.body.string.contains("截止日期不能早于起始日期"))
            }
            try await app.send(.GET, "deductions?from=3月1日", as: emb) { res in #expect(res.status == .badRequest) }
            // One of them already confirmed by the EMB: the batch is refused whole, naming it.
            try await DeductionService.decide([all[2]], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: emb.account.username,
                                              actor: .console(), rules: rules, on: app.db)
            try await app.send(.POST, "deductions/confirm", as: emb, form: ["ids[]": String(all[2])]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("扣分 \(all[2])") && res.body.string.contains("所选扣分均未确认"))
            }
            try await app.testing().test(.POST, "deductions/confirm", beforeRequest: { req in
                emb.sign(&req)
                req.headers.contentType = .urlEncodedForm
                req.body = ByteBuffer(string: "ids[]=\(all[0])&ids[]=\(all[1])&back=%2Fdeductions%3Ffrom%3D2026-03-01")
            }) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/deductions?from=2026-03-01&done=batch&n=2")
            }
            let awaitingPolice = try await DeductionService.list(DeductionFilter(awaiting: .psb), rules: rules, calendar: app.liandong.calendar, on: app.db).map(\.id).sorted()
            #expect(awaitingPolice == all)
            try await app.send(.POST, "deductions/confirm", as: emb, form: [:]) { res in #expect(res.status == .unprocessableEntity) }
        }
    }
}

@Suite("The liaison's inbox: what happened to the unit since it last marked its news read")
struct UnitInboxTests {
    @Test func proposalsDecisionsAndRectificationsReachTheUnitUntilMarkedRead() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "", as: liaison) { res in #expect(res.body.string.contains("没有新消息")) }
            // Everything on the test's clock: the proposal, the mark of having read it, the decisions.
            let t0 = app.liandong.clock.now()
            _ = try await FindingService.fileManual(unitID: 4, item: .d12, at: t0.addingTimeInterval(-3600), narrative: "值班人员擅自离岗两小时",
                                                    points: Points(1.0), reference: nil, actor: .console(), rules: rules, now: t0, on: app.db)
            _ = try await FindingService.fileManual(unitID: 3, item: .d12, at: t0.addingTimeInterval(-3600), narrative: "别的单位的问题记录",
                                                    points: Points(1.0), reference: nil, actor: .console(), rules: rules, now: t0, on: app.db)
            let mine = try #require(try await DeductionService.list(DeductionFilter(unitID: 4), rules: rules, calendar: app.liandong.calendar, on: app.db).first)
            try await app.send(.GET, "", as: liaison) { res in
                let html = res.body.string
                #expect(html.contains("新的拟扣分 \(mine.id)（D12，1.0分），可于"))
                #expect(html.contains("全部标为已读"))
            }
            // Reading the page wrote nothing; marking read is its own act.
            #expect(try await Account.find(liaison.account.requireID(), on: app.db)?.inboxReadAt == nil)
            // The liaison reads it a minute later.
            app.liandong.clock.advance(by: 60)
            try await app.send(.POST, "inbox/read", as: liaison, form: [:]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "", as: liaison) { res in #expect(res.body.string.contains("没有新消息")) }

            // Both agencies confirm; then a rectification is asked for: three items, newest first.
            app.liandong.clock.advance(by: 60)
            let later = app.liandong.clock.now()
            for agency in [Agency.emb, .psb] {
                try await DeductionService.decide([mine.id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: "\(agency.name)王某",
                                                  actor: .console(), rules: rules, now: later, on: app.db)
            }
            try await Rectifications.assign(deductionID: mine.id, action: "修订值班制度", owner: "办公室", due: .date(LocalDate(later).adding(days: 10)),
                                            actor: .console(), now: later.addingTimeInterval(1), on: app.db)
            let due = try #require(try await Rectifications.list(unitID: 4, on: app.db).first?.dueOn)
            let items = try await UnitInbox.items(unitID: 4, since: try await Account.find(liaison.account.requireID(), on: app.db)?.inboxReadAt,
                                                  rules: rules, on: app.db)
            #expect(items.count == 3)
            #expect(items.first?.text == "扣分 \(mine.id) 须整改：修订值班制度，期限\(due)")
            #expect(Set(items.dropFirst().map(\.text)) == ["市应急管理局确认扣分 \(mine.id)（1.0分）", "市公安局确认扣分 \(mine.id)（1.0分）"])
            // Another unit's news is its own: unit 3 has only its proposal.
            let others = try await UnitInbox.items(unitID: 3, since: nil, rules: rules, on: app.db)
            #expect(others.count == 1 && others[0].text.hasPrefix("新的拟扣分") && !others[0].text.contains("\(mine.id)（"))
            // An officer has no inbox to mark.
            let emb = try await app.signIn(.emb)
            try await app.send(.POST, "inbox/read", as: emb, form: [:]) { res in #expect(res.status == .forbidden) }
        }
    }
}

extension UnitInboxTests {
    /// What an SMS gateway would be handed.
    final class Recorder: OutboundNotifier, @unchecked Sendable {
        let lock = NSLock()
        var sent: [(Int, [String])] = []
        var failing = false
        struct Down: Error {}
        func deliver(unitID: Int, items: [UnitInbox.Item]) async throws {
            try lock.withLock {
                if failing { throw Down() }
                sent.append((unitID, items.map(\.text)))
            }
        }
    }

    @Test func anOutboundChannelGetsEachItemOnceAndAFailureIsTriedAgain() async throws {
        try await withTestApp { app in
            let rules = app.liandong.ruleBook
            let t0 = Date()
            _ = try await FindingService.fileManual(unitID: 4, item: .d12, at: t0.addingTimeInterval(-3600), narrative: "值班人员擅自离岗两小时",
                                                    points: Points(1.0), reference: nil, actor: .console(), rules: rules, now: t0, on: app.db)
            let gateway = Recorder()
            gateway.failing = true
            await #expect(throws: Recorder.Down.self) { try await UnitInbox.deliver(via: gateway, now: t0.addingTimeInterval(10), rules: rules, on: app.db) }
            gateway.failing = false
            #expect(try await UnitInbox.deliver(via: gateway, now: t0.addingTimeInterval(20), rules: rules, on: app.db) == 1)
            #expect(gateway.sent.map(\.0) == [4] && gateway.sent[0].1.first?.hasPrefix("新的拟扣分") == true)
            // Nothing new: nothing sent again.
            #expect(try await UnitInbox.deliver(via: gateway, now: t0.addingTimeInterval(30), rules: rules, on: app.db) == 0)
            let id = try #require(try await DeductionService.list(DeductionFilter(unitID: 4), rules: rules, calendar: app.liandong.calendar, on: app.db).first?.id)
            try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: .emb, officer: "应急局王某",
                                              actor: .console(), rules: rules, now: t0.addingTimeInterval(40), on: app.db)
            #expect(try await UnitInbox.deliver(via: gateway, now: t0.addingTimeInterval(50), rules: rules, on: app.db) == 1)
            #expect(gateway.sent.last?.1 == ["市应急管理局确认扣分 \(id)（1.0分）"])
        }
    }
}
