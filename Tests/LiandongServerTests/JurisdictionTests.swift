import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Issue 15 items 1–3: each jurisdiction's agencies, who decides what (role × jurisdiction ×
/// action, page contents included), and joint decisions on appeals and rejections.
@Suite("Agencies per jurisdiction and who decides what")
struct JurisdictionTests {
    /// A county unit, a development-zone unit, and the register's 市水利局 and 市公安局.
    struct Units { var city: Int; var county: Int; var zone: Int; var police: Int }

    static func units(_ app: Application) async throws -> Units {
        let file = try Fixtures.temporaryFile("units.csv", contents: Data("单位名称,辖区,级别\n龙泉市水利局,龙泉市,1\n开发区建设局,丽水开发区,2\n".utf8))
        _ = try await app.run(["units", "import", file.path])
        let all = try await RegisterService.units(on: app.db)
        func id(_ name: String) throws -> Int { try #require(all.first { $0.name == name }?.id) }
        return Units(city: try id("市水利局"), county: try id("龙泉市水利局"), zone: try id("开发区建设局"), police: try id("市公安局"))
    }

    /// A D12 filed by hand against the unit (by the console), proposed at once.
    static func propose(_ app: Application, unit: Int, ref: String, points: Points = Points(1.0)) async throws -> Int {
        let now = app.liandong.clock.now()
        _ = try await FindingService.fileManual(unitID: unit, item: .d12, at: now.addingTimeInterval(-3600), narrative: "值班人员擅自离岗两小时",
                                                points: points, reference: ref, actor: .console(), rules: app.liandong.ruleBook, now: now, on: app.db)
        let list = try await DeductionService.list(DeductionFilter(unitID: unit), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db)
        return try #require(list.filter { $0.ref == ref }.first?.id)
    }

    static func deduction(_ app: Application, _ id: Int) async throws -> DeductionDTO {
        try #require(try await DeductionService.list(DeductionFilter(id: id), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first)
    }

    @Test func theRegisterHoldsEachJurisdictionsAgencies() async throws {
        try await withTestApp { app in
            let out = try await app.run(["agencies", "list", "--format", "json"])
            let list = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
            #expect(list.count == 30)
            let police = try #require(list.first { $0["id"] as? String == "longquan-psb" })
            #expect(police["name"] as? String == "龙泉市公安局" && police["kind"] as? String == "psb" && police["jurisdiction"] as? String == "龙泉市")
            #expect(police["liaison"] is NSNull)
            #expect(list.first { $0["id"] as? String == "psb" }?["name"] as? String == "市公安局")
            #expect(Set(list.compactMap { $0["kind"] as? String }) == ["plc", "emb", "psb"])
            // The liaison officer and contacts (§一), by name or code.
            _ = try await app.run(["agencies", "set", "龙泉市公安局", "--liaison", "叶警官", "--mobile", "13905781234", "--phone", "0578-7123456"])
            let again = try await app.run(["agencies", "list", "--jurisdiction", "龙泉市", "--format", "json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(again.utf8)) as? [[String: Any]])
            #expect(rows.count == 3)
            let liaison = try #require(rows.first { $0["id"] as? String == "longquan-psb" }?["liaison"] as? [String: Any])
            #expect(liaison["name"] as? String == "叶警官" && liaison["mobile"] as? String == "13905781234")
            await #expect(throws: (any Error).self) { _ = try await app.run(["agencies", "set", "省公安厅", "--liaison", "某"]) }
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "agency.contacts").count() == 1)
        }
    }

    enum Officer: String, CaseIterable {
        case cityEMB, cityPSB, cityPLC, countyEMB, countyPSB, countyPLC
        var role: Role { switch self { case .cityEMB, .countyEMB: .emb; case .cityPSB, .countyPSB: .psb; case .cityPLC, .countyPLC: .plc } }
        var jurisdiction: String? { rawValue.hasPrefix("county") ? "longquan" : nil }
    }

    enum Subject: String, CaseIterable { case city, county, zone, police }

    /// Who decides: the unit's jurisdiction's EMB and police (the city's for the city and the
    /// development zone); for 市公安局, the EMB and the PLC.
    static let deciders: [Subject: Set<Officer>] = [
        .city: [.cityEMB, .cityPSB], .county: [.countyEMB, .countyPSB], .zone: [.cityEMB, .cityPSB], .police: [.cityEMB, .cityPLC],
    ]
    /// Who sees the deduction in the list: the city's agencies everything, a county's its own.
    static let sees: [Subject: Set<Officer>] = [
        .city: [.cityEMB, .cityPSB, .cityPLC], .county: Set(Officer.allCases), .zone: [.cityEMB, .cityPSB, .cityPLC], .police: [.cityEMB, .cityPSB, .cityPLC],
    ]
    /// Who files findings against the unit (by hand, D11): the EMB and the police whose duties reach it.
    static let files: [Subject: Set<Officer>] = [
        .city: [.cityEMB, .cityPSB], .county: [.cityEMB, .cityPSB, .countyEMB, .countyPSB], .zone: [.cityEMB, .cityPSB], .police: [.cityEMB, .cityPSB],
    ]
    /// Who asks for rectification of a confirmed deduction: the EMB and the police of the
    /// jurisdiction that decides it.
    static let rectifies: [Subject: Set<Officer>] = [
        .city: [.cityEMB, .cityPSB], .county: [.countyEMB, .countyPSB], .zone: [.cityEMB, .cityPSB], .police: [.cityEMB, .cityPSB],
    ]

    @Test func theMatrixOfRolesJurisdictionsAndActions() async throws {
        try await withTestApp { app in
            let u = try await Self.units(app)
            let unitOf: [Subject: Int] = [.city: u.city, .county: u.county, .zone: u.zone, .police: u.police]
            var users: [Officer: TestUser] = [:]
            for o in Officer.allCases { users[o] = try await app.signIn(o.role, jurisdiction: o.jurisdiction) }
            // One fresh deduction for each officer and subject, so that each attempt starts alike.
            var ids: [Officer: [Subject: Int]] = [:]
            for o in Officer.allCases {
                for s in Subject.allCases { ids[o, default: [:]][s] = try await Self.propose(app, unit: unitOf[s]!, ref: "M-\(o.rawValue)-\(s.rawValue)") }
            }
            for o in Officer.allCases {
                let user = users[o]!
                // The list: rows the officer may see, and the decision form only where the officer's agency decides.
                var html = ""
                try await app.send(.GET, "deductions", as: user) { res in
                    #expect(res.status == .ok)
                    html = res.body.string
                }
                for s in Subject.allCases {
                    let id = ids[o]![s]!
                    let label = "\(o) \(s)"
                    #expect(html.contains(#"action="/deductions/\#(id)/decision""#) == Self.deciders[s]!.contains(o), "\(label): form")
                    #expect(html.contains(#"<a href="/deductions/\#(id)" title="扣分详情">\#(id)</a></td>"#)
                            == Self.sees[s]!.contains(o), "\(label): row")
                }
                for s in Subject.allCases {
                    let id = ids[o]![s]!
                    let label = "\(o) \(s)"
                    try await app.send(.POST, "deductions/\(id)/decision", as: user, form: ["action": "confirm"]) { res in
                        if Self.deciders[s]!.contains(o) {
                            #expect(res.status == .seeOther, "\(label): confirm")
                        } else {
                            #expect(res.status == .forbidden, "\(label): confirm \(res.status)")
                            // The refusal names the agencies that decide.
                            let names = s == .county ? "龙泉市应急管理局和龙泉市公安局" : s == .police ? "市应急管理局和市委政法委" : "市应急管理局和市公安局"
                            #expect(res.body.string.contains("由\(names)共同决定"), "\(label): message")
                        }
                    }
                    let d = try await Self.deduction(app, id)
                    #expect(d.awaiting.count == (Self.deciders[s]!.contains(o) ? 1 : 2), "\(label): nothing written when refused")
                    // Filing a finding by hand against the unit.
                    try await app.send(.POST, "findings/manual", as: user, form: ["unit_id": String(unitOf[s]!), "item": "D12", "occurred_at": "2026-03-01T08:15",
                                                                               "narrative": "值班人员脱岗两小时", "points": "0.5", "reference": "W-\(o.rawValue)-\(s.rawValue)"]) { res in
                        #expect((res.status == .ok) == Self.files[s]!.contains(o), "\(label): manual finding \(res.status)")
                        if res.status != .ok { #expect(res.status == .forbidden, "\(label)") }
                    }
                    // D11 against the unit.
                    try await app.send(.POST, "findings/provincial", as: user, form: ["number": "浙应联〔2026〕\(id)号", "date": "2026-05-10", "subject": "unit:\(unitOf[s]!)",
                                                                                   "points": "0.5", "text": "联动响应迟缓"]) { res in
                        #expect((res.status == .ok) == Self.files[s]!.contains(o), "\(label): D11 \(res.status)")
                    }
                }
            }
            // Rectifications of confirmed deductions: the deciding jurisdiction's EMB and police.
            let directory = try await AgencyStore.load(on: app.db)
            for s in Subject.allCases {
                let id = try await Self.propose(app, unit: unitOf[s]!, ref: "R-\(s.rawValue)")
                let subject = DecisionSubject.unit(id: unitOf[s]!, name: "", jurisdictionID: s == .county ? "longquan" : s == .zone ? "kaifaqu" : "city")
                for a in directory.deciders(for: subject) where s != .police {
                    try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: a.kind, seat: a.jurisdictionID,
                                                      officer: "officer-\(a.id)", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
                }
                if s == .police {
                    for kind in [Agency.emb, .plc] {
                        try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: kind, officer: "officer-\(kind)",
                                                          actor: .console(), rules: app.liandong.ruleBook, on: app.db)
                    }
                }
                #expect(try await Self.deduction(app, id).status == "confirmed")
                let due = LocalDate(app.liandong.clock.now()).adding(days: 7).description
                // The form offers only the deductions the officer's agencies decide.
                for o in Officer.allCases where o.role != .plc {
                    try await app.send(.GET, "rectifications", as: users[o]!) { res in
                        #expect(res.body.string.contains(#"<option value="\#(id)">"#) == Self.rectifies[s]!.contains(o), "\(o) \(s): rectification form")
                    }
                }
                for o in Officer.allCases {
                    try await app.send(.POST, "rectifications", as: users[o]!, form: ["op": "assign", "deduction_id": String(id), "action": "完善值班制度",
                                                                                   "owner": "办公室", "due_on": due]) { res in
                        // The first allowed officer assigns it; the next allowed is told it exists (409).
                        #expect((res.status != .forbidden) == Self.rectifies[s]!.contains(o), "\(o) \(s): rectification \(res.status)")
                    }
                }
            }
            // Issue 15 item 5: only the city PLC closes a year (2025 has ended); every other officer,
            // the county PLC included, is refused with a message naming who may, and nothing is written.
            let closer = Officer.allCases.firstIndex(of: .cityPLC)!
            for (index, o) in Officer.allCases.enumerated() {
                try await app.send(.POST, "assessment/close", as: users[o]!, form: ["year": "2025"]) { res in
                    if o == .cityPLC {
                        #expect(res.status == .seeOther, "\(o): close \(res.status)")
                    } else {
                        #expect(res.status == .forbidden && res.body.string.contains("年度考核只能由市委政法委结算"), "\(o): close \(res.status)")
                    }
                }
                #expect((try await YearClose.active(2025, on: app.db as! any SQLDatabase) != nil) == (index >= closer), "\(o): close written")
            }
        }
    }

