import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `liandong demo`: fills a fresh database with a realistic year for Lishui, so that a newcomer
/// sees every page populated: county units beside the Annex 2 register, monthly phone checks,
/// quarterly drills, tens of thousands of dispatches, the plans register, deductions in every
/// state, two published notices, and an account for each role.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "dispatches", help: "合成警情数（默认 20000）") var dispatches: Int?
        @Option(name: "seed", help: "随机种子（默认 2026）") var seed: String?
    }

    var help: String { "在新数据库中生成一年的演示数据（单位、检查、警情、扣分、通报和各角色演示账户）" }

    static let password = "Lishui-Demo-2026"
    /// The city's officers, a liaison, and a county's EMB and police officers (issue 15: each
    /// jurisdiction's agencies decide its own units' deductions).
    static let accounts: [(username: String, name: String, role: Role, unit: String?, jurisdiction: String?)] = [
        ("demo-plc", "政法委演示", .plc, nil, nil), ("demo-emb", "应急局演示", .emb, nil, nil),
        ("demo-psb", "公安局演示", .psb, nil, nil), ("demo-liaison", "水利局联络员演示", .liaison, "市水利局", nil),
        ("demo-lq-emb", "龙泉应急局演示", .emb, nil, county), ("demo-lq-psb", "龙泉公安局演示", .psb, nil, county),
    ]
    /// The county whose officers the demo signs in.
    static let county = "longquan"
    /// The county unit whose two late arrivals yesterday await the county's officers.
    static let countyUnit = "龙泉市水利局"

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let count = signature.dispatches ?? 20_000
        guard (100...200_000).contains(count) else { throw CommandFailure("--dispatches 应为 100 至 200000") }
        let summary = try await Demo.fill(app, dispatches: count, seed: UInt64(signature.seed ?? "2026") ?? 2026)
        app.commandOutput.write(summary)
    }
}

enum Demo {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Returns what it made, as the console prints it.
    static func fill(_ app: Application, dispatches count: Int, seed: UInt64, today: LocalDate = LocalDate(Date())) async throws -> String {
        let db = app.db, sql = app.db as! any SQLDatabase
        struct N: Decodable { var n: Int }
        let existing = try await sql.raw("SELECT COUNT(*) AS n FROM dispatch_events").first(decoding: N.self)?.n ?? 0
        guard existing == 0 else { throw CommandFailure("数据库中已有警情数据；演示数据只能生成在新数据库中") }
        let rules = app.liandong.ruleBook
        let actor = Actor.console()
        var rng = SplitMix64(seed: seed)
        func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }
        let year = today.year
        let start = LocalDate(year: year, month: 1, day: 1)!
        func at(_ day: LocalDate, _ hour: Int, _ minute: Int = 0) -> Date { day.start.addingTimeInterval(Double(hour * 3600 + minute * 60)) }
        var out = ""

        // County units: the police, the emergency bureau and the water bureau of each county.
        let header = ["单位名称", "辖区", "级别", "单位类型", "公安", "值班电话", "联络员", "联络员手机"]
        var rows: [(row: Int, cells: [String])] = []
        for (i, j) in Jurisdictions.all.filter({ $0.kind == .county }).enumerated() {
            // Lishui's area code, 0578, covers its counties too.
            let area = "0578"
            for (k, (suffix, level, police)) in [("公安局", "1", "是"), ("应急管理局", "1", "否"), ("水利局", "2", "否")].enumerated() {
                rows.append((rows.count + 2, [j.name + suffix, j.name, level, "部门", police, "\(area)-\(8_100_000 + i * 10 + k)",
                                             ["王", "李", "张"][k] + ["明", "华", "军"][i % 3], "139\(String(format: "%08d", 57_100_000 + i * 10 + k))"]))
            }
        }
        let records = try UnitTable.parse(header: (1, header), rows: rows)
        _ = try await RegisterService.importUnits(records, reportedBy: "演示数据", now: at(start, 9), actor: actor, on: db)
        // The city units report their duty phones and liaisons at the start, as the notice asks;
        // the last three in the register have not yet, as happens.
        let city = try await LinkageUnit.query(on: db).all().filter { $0.dutyPhone == nil && $0.liaisonMobile == nil }
            .sorted { ($0.id ?? 0) < ($1.id ?? 0) }.dropLast(3)
        for (i, unit) in city.enumerated() {
            let contacts = ContactDetails(dutyPhone: "0578-\(2_100_000 + i * 37)", liaisonName: ["陈", "刘", "吴", "周"][i % 4] + ["平", "涛", "敏"][i % 3],
                                          liaisonMobile: "138\(String(format: "%08d", 57_200_000 + i * 13))")
            _ = try await RegisterService.reportContactChange(unit: unit, to: contacts, reportedAt: at(start, 9), reportedBy: "演示数据",
                                                              channel: "import", note: nil, now: at(start, 9), actor: actor, on: db)
        }
        let units = try await LinkageUnit.query(on: db).all()
        let byName = Dictionary(uniqueKeysWithValues: units.map { ($0.name, $0) })
        out += "联动单位 \(units.count) 个（含各县市区 \(records.count) 个）\n"

