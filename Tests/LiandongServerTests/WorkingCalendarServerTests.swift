import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// The working calendar in the database: seeded with 2020–2026, kept by administrators at
/// `/admin/calendar` and `liandong calendar`, audited, and what every working-day rule counts.
@Suite("Working calendar: storage, import and the rules that use it")
struct WorkingCalendarServerTests {
    func at(_ text: String) -> Date { ChinaTime.parseTimestamp(text)! }

    func file(_ name: String, _ text: String) throws -> String {
        try Fixtures.temporaryFile(name, contents: Data(text.utf8)).path
    }

    func rows(_ app: Application) async throws -> [WorkingCalendarStore.Row] { try await WorkingCalendarStore.rows(on: app.db) }

    func audits(_ app: Application, _ prefix: String = "calendar.") async throws -> [AuditEntry] {
        try await AuditEntry.query(on: app.db).all().filter { $0.action.hasPrefix(prefix) }
    }

    /// 2026 as shipped, with the National Day holiday and its make-up days taken out: the
    /// "replaced" year of the tests.
    static let replaced2026 = HolidayNoticeFile.jsonLines(HolidayNotice.shipped.filter { $0.year == 2026 })
        .split(separator: "\n").filter { !$0.contains("国庆节") }.joined(separator: "\n") + "\n"

    /// 市民政局 refused an instruction on 2026-09-30; the unit is told (the appeal window starts)
    /// at 16:00 that day. Returns the deduction's id.
    func refusalNotifiedBeforeNationalDay(_ app: Application) async throws -> Int {
        let t0 = at("2026-09-30T08:15:00+08:00")
        _ = try await DispatchService.ingest([
            DispatchEventInput(eventID: "N1", incidentID: "110-N", unit: "市民政局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "N2", incidentID: "110-N", unit: "市民政局", type: .refused, at: t0.addingTimeInterval(60)),
        ], actor: .console(), rules: app.liandong.ruleBook, now: at("2026-09-30T16:00:00+08:00"), on: app.db)
        return try #require(try await deductions(app).first).id
    }

    func deductions(_ app: Application) async throws -> [DeductionDTO] {
        try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
    }

    @Test func theShippedYearsAreSeeded() async throws {
        try await withTestApp { app in
            let stored = try await rows(app)
            #expect(stored.map(\.year) == Array(2020...2026))
            #expect(stored.allSatisfy { $0.updated_by == "system" })
            #expect(try await WorkingCalendarStore.load(on: app.db) == .shipped)
            #expect(app.liandong.calendar == .shipped)
            // The seed is the starting state, recorded by the migration log, not an audited change.
            #expect(try await audits(app).isEmpty)
        }
    }

    @Test func theCommandLineListsAYearInTheImportFormatToo() async throws {
        try await withTestApp { app in
            let table = try await app.run(["calendar", "list", "--year", "2026"])
            #expect(table.contains("国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025年11月4日）"))
            #expect(table.contains("2026年10月1日（周四）至2026年10月7日（周三）"))
            #expect(table.contains("2026年10月10日（周六）"))
            let years = try await app.run(["calendar", "list"])
            #expect(years.contains("国办发明电〔2019〕16号、国办发明电〔2020〕1号"))
            let json = try await app.run(["calendar", "list", "--year", "2020", "--format", "json"])
            #expect(try HolidayNoticeFile.parseJSONLines(Data(json.utf8)) == HolidayNotice.shipped.filter { $0.year == 2020 })
            #expect(try await app.run(["calendar", "list", "--year", "2031"]).contains("2031年的节假日安排尚未录入工作日历：该年按周一至周五计算工作日"))
        }
    }

    /// Replacing 2026 without its National Day holiday moves the appeal deadline of a deduction
    /// notified on 30 September from Tuesday 13 October (10-1 to 10-7 off, Saturday 10-10 worked)
    /// to Wednesday 7 October; an appeal on 8 October is then out of time.
    @Test func anImportThatReplacesAYearMovesTheAppealDeadlineComputedAfterwards() async throws {
        try await withTestApp { app in
            let id = try await refusalNotifiedBeforeNationalDay(app)
            #expect(try await deductions(app).first?.appealDeadline == "2026-10-13T23:59:59+08:00")

            let out = try await app.run(["calendar", "import", try file("2026.jsonl", Self.replaced2026)])
            #expect(out.contains("替换 2026年"))
            #expect(!app.liandong.calendar.holidays.contains(LocalDate("2026-10-01")!))
            #expect(try await deductions(app).first?.appealDeadline == "2026-10-07T23:59:59+08:00")
            let entry = try #require(try await audits(app, "calendar.replace").first)
            #expect(entry.entityID == "2026")
            #expect(entry.before?.contains("国庆节") == true && entry.after?.contains("国庆节") == false)

            // The appeal is decided by the calendar in the database at that moment.
            let unit = try #require(try await deductions(app).first?.unitId)
            let appealer = Actor(principal: Principal(kind: .account(id: 1, role: .liaison), name: "民政局联络员", unitID: unit), source: "test")
            await #expect(throws: AppError.self) {
                try await DeductionService.decide([id], decision: .appeal(statement: "国庆假期无人值守"), agency: nil, officer: "民政局联络员",
                                                  actor: appealer, rules: app.liandong.ruleBook, now: self.at("2026-10-08T09:00:00+08:00"), on: app.db)
            }
            // Importing the shipped 2026 again restores the window: the same appeal is in time.
            let shipped = HolidayNoticeFile.jsonLines(HolidayNotice.shipped.filter { $0.year == 2026 })
            #expect(try await app.run(["calendar", "import", try file("again.jsonl", shipped)]).contains("替换 2026年"))
            try await DeductionService.decide([id], decision: .appeal(statement: "国庆假期无人值守"), agency: nil, officer: "民政局联络员",
                                              actor: appealer, rules: app.liandong.ruleBook, now: at("2026-10-08T09:00:00+08:00"), on: app.db)
            #expect(try await deductions(app).first?.status == "appealed")
        }
    }

