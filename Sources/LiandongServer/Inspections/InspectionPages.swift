import Fluent
import SQLKit
import Foundation
import LiandongCore
import Vapor

/// The check screens: phone checks for the police, drills for the two agencies at the scene or
/// in the command hall, the supervision calendar for all three.
enum InspectionPages {
    static func requirePolice(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(WorkArea.phoneChecks.isOpen(to: actor.principal), "日常电话检查由市公安局开展")
        return actor
    }

    static func requireJointCheck(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(WorkArea.drills.isOpen(to: actor.principal), "实地和视频检查由市应急管理局和市公安局开展")
        return actor
    }

    static func requireSupervisor(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(WorkArea.supervision.isOpen(to: actor.principal), "监督检查工作日历供三部门使用")
        return actor
    }

    // MARK: Phone checks

    struct CampaignUnit: Encodable {
        var id: Int
        var name: String
        var jurisdiction: String
        var level: String
        var dutyPhone: String
        var liaison: String
        var done: Bool
        var result: String
        /// Whether the register holds a number to dial.
        var callable: Bool { dutyPhone != "未登记" || !liaison.isEmpty }

        enum CodingKeys: String, CodingKey { case id, name, jurisdiction, level, dutyPhone, liaison, done, result, callable }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(name, forKey: .name); try c.encode(jurisdiction, forKey: .jurisdiction)
            try c.encode(level, forKey: .level); try c.encode(dutyPhone, forKey: .dutyPhone); try c.encode(liaison, forKey: .liaison)
            try c.encode(done, forKey: .done); try c.encode(result, forKey: .result); try c.encode(callable, forKey: .callable)
        }
    }

    struct PhoneContext: Encodable {
        var frame: PageFrame
        /// `每季度`: the coverage period of the rule set in force.
        var coverage: String
        var hasCampaign: Bool
        var campaignID: Int
        var campaignLabel: String
        var seed: String
        var head: TableHead
        var units: [CampaignUnit]
        var doneCount: Int
        /// Level-1 units to call outside office hours this month (24-hour duty).
        var outOfHours: [CampaignUnit]
        var hasOutOfHours: Bool
        var officeHours: String
        /// Why the sample is larger than asked, and which units cannot be called, in words.
        var sizeNote: String
        var withoutNumber: Int
        /// What a unit without a registered number raises: not a call to make, but a D8 question.
        var d8Question: String
    }

    static let phoneColumns = [
        SortColumn("单位", "unit"), SortColumn("辖区", "jurisdiction"), SortColumn("级别", "level"), SortColumn("值班电话"),
        SortColumn("联络员"), SortColumn("本月检查", "result"), SortColumn("操作"),
    ]

    @Sendable static func phone(req: Request) async throws -> View {
        _ = try requirePolice(req)
        // By jurisdiction (the sample is drawn by jurisdiction and level), in sample order within one.
        let sort = try ListSort(req, columns: phoneColumns, default: "jurisdiction")
        let campaign = try await InspectionService.latestCampaign(on: req.db)
        var rows: [CampaignUnit] = [], outRows: [CampaignUnit] = []
        let rules = req.currentRules
        if let campaign, let month = Period.parse(campaign.month) {
            let checks = try await InspectionService.phoneChecks(from: month.startInstant, to: month.endInstant, on: req.db)
            let units = Dictionary(uniqueKeysWithValues: try await LinkageUnit.query(on: req.db).filter(\.$id ~~ campaign.units).all().map { ($0.id ?? 0, $0) })
            rows = sort.sorted(campaign.units.compactMap { units[$0] }, by: [
                "unit": { .text($0.name) }, "jurisdiction": { .int(RegisterService.jurisdictionOrder($0.jurisdictionID)) },
                "level": { .int($0.level) },
                "result": { u in .int(checks.last { $0.unitID == u.id }.map { $0.answered ? 2 : 1 } ?? 0) },
            ]).map { u in
                let done = checks.last { $0.unitID == u.id }
                return CampaignUnit(id: u.id ?? 0, name: u.name, jurisdiction: Jurisdictions.named(u.jurisdictionID)?.name ?? "", level: u.unitLevel.name,
                                    dutyPhone: u.dutyPhone ?? "未登记", liaison: [u.liaisonName, u.liaisonMobile].compactMap { $0 }.joined(separator: " "),
                                    done: done != nil, result: done.map { $0.answered ? "已接通" : "未接通（\($0.attempts.count)次）" } ?? "—")
            }
            let levelOne = Dictionary(uniqueKeysWithValues: try await LinkageUnit.query(on: req.db).filter(\.$id ~~ campaign.outOfHours).all().map { ($0.id ?? 0, $0) })
            outRows = campaign.outOfHours.compactMap { levelOne[$0] }.map { u in
                let done = checks.last { $0.unitID == u.id && $0.dialled == .duty && $0.outOfHours(rules: rules, calendar: req.application.liandong.calendar) }
                return CampaignUnit(id: u.id ?? 0, name: u.name, jurisdiction: Jurisdictions.named(u.jurisdictionID)?.name ?? "", level: u.unitLevel.name,
                                    dutyPhone: u.dutyPhone ?? "未登记", liaison: "", done: done != nil,
                                    result: done.map { $0.answered ? "已接通" : "未接通（\($0.attempts.count)次）" } ?? "—")
            }
        }
        return try await req.view.render("phone_checks", PhoneContext(
            frame: PageFrame(req, title: "日常电话检查", active: "phone"), coverage: req.currentRules.phoneCheckCoverage.chinese, hasCampaign: campaign != nil, campaignID: campaign?.id ?? 0,
            campaignLabel: campaign.flatMap { Period.parse($0.month)?.label } ?? "", seed: campaign.map { String($0.seed) } ?? "",
            head: sort.head(req), units: rows, doneCount: rows.filter(\.done).count,
            outOfHours: outRows, hasOutOfHours: !outRows.isEmpty, officeHours: rules.officeHours.chinese,
            sizeNote: campaign.map { c in c.units.count > c.requested && c.requested > 0
                ? "申请抽查\(c.requested)个，为保证\(rules.phoneCheckCoverage.chinese)每个单位至少检查一次，本月抽查\(c.units.count)个。" : "" } ?? "",
            withoutNumber: rows.filter { !$0.callable }.count,
            d8Question: d8Question(rules)))
    }

    /// The question a unit with no registered number raises (Annex 1 item 8: a number or liaison
    /// changed without report), worded from the rule set in force.
    static func d8Question(_ rules: RuleSet) -> String {
        let item = rules.item(.d8)
        return "须核实是否属于“值班电话或联络员变更且未主动报备”（\(item.id.rawValue) \(item.title)）：核实后在联动单位登记中补登，或登记问题"
    }

    @Sendable static func createCampaign(req: Request) async throws -> Response {
        let actor = try requirePolice(req)
        struct Form: Decodable { var size: Int? }
        let size = (try? req.content.decode(Form.self))?.size ?? 10
        _ = try await InspectionService.createCampaign(month: Period.containing(LocalDate(Date()), .month), size: size, actor: actor,
                                                       rules: req.application.liandong.ruleBook, on: req.db)
        return req.redirect(to: "/checks/phone")
    }

    struct CallContext: Encodable {
        var frame: PageFrame
        var unitID: Int
        var unitName: String
        var dutyPhone: String
        var liaison: String
        var campaignID: String
        var maxAttempts: Int
        /// Which of the unit's numbers are registered: only those can be dialled.
        var hasDuty: Bool
        var hasLiaison: Bool
        var canCall: Bool
        /// The call screen's clock runs from when it opened.
        var startedMs: Int
        var error: String?
        var hasError: Bool
        var d8Question: String
    }

    static func renderCall(_ req: Request, unit: LinkageUnit, campaign: String, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let context = CallContext(frame: PageFrame(req, title: "电话检查", active: "phone"), unitID: unit.id ?? 0, unitName: unit.name,
                                  dutyPhone: unit.dutyPhone ?? "未登记", liaison: [unit.liaisonName, unit.liaisonMobile].compactMap { $0 }.joined(separator: " "),
                                  campaignID: campaign, maxAttempts: req.currentRules.phoneCheckAttempts,
                                  hasDuty: unit.dutyPhone != nil, hasLiaison: unit.liaisonMobile != nil,
                                  canCall: unit.dutyPhone != nil || unit.liaisonMobile != nil,
                                  startedMs: Int(Date().timeIntervalSince1970 * 1000), error: error, hasError: error != nil,
                                  d8Question: d8Question(req.currentRules))
        return try await req.page("phone_call", context, status: status)
    }

    @Sendable static func call(req: Request) async throws -> Response {
        _ = try requirePolice(req)
        guard let id = try? req.query.get(Int.self, at: "unit") else { throw AppError(.badRequest, "缺少单位", field: "unit") }
        let unit = try await RegisterService.unit(id, on: req.db)
        return try await renderCall(req, unit: unit, campaign: (try? req.query.get(String.self, at: "campaign")) ?? "")
    }

    struct CallForm: Decodable {
        var unit_id: Int
        var campaign_id: String?
        var dialled: String?
        var attempt_times: String?
        var attempt_answers: String?
        var answered_by: String?
        var number_current: String?
        var knows_first_responsibility: String?
        var notes: String?
    }

    static func optionalBool(_ s: String?) -> Bool? {
        switch s { case "true": true; case "false": false; default: nil }
    }

    @Sendable static func recordCall(req: Request) async throws -> Response {
        let actor = try requirePolice(req)
        let form = try req.content.decode(CallForm.self)
        let unit = try await RegisterService.unit(form.unit_id, on: req.db)
        let times = (form.attempt_times ?? "").split(separator: ",").compactMap { ChinaTime.parseTimestamp(String($0)) }
        let answers = (form.attempt_answers ?? "").split(separator: ",").map { $0 == "1" }
        guard !times.isEmpty, times.count == answers.count else {
            return try await renderCall(req, unit: unit, campaign: form.campaign_id ?? "", error: "请先点击“未接通”或“接通”记录每次拨打", status: .unprocessableEntity)
        }
        // A call needs a number: one the register does not hold cannot have been dialled.
        let dialled = PhoneCheck.Dialled(rawValue: form.dialled ?? "") ?? .duty
        guard (dialled == .duty ? unit.dutyPhone : unit.liaisonMobile) != nil else {
            return try await renderCall(req, unit: unit, campaign: form.campaign_id ?? "",
                                        error: "\(unit.name)未登记\(dialled.chinese)，不能记录拨打；请先督促其报备，或在联动单位登记中补登", status: .unprocessableEntity)
        }
        let checkID = "PC-\(ChinaTime.isoString(times[0]).prefix(10).replacingOccurrences(of: "-", with: ""))-\(unit.id ?? 0)-\(Int(times[0].timeIntervalSince1970) % 100_000)"
        let reported = try await InspectionService.changeReported(unitID: unit.id ?? 0, before: times[0], on: req.db)
        let check = PhoneCheck(checkID: checkID, unitID: unit.id ?? 0, dialled: dialled,
                               attempts: zip(times, answers).map { PhoneCheck.Attempt(at: $0, answered: $1) },
                               answeredBy: form.answered_by?.trimmingCharacters(in: .whitespaces).nilIfEmpty,
                               numberCurrent: optionalBool(form.number_current), changeReported: reported,
                               knowsFirstResponsibility: optionalBool(form.knows_first_responsibility), officers: [actor.principal.name],
                               notes: form.notes?.trimmingCharacters(in: .whitespaces).nilIfEmpty)
        do {
            _ = try await InspectionService.record(check, campaignID: form.campaign_id.flatMap { Int($0) }, actor: actor,
                                                   rules: req.application.liandong.ruleBook, on: req.db)
        } catch let error as AppError {
            return try await renderCall(req, unit: unit, campaign: form.campaign_id ?? "", error: error.message, status: error.status)
        }
        // Straight on to the next unit of the sample not yet checked.
        if let campaign = try await InspectionService.latestCampaign(on: req.db), let month = Period.parse(campaign.month) {
            let done = Set(try await InspectionService.phoneChecks(from: month.startInstant, to: month.endInstant, on: req.db).map(\.unitID))
            if let next = campaign.units.first(where: { !done.contains($0) }) {
                return req.redirect(to: "/checks/phone/call?unit=\(next)&campaign=\(campaign.id)")
            }
        }
        return req.redirect(to: "/checks/phone")
    }

    // MARK: Drills

    struct DrillRow: Encodable {
        var id: String
        var kind: String
        var alertAt: String
        var scenario: String
        var units: Int
        var findings: Int
        var state: String
    }

    /// A unit to summon to a drill: a checkbox, found by name or pinyin initials (`sslj`).
    struct UnitChoice: Encodable {
        var value: String
        var label: String
        var initials: String
        var selected: Bool
    }

    struct DrillsContext: Encodable {
        var frame: PageFrame
        var head: TableHead
        var drills: [DrillRow]
        var units: [UnitChoice]
        var chosenCount: Int
        var nextID: String
        var video: Bool
        var scenario: String
        var place: String
        /// The video check's time: as typed, else the rule set's, in minutes.
        var videoLimit: String
        var defaultVideoLimit: String
        var embOfficers: String
        var psbOfficers: String
        var jointRule: String
        var error: String?
        var hasError: Bool
        var errorField: String
    }

    static func kindName(_ kind: Drill.Kind) -> String { kind == .onsite ? "实地检查" : "视频检查" }

    static let drillColumns = [
        SortColumn("编号", "id"), SortColumn("类型", "kind"), SortColumn("模拟警情时间", "alert", first: .desc), SortColumn("模拟警情", "scenario"),
        SortColumn("参检单位", "units", numeric: true, first: .desc), SortColumn("问题", "findings", numeric: true, first: .desc), SortColumn("状态"),
    ]

    /// `30`, `7.5`: minutes as a form shows them.
    static func minutesText(_ limit: TimeLimit) -> String {
        limit.seconds % 60 == 0 ? String(limit.seconds / 60) : String(format: "%g", Double(limit.seconds) / 60)
    }

    /// The joint duty's agencies in words: `市应急管理局、市公安局`.
    static func jointAgencies(_ rules: RuleSet) -> String {
        (rules.supervisionDuties.first { $0.id == .jointCheck }?.agencies ?? Agency.confirming).map(\.name).joined(separator: "、")
    }

    /// The form that starts a drill, as typed.
    struct DrillCreateForm: Decodable {
        var check_id: String?; var kind: String?; var scenario: String?; var place: String?; var officers: String?
        var emb_officers: String?; var psb_officers: String?; var limit_minutes: String?; var units: [String]?
    }

    static func renderDrills(_ req: Request, form: DrillCreateForm? = nil, error: AppError? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let sort = try ListSort(req, columns: drillColumns, default: "alert", .desc)
        let drills = try await InspectionService.drills(on: req.db)
        let findings = try await FindingService.list(FindingFilter(), on: req.db)
        let units = try await RegisterService.units(on: req.db)
        struct Ended: Decodable { var check_id: String; var finished_at: Date? }
        let ended = Dictionary(uniqueKeysWithValues: try await (req.db as! any SQLDatabase).select().columns("check_id", "finished_at").from("drills")
            .all(decoding: Ended.self).map { ($0.check_id, $0.finished_at != nil) })
        let today = LocalDate(req.now)
        let rules = req.currentRules
        let me = req.account?.displayName ?? req.principal?.name ?? ""
        let rows = drills.map { d in
            (alertAt: d.alertAt,
             row: DrillRow(id: d.checkID, kind: kindName(d.kind), alertAt: ChinaTime.displayString(d.alertAt), scenario: d.scenario,
                           units: d.units.count, findings: findings.filter { $0.ref == d.checkID && ($0.source == "onsite" || $0.source == "video") }.count,
                           state: ended[d.checkID] == true ? "已结束" : "进行中"))
        }
        let context = DrillsContext(
            frame: PageFrame(req, title: "实地与视频检查", active: "drills"), head: sort.head(req, path: "/checks/drills"),
            drills: sort.sorted(rows, by: [
                "id": { .plain($0.row.id) }, "kind": { .text($0.row.kind) }, "alert": { .date($0.alertAt) },
                "scenario": { .text($0.row.scenario) }, "units": { .int($0.row.units) }, "findings": { .int($0.row.findings) },
            ]).map { $0.row },
            units: units.map { u in
                UnitChoice(value: String(u.id ?? 0), label: "\(Jurisdictions.named(u.jurisdictionID)?.name ?? "") \(u.name)",
                           initials: Pinyin.initials(u.name), selected: form?.units?.contains(String(u.id ?? 0)) == true)
            },
            chosenCount: form?.units?.count ?? 0,
            nextID: form?.check_id ?? "DR-\(today.year)-\(String(format: "%02d%02d", today.month, today.day))-\(drills.count + 1)",
            video: form?.kind == "video", scenario: form?.scenario ?? "", place: form?.place ?? "",
            videoLimit: form?.limit_minutes ?? minutesText(rules.videoPointLimit), defaultVideoLimit: minutesText(rules.videoPointLimit),
            embOfficers: form.map { $0.emb_officers ?? "" } ?? (req.principal?.role == .emb ? me : ""),
            psbOfficers: form.map { $0.psb_officers ?? "" } ?? (req.principal?.role == .psb ? me : ""),
            jointRule: jointAgencies(rules),
            error: error?.message, hasError: error != nil, errorField: error?.field ?? "")
        return try await req.page("drills", context, status: status)
    }

    @Sendable static func drills(req: Request) async throws -> Response {
        _ = try requireJointCheck(req)
        return try await renderDrills(req)
    }

    /// The moment to the second: drills are timed in whole seconds (mechanism.md §5), so what the
    /// screen shows is what is judged.
    static func wholeSecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    /// A video check's own time in seconds, from minutes as typed (`30`, `7.5`).
    static func limitSeconds(_ raw: String) throws -> Int {
        let text = raw.trimmingCharacters(in: .whitespaces).applyingTransform(.fullwidthToHalfwidth, reverse: false) ?? raw
        guard let minutes = Double(text), minutes.isFinite, minutes > 0, minutes <= 24 * 60, (minutes * 60) == (minutes * 60).rounded() else {
            throw AppError.invalid("视频检查到达时限应为大于0、不超过1440的分钟数（可精确到秒，如 7.5）", field: "limit_minutes")
        }
        return Int(minutes * 60)
    }

    @Sendable static func createDrill(req: Request) async throws -> Response {
        let actor = try requireJointCheck(req)
        let form = try req.content.decode(DrillCreateForm.self)
        do {
            let checkID = form.check_id?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !checkID.isEmpty, checkID.count <= 40 else { throw AppError.invalid("请填写检查编号（不超过40个字符）", field: "check_id") }
            guard !IdentifierText.hasControlCharacters(checkID) else {
                throw AppError.invalid("检查编号" + IdentifierText.controlCharacterMessage, field: "check_id")
            }
            guard let kind = Drill.Kind(rawValue: form.kind?.nilIfEmpty ?? "onsite") else {
                throw AppError.invalid("检查类型应为实地检查或视频检查", field: "kind")
            }
            let now = wholeSecond(req.now)
            let rules = req.application.liandong.ruleBook.inForce(at: now)
            // The time to reach the video point: as the officers set it, else the rule set's.
            var limit: Int?
            let typed = form.limit_minutes?.trimmingCharacters(in: .whitespaces) ?? ""
            switch kind {
            case .video:
                limit = typed.isEmpty ? rules.videoPointLimit.seconds : try limitSeconds(typed)
            case .onsite:
                // The form offers the video time to both kinds; left as offered it means nothing here.
                if !typed.isEmpty, (try? limitSeconds(typed)) != rules.videoPointLimit.seconds {
                    throw AppError.invalid("实地检查按规定时限（附件1第9项）判定，不能另设到达时限；到达时限只适用于视频检查", field: "limit_minutes")
                }
            }
            let ids = (form.units ?? []).compactMap { Int($0) }
            guard !ids.isEmpty else { throw AppError.invalid("请选择参检单位", field: "units") }
            let units = try await LinkageUnit.query(on: req.db).filter(\.$id ~~ ids).all()
            guard units.count == Set(ids).count else { throw AppError.invalid("所选单位不在登记册中", field: "units") }
            // Who of each agency took part (the joint check of §二 is the two agencies' together).
            var teams: [DrillTeam] = []
            for agency in Agency.confirming {
                let raw = agency == .emb ? form.emb_officers : form.psb_officers
                let names = officerNames(raw)
                if !names.isEmpty { teams.append(DrillTeam(agency: agency, officers: names)) }
            }
            let me = req.account?.displayName ?? actor.principal.name
            if teams.isEmpty, let agency = actor.principal.role?.agency, Agency.confirming.contains(agency) {
                // Nobody named: the signed-in officer (and whoever the old single field names) for their own agency.
                let names = officerNames(form.officers)
                teams = [DrillTeam(agency: agency, officers: names.isEmpty ? [me] : names)]
            }
            let officers = teams.flatMap(\.officers)
            let drill = Drill(checkID: checkID, kind: kind, alertAt: now, scenario: form.scenario?.nilIfEmpty ?? "模拟警情",
                              place: kind == .onsite ? form.place?.nilIfEmpty : nil, videoPoint: kind == .video ? form.place?.nilIfEmpty : nil,
                              officers: officers.isEmpty ? officerNames(form.officers, default: me) : officers, teams: teams, notes: nil,
                              units: ids.compactMap { id in units.first { $0.id == id } }.map {
                                  DrillUnit(unitID: $0.id ?? 0, profile: $0.profile, notifiedAt: now, arrivedAt: nil, limitSeconds: limit)
                              })
            _ = try await InspectionService.record(drill, finished: false, actor: actor, rules: req.application.liandong.ruleBook, now: now, on: req.db)
            return req.redirect(to: "/checks/drills/\(checkID)")
        } catch let error as AppError {
            return try await renderDrills(req, form: form, error: error, status: error.status == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    /// Names as typed, separated by 、, commas or semicolons; `default` when there are none.
    static func officerNames(_ raw: String?, default name: String? = nil) -> [String] {
        let list = (raw ?? "").split(whereSeparator: { "、,，;；".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return list.isEmpty ? name.map { [$0] } ?? [] : list
    }

    struct DrillUnitRow: Encodable {
        var id: Int
        var name: String
        var level: String
        var limit: String
        var limitSeconds: Int
        var notifiedMs: Int
        var arrived: Bool
        var arrivedText: String
        var uniformExempt: Bool
        var vest: String
        var equipment: String
        var duties: String
        var notes: String
        var checklist: [ChecklistItem]
        /// What was seen, in words, once the drill has ended.
        var seenText: String
    }

    struct ChecklistItem: Encodable {
        var name: String
        var missing: Bool
    }

    /// A unit's 110 timeline (the exercise events linked to the drill) beside the inspectors' record.
    struct TimelineRow: Encodable {
        var name: String
        var instructed: String
        var arrived: String
        var elapsed: String
        var late: Bool
        var recorded: String
        var discrepancies: String
        var hasDiscrepancies: Bool
    }

    struct DrillContext: Encodable {
        var frame: PageFrame
        var checkID: String
        var kind: String
        var isVideo: Bool
        var scenario: String
        var place: String
        var alertAt: String
        var officers: String
        var teams: String
        var joint: Bool
        var jointText: String
        var units: [DrillUnitRow]
        var findings: [String]
        var hasFindings: Bool
        var timeline: [TimelineRow]
        var hasTimeline: Bool
        var tolerance: String
        var finished: Bool
        var finishedAt: String
        var error: String?
        var hasError: Bool
    }

    static func text(_ b: Bool?) -> String { b.map { $0 ? "true" : "false" } ?? "" }

    static func word(_ b: Bool?, yes: String, no: String) -> String? { b.map { $0 ? yes : no } }

    /// Who took part, in words: `市应急管理局：张三、李四；市公安局：王五`.
    static func teamsText(_ drill: Drill) -> String {
        guard let teams = drill.teams, !teams.isEmpty else {
            return drill.officers.isEmpty ? "未登记" : drill.officers.joined(separator: "、") + "（未登记所属部门）"
        }
        return teams.map { "\($0.agency.name)：\($0.officers.joined(separator: "、"))" }.joined(separator: "；")
    }

    /// Whether the drill counts as the quarter's joint check, in words.
    static func jointStatus(_ stored: InspectionService.StoredDrill, rules: RuleSet) -> (Bool, String) {
        let both = jointAgencies(rules)
        guard let duty = rules.supervisionDuties.first(where: { $0.id == .jointCheck }) else { return (false, "") }
        guard let agencies = stored.agencies else {
            return (true, "本记录早于系统登记参加部门，按原样计入本季度联合检查")
        }
        if Set(duty.agencies).isSubset(of: agencies) { return (true, "\(both)共同参加，计入本季度联合检查") }
        let present = Agency.allCases.filter { agencies.contains($0) }.map(\.name).joined(separator: "、")
        return (false, (present.isEmpty ? "未登记参加部门" : "仅\(present)参加") + "，不计入本季度联合检查（须\(both)共同参加）")
    }

    @Sendable static func drill(req: Request) async throws -> Response {
        _ = try requireJointCheck(req)
        return try await renderDrill(req)
    }

    static func renderDrill(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let id = req.parameters.get("id") ?? ""
        guard let stored = try await InspectionService.stored(id, locking: false, on: req.db as! any SQLDatabase) else {
            throw AppError.notFound("检查“\(id)”")
        }
        let drill = stored.drill
        let rules = req.application.liandong.ruleBook.inForce(at: drill.alertAt)
        let names = try await RegisterService.unitNames(on: req.db as! any SQLDatabase)
        let findings = try await FindingService.list(FindingFilter(), on: req.db).filter { $0.ref == drill.checkID && $0.source == drill.kind.source.rawValue }
        let equipment = try await EquipmentChecklist.items(on: req.db)
        let finished = stored.finishedAt != nil
        let linked = try await DispatchService.drillEvents(drill.checkID, on: req.db)
        let timeline: [TimelineRow] = linked.isEmpty ? [] : DrillCrossCheck.compare(drill, events: linked, finished: finished, rules: rules).map { c in
            let unit = drill.units.first { $0.unitID == c.unitID }!
            let time = { (d: Date?) in d.map { String(ChinaTime.isoString($0).dropFirst(11).prefix(8)) } ?? "—" }
            return TimelineRow(
                name: names[c.unitID] ?? String(c.unitID), instructed: time(c.instructedAt), arrived: time(c.arrivedAt),
                elapsed: c.elapsedSeconds.map { "\(RuleSet.durationText(seconds: $0))（时限\(c.limit)）" } ?? "—", late: c.onTime == false,
                recorded: "通知 \(time(unit.notifiedAt))，到达 " + (unit.arrivedAt.map { "\(time($0))（\(RuleSet.durationText(seconds: c.recordedElapsedSeconds ?? 0))）" } ?? (finished ? "未到达" : "—")),
                discrepancies: c.discrepancies.joined(separator: "；"), hasDiscrepancies: !c.discrepancies.isEmpty)
        }
        let (joint, jointText) = jointStatus(stored, rules: req.currentRules)
        return try await req.page("drill", DrillContext(
            frame: PageFrame(req, title: drill.checkID, active: "drills"), checkID: drill.checkID, kind: kindName(drill.kind), isVideo: drill.kind == .video,
            scenario: drill.scenario, place: drill.place ?? drill.videoPoint ?? "", alertAt: ChinaTime.displayString(drill.alertAt),
            officers: drill.officers.joined(separator: "、"), teams: teamsText(drill), joint: joint, jointText: jointText,
            units: drill.units.map { u in
                let limit = drill.limit(for: u, rules: rules)
                let seen = [u.arrivedAt == nil ? nil : (u.uniformExempt ? "统一制服免着背心" : word(u.vestWorn, yes: "已着背心", no: "未着背心")),
                            word(u.equipmentOK, yes: "装备齐全", no: "装备不全" + ((u.equipmentMissing ?? []).isEmpty ? "" : "（缺\((u.equipmentMissing ?? []).joined(separator: "、"))）")),
                            word(u.knowsDuties, yes: "熟悉职责", no: "不熟悉职责"), u.notes].compactMap { $0 }
                return DrillUnitRow(
                    id: u.unitID, name: names[u.unitID] ?? String(u.unitID), level: u.level.name, limit: limit.description, limitSeconds: limit.seconds,
                    notifiedMs: Int(u.notifiedAt.timeIntervalSince1970 * 1000), arrived: u.arrivedAt != nil,
                    arrivedText: u.arrivedAt.map { RuleSet.durationText(seconds: RuleSet.elapsedSeconds(from: u.notifiedAt, to: $0)) + "到达" }
                        ?? (finished ? "未到达" : ""),
                    uniformExempt: u.uniformExempt, vest: text(u.vestWorn), equipment: text(u.equipmentOK), duties: text(u.knowsDuties),
                    notes: u.notes ?? "",
                    checklist: EquipmentChecklist.forUnit(u.unitID, in: equipment).map {
                        ChecklistItem(name: $0, missing: u.equipmentMissing?.contains($0) ?? false)
                    },
                    seenText: seen.isEmpty ? "—" : seen.joined(separator: "；"))
            },
            findings: findings.map { "\($0.unit ?? "") \($0.item) \($0.reason)（拟扣\(Points($0.proposedPoints))分）" }, hasFindings: !findings.isEmpty,
            timeline: timeline, hasTimeline: !timeline.isEmpty,
            tolerance: RuleSet.durationText(seconds: DrillCrossCheck.toleranceSeconds), finished: finished,
            finishedAt: stored.finishedAt.map(ChinaTime.displayString) ?? "", error: error, hasError: error != nil), status: status)
    }

    /// A tap or a form on one unit of a drill under way; refused once the drill has ended.
    static func updateDrill(_ req: Request, _ change: @escaping @Sendable (inout DrillUnit) throws -> Void) async throws -> Response {
        let actor = try requireJointCheck(req)
        let id = req.parameters.get("id") ?? ""
        struct Form: Decodable { var unit_id: Int? }
        guard let unitID = try req.content.decode(Form.self).unit_id else { throw AppError.invalid("请指定单位", field: "unit_id") }
        do {
            try await InspectionService.updateUnit(id, unitID: unitID, actor: actor, rules: req.application.liandong.ruleBook, now: req.now,
                                                   on: req.db, change)
        } catch let error as AppError where error.status == .conflict {
            // The drill has ended: its page says so, with the way to an amendment.
            return try await renderDrill(req, error: error.message, status: .conflict)
        }
        return req.redirect(to: "/checks/drills/\(id)")
    }

    struct FinishContext: Encodable {
        var frame: PageFrame
        var checkID: String
        var kind: String
        var scenario: String
        var alertAt: String
        var now: String
        var missing: String
        var hasMissing: Bool
        var noShowPoints: String
        var teams: String
        var jointText: String
        var joint: Bool
        var error: String?
        var hasError: Bool
    }

    /// The confirmation step before a drill ends: what ending it does, a box to tick and the
    /// button. A page of its own, so it works without script.
    static func renderFinish(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let id = req.parameters.get("id") ?? ""
        guard let stored = try await InspectionService.stored(id, locking: false, on: req.db as! any SQLDatabase) else {
            throw AppError.notFound("检查“\(id)”")
        }
        if stored.finishedAt != nil { return req.redirect(to: "/checks/drills/\(id)") }
        let drill = stored.drill
        let names = try await RegisterService.unitNames(on: req.db as! any SQLDatabase)
        let rules = req.application.liandong.ruleBook.inForce(at: drill.alertAt)
        let (joint, jointText) = jointStatus(stored, rules: req.currentRules)
        return try await req.page("drill_finish", FinishContext(
            frame: PageFrame(req, title: "结束检查 \(drill.checkID)", active: "drills"), checkID: drill.checkID, kind: kindName(drill.kind),
            scenario: drill.scenario, alertAt: ChinaTime.displayString(drill.alertAt), now: ChinaTime.displayString(req.now),
            missing: drill.units.filter { $0.arrivedAt == nil }.map { names[$0.unitID] ?? String($0.unitID) }.joined(separator: "、"),
            hasMissing: drill.units.contains { $0.arrivedAt == nil },
            noShowPoints: rules.defaultPoints(for: .drillNoShow)?.description ?? "",
            teams: teamsText(drill), jointText: jointText, joint: joint, error: error, hasError: error != nil), status: status)
    }

    @Sendable static func finishForm(req: Request) async throws -> Response {
        _ = try requireJointCheck(req)
        return try await renderFinish(req)
    }

    /// POST …/finish with the box ticked (`confirm=yes`) ends the drill; without it the
    /// confirmation page comes back.
    @Sendable static func finish(req: Request) async throws -> Response {
        let actor = try requireJointCheck(req)
        let id = req.parameters.get("id") ?? ""
        struct Form: Decodable { var confirm: String? }
        let confirmed = ["yes", "on", "true", "1"].contains((try? req.content.decode(Form.self))?.confirm ?? "")
        guard confirmed else {
            return try await renderFinish(req, error: "请勾选「确认结束本次检查」后再提交；结束后到达和现场检查记录将被锁定", status: .unprocessableEntity)
        }
        do {
            try await InspectionService.finish(id, actor: actor, rules: req.application.liandong.ruleBook, now: req.now, on: req.db)
        } catch let error as AppError where error.status == .conflict {
            return try await renderDrill(req, error: error.message, status: .conflict)
        }
        return req.redirect(to: "/checks/drills/\(id)")
    }

    /// One tap: the unit's first responders are here now.
    @Sendable static func arrive(req: Request) async throws -> Response {
        let now = wholeSecond(req.now)
        return try await updateDrill(req) { unit in
            guard unit.arrivedAt == nil else { throw AppError.invalid("已记录到达时间", field: "unit_id") }
            unit.arrivedAt = now
        }
    }

    struct AssessForm: Decodable, Sendable { var vest: String?; var equipment: String?; var duties: String?; var notes: String?; var missing: [String]? }

    /// What was seen on site, applied to a unit's record (the form on the drill screen and on the amendment page).
    static func apply(_ form: AssessForm, to unit: inout DrillUnit) {
        // Items ticked as missing on the checklist make the equipment incomplete.
        let missing = (form.missing ?? []).filter { !$0.isEmpty }
        unit.equipmentMissing = missing.isEmpty ? nil : missing
        // The questions asked on the unit's duties and what was answered, or other remarks.
        unit.notes = form.notes?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        if !unit.uniformExempt { unit.vestWorn = optionalBool(form.vest) }
        unit.equipmentOK = missing.isEmpty ? optionalBool(form.equipment) : false
        unit.knowsDuties = optionalBool(form.duties)
        if unit.arrivedAt == nil { unit.vestWorn = nil; unit.equipmentOK = nil; unit.equipmentMissing = nil }
    }

    @Sendable static func assess(req: Request) async throws -> Response {
        let form = try req.content.decode(AssessForm.self)
        return try await updateDrill(req) { unit in apply(form, to: &unit) }
    }

    // MARK: Amendments after the end

    struct AmendUnitRow: Encodable {
        var id: Int
        var name: String
        var notified: String
        var arrivedAt: String
        var uniformExempt: Bool
        var vest: String
        var equipment: String
        var duties: String
        var notes: String
        var checklist: [ChecklistItem]
    }

    struct AmendContext: Encodable {
        var frame: PageFrame
        var checkID: String
        var kind: String
        var finishedAt: String
        var units: [AmendUnitRow]
        var embOfficers: String
        var psbOfficers: String
        var jointText: String
        var minimumReason: Int
        var reason: String
        var error: String?
        var hasError: Bool
        var errorField: String
    }

    /// `2026-03-10T14:21:30`: a `datetime-local` field's value, to the second.
    static func localInput(_ date: Date) -> String { String(ChinaTime.isoString(date).prefix(19)) }

    static func renderAmend(_ req: Request, reason: String = "", error: AppError? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let id = req.parameters.get("id") ?? ""
        guard let stored = try await InspectionService.stored(id, locking: false, on: req.db as! any SQLDatabase) else {
            throw AppError.notFound("检查“\(id)”")
        }
        guard let end = stored.finishedAt else { return req.redirect(to: "/checks/drills/\(id)") }
        let drill = stored.drill
        let names = try await RegisterService.unitNames(on: req.db as! any SQLDatabase)
        let equipment = try await EquipmentChecklist.items(on: req.db)
        let team = { (agency: Agency) in drill.teams?.first { $0.agency == agency }?.officers.joined(separator: "、") ?? "" }
        return try await req.page("drill_amend", AmendContext(
            frame: PageFrame(req, title: "更正检查记录 \(drill.checkID)", active: "drills"), checkID: drill.checkID, kind: kindName(drill.kind),
            finishedAt: ChinaTime.displayString(end),
            units: drill.units.map { u in
                AmendUnitRow(id: u.unitID, name: names[u.unitID] ?? String(u.unitID), notified: ChinaTime.displayString(u.notifiedAt),
                             arrivedAt: u.arrivedAt.map(localInput) ?? "", uniformExempt: u.uniformExempt,
                             vest: text(u.vestWorn), equipment: text(u.equipmentOK), duties: text(u.knowsDuties), notes: u.notes ?? "",
                             checklist: EquipmentChecklist.forUnit(u.unitID, in: equipment).map {
                                 ChecklistItem(name: $0, missing: u.equipmentMissing?.contains($0) ?? false)
                             })
            },
            embOfficers: team(.emb), psbOfficers: team(.psb), jointText: jointStatus(stored, rules: req.currentRules).1,
            minimumReason: InspectionService.minimumReasonLength, reason: reason,
            error: error?.message, hasError: error != nil, errorField: error?.field ?? ""), status: status)
    }

    @Sendable static func amendForm(req: Request) async throws -> Response {
        _ = try requireJointCheck(req)
        return try await renderAmend(req)
    }

    /// POST …/amend: a correction of an ended drill with its reason. `part=unit` corrects one
    /// unit's arrival and what was seen; `part=officers` who of each agency took part.
    @Sendable static func amend(req: Request) async throws -> Response {
        let actor = try requireJointCheck(req)
        let id = req.parameters.get("id") ?? ""
        struct Form: Decodable {
            var part: String?; var reason: String?; var unit_id: Int?; var arrived_at: String?
            var vest: String?; var equipment: String?; var duties: String?; var notes: String?; var missing: [String]?
            var emb_officers: String?; var psb_officers: String?
        }
        let form = try req.content.decode(Form.self)
        let now = req.now
        do {
            switch form.part ?? "unit" {
            case "unit":
                guard let unitID = form.unit_id else { throw AppError.invalid("请指定要更正的单位", field: "unit_id") }
                let raw = form.arrived_at?.trimmingCharacters(in: .whitespaces) ?? ""
                let arrived: Date?
                if raw.isEmpty {
                    arrived = nil
                } else {
                    guard let at = ChinaTime.parseTimestamp(raw) else { throw AppError.invalid("到达时间应为日期和时间，如 2026-03-10T14:21:30", field: "arrived_at") }
                    arrived = at
                }
                let assessed = AssessForm(vest: form.vest, equipment: form.equipment, duties: form.duties, notes: form.notes, missing: form.missing)
                try await InspectionService.amend(id, reason: form.reason ?? "", actor: actor, rules: req.application.liandong.ruleBook, now: now, on: req.db) { drill, end in
                    guard let index = drill.units.firstIndex(where: { $0.unitID == unitID }) else {
                        throw AppError.invalid("该单位未参加本次检查", field: "unit_id")
                    }
                    if let arrived {
                        // Arriving after the end is not arriving in the check.
                        guard arrived <= end else {
                            throw AppError.invalid("到达时间不能晚于检查结束时间（\(ChinaTime.displayString(end))）", field: "arrived_at")
                        }
                    }
                    drill.units[index].arrivedAt = arrived
                    apply(assessed, to: &drill.units[index])
                }
            case "officers":
                let teams: [DrillTeam] = Agency.confirming.compactMap { agency in
                    let names = officerNames(agency == .emb ? form.emb_officers : form.psb_officers)
                    return names.isEmpty ? nil : DrillTeam(agency: agency, officers: names)
                }
                guard !teams.isEmpty else { throw AppError.invalid("请填写检查人员", field: "emb_officers") }
                try await InspectionService.amend(id, reason: form.reason ?? "", actor: actor, rules: req.application.liandong.ruleBook, now: now, on: req.db) { drill, _ in
                    drill.teams = teams
                    drill.officers = teams.flatMap(\.officers)
                }
            default:
                throw AppError.invalid("未知的更正内容", field: "part")
            }
        } catch let error as AppError where error.status == .conflict {
            // Not ended yet: the drill's own screen records it.
            return try await renderDrill(req, error: error.message, status: .conflict)
        } catch let error as AppError where error.status != .forbidden && error.status != .notFound {
            return try await renderAmend(req, reason: form.reason ?? "", error: error, status: error.status)
        }
        return req.redirect(to: "/checks/drills/\(id)")
    }

    // MARK: Supervision calendar

    struct PeriodRow: Encodable {
        var duty: String
        var period: String
        var count: Int
        /// Checks of the kind that did not count (one agency alone), in words.
        var note: String
        var status: String
        var statusText: String
        var agencies: String
        /// Where the records of what was done are, for a reader who may open them.
        var href: String
        var linkText: String
    }

    /// The page holding a duty's records, when the reader may open it.
    static func records(of kind: SupervisionDuty.Kind, for principal: Principal?) -> (href: String, text: String) {
        guard let principal else { return ("", "") }
        switch kind {
        case .phoneCheck: return WorkArea.phoneChecks.isOpen(to: principal) ? ("/checks/phone", "电话检查记录") : ("", "")
        case .jointCheck: return WorkArea.drills.isOpen(to: principal) ? ("/checks/drills", "实地和视频检查记录") : ("", "")
        case .consultation: return ("#meeting", "登记会商会")
        }
    }

    struct SupervisionContext: Encodable {
        var frame: PageFrame
        var from: String
        /// The duties as the rule set in force states them.
        var dutiesText: String
        var periods: [PeriodRow]
        var error: String?
        var hasError: Bool
    }

    static func renderSupervision(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let book = req.application.liandong.ruleBook
        let from = try await InspectionService.recordsFrom(on: req.db)
        // Each duty from the period in which records began, as the home page and the judging see
        // it: a period under way is listed from its first day, not from the records' first day.
        let (periods, _) = try await InspectionService.calendar(rules: book, on: req.db)
        let context = SupervisionContext(
            frame: PageFrame(req, title: "监督工作日历", active: "supervision"), from: from.chinese,
            dutiesText: req.currentRules.supervisionDuties.map { "\($0.period.chinese)\($0.title)（\($0.agencies.map(\.name).joined(separator: "、"))）" }
                .joined(separator: "、"),
            periods: periods.reversed().map { p in
                let link = records(of: p.duty.id, for: req.principal)
                return PeriodRow(duty: p.duty.title, period: p.chineseLabel, count: p.count, note: p.incompleteText, status: p.status.rawValue,
                                 statusText: p.status.chinese, agencies: p.duty.agencies.map(\.name).joined(separator: "、"),
                                 href: link.href, linkText: link.text)
            }, error: error, hasError: error != nil)
        return try await req.page("supervision", context, status: status)
    }

    @Sendable static func supervision(req: Request) async throws -> Response {
        _ = try requireSupervisor(req)
        return try await renderSupervision(req)
    }

    @Sendable static func recordMeeting(req: Request) async throws -> Response {
        let actor = try requireSupervisor(req)
        struct Form: Decodable { var held_on: String?; var attendees: String?; var decisions: String? }
        let form = try req.content.decode(Form.self)
        do {
            guard let day = form.held_on.flatMap(LocalDate.init) else { throw AppError.invalid("请填写会商日期", field: "held_on") }
            try await InspectionService.recordMeeting(heldOn: day.start.addingTimeInterval(9 * 3600), attendees: form.attendees ?? "",
                                                      decisions: form.decisions ?? "", actor: actor, rules: req.application.liandong.ruleBook,
                                                      on: req.db)
            return req.redirect(to: "/supervision")
        } catch let error as AppError {
            return try await renderSupervision(req, error: error.message, status: error.status)
        }
    }
}