        // Monthly phone checks, each month's sample called on the 10th.
        var months = 0, calls = 0
        var month = Period.containing(start, .month)
        while month.end <= today {
            let campaign = try await InspectionService.createCampaign(month: month, size: 10, seed: rng.next(), actor: actor, rules: rules,
                                                                      now: at(month.start, 8), on: db)
            let numbers = Dictionary(uniqueKeysWithValues: units.map { ($0.id ?? 0, (duty: $0.dutyPhone != nil, liaison: $0.liaisonMobile != nil)) })
            for (i, unitID) in campaign.units.enumerated() {
                // A unit whose number is not registered cannot be called (the call screen refuses it).
                guard (i % 3 == 0 ? numbers[unitID]?.liaison : numbers[unitID]?.duty) == true else { continue }
                let first = at(month.start.adding(days: 9), 9, i * 6)
                let outcome = rng.next() % 100
                let attempts: [PhoneCheck.Attempt] = outcome < 90 ? [.init(at: first, answered: true)]
                    : outcome < 95 ? [.init(at: first, answered: false), .init(at: first.addingTimeInterval(180), answered: true)]
                    : (0..<3).map { .init(at: first.addingTimeInterval(Double($0 * 180)), answered: false) }
                let answered = attempts.contains(where: \.answered)
                let check = PhoneCheck(checkID: "TEL-\(campaign.month)-\(i + 1)", unitID: unitID, dialled: i % 3 == 0 ? .liaison : .duty,
                                       attempts: attempts, answeredBy: answered ? "值班员" : nil, numberCurrent: answered ? true : nil,
                                       knowsFirstResponsibility: answered ? !chance(0.05) : nil, officers: ["公安局演示"])
                _ = try await InspectionService.record(check, campaignID: campaign.id, actor: actor, rules: rules, now: first.addingTimeInterval(900), on: db)
                calls += 1
            }
            // The level-1 units due an out-of-hours call: at night, most of them answered.
            for (i, unitID) in campaign.outOfHours.enumerated() where numbers[unitID]?.duty == true {
                let first = at(month.start.adding(days: 11), 21, i * 6)
                let answered = !chance(0.05)
                let attempts: [PhoneCheck.Attempt] = answered ? [.init(at: first, answered: true)]
                    : (0..<3).map { .init(at: first.addingTimeInterval(Double($0 * 180)), answered: false) }
                let check = PhoneCheck(checkID: "TEL-\(campaign.month)-N\(i + 1)", unitID: unitID, dialled: .duty, attempts: attempts,
                                       answeredBy: answered ? "夜间值班员" : nil, numberCurrent: answered ? true : nil, officers: ["公安局演示"])
                _ = try await InspectionService.record(check, campaignID: campaign.id, actor: actor, rules: rules, now: first.addingTimeInterval(900), on: db)
                calls += 1
            }
            months += 1
            month = Period.containing(month.end, .month)
        }
        out += "电话检查 \(months) 个月，\(calls) 次\n"