    @Test func aBadImportNamesTheLineAndFieldAndWritesNothing() async throws {
        try await withTestApp { app in
            let before = try await rows(app).map(\.body)
            let auditBefore = try await AuditEntry.query(on: app.db).count()
            // Line 3: Monday 2027-09-27 cannot be a make-up working day.
            let bad = """
            {"year":2027,"type":"notice","number":"国办发明电〔2026〕9号","title":"国务院办公厅关于2027年部分节假日安排的通知"}
            {"year":2027,"type":"holiday","name":"国庆节","from":"2027-10-01","to":"2027-10-07"}
            {"year":2027,"type":"workday","date":"2027-09-27","name":"国庆节"}
            """ + "\n" + Self.replaced2026
            let error = await #expect(throws: CommandFailure.self) { _ = try await app.run(["calendar", "import", try file("bad.jsonl", bad)]) }
            #expect(error?.description == "未导入，日历未作任何改动：第3行「date」：2027年9月27日是星期一，本来就是工作日；调休上班日应为星期六或星期日")
            // The same from the page, as CSV.
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "admin/calendar", as: admin, form: ["body": bad]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("第3行「date」"))
                // What was typed comes back to be corrected.
                #expect(res.body.string.contains("2027-09-27"))
            }
            #expect(try await rows(app).map(\.body) == before)
            #expect(try await AuditEntry.query(on: app.db).count() == auditBefore)
            #expect(app.liandong.calendar == .shipped)
        }
    }

    @Test func importingTheSameAgainChangesNothing() async throws {
        try await withTestApp { app in
            let listed = try await app.run(["calendar", "list", "--format", "csv"])
            let path = try file("all.csv", listed)
            let before = try await rows(app)
            let out = try await app.run(["calendar", "import", path])
            #expect(out.contains("新增 无；替换 无；未变 2020年、2021年、2022年、2023年、2024年、2025年、2026年"))
            #expect(try await rows(app).map(\.updated_at) == before.map(\.updated_at))
            #expect(try await audits(app).isEmpty)
            // A new year is added once, then unchanged.
            let year2027 = """
            {"year":2027,"type":"notice","number":"国办发明电〔2026〕9号","title":"国务院办公厅关于2027年部分节假日安排的通知"}
            {"year":2027,"type":"holiday","name":"元旦","from":"2027-01-01"}
            """
            #expect(try await app.run(["calendar", "import", try file("2027.jsonl", year2027)]).contains("新增 2027年"))
            #expect(try await app.run(["calendar", "import", try file("2027b.jsonl", year2027)]).contains("未变 2027年"))
            #expect(try await audits(app).map(\.action) == ["calendar.add"])
            #expect(app.liandong.calendar.covers(2027))
        }
    }

    /// The page: a year listed and drawn as twelve months, an import from a file, and a year
    /// the calendar does not hold said to be counted Monday to Friday.
    @Test func theAdministratorsPage() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "admin/calendar?year=2025", as: admin) { res in
                #expect(res.status == .ok)
                let page = res.body.string
                #expect(page.contains("国办发明电〔2024〕12号"))
                #expect(page.contains("2025年10月1日（周三）至2025年10月8日（周三）"))
                #expect(page.contains("2025年10月11日：国庆节、中秋节调休上班"))
                #expect(page.contains("2025年2月4日：春节放假"))
            }
            try await app.send(.GET, "admin/calendar?year=2031", as: admin) { res in
                #expect(res.body.string.contains("2031年的节假日安排尚未录入：该年按周一至周五计算工作日"))
            }
            let csv = "year,type,name,from,to,date,number,title\n2031,notice,,,,,国办发明电〔2030〕1号,国务院办公厅关于2031年部分节假日安排的通知\n2031,holiday,国庆节,2031-10-01,2031-10-07,,,\n"
            try await app.testing().test(.POST, "admin/calendar", beforeRequest: { req in
                admin.sign(&req)
                let boundary = "----liandong-calendar"
                req.headers.contentType = HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": boundary])
                req.body = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(admin.csrf)\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"2031.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n"
                    + "--\(boundary)--\r\n")
            }) { res in
                #expect(res.status == .ok, "\(res.body.string.prefix(300))")
                #expect(res.body.string.contains("工作日历已导入：新增 2031年"))
            }
            #expect(!app.liandong.calendar.isWorkingDay(LocalDate("2031-10-01")!))
            #expect(try await audits(app, "calendar.add").first?.actor == admin.account.username)
        }
    }

    @Test(arguments: [Role.plc, .emb, .psb, .liaison])
    func onlyAdministratorsKeepTheCalendar(role: Role) async throws {
        try await withTestApp { app in
            let user = try await app.signIn(role, unitID: role == .liaison ? 3 : nil)
            try await app.send(.GET, "admin/calendar", as: user) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "admin/calendar", as: user, form: ["body": Self.replaced2026]) { res in #expect(res.status == .forbidden) }
            try await app.send(.GET, "admin/calendar", as: nil) { res in #expect(res.status == .seeOther) }
            #expect(try await WorkingCalendarStore.load(on: app.db) == .shipped)
        }
    }

    /// A year the calendar does not hold: the administrator's home page says so until it is
    /// imported, and a D4 deadline counted through it says so in the finding's reason.
    @Test func aYearWithoutCalendarDataFallsBackToMondayToFridayAndSaysSo() async throws {
        try await withTestApp { app in
            let year = LocalDate(app.liandong.clock.now()).year
            try await (app.db as! any SQLDatabase).delete(from: WorkingCalendarStore.table).where("year", .equal, SQLBind(year)).run()
            try await WorkingCalendarStore.refresh(app)
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "/", as: admin) { res in
                // This year, and the next too when the next 60 days reach into it.
                let page = res.body.string
                #expect(page.contains(#"<div class="figure">\#(year)年"#) && page.contains("未录入</div><div class=\"label\">工作日历"))
                #expect(page.contains("的节假日安排尚未录入，暂按周一至周五计算工作日"))
            }
            // Importing this year and the next ends the warning.
            let notices = [year, year + 1].map { y in
                HolidayNotice(year: y, documents: [.init(number: "国办发明电〔\(y - 1)〕1号", title: "国务院办公厅关于\(y)年部分节假日安排的通知")],
                              holidays: [.init("国庆节", LocalDate(year: y, month: 10, day: 1)!, LocalDate(year: y, month: 10, day: 7)!)], makeUpDays: [])
            }
            _ = try await WorkingCalendarStore.save(notices, actor: .console(), app: app, now: app.liandong.clock.now(), on: app.db)
            try await app.send(.GET, "/", as: admin) { res in
                #expect(!res.body.string.contains("未录入"))
                #expect(res.body.string.contains("节假日安排已录入"))
            }

            // D4 in 2031, which no notice covers: the reason says the days were counted Monday to Friday.
            let register = #"{"plans": [{"id": "DP-31", "unit_id": 4, "name": "市水利局防汛应急预案", "kind": "department", "required": true, "issued_on": "2031-03-03", "last_revision_risk_assessment": false, "last_revision_resource_survey": false}]}"#
            let now = at("2031-06-02T10:00:00+08:00")
            _ = try await PlanService.save(try PlanService.parse(Data(register.utf8)), actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
            let finding = try #require(try await FindingService.list(FindingFilter(source: .plan), on: app.db).first { $0.kind == FindingKind.planNotPublished.rawValue })
            // 20 working days from Monday 3 March 2031, Monday to Friday: Monday 31 March.
            #expect(finding.reason.contains("不晚于2031年3月31日"))
            #expect(finding.reason.hasSuffix("（2031年的节假日安排尚未录入工作日历，按周一至周五计算工作日）"))
        }
    }

    /// Another server's import reaches this one at its next judging round.
    @Test func aChangeMadeElsewhereIsReadAgainAtTheJudgingRound() async throws {
        try await withTestApp { app in
            let y2031 = HolidayNotice(year: 2031, documents: [.init(number: "国办发明电〔2030〕1号", title: "国务院办公厅关于2031年部分节假日安排的通知")],
                                      holidays: [.init("元旦", LocalDate("2031-01-01")!, LocalDate("2031-01-01")!)], makeUpDays: [])
            // Written straight into the database, as another app server's import would be.
            try await WorkingCalendarStore.insert([y2031], by: "other", at: app.liandong.clock.now(), on: app.db as! any SQLDatabase)
            #expect(!app.liandong.calendar.covers(2031))
            _ = try await app.run(["judge"])
            #expect(app.liandong.calendar.covers(2031))
        }
    }

    /// Rectification due dates count the calendar: so many working days, or a day that falls on
    /// a holiday moved to the next working day.
    @Test func rectificationDueDatesFollowTheCalendar() async throws {
        try await withTestApp { app in
            let id = try await refusalNotifiedBeforeNationalDay(app)
            for agency in [Agency.emb, .psb] {
                try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: agency.name,
                                                  actor: .console(), rules: app.liandong.ruleBook, now: at("2026-09-30T17:00:00+08:00"), on: app.db)
            }
            let now = at("2026-09-30T18:00:00+08:00")
            let (day, note) = try await Rectifications.assign(deductionID: id, action: "落实出警责任", owner: "办公室", due: .workingDays(5),
                                                              actor: .console(), now: now, on: app.db)
            #expect(day == LocalDate("2026-10-13")! && note == "5个工作日后为2026年10月13日")
            #expect(Rectifications.dueDay(.date(LocalDate("2026-10-03")!), today: LocalDate(now), calendar: .shipped)
                    == (LocalDate("2026-10-08")!, "2026年10月3日不是工作日，期限顺延至2026年10月8日"))
            #expect(Rectifications.dueDay(.date(LocalDate("2026-10-10")!), today: LocalDate(now), calendar: .shipped).day == LocalDate("2026-10-10")!)
            #expect(try await Rectifications.list(on: app.db).first?.dueOn == "2026年10月13日")
        }
    }
}

