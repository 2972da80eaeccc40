import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Checks as the notice describes them (issue #20 item 6): a video check's own time, the joint
/// check of both agencies, the end of a drill and the amendments after it.
@Suite("Drills: video times, joint checks, ending and amending")
struct DrillEndTests {
    func findings(_ app: Application, _ checkID: String) async throws -> [FindingDTO] {
        try await FindingService.list(FindingFilter(), on: app.db).filter { $0.ref == checkID }
    }

    func deductions(_ app: Application) async throws -> [DeductionDTO] {
        try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
    }

    func audits(_ app: Application, _ action: String) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: app.db).filter(\.$action == action).sort(\.$id).all()
    }

    /// Posts a form as a browser does, a field named more than once (`units[]`) sent once per value.
    func post(_ app: Application, _ path: String, as user: TestUser, _ fields: [(String, String)],
              _ check: (TestingHTTPResponse) async throws -> Void) async throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._*"))
        let body = (fields + [("_csrf", user.csrf)]).map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
        try await app.testing().test(.POST, path, beforeRequest: { req in
            req.headers.contentType = .urlEncodedForm
            req.body = ByteBuffer(string: body)
            user.sign(&req)
        }, afterResponse: check)
    }

    /// Starts a drill from the page, by default on 市水利局 (4) and 市民政局 (5), both level 1,
    /// with an officer of each agency.
    func start(_ app: Application, _ officer: TestUser, id: String, kind: String = "onsite", extra: [String: String] = [:],
               units: [String] = ["4", "5"]) async throws {
        var form = ["check_id": id, "kind": kind, "scenario": "模拟城区内涝", "emb_officers": "李科长", "psb_officers": "王警官"]
        form.merge(extra) { $1 }
        try await post(app, "checks/drills", as: officer, form.sorted { $0.key < $1.key } + units.map { ("units[]", $0) }) { res in
            #expect(res.status == .seeOther, "\(res.body.string.prefix(300))")
        }
    }

    @Test func aVideoCheckIsJudgedByItsOwnTimeToTheSecond() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.emb)
            // The page offers the rule set's time; the officers set 15 minutes.
            try await app.send(.GET, "checks/drills", as: officer) { res in
                #expect(res.body.string.contains(#"name="limit_minutes" value="30""#))
            }
            try await start(app, officer, id: "VC-1", kind: "video", extra: ["limit_minutes": "15", "place": "城北卡口"])
            let drill = try await InspectionService.drill("VC-1", on: app.db)
            #expect(drill.kind == .video && drill.videoPoint == "城北卡口")
            #expect(drill.units.map(\.limitSeconds) == [900, 900])
            try await app.send(.GET, "checks/drills/VC-1", as: officer) { res in
                #expect(res.body.string.contains("到达视频点位时限"))
                #expect(res.body.string.contains(#"data-limit="900""#))
            }
            // 市水利局 exactly at 15:00: on time. 市民政局 at 15:01: late by one second.
            app.liandong.clock.advance(by: 900)
            try await app.send(.POST, "checks/drills/VC-1/arrive", as: officer, form: ["unit_id": "4"]) { res in #expect(res.status == .seeOther) }
            app.liandong.clock.advance(by: 1)
            try await app.send(.POST, "checks/drills/VC-1/arrive", as: officer, form: ["unit_id": "5"]) { res in #expect(res.status == .seeOther) }
            let list = try await findings(app, "VC-1")
            #expect(list.map { "\($0.unit ?? "")|\($0.item)|\($0.proposedPoints)" } == ["市民政局|D9|0.5"])
            #expect(list.first?.reason == "视频检查：接到通知后15分1秒到达视频点位，超过15分钟时限1秒")
            #expect(list.first?.source == "video")
        }
    }

    @Test func aVideoCheckWithoutItsOwnTimeTakesTheRuleSetsAndAnOnSiteCheckCannotSetOne() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.psb)
            try await start(app, officer, id: "VC-2", kind: "video", extra: ["limit_minutes": ""], units: ["4"])
            #expect(try await InspectionService.drill("VC-2", on: app.db).units.map(\.limitSeconds) == [RuleSet.initial.videoPointLimit.seconds])
            // The page's default left as it is means nothing on an on-site check; another figure is refused.
            try await start(app, officer, id: "OS-1", extra: ["limit_minutes": "30"], units: ["4"])
            #expect(try await InspectionService.drill("OS-1", on: app.db).units.map(\.limitSeconds) == [nil])
            try await app.send(.POST, "checks/drills", as: officer,
                               form: ["check_id": "OS-2", "kind": "onsite", "scenario": "模拟", "limit_minutes": "15", "units[]": "4"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("实地检查按规定时限"))
                // The form comes back as typed, the field named.
                #expect(res.body.string.contains(#"name="limit_minutes" value="15" inputmode="decimal" size="6" aria-invalid="true""#))
            }
            try await app.send(.POST, "checks/drills", as: officer,
                               form: ["check_id": "VC-3", "kind": "video", "scenario": "模拟", "limit_minutes": "0", "units[]": "4"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("视频检查到达时限应为大于0"))
            }
            #expect(try await InspectionService.drills(on: app.db).map(\.checkID).sorted() == ["OS-1", "VC-2"])
        }
    }

    @Test func theQuartersJointCheckNeedsBothAgencies() async throws {
        try await withTestApp { app in
            let book = app.liandong.ruleBook
            let from = LocalDate("2026-01-01")!, asOf = LocalDate("2026-04-15")!
            let now = ChinaTime.parseTimestamp("2026-04-15T12:00:00+08:00")!
            let alert = ChinaTime.parseTimestamp("2026-02-10T14:00:00+08:00")!
            let unit = try await RegisterService.unit(4, on: app.db)
            // Only the police took part.
            let drill = Drill(checkID: "DR-Q1", kind: .onsite, alertAt: alert, scenario: "模拟", officers: ["王警官"],
                              teams: [DrillTeam(agency: .psb, officers: ["王警官"])],
                              units: [DrillUnit(unitID: 4, profile: unit.profile, notifiedAt: alert, arrivedAt: alert.addingTimeInterval(600))])
            _ = try await InspectionService.record(drill, actor: .console(), rules: book, now: now, on: app.db)
            func q1() async throws -> [String] {
                try await InspectionService.judgeSupervision(from: from, asOf: asOf, rules: book, now: now, on: app.db)
                return try await FindingService.list(FindingFilter(source: .supervision), on: app.db)
                    .filter { $0.ref == "joint_check-2026-Q1" }.map { $0.agency ?? "" }
            }
            #expect(try await q1() == ["市应急管理局", "市公安局"])
            let reason = try #require(try await FindingService.list(FindingFilter(source: .supervision), on: app.db).first { $0.ref == "joint_check-2026-Q1" }?.reason)
            #expect(reason.contains("另有1次未由市应急管理局、市公安局共同参加，不计入"))
            let officer = try await app.signIn(.emb)
            try await app.send(.GET, "checks/drills/DR-Q1", as: officer) { res in
                #expect(res.body.string.contains("市公安局：王警官"))
                #expect(res.body.string.contains("仅市公安局参加，不计入本季度联合检查"))
            }
            // The EMB's officers were there after all: an amendment records them, and the quarter is done.
            try await app.send(.POST, "checks/drills/DR-Q1/amend", as: officer,
                               form: ["part": "officers", "emb_officers": "李科长", "psb_officers": "王警官", "reason": "漏登记应急管理局检查人员"]) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await InspectionService.drill("DR-Q1", on: app.db).participatingAgencies == [.emb, .psb])
            #expect(try await q1().isEmpty)
            try await app.send(.GET, "checks/drills/DR-Q1", as: officer) { res in
                #expect(res.body.string.contains("市应急管理局、市公安局共同参加，计入本季度联合检查"))
            }
            // A drill recorded before participation was kept (no column) counts as it did.
            try await (app.db as! any SQLDatabase).update("drills").set("agencies", to: SQLLiteral.null).run()
            try await app.send(.POST, "checks/drills/DR-Q1/amend", as: officer,
                               form: ["part": "officers", "emb_officers": "", "psb_officers": "王警官", "reason": "核实后应急管理局人员未到场"]) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await q1() == ["市应急管理局", "市公安局"])
            try await (app.db as! any SQLDatabase).update("drills").set("agencies", to: SQLLiteral.null).run()
            #expect(try await q1().isEmpty)
        }
    }

    @Test func importedChecksSayWhoTookPart() async throws {
        try await withTestApp { app in
            let both = #"{"type":"video","check_id":"VI-1","alert_at":"2026-02-10T14:00:00+08:00","limit_minutes":15,"emb_officers":["李科长"],"psb_officers":["王警官"],"units":[{"unit":"市水利局","notified_at":"2026-02-10T14:00:00+08:00","arrived_at":"2026-02-10T14:15:01+08:00"}]}"#
            let alone = #"{"type":"onsite","check_id":"OI-1","alert_at":"2026-02-11T14:00:00+08:00","psb_officers":["王警官"],"units":[{"unit":"市民政局","notified_at":"2026-02-11T14:00:00+08:00","arrived_at":"2026-02-11T14:10:00+08:00"}]}"#
            let silent = #"{"type":"video","check_id":"VI-2","alert_at":"2026-02-12T14:00:00+08:00","units":[{"unit":"市建设局","notified_at":"2026-02-12T14:00:00+08:00","arrived_at":"2026-02-12T14:30:00+08:00"}]}"#
            let file = try Fixtures.temporaryFile("checks.jsonl", contents: Data([both, alone, silent].joined(separator: "\n").utf8))
            _ = try await app.run(["checks", "import", file.path])
            // VI-1 by its own 15 minutes: late by a second. VI-2 by the rule set's 30: on time at 30:00.
            #expect(try await findings(app, "VI-1").map(\.reason) == ["视频检查：接到通知后15分1秒到达视频点位，超过15分钟时限1秒"])
            #expect(try await findings(app, "VI-2").isEmpty)
            struct Row: Decodable { var check_id: String; var agencies: String? }
            let rows = try await (app.db as! any SQLDatabase).select().columns("check_id", "agencies").from("drills").orderBy("check_id")
                .all(decoding: Row.self)
            #expect(rows.map { "\($0.check_id)=\($0.agencies ?? "NULL")" } == ["OI-1=psb", "VI-1=emb,psb", "VI-2="])
            let activities = try await InspectionService.activities(on: app.db).filter { $0.kind == .jointCheck }
            #expect(activities.filter { $0.counts(for: RuleSet.initial.duty(.jointCheck)) }.count == 1)
            // The same file again changes nothing.
            #expect(try await app.run(["checks", "import", file.path]).contains("无变化 3 条"))
        }
    }

    @Test func endingAsksForConfirmationThenFreezesTheDrill() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.psb)
            try await start(app, officer, id: "DR-F")
            app.liandong.clock.advance(by: 600)
            try await app.send(.POST, "checks/drills/DR-F/arrive", as: officer, form: ["unit_id": "4"]) { res in #expect(res.status == .seeOther) }
            try await app.send(.GET, "checks/drills/DR-F", as: officer) { res in
                #expect(res.body.string.contains(#"<form method="get" action="/checks/drills/DR-F/finish""#))
                #expect(res.body.string.contains("data-since"))
            }
            // The confirmation step: what ending does, who has not arrived, a box to tick.
            try await app.send(.GET, "checks/drills/DR-F/finish", as: officer) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                #expect(html.contains("<strong>市民政局</strong>"))
                #expect(html.contains(#"name="confirm" value="yes""#))
                #expect(!html.contains("<script>"))
            }
            // Without the box ticked nothing ends.
            try await app.send(.POST, "checks/drills/DR-F/finish", as: officer, form: [:]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("请勾选「确认结束本次检查」"))
            }
            #expect(try await InspectionService.isFinished("DR-F", on: app.db) == false)
            #expect(try await findings(app, "DR-F").isEmpty)
            app.liandong.clock.advance(by: 60)
            let endedAt = app.liandong.clock.now()
            try await app.send(.POST, "checks/drills/DR-F/finish", as: officer, form: ["confirm": "yes"]) { res in #expect(res.status == .seeOther) }
            #expect(try await InspectionService.finishedAt("DR-F", on: app.db).map { abs($0.timeIntervalSince(endedAt)) < 0.001 } == true)
            let after = try await findings(app, "DR-F")
            #expect(after.map { "\($0.unit ?? "")|\($0.kind)" } == ["市民政局|drill_no_show"])
            let record = try await InspectionService.drill("DR-F", on: app.db)
            let proposed = try await deductions(app)

            // Frozen: an arrival or an assessment after the end is refused, and nothing changes.
            app.liandong.clock.advance(by: 30)
            try await app.send(.POST, "checks/drills/DR-F/arrive", as: officer, form: ["unit_id": "5"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("到达时间和现场检查结果已锁定"))
                #expect(res.body.string.contains("更正检查记录"))
            }
            try await app.send(.POST, "checks/drills/DR-F/assess", as: officer, form: ["unit_id": "4", "vest": "false"]) { res in
                #expect(res.status == .conflict)
            }
            await #expect(throws: AppError.self) {
                try await InspectionService.updateUnit("DR-F", unitID: 5, actor: .console(), rules: app.liandong.ruleBook, on: app.db) { $0.arrivedAt = Date() }
            }
            try await app.send(.POST, "checks/drills/DR-F/finish", as: officer, form: ["confirm": "yes"]) { res in #expect(res.status == .conflict) }
            #expect(try await InspectionService.drill("DR-F", on: app.db) == record)
            #expect(try await findings(app, "DR-F").map(\.id) == after.map(\.id))
            #expect(try await deductions(app).map(\.status) == proposed.map(\.status))
            #expect(try await audits(app, "check.drill.finish").count == 1)
            // The clocks have stopped; the way to a correction is shown.
            try await app.send(.GET, "checks/drills/DR-F", as: officer) { res in
                let html = res.body.string
                #expect(!html.contains("data-since"))
                #expect(!html.contains("/arrive"))
                #expect(html.contains("未到达"))
                #expect(html.contains(#"href="/checks/drills/DR-F/amend""#))
            }
            try await app.send(.GET, "checks/drills/DR-F/finish", as: officer) { res in #expect(res.status == .seeOther) }
        }
    }

    @Test func aCorrectionAfterTheEndIsAnAuditedAmendmentWithItsReason() async throws {
        try await withTestApp { app in
            let officer = try await app.signIn(.emb)
            try await start(app, officer, id: "DR-A")
            let notified = try await InspectionService.drill("DR-A", on: app.db).alertAt
            // Before the end there is nothing to amend: the screen records it.
            try await app.send(.POST, "checks/drills/DR-A/amend", as: officer,
                               form: ["part": "unit", "unit_id": "5", "arrived_at": "", "reason": "测试更正理由"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("尚未结束"))
            }
            // Ended 28 minutes 20 seconds after the alert (within the session's idle time).
            app.liandong.clock.advance(by: 1700)
            try await app.send(.POST, "checks/drills/DR-A/finish", as: officer, form: ["confirm": "yes"]) { res in #expect(res.status == .seeOther) }
            #expect(try await findings(app, "DR-A").map { "\($0.unit ?? "")|\($0.kind)" }.sorted() == ["市民政局|drill_no_show", "市水利局|drill_no_show"])
            let before = try await InspectionService.drill("DR-A", on: app.db)
            let auditCount = try await AuditEntry.query(on: app.db).count()
            try await app.send(.GET, "checks/drills/DR-A/amend", as: officer) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("更正理由"))
            }

            // 市民政局 arrived 25 minutes after the alert, but nobody tapped: a reason is required.
            let arrival = String(ChinaTime.isoString(notified.addingTimeInterval(25 * 60)).prefix(19))
            for reason in ["", "漏点"] {
                try await app.send(.POST, "checks/drills/DR-A/amend", as: officer,
                                   form: ["part": "unit", "unit_id": "5", "arrived_at": arrival, "vest": "true", "equipment": "true", "duties": "true", "reason": reason]) { res in
                    #expect(res.status == .unprocessableEntity)
                    #expect(res.body.string.contains("请写明更正理由"))
                }
            }
            // After the end is no arrival in the check.
            let late = String(ChinaTime.isoString(notified.addingTimeInterval(1701)).prefix(19))
            try await app.send(.POST, "checks/drills/DR-A/amend", as: officer,
                               form: ["part": "unit", "unit_id": "5", "arrived_at": late, "reason": "据现场视频补记到达时间"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("到达时间不能晚于检查结束时间"))
            }
            #expect(try await InspectionService.drill("DR-A", on: app.db) == before)
            #expect(try await AuditEntry.query(on: app.db).count() == auditCount)

            try await app.send(.POST, "checks/drills/DR-A/amend", as: officer,
                               form: ["part": "unit", "unit_id": "5", "arrived_at": arrival, "vest": "true", "equipment": "true", "duties": "true",
                                      "reason": "据现场视频，该单位14时25分已到达，检查人员漏点"]) { res in
                #expect(res.status == .seeOther)
            }
            // Judged again in the same step: no longer a no-show but late by 5 minutes (D9 0.5), its proposal with it.
            let list = try await findings(app, "DR-A")
            #expect(list.map { "\($0.unit ?? "")|\($0.kind)|\($0.proposedPoints)" }.sorted() == ["市民政局|late_arrival|0.5", "市水利局|drill_no_show|2.0"])
            let byStatus = Dictionary(grouping: try await deductions(app).filter { $0.ref == "DR-A" }, by: \.status).mapValues { $0.map(\.item).sorted() }
            #expect(byStatus == ["proposed": ["D10", "D9"], "withdrawn": ["D10"]])
            let amended = try #require(try await audits(app, "check.drill.amend").first)
            #expect(amended.entityID == "DR-A")
            #expect(amended.before?.contains(#""arrived_at""#) == false)
            #expect(amended.after?.contains(#""arrived_at""#) == true)
            #expect(amended.after?.contains("据现场视频，该单位14时25分已到达，检查人员漏点") == true)
            let after = try await InspectionService.drill("DR-A", on: app.db)
            #expect(after.units[1].arrivedAt == notified.addingTimeInterval(25 * 60))
            #expect(after.units[1].vestWorn == true)
            #expect(try await AuditLog.verify(on: app.db).firstBroken == nil)

            // The same correction again changes nothing and says so.
            try await app.send(.POST, "checks/drills/DR-A/amend", as: officer,
                               form: ["part": "unit", "unit_id": "5", "arrived_at": arrival, "vest": "true", "equipment": "true", "duties": "true",
                                      "reason": "据现场视频，该单位14时25分已到达，检查人员漏点"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("更正内容与原记录相同"))
            }
            let liaison = try await app.signIn(.liaison, unitID: 5)
            try await app.send(.POST, "checks/drills/DR-A/amend", as: liaison,
                               form: ["part": "unit", "unit_id": "5", "arrived_at": "", "reason": "本单位认为已到达"]) { res in
                #expect(res.status == .forbidden)
            }
        }
    }
}