        // A drill each quarter (on-site, then video), with one late unit and now and then a no-show.
        var drills = 0
        for q in 1...4 {
            let day = LocalDate(year: year, month: (q - 1) * 3 + 2, day: 16)!
            guard day < today else { break }
            let alert = at(day, 14)
            let chosen = ["市水利局", "市交通运输局", "国网丽水供电公司", "市建设局", "市卫生健康委", "市市场监管局"].compactMap { byName[$0] }
                .shuffledDeterministically(&rng).prefix(4)
            let drillUnits = chosen.enumerated().map { i, u -> DrillUnit in
                let limit = rules.inForce(at: alert).limit(level: u.unitLevel, publicSecurity: u.publicSecurity).seconds
                let arrival: Date? = i == 3 && q % 2 == 0 ? nil : alert.addingTimeInterval(Double(i == 2 ? limit + 420 : limit - 300 + i * 60))
                return DrillUnit(unitID: u.id ?? 0, level: u.unitLevel, publicSecurity: u.publicSecurity, uniformExempt: u.uniformExempt,
                                 notifiedAt: alert, arrivedAt: arrival, vestWorn: arrival == nil ? nil : !(i == 1 && q == 3),
                                 equipmentOK: arrival == nil ? nil : true, knowsDuties: arrival == nil ? nil : true)
            }
            let drill = Drill(checkID: "DR-\(year)-Q\(q)", kind: q % 2 == 1 ? .onsite : .video, alertAt: alert,
                              scenario: ["城区内涝积水", "燃气管道泄漏", "道路塌陷", "高层停电困人"][q - 1], place: "丽水市区",
                              officers: ["应急局演示", "公安局演示"],
                              teams: [DrillTeam(agency: .emb, officers: ["应急局演示"]), DrillTeam(agency: .psb, officers: ["公安局演示"])],
                              units: Array(drillUnits))
            _ = try await InspectionService.record(drill, actor: actor, rules: rules, now: alert.addingTimeInterval(7200), on: db)
            drills += 1
        }
        if LocalDate(year: year, month: 6, day: 26)! < today {
            try await InspectionService.recordMeeting(heldOn: at(LocalDate(year: year, month: 6, day: 26)!, 15), attendees: "市委政法委、市应急管理局、市公安局",
                                                      decisions: "通报上半年检查情况，部署下半年工作", actor: actor, rules: rules, now: at(LocalDate(year: year, month: 6, day: 26)!, 17), on: db)
        }
        out += "实地视频检查 \(drills) 次\n"

        // The year's live dispatches, up to yesterday.
        var generator = DispatchGenerator(units: units.map { GeneratorUnit(id: $0.id ?? 0, name: $0.name, level: $0.unitLevel, publicSecurity: $0.publicSecurity) },
                                          rules: rules.inForce(on: start), seed: rng.next())
        let events = generator.events(in: Period(start: start, end: today), dispatches: count)
        let ingest = try await DispatchService.ingest(events, actor: actor, rules: rules, now: today.start, on: db)
        out += "联动警情 \(ingest.dispatchesJudged) 起（\(ingest.new) 个事件），发现问题 \(ingest.findingsAdded) 条\n"
        // Yesterday the county's water bureau arrived late twice: its officers have these to decide today.
        if let unit = byName[DemoCommand.countyUnit] {
            let yesterday = today.adding(days: -1)
            var late: [DispatchEventInput] = []
            for (i, hour) in [9, 15].enumerated() {
                let instructed = at(yesterday, hour), incident = "DEMO-LQ-\(yesterday.description)-\(i + 1)"
                let limit = rules.inForce(at: instructed).limit(level: unit.unitLevel, publicSecurity: unit.publicSecurity).seconds
                late += [
                    DispatchEventInput(eventID: "\(incident)-1", incidentID: incident, unit: unit.name, type: .instructed, at: instructed),
                    DispatchEventInput(eventID: "\(incident)-2", incidentID: incident, unit: unit.name, type: .arrived, at: instructed.addingTimeInterval(Double(limit + 600 + i * 300))),
                    DispatchEventInput(eventID: "\(incident)-3", incidentID: incident, unit: unit.name, type: .resultReported, at: instructed.addingTimeInterval(Double(limit + 3600))),
                ]
            }
            _ = try await DispatchService.ingest(late, actor: actor, rules: rules, now: today.start, on: db)
        }

