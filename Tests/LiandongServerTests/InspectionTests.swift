import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Inspections: import, judging, campaigns, supervision calendar")
struct InspectionTests {
    static let phoneLine = #"{"type":"phone","check_id":"PC-2026-03-001","unit":"市水利局","dialled":"duty","attempts":[{"at":"2026-03-04T09:10:00+08:00","answered":false},{"at":"2026-03-04T09:13:00+08:00","answered":false},{"at":"2026-03-04T09:16:00+08:00","answered":false}],"number_current":true,"knows_first_responsibility":null}"#
    static let drillLine = #"{"type":"onsite","check_id":"DR-2026-Q1-01","alert_at":"2026-03-10T14:00:00+08:00","scenario":"模拟道路塌陷","units":[{"unit":"市建设局","notified_at":"2026-03-10T14:00:00+08:00","arrived_at":"2026-03-10T14:21:30+08:00","vest":true,"equipment_ok":true,"knows_duties":true},{"unit":"市公安局","notified_at":"2026-03-10T14:00:00+08:00","arrived_at":"2026-03-10T14:10:00+08:00","vest":false,"equipment_ok":true,"knows_duties":true}]}"#

    func findings(_ app: Application) async throws -> [FindingDTO] { try await FindingService.list(FindingFilter(), on: app.db) }