    /// Done when (issue 15): a county's units imported, its EMB and police officers confirm their
    /// units' deductions, the city officers' attempt is refused (and the other way round), and the
    /// county's score falls by exactly the confirmed points.
    @Test func aCountysOfficersDecideItsUnitsAndItsScoreFalls() async throws {
        try await withTestApp { app in
            let u = try await Self.units(app)
            let year = LocalDate(app.liandong.clock.now()).year
            let before = try await AssessmentService.report(.year(year), rules: app.liandong.ruleBook, on: app.db)
            let start = try #require(before.ranked.first { $0.entity == "龙泉市" }?.score)
            let county = try await Self.propose(app, unit: u.county, ref: "C-1", points: Points(1.5))
            let city = try await Self.propose(app, unit: u.city, ref: "C-2")
            let cityEMB = try await app.signIn(.emb), lqEMB = try await app.signIn(.emb, jurisdiction: "longquan")
            let lqPSB = try await app.signIn(.psb, jurisdiction: "longquan")
            try await app.send(.POST, "deductions/\(county)/decision", as: cityEMB, form: ["action": "confirm"]) { res in
                #expect(res.status == .forbidden)
                #expect(res.body.string.contains("扣分 \(county) 由龙泉市应急管理局和龙泉市公安局共同决定，市应急管理局不能作此决定"))
            }
            try await app.send(.POST, "deductions/\(city)/decision", as: lqEMB, form: ["action": "confirm"]) { res in
                #expect(res.status == .forbidden)
                #expect(res.body.string.contains("扣分 \(city) 由市应急管理局和市公安局共同决定，龙泉市应急管理局不能作此决定"))
            }
            // Nor from the command line, for another jurisdiction's agency.
            await #expect(throws: AppError.self) {
                _ = try await app.run(["deductions", "confirm", String(county), "--agency", "市公安局", "--officer", "王"])
            }
            #expect(try await Self.deduction(app, county).awaiting == ["龙泉市应急管理局", "龙泉市公安局"])
            try await app.send(.POST, "deductions/\(county)/decision", as: lqEMB, form: ["action": "confirm"]) { res in #expect(res.status == .seeOther) }
            let out = try await app.run(["deductions", "confirm", String(county), "--agency", "longquan-psb", "--officer", "叶警官"])
            #expect(out.contains("已确认"))
            #expect(try await Self.deduction(app, county).status == "confirmed")
            // The county's home page counts what its own agencies await.
            try await app.send(.GET, "deductions?awaiting=psb", as: lqPSB) { res in
                #expect(res.body.string.contains("仅列出待龙泉市公安局确认的扣分"))
                #expect(res.body.string.contains("共 0 条"))
            }
            let after = try await AssessmentService.report(.year(year), rules: app.liandong.ruleBook, on: app.db)
            #expect(after.ranked.first { $0.entity == "龙泉市" }?.score == start - 1.5)
            let steps = try await DeductionService.events(county, on: app.db)
            #expect(steps.map(\.agency) == ["龙泉市应急管理局", "龙泉市公安局"])
        }
    }