        // The plans register.
        func plan(_ id: String, _ unit: String, _ name: String, _ kind: PlanKind, issued: String?, revised: String? = nil, due: String? = nil,
                  survey: Bool = true, published: String? = nil) -> EmergencyPlan? {
            byName[unit].map {
                EmergencyPlan(id: id, unitID: $0.id ?? 0, name: name, kind: kind, required: true, issuedOn: issued.flatMap(LocalDate.init),
                              lastRevisedOn: revised.flatMap(LocalDate.init), nextRevisionDue: due.flatMap(LocalDate.init),
                              lastRevisionRiskAssessment: revised != nil, lastRevisionResourceSurvey: survey, publishedOn: published.flatMap(LocalDate.init),
                              publishedWhere: published == nil ? nil : "丽水市人民政府网站")
            }
        }
        var register = PlanRegister()
        // What the register records as done lies in the past (a plan's dates cannot be in the
        // future): early in the year, last year's revisions.
        let py = LocalDate(year: year, month: 4, day: 10)! < today ? year : year - 1
        register.plans = [
            plan("LS-ZX-01", "市水利局", "丽水市防汛防台抗旱应急预案", .special, issued: "2021-05-01", revised: "\(py)-03-01", due: "\(py + 3)-03-01", published: "\(py)-03-10"),
            plan("LS-ZX-02", "市应急管理局", "丽水市森林火灾应急预案", .special, issued: "2020-08-01", revised: "2023-06-01", due: "\(year)-06-01", published: "2023-06-12"),
            plan("LS-ZX-03", "市建设局", "丽水市城市燃气事故应急预案", .special, issued: "2022-04-01", revised: "\(py)-04-01", due: "\(py + 3)-04-01", survey: false, published: "\(py)-04-10"),
            plan("LS-BM-01", "市交通运输局", "市交通运输局公路突发事件应急预案", .department, issued: "\(py)-02-01"),
            plan("LS-BM-02", "市卫生健康委", "市卫生健康委突发公共卫生事件应急预案", .department, issued: nil),
        ].compactMap { $0 }
        register.drills = [
            PlanDrill(id: "YL-01", planID: "LS-ZX-01", unitID: byName["市水利局"]?.id ?? 0, heldOn: LocalDate(year: year, month: 5, day: 20)!, kind: .live, scale: "8个单位、150人"),
            PlanDrill(id: "YL-02", planID: "LS-ZX-02", unitID: byName["市应急管理局"]?.id ?? 0, heldOn: LocalDate(year: year - 3, month: 3, day: 1)!, kind: .tabletop, scale: "5个单位"),
        ].filter { $0.heldOn < today }
        register.events = [MajorEvent(id: "ZD-01", name: "丽水国际马拉松", startsOn: LocalDate(year: year, month: 10, day: 18)!,
                                      endsOn: LocalDate(year: year, month: 10, day: 18)!, unitIDs: [byName["市建设局"]?.id ?? 0])]
        register.performanceRecords = PlanRules.defaultPerformanceJurisdictions.dropLast().map {
            PerformanceAssessmentRecord(year: year - 1, jurisdictionID: $0.id, includedInPerformanceAssessment: true, regularAssessmentsHeld: $0.id != "qingtian")
        }
        let plans = try await PlanService.save(register, actor: actor, rules: rules, now: today.start, on: db)
        _ = try await PlanService.judge(rules: rules, asOf: today, on: db)
        out += "应急预案 \(register.plans.count) 个，发现问题 \(plans.findingsAdded) 条以上\n"