    @Test func importingPastChecksIsAtomicIdempotentAndJudged() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("checks.jsonl", contents: Data((Self.phoneLine + "\n" + Self.drillLine + "\n").utf8))
            let out = try await app.run(["checks", "import", file.path])
            #expect(out.contains("电话检查 1 次、实地或视频检查 1 次"))
            let list = try await findings(app)
            // Three unanswered calls: D8 1.0. 市建设局 21:30 against 20 minutes: D9 0.5.
            // 市公安局 arrived in 10:00 (on time) without a vest, but the police are uniform-exempt.
            #expect(Set(list.map { "\($0.unit ?? "")|\($0.item)|\($0.proposedPoints)|\($0.source)" })
                    == ["市水利局|D8|1.0|phone", "市建设局|D9|0.5|onsite"])
            #expect(try await app.run(["checks", "import", file.path]).contains("无变化 2 条"))
            #expect(try await findings(app).count == 2)

            // A bad line fails the file, naming the line; nothing of it is stored.
            let bad = Self.phoneLine.replacingOccurrences(of: "PC-2026-03-001", with: "PC-2026-03-002") + "\n"
                + Self.drillLine.replacingOccurrences(of: "DR-2026-Q1-01", with: "DR-2026-Q1-02").replacingOccurrences(of: "市建设局", with: "不存在的局") + "\n"
            let badFile = try Fixtures.temporaryFile("bad.jsonl", contents: Data(bad.utf8))
            do {
                _ = try await app.run(["checks", "import", badFile.path])
                Issue.record("accepted")
            } catch let error as ImportError {
                #expect(error.row == 2)
            }
            let stored = try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("phone_checks").first()?.decode(column: "n", as: Int.self)
            #expect(stored == 1)
            // The same id with other content is refused.
            let changed = Self.phoneLine.replacingOccurrences(of: "09:16:00", with: "09:17:00")
            let changedFile = try Fixtures.temporaryFile("changed.jsonl", contents: Data(changed.utf8))
            await #expect(throws: ImportError.self) { _ = try await app.run(["checks", "import", changedFile.path]) }
        }
    }

    @Test func aCorrectedCheckIsReJudged() async throws {
        try await withTestApp { app in
            let t = ChinaTime.parseTimestamp("2026-03-04T09:10:00+08:00")!
            var check = PhoneCheck(checkID: "PC-X", unitID: 4, dialled: .duty,
                                   attempts: (0..<3).map { PhoneCheck.Attempt(at: t.addingTimeInterval(Double($0 * 180)), answered: false) },
                                   answeredBy: nil, numberCurrent: nil, changeReported: false, knowsFirstResponsibility: nil, officers: [], notes: nil)
            _ = try await InspectionService.record(check, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            #expect(try await findings(app).map(\.kind) == ["phone_unanswered"])
            check.attempts[2].answered = true
            check.answeredBy = "值班员"
            check.knowsFirstResponsibility = false
            await #expect(throws: AppError.self) {
                _ = try await InspectionService.record(check, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            _ = try await InspectionService.record(check, replace: true, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            #expect(try await findings(app).map(\.kind) == ["duties_unknown"])
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "check.phone.correct").count() == 1)
            // Each correction settles the deductions with it: the unanswered call's proposal is
            // withdrawn, and proposed anew (notified again) when a second correction restores it.
            func statuses() async throws -> [String: String] {
                Dictionary(uniqueKeysWithValues: try await DeductionService.list(DeductionFilter(unitID: 4), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
                    .map { ($0.item, $0.status) })
            }
            #expect(try await statuses() == ["D8": "withdrawn", "D12": "proposed"])
            check.attempts[2].answered = false
            check.answeredBy = nil
            check.knowsFirstResponsibility = nil
            let later = Date().addingTimeInterval(60)
            _ = try await InspectionService.record(check, replace: true, actor: .console(), rules: app.liandong.ruleBook, now: later, on: app.db)
            #expect(try await statuses() == ["D8": "proposed", "D12": "withdrawn"])
            let reopened = try #require(try await DeductionService.list(DeductionFilter(unitID: 4), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
                .first { $0.item == "D8" })
            #expect(reopened.appealDeadline == ChinaTime.isoString(app.liandong.calendar.end(after: app.liandong.ruleBook.latest.appealWindowWorkingDays, from: later)))
        }
    }

    @Test func campaignsAreReproducibleAndCoverTheQuarter() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let march = Period.month(2026, 3)
            let a = try await InspectionService.createCampaign(month: march, size: 8, seed: 42, actor: .console(), rules: book, on: app.db)
            let b = try await InspectionService.createCampaign(month: march, size: 8, seed: 42, actor: .console(), rules: book, on: app.db)
            #expect(a.units == b.units)
            #expect(a.units.count >= 8)
            // In the quarter's last month with nobody called yet, the whole in-scope register is sampled.
            #expect(a.units.count == 46)
            let jan = try await InspectionService.createCampaign(month: .month(2026, 1), size: 8, seed: 7, actor: .console(), rules: book, on: app.db)
            #expect(jan.units.count >= 16) // 46 units over three months: at least ceil(46/3)
            #expect(try await InspectionService.latestCampaign(on: app.db)?.id == jan.id)
        }
    }

    /// Annex 2: a level-1 unit keeps a 24-hour duty. Its duty phone unanswered three times at
    /// night is D8 at 2.0, proposed at once; the month's campaign lists the level-1 units to call
    /// out of hours.
    @Test func aLevelOneDutyPhoneUnansweredAtNightIsNo24HourDuty() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let levelOne = try #require(try await LinkageUnit.query(on: app.db).all().first { $0.unitLevel == .one && !$0.publicSecurity })
            let times = ["2026-03-04T23:10:00+08:00", "2026-03-04T23:15:00+08:00", "2026-03-04T23:20:00+08:00"]
            let check = PhoneCheck(checkID: "PC-NIGHT", unitID: try levelOne.requireID(), dialled: .duty,
                                   attempts: times.map { PhoneCheck.Attempt(at: ChinaTime.parseTimestamp($0)!, answered: false) })
            _ = try await InspectionService.record(check, actor: .console(), rules: book, on: app.db)
            let proposed = try await DeductionService.list(DeductionFilter(unitID: levelOne.id), rules: book, calendar: app.liandong.calendar, on: app.db)
            #expect(proposed.map(\.item) == ["D8"] && proposed.first?.points == 2.0)
            #expect(proposed.first?.reason.contains("未落实24小时值班") == true)

            let march = try await InspectionService.createCampaign(month: .month(2026, 3), size: 8, seed: 42, actor: .console(), rules: book, on: app.db)
            let scope = Set(Jurisdictions.all.filter(\.phoneCheckScope).map(\.id))
            let inScope = try await LinkageUnit.query(on: app.db).all().filter { $0.unitLevel == .one && scope.contains($0.jurisdictionID) }
            // The quarter's last month with none called out of hours before it: every level-1 unit in scope.
            #expect(Set(march.outOfHours) == Set(inScope.compactMap(\.id)) && !march.outOfHours.isEmpty)
            #expect(try await InspectionService.latestCampaign(on: app.db)?.outOfHours == march.outOfHours)
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "checks/phone", as: police) { res in
                #expect(res.body.string.contains("非工作时间抽查（检验24小时值班）"))
                #expect(res.body.string.contains("08:30–12:00、14:00–17:30"))
            }
        }
    }

    /// The calendar page lists the duties of the periods under way, as the home page does, on a
    /// fresh database whose records began today.
    @Test func theCalendarPageListsThePeriodsUnderWay() async throws {
        try await withTestApp { app in
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "supervision", as: emb) { res in
                let html = res.body.string
                #expect(res.status == .ok)
                for duty in app.liandong.ruleBook.latest.supervisionDuties { #expect(html.contains("<td>\(duty.title)</td>"), "\(duty.title)") }
                // What was done is one link away, where the reader may open it: the EMB the drills, not the police's calls.
                #expect(html.contains("<a href=\"/checks/drills\">实地和视频检查记录</a>") && !html.contains("href=\"/checks/phone\""))
                #expect(html.contains("<a href=\"#meeting\">登记会商会</a>"))
                #expect(!html.contains("(市"))
            }
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "supervision", as: police) { res in
                #expect(res.body.string.contains("<a href=\"/checks/phone\">电话检查记录</a>"))
            }
        }
    }

    @Test func aMissedDutyIsAD7FindingAgainstTheAgencyUntilItIsDone() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let from = LocalDate("2026-01-01")!, asOf = LocalDate("2026-03-15")!
            let now = ChinaTime.parseTimestamp("2026-03-15T12:00:00+08:00")!
            let first = try await InspectionService.judgeSupervision(from: from, asOf: asOf, rules: book, now: now, on: app.db)
            // January and February without a phone check: two D7 findings against the police.
            #expect(first.added.sorted() == ["supervision|phone_check-2026-01|psb|supervision_missed", "supervision|phone_check-2026-02|psb|supervision_missed"])
            let d7 = try await findings(app).filter { $0.item == "D7" }
            #expect(d7.count == 2 && d7.allSatisfy { $0.agency == "市公安局" && $0.unitId == nil && $0.proposedPoints == 1.0 })
            // A January check recorded late takes January's finding back.
            let t = ChinaTime.parseTimestamp("2026-01-20T10:00:00+08:00")!
            let check = PhoneCheck(checkID: "PC-J", unitID: 4, dialled: .duty, attempts: [.init(at: t, answered: true)], answeredBy: "值班员",
                                   numberCurrent: true, changeReported: false, knowsFirstResponsibility: true, officers: [], notes: nil)
            _ = try await InspectionService.record(check, actor: .console(), rules: book, on: app.db)
            let second = try await InspectionService.judgeSupervision(from: from, asOf: asOf, rules: book, now: now, on: app.db)
            #expect(second.withdrawn == ["supervision|phone_check-2026-01|psb|supervision_missed"])
            #expect(try await findings(app).filter { $0.item == "D7" }.count == 1)
        }
    }

    @Test func meetingsAreRecordedAndValidated() async throws {
        try await withTestApp { app in
            await #expect(throws: AppError.self) {
                try await InspectionService.recordMeeting(heldOn: Date(), attendees: "", decisions: "x", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            let out = try await app.run(["supervision", "meeting", "--date", "2026-06-20", "--attendees", "三部门分管领导", "--decisions", "通报上半年情况"])
            #expect(out.contains("2026年6月20日"))
            let activities = try await InspectionService.activities(on: app.db)
            #expect(activities.filter { $0.kind == .consultation }.count == 1)
        }
    }

    @Test func aDrillOnTheTabletScreen() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.emb)
            // 市水利局 (unit 4, level 1) is summoned.
            try await app.send(.POST, "checks/drills", as: officer,
                               form: ["check_id": "DR-T", "kind": "onsite", "scenario": "模拟山体滑坡", "units[]": "4"]) { res in
                #expect(res.status == .seeOther)
            }
            try await app.send(.GET, "checks/drills/DR-T", as: officer) { res in
                let html = res.body.string
                #expect(html.contains("模拟山体滑坡"))
                #expect(html.contains("data-limit=\"1200\""))
                #expect(html.contains("结束检查"))
            }
            // Under way: no findings yet for a unit still on its way.
            #expect(try await findings(app).isEmpty)
            try await app.send(.POST, "checks/drills/DR-T/arrive", as: officer, form: ["unit_id": "4"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.POST, "checks/drills/DR-T/arrive", as: officer, form: ["unit_id": "4"]) { res in
                #expect(res.status == .unprocessableEntity)
            }
            try await app.send(.POST, "checks/drills/DR-T/assess", as: officer,
                               form: ["unit_id": "4", "vest": "false", "equipment": "true", "duties": "false", "notes": "问首处责任制，答不上来"]) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await InspectionService.drill("DR-T", on: app.db).units[0].notes == "问首处责任制，答不上来")
            let kinds = Set(try await findings(app).map(\.kind))
            #expect(kinds == ["no_vest", "duties_unknown"])
            // Ending asks first: without the box ticked the drill goes on.
            try await app.send(.POST, "checks/drills/DR-T/finish", as: officer, form: [:]) { res in #expect(res.status == .unprocessableEntity) }
            try await app.send(.POST, "checks/drills/DR-T/finish", as: officer, form: ["confirm": "yes"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "checks/drills/DR-T", as: officer) { res in
                #expect(res.body.string.contains("检查已结束"))
                #expect(res.body.string.contains("D12 "))
            }
            // A liaison sees no check screens.
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "checks/drills/DR-T", as: liaison) { res in #expect(res.status == .forbidden) }
            try await app.send(.GET, "checks/phone", as: liaison) { res in #expect(res.status == .forbidden) }
        }
    }

    @Test func aPhoneCallFromTheOfficersScreen() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.send(.POST, "checks/phone/campaigns", as: police, form: ["size": "5"]) { res in #expect(res.status == .seeOther) }
            #expect(try await InspectionService.latestCampaign(on: app.db)?.month == String(ChinaTime.isoString(app.liandong.clock.now()).prefix(7)))
            // The calls below are made on a fixed working day, in the month of the campaign they belong to.
            _ = try await InspectionService.createCampaign(month: .month(2026, 3), size: 5, seed: 5, actor: .console(),
                                                           rules: app.liandong.ruleBook, on: app.db)
            let campaign = try #require(try await InspectionService.latestCampaign(on: app.db))
            let unit = campaign.units[0]
            // The unit to call has its duty phone registered; the next one of the sample has none.
            let called = try await RegisterService.unit(unit, on: app.db)
            called.dutyPhone = "0578-2123456"
            try await called.save(on: app.db)
            try await app.send(.GET, "checks/phone", as: police) { res in
                #expect(res.body.string.contains("开始拨打"))
                #expect(res.body.string.contains("随机种子"))
                // A unit with no number is not a call to make: it raises the D8 question.
                #expect(res.body.string.contains("未登记号码，不作拨打"))
                #expect(res.body.string.contains("须核实是否属于“值班电话或联络员变更且未主动报备”（D8 值班值守不到位）"))
                #expect(!res.body.string.contains("/checks/phone/call?unit=\(campaign.units[1])&"))
            }
            // In office hours on a working day: the plain unanswered call, whatever the unit's level.
            let t = ChinaTime.parseTimestamp("2026-03-04T10:00:00+08:00")!
            let times = (0..<3).map { ChinaTime.isoString(t.addingTimeInterval(Double($0 * 120))) }.joined(separator: ",")
            try await app.send(.POST, "checks/phone", as: police, form: [
                "unit_id": String(unit), "campaign_id": String(campaign.id), "dialled": "duty",
                "attempt_times": times, "attempt_answers": "0,0,0", "number_current": "", "knows_first_responsibility": "",
            ]) { res in
                #expect(res.status == .seeOther)
                // Straight on to the next unit of the sample.
                #expect(res.headers.first(name: .location) == "/checks/phone/call?unit=\(campaign.units[1])&campaign=\(campaign.id)")
            }
            let list = try await findings(app)
            #expect(list.map(\.kind) == ["phone_unanswered"] && list[0].unitId == unit)
            // A unit without a registered number cannot be called: the screen says so, the form is refused.
            let silent = try await RegisterService.unit(campaign.units[1], on: app.db)
            #expect(silent.dutyPhone == nil && silent.liaisonMobile == nil)
            try await app.send(.GET, "checks/phone/call?unit=\(try silent.requireID())", as: police) { res in
                #expect(res.body.string.contains("无法拨打") && !res.body.string.contains("id=\"call-form\""))
                #expect(res.body.string.contains("D8 值班值守不到位"))
            }
            try await app.send(.POST, "checks/phone", as: police, form: [
                "unit_id": String(try silent.requireID()), "dialled": "duty", "attempt_times": times, "attempt_answers": "0,0,0",
            ]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("未登记值班电话，不能记录拨打"))
            }
            #expect(try await findings(app).count == 1)
            // Without any attempt recorded the form comes back with a message.
            try await app.send(.POST, "checks/phone", as: police, form: ["unit_id": String(unit), "attempt_times": "", "attempt_answers": ""]) { res in
                #expect(res.status == .unprocessableEntity)
            }
        }
    }

    @Test func theFindingsPageListsWhatTheReaderMaySee() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("checks.jsonl", contents: Data((Self.phoneLine + "\n" + Self.drillLine + "\n").utf8))
            _ = try await app.run(["checks", "import", file.path])
            let emb = try await app.signIn(.emb)
            try await app.send(.GET, "findings", as: emb) { res in
                #expect(res.body.string.contains("共 2 条，拟扣分合计 1.5 分"))
            }
            try await app.send(.GET, "findings?source=phone", as: emb) { res in
                #expect(res.body.string.contains("共 1 条"))
                #expect(res.body.string.contains("市水利局"))
            }
            let liaison = try await app.signIn(.liaison, unitID: 6) // 市建设局
            try await app.send(.GET, "findings", as: liaison) { res in
                #expect(res.body.string.contains("共 1 条"))
                #expect(!res.body.string.contains("市水利局"))
            }
            try await app.send(.GET, "findings?from=2026-13-01", as: emb) { res in #expect(res.status == .badRequest) }
        }
    }

    @Test func theEquipmentChecklistNamesWhatWasMissing() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.psb)
            try await app.send(.POST, "checks/equipment", as: officer, form: ["op": "add", "name": "抽水泵", "unit_id": "4"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.POST, "checks/equipment", as: officer, form: ["op": "add", "name": "抽水泵", "unit_id": "4"]) { res in #expect(res.status == .conflict) }
            let items = try await EquipmentChecklist.items(on: app.db)
            #expect(EquipmentChecklist.forUnit(4, in: items).last == "抽水泵")
            #expect(!EquipmentChecklist.forUnit(5, in: items).contains("抽水泵"))
            try await app.send(.POST, "checks/drills", as: officer, form: ["check_id": "DR-E", "kind": "onsite", "scenario": "模拟内涝", "units[]": "4"]) { res in
                #expect(res.status == .seeOther)
            }
            try await app.send(.GET, "checks/drills/DR-E", as: officer) { res in #expect(res.body.string.contains("抽水泵")) }
            try await app.send(.POST, "checks/drills/DR-E/arrive", as: officer, form: ["unit_id": "4"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.POST, "checks/drills/DR-E/assess", as: officer, form: ["unit_id": "4", "vest": "true", "missing[]": "抽水泵"]) { res in
                #expect(res.status == .seeOther)
            }
            let list = try await findings(app)
            #expect(list.map(\.kind) == ["equipment_missing"])
            #expect(list.first?.reason.contains("缺抽水泵") == true)
            let liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.GET, "checks/equipment", as: liaison) { res in #expect(res.status == .forbidden) }
            let removable = try #require(items.first { $0.name == "抽水泵" })
            try await app.send(.POST, "checks/equipment", as: officer, form: ["op": "remove", "id": String(removable.id)]) { res in #expect(res.status == .seeOther) }
            #expect(try await EquipmentChecklist.items(on: app.db).count == items.count - 1)
        }
    }

    @Test func spreadsheetsOfPastChecksImportLikeJSONLines() async throws {
        try await withTestApp { app in
            let csv = """
            type,check_id,unit,dialled,attempt1_at,attempt1_answered,attempt2_at,attempt2_answered,attempt3_at,attempt3_answered,number_current,knows_first_responsibility,alert_at,scenario,notified_at,arrived_at,vest,equipment_ok,knows_duties
            phone,PC-S1,市水利局,duty,2026-03-04 09:10,否,2026-03-04 09:13,否,2026-03-04 09:16,否,是,,,,,,,,
            onsite,DR-S1,市建设局,,,,,,,,,,2026-03-10 14:00,模拟道路塌陷,2026-03-10 14:00,2026-03-10 14:21:30,是,是,是
            onsite,DR-S1,市民政局,,,,,,,,,,2026-03-10 14:00,模拟道路塌陷,2026-03-10 14:00,,,,

            """
            let file = try Fixtures.temporaryFile("checks.csv", contents: Data(csv.utf8))
            let out = try await app.run(["checks", "import", file.path])
            #expect(out.contains("电话检查 1 次、实地或视频检查 1 次"))
            let kinds = Set(try await findings(app).map { "\($0.unit ?? "")|\($0.item)" })
            #expect(kinds == ["市水利局|D8", "市建设局|D9", "市民政局|D10"])
            #expect(try await app.run(["checks", "import", file.path]).contains("无变化 2 条"))

            // The same sheet as XLSX; a bad cell is named by its spreadsheet row.
            let rows: [[XLSXCell]] = [[.text("phone"), .text("PC-S2"), .text("市水利局"), .text("duty"), .text("2026-03-05 09:10"), .text("也许")]]
            let sheet = XLSXSheet(name: "电话检查", header: ["type", "check_id", "unit", "dialled", "attempt1_at", "attempt1_answered"], rows: rows)
            let xlsx = try Fixtures.temporaryFile("checks.xlsx", contents: try XLSX.write(sheets: [sheet]))
            do {
                _ = try await app.run(["checks", "import", xlsx.path])
                Issue.record("accepted")
            } catch let error as ImportError {
                #expect(error.row == 2 && error.field == "attempt1_answered")
            }
        }
    }
}