/// Dates that cannot be (issue #20 item 7): before the mechanism began or more than a day ahead.
@Suite("Dates that cannot be")
struct ImpossibleDatesTests {
    func event(_ id: String, _ at: String) -> String {
        #"{"event_id":"\#(id)","incident_id":"110-T","unit":"市水利局","type":"instructed","at":"\#(at)"}"#
    }

    func post(_ app: Application, _ user: TestUser, _ body: String, _ check: (TestingHTTPResponse) async throws -> Void) async throws {
        try await app.send(.POST, "api/v1/dispatch-events", as: user, json: body, check)
    }

    @Test func dispatchEventsFromTheMechanismsFirstDayToADayAhead() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await post(app, admin, event("T-1", "2020-12-29T23:59:59+08:00")) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains(#""field":"at""#))
                #expect(res.body.string.contains("早于机制施行之日（2020年12月30日）"))
            }
            try await post(app, admin, event("T-2", "2020-12-30T00:00:00+08:00")) { res in #expect(res.status == .ok, "\(res.body.string)") }
            // Timestamps on the wire are whole seconds: a day ahead of the (stopped) clock is the
            // last whole second not after now + 24 h; one second more is past it.
            let limit = Date(timeIntervalSince1970: app.liandong.clock.now().addingTimeInterval(86_400).timeIntervalSince1970.rounded(.down))
            try await post(app, admin, event("T-3", ChinaTime.isoString(limit))) { res in #expect(res.status == .ok, "\(res.body.string)") }
            let secondMore = ChinaTime.isoString(limit.addingTimeInterval(1))
            try await post(app, admin, "[" + event("T-4", "2026-03-01T08:00:00+08:00") + "," + event("T-5", secondMore) + "]") { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("第2条事件「at」"))
                #expect(res.body.string.contains("晚于当前时间24小时以上"))
            }
            struct N: Decodable { var n: Int }
            #expect(try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM dispatch_events").first(decoding: N.self)?.n == 2)

            // The import file names the line.
            let path = try Fixtures.temporaryFile("events.jsonl", contents: Data((event("F-1", "2026-03-01T08:00:00+08:00") + "\n" + event("F-2", "2020-12-29T12:00:00+08:00") + "\n").utf8)).path
            let error = await #expect(throws: ImportError.self) { _ = try await app.run(["dispatches", "import", path]) }
            #expect(error?.row == 2 && error?.field == "at")
        }
    }

    @Test func checksBeforeTheMechanismOrAheadAreRefusedNamingTheField() async throws {
        try await withTestApp { app in
            let early = #"{"type":"phone","check_id":"PC-OLD","unit":"市水利局","dialled":"duty","attempts":[{"at":"2020-12-29T09:10:00+08:00","answered":true}]}"#
            let path = try Fixtures.temporaryFile("checks.jsonl", contents: Data(early.utf8)).path
            let error = await #expect(throws: ImportError.self) { _ = try await app.run(["checks", "import", path]) }
            #expect(error?.row == 1 && error?.field == "attempts[0].at")
            // Recorded from the call screen with a clock a day and a second ahead.
            let ahead = app.liandong.clock.now().addingTimeInterval(86_401)
            let check = PhoneCheck(checkID: "PC-AHEAD", unitID: 4, dialled: .duty, attempts: [.init(at: ahead, answered: true)],
                                   answeredBy: "值班员", numberCurrent: true, changeReported: false, knowsFirstResponsibility: true, officers: ["警官"])
            let refused = await #expect(throws: AppError.self) {
                _ = try await InspectionService.record(check, actor: .console(), rules: app.liandong.ruleBook, now: app.liandong.clock.now(), on: app.db)
            }
            #expect(refused?.field == "attempts[0].at")
            #expect(try await InspectionService.phoneChecks(from: .distantPast, to: .distantFuture, on: app.db).isEmpty)
        }
    }

    /// A plan's history may be older than the mechanism; what it records as done cannot be ahead
    /// of today, while its next revision may.
    @Test func planDatesMayBeOldButNotAheadExceptTheRevisionDue() async throws {
        try await withTestApp { app in
            let now = ChinaTime.parseTimestamp("2026-06-01T10:00:00+08:00")!
            func plan(_ fields: String) -> PlanRegister {
                try! PlanService.parse(Data(#"{"plans": [{"id": "SP-9", "unit_id": 4, "name": "丽水市地质灾害应急预案", "kind": "special", "required": true, \#(fields), "last_revision_risk_assessment": true, "last_revision_resource_survey": true}]}"#.utf8))
            }
            let old = plan(#""issued_on": "2015-05-01", "published_on": "2015-05-20", "next_revision_due": "2027-05-01""#)
            _ = try await PlanService.save(old, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
            let ahead = plan(#""issued_on": "2015-05-01", "last_revised_on": "2026-06-02", "next_revision_due": "2029-05-01""#)
            let error = await #expect(throws: AppError.self) {
                _ = try await PlanService.save(ahead, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
            }
            #expect(error?.field == "plans[0].last_revised_on")
            #expect(error?.message.contains("修订日期2026年6月2日晚于今天（2026年6月1日）") == true)
            #expect(try await PlanService.register(on: app.db).plans.first?.lastRevisedOn == nil)
        }
    }
}