        // A provincial notice (D11).
        if let unit = byName["市交通运输局"], LocalDate(year: year, month: 4, day: 8)! < today {
            _ = try await ProvincialNotices.register(number: "浙应联〔\(year)〕5号", date: LocalDate(year: year, month: 4, day: 8)!, subject: .unit(unit.id ?? 0),
                                                     provincialPoints: Points(0.5), text: "省级抽查中值班电话无人接听", actor: actor, rules: rules,
                                                     now: at(LocalDate(year: year, month: 4, day: 9)!, 9), on: db)
        }

        // Deductions in every state. Notified now; the older ones decided by both agencies.
        try await DeductionService.sync(now: today.start, on: db)
        let all = try await DeductionService.list(DeductionFilter(), rules: rules, calendar: app.liandong.calendar, on: db)
        let older = all.filter { ChinaTime.parseTimestamp($0.occurredAt).map { LocalDate($0) < today.adding(days: -60) } ?? false }
        var confirmed: [Int] = [], rejected: [Int] = []
        for d in older {
            let roll = rng.next() % 100
            if roll < 85 { confirmed.append(d.id) } else if roll < 90 { rejected.append(d.id) }
        }
        // Each by its own deciders (issue 15): the EMB and the police of its jurisdiction, the PLC
        // in place of the one a deduction is against.
        let demoOfficers: [Agency: String] = [.emb: "应急局演示", .psb: "公安局演示", .plc: "政法委演示"]
        let deciders = Dictionary(all.map { d in (d.id, d.awaitingIds.compactMap { Agency(rawValue: String($0.split(separator: "-").last ?? "")) }) },
                                  uniquingKeysWith: { a, _ in a })
        for kind in [Agency.emb, .psb, .plc] {
            for chunk in confirmed.filter({ deciders[$0]?.contains(kind) == true }).chunked(into: 500) {
                try await DeductionService.decide(chunk, decision: .confirm(points: nil, reason: nil), agency: kind, officer: demoOfficers[kind]!, actor: actor, rules: rules, now: today.start, on: db)
            }
        }
        for id in rejected {
            for kind in deciders[id] ?? [] {
                try await DeductionService.decide([id], decision: .reject(reason: "经核实系110系统记录错误"), agency: kind, officer: demoOfficers[kind]!, actor: actor, rules: rules, now: today.start, on: db)
            }
        }
        // One confirmed with another figure by the EMB, awaiting the police's agreement.
        if let pending = all.first(where: { !confirmed.contains($0.id) && !rejected.contains($0.id) && $0.item == "D9" && deciders[$0.id]?.contains(.emb) == true }) {
            try await DeductionService.decide([pending.id], decision: .confirm(points: Points(0.5), reason: "到场途中遇道路施工"), agency: .emb,
                                              officer: "应急局演示", actor: actor, rules: rules, now: today.start, on: db)
        }
        // Appeals by the water bureau's liaison: one upheld, one reduced, one awaiting a decision.
        let water = byName["市水利局"]?.id
        let confirmedNow = try await DeductionService.list(DeductionFilter(status: .confirmed), rules: rules, calendar: app.liandong.calendar, on: db).filter { $0.unitId != nil }
        let appealable = confirmedNow.filter { $0.unitId == water }.prefix(3) + confirmedNow.filter { $0.unitId != water }.prefix(3)
        for (i, d) in appealable.prefix(3).enumerated() {
            let liaison = Actor(principal: Principal(kind: .account(id: 0, role: .liaison), name: "demo-liaison", unitID: d.unitId), source: "demo")
            try await DeductionService.decide([d.id], decision: .appeal(statement: "当日暴雨导致道路中断，已及时报告指挥中心"), agency: nil,
                                              officer: "水利局联络员演示", actor: liaison, rules: rules, now: today.start, on: db)
            // Both deciding agencies agree on the outcome (issue 15).
            if i < 2 {
                let outcome: DeductionState.Appeal.Decision = i == 0 ? .uphold : d.points >= 1 ? .reduce : .withdraw
                for kind in deciders[d.id] ?? [] {
                    try await DeductionService.decide([d.id], decision: .decideAppeal(outcome, points: outcome == .reduce ? Points(d.points - 0.5) : nil,
                                                                                      reason: i == 0 ? "理由不成立" : "情有可原"),
                                                      agency: kind, officer: demoOfficers[kind]!, actor: actor, rules: rules, now: today.start, on: db)
                }
            }
        }
        // Rectifications: one verified, one done awaiting verification, one open.
        let forRectification = try await DeductionService.list(DeductionFilter(status: .confirmed), rules: rules, calendar: app.liandong.calendar, on: db).suffix(3)
        for (i, d) in forRectification.enumerated() {
            try await Rectifications.assign(deductionID: d.id, action: "完善值班制度并组织培训", owner: "办公室", due: .date(today.adding(days: 10 + i * 10)),
                                            actor: actor, now: today.start, on: db)
        }
        let open = try await Rectifications.list(on: db)
        // The unit's own liaison reports a rectification done.
        func liaisonOf(_ item: Rectifications.Item) -> Actor {
            Actor(principal: Principal(kind: .account(id: 0, role: .liaison), name: "demo-liaison", unitID: item.unitId), source: "demo")
        }
        if let first = open.first {
            try await Rectifications.complete(first.id, evidence: "已修订值班制度，培训记录附后", actor: liaisonOf(first), now: today.start, on: db)
            try await Rectifications.verify(first.id, accepted: true, note: "经核查已整改到位", actor: actor, now: today.start, on: db)
        }
        if open.count > 1 { try await Rectifications.complete(open[1].id, evidence: "已补充应急装备", actor: liaisonOf(open[1]), now: today.start, on: db) }