    /// A deduction against 市公安局 is decided by the EMB and the PLC; appeals and rejections
    /// need both deciders, and a disagreement shows as awaiting the other.
    @Test func appealsAndRejectionsAreJointAndThePoliceAreNotJudgesOfTheirOwn() async throws {
        try await withTestApp { app in
            let u = try await Self.units(app)
            let police = try await Self.propose(app, unit: u.police, ref: "P-1")
            var d = try await Self.deduction(app, police)
            #expect(d.awaiting == ["市应急管理局", "市委政法委"] && d.deciders == ["市应急管理局", "市委政法委"])
            let emb = try await app.signIn(.emb), psb = try await app.signIn(.psb), plc = try await app.signIn(.plc)
            try await app.send(.POST, "deductions/\(police)/decision", as: psb, form: ["action": "confirm"]) { res in
                #expect(res.status == .forbidden)
                #expect(res.body.string.contains("由市应急管理局和市委政法委共同决定，市公安局不能作此决定"))
            }
            // The PLC's list offers the decision; its home counts it.
            try await app.send(.GET, "deductions?awaiting=plc", as: plc) { res in
                #expect(res.body.string.contains(#"action="/deductions/\#(police)/decision""#))
                #expect(res.body.string.contains("共 1 条"))
            }
            // A rejection by one is not final: it awaits the other, and is shown so.
            try await app.send(.POST, "deductions/\(police)/decision", as: emb, form: ["action": "reject", "reason": "当日系演练"]) { res in
                #expect(res.status == .seeOther)
            }
            d = try await Self.deduction(app, police)
            #expect(d.status == "proposed" && d.awaiting == ["市委政法委"] && d.onTable == "驳回")
            try await app.send(.GET, "deductions?done=reject&id=\(police)", as: emb) { res in
                #expect(res.body.string.contains("扣分 \(police) 已驳回（本部门意见），待市委政法委同意后生效"))
                #expect(res.body.string.contains("市委政法委（驳回）"))
            }
            // The PLC disagrees and confirms: the EMB is asked again.
            try await app.send(.POST, "deductions/\(police)/decision", as: plc, form: ["action": "confirm"]) { res in #expect(res.status == .seeOther) }
            d = try await Self.deduction(app, police)
            #expect(d.status == "proposed" && d.awaiting == ["市应急管理局"])
            try await app.send(.POST, "deductions/\(police)/decision", as: emb, form: ["action": "confirm"]) { res in #expect(res.status == .seeOther) }
            #expect(try await Self.deduction(app, police).status == "confirmed")

            // The unit appeals; each decider takes a position, with a reason.
            let liaison = try await app.signIn(.liaison, unitID: u.police)
            try await app.send(.POST, "deductions/\(police)/appeal", as: liaison, form: ["statement": "当日警力全部投入抢险"]) { res in #expect(res.status == .ok) }
            try await app.send(.POST, "deductions/\(police)/decision", as: psb, form: ["action": "withdraw", "reason": "情况属实"]) { res in
                #expect(res.status == .forbidden)
            }
            try await app.send(.POST, "deductions/\(police)/decision", as: emb, form: ["action": "withdraw", "reason": "情况属实"]) { res in
                #expect(res.status == .seeOther)
            }
            d = try await Self.deduction(app, police)
            #expect(d.status == "appealed" && d.awaiting == ["市委政法委"] && d.onTable == "申诉决定：撤销扣分")
            // A different outcome replaces it and awaits the EMB.
            try await app.send(.POST, "deductions/\(police)/decision", as: plc, form: ["action": "reduce", "points": "0.5", "reason": "酌情减轻"]) { res in
                #expect(res.status == .seeOther)
            }
            d = try await Self.deduction(app, police)
            #expect(d.status == "appealed" && d.awaiting == ["市应急管理局"])
            try await app.send(.POST, "deductions/\(police)/decision", as: emb, form: ["action": "reduce", "points": "0.5", "reason": "同意减为0.5分"]) { res in
                #expect(res.status == .seeOther)
            }
            d = try await Self.deduction(app, police)
            #expect(d.status == "confirmed" && d.points == 0.5 && d.appealDecision?.hasPrefix("减少扣分") == true)
            // Every step is kept.
            let steps = try await DeductionService.events(police, on: app.db)
            #expect(steps.map(\.action) == ["reject", "confirm", "confirm", "appeal", "appeal_withdraw", "appeal_reduce", "appeal_reduce"])
            #expect(steps.compactMap(\.agency) == ["市应急管理局", "市委政法委", "市应急管理局", "市应急管理局", "市委政法委", "市应急管理局"])
        }
    }
}