        // Two published notices: the first two quarters.
        var published: [String] = []
        for q in 1...2 where Period.quarter(year, q).end <= today {
            let id = try await NoticeService.draft(period: .quarter(year, q), title: nil, intro: nil, actor: actor, rules: rules, now: today.start, on: db)
            published.append(try await NoticeService.publish(id, actor: actor, rules: rules, now: today.start, on: db).number ?? "")
        }
        struct S: Decodable { var status: String; var n: Int }
        let states = try await sql.raw("SELECT status, COUNT(*) AS n FROM deductions GROUP BY status ORDER BY status").all(decoding: S.self)
        out += "扣分：" + states.map { "\(DeductionStatus(rawValue: $0.status)?.name ?? $0.status) \($0.n)" }.joined(separator: "，") + "\n"
        out += "已发布通报：" + published.joined(separator: "、") + "\n"

        // Accounts for each role.
        out += "\n演示账户（密码均为 \(DemoCommand.password)）：\n"
        for account in DemoCommand.accounts {
            let (created, _) = try await AccountService.create(username: account.username, displayName: account.name, role: account.role.rawValue,
                                                               unitID: account.unit.flatMap { byName[$0]?.id }, jurisdiction: account.jurisdiction, actor: actor,
                                                               hasher: app.password.async, on: db)
            created.passwordHash = try await app.password.async.hash(DemoCommand.password)
            created.mustChangePassword = false
            try await created.save(on: db)
            let scope = account.unit ?? account.jurisdiction.flatMap { Jurisdictions.named($0)?.name }
            out += "  \(account.username)  \(account.role.name)\(scope.map { "（\($0)）" } ?? "")\n"
        }
        out += "  admin  系统管理员（首次启动时打印的一次性密码）\n"
        if app.liandong.security.requiresTwoFactor(.plc) {
            out += "系统管理员和政法委、应急局、公安局工作人员首次登录时须绑定动态口令（TOTP）；仅作演示时可设 LIANDONG_REQUIRE_TOTP=0。\n"
        }
        return out
    }
}

extension Array {
    /// A shuffle that depends only on the generator's seed (the demo is reproducible).
    func shuffledDeterministically(_ rng: inout SplitMix64) -> [Element] {
        var copy = self
        guard copy.count > 1 else { return copy }
        for i in stride(from: copy.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            copy.swapAt(i, j)
        }
        return copy
    }
}
