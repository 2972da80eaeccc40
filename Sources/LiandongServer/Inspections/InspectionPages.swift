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
                                    done: done != nil, result: done.map { $0.answered ? "已接通" : "未接通(\($0.attempts.count)次)" } ?? "—")
            }
            let levelOne = Dictionary(uniqueKeysWithValues: try await LinkageUnit.query(on: req.db).filter(\.$id ~~ campaign.outOfHours).all().map { ($0.id ?? 0, $0) })
            outRows = campaign.outOfHours.compactMap { levelOne[$0] }.map { u in
                let done = checks.last { $0.unitID == u.id && $0.dialled == .duty && $0.outOfHours(rules: rules, calendar: WorkingDays.calendar) }
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
            withoutNumber: rows.filter { !$0.callable }.count))
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
    }

    static func renderCall(_ req: Request, unit: LinkageUnit, campaign: String, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let context = CallContext(frame: PageFrame(req, title: "电话检查", active: "phone"), unitID: unit.id ?? 0, unitName: unit.name,
                                  dutyPhone: unit.dutyPhone ?? "未登记", liaison: [unit.liaisonName, unit.liaisonMobile].compactMap { $0 }.joined(separator: " "),
                                  campaignID: campaign, maxAttempts: req.currentRules.phoneCheckAttempts,
                                  hasDuty: unit.dutyPhone != nil, hasLiaison: unit.liaisonMobile != nil,
                                  canCall: unit.dutyPhone != nil || unit.liaisonMobile != nil,
                                  startedMs: Int(Date().timeIntervalSince1970 * 1000), error: error, hasError: error != nil)
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
    }

    struct DrillsContext: Encodable {
        var frame: PageFrame
        var head: TableHead
        var drills: [DrillRow]
        var units: [AdminPages.Option]
        var nextID: String
        var error: String?
        var hasError: Bool
    }

    static func kindName(_ kind: Drill.Kind) -> String { kind == .onsite ? "实地检查" : "视频检查" }

    static let drillColumns = [
        SortColumn("编号", "id"), SortColumn("类型", "kind"), SortColumn("模拟警情时间", "alert", first: .desc), SortColumn("模拟警情", "scenario"),
        SortColumn("参检单位", "units", numeric: true, first: .desc), SortColumn("问题", "findings", numeric: true, first: .desc),
    ]

    static func renderDrills(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let sort = try ListSort(req, columns: drillColumns, default: "alert", .desc)
        let drills = try await InspectionService.drills(on: req.db)
        let findings = try await FindingService.list(FindingFilter(), on: req.db)
        let units = try await RegisterService.units(on: req.db)
        let today = LocalDate(Date())
        let rows = drills.map { d in
            (alertAt: d.alertAt,
             row: DrillRow(id: d.checkID, kind: kindName(d.kind), alertAt: ChinaTime.displayString(d.alertAt), scenario: d.scenario,
                           units: d.units.count, findings: findings.filter { $0.ref == d.checkID && ($0.source == "onsite" || $0.source == "video") }.count))
        }
        let context = DrillsContext(
            frame: PageFrame(req, title: "实地与视频检查", active: "drills"), head: sort.head(req, path: "/checks/drills"),
            drills: sort.sorted(rows, by: [
                "id": { .plain($0.row.id) }, "kind": { .text($0.row.kind) }, "alert": { .date($0.alertAt) },
                "scenario": { .text($0.row.scenario) }, "units": { .int($0.row.units) }, "findings": { .int($0.row.findings) },
            ]).map { $0.row },
            units: units.map { AdminPages.Option(value: String($0.id ?? 0), label: "\(Jurisdictions.named($0.jurisdictionID)?.name ?? "") \($0.name)") },
            nextID: "DR-\(today.year)-\(String(format: "%02d%02d", today.month, today.day))-\(drills.count + 1)",
            error: error, hasError: error != nil)
        return try await req.page("drills", context, status: status)
    }

    @Sendable static func drills(req: Request) async throws -> Response {
        _ = try requireJointCheck(req)
        return try await renderDrills(req)
    }

    @Sendable static func createDrill(req: Request) async throws -> Response {
        let actor = try requireJointCheck(req)
        struct Form: Decodable { var check_id: String?; var kind: String?; var scenario: String?; var place: String?; var officers: String?; var units: [String]? }
        let form = try req.content.decode(Form.self)
        do {
            let checkID = form.check_id?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !checkID.isEmpty, checkID.count <= 40 else { throw AppError.invalid("请填写检查编号", field: "check_id") }
            guard !IdentifierText.hasControlCharacters(checkID) else {
                throw AppError.invalid("检查编号" + IdentifierText.controlCharacterMessage, field: "check_id")
            }
            let ids = (form.units ?? []).compactMap { Int($0) }
            guard !ids.isEmpty else { throw AppError.invalid("请选择参检单位", field: "units") }
            let units = try await LinkageUnit.query(on: req.db).filter(\.$id ~~ ids).all()
            let now = Date()
            let kind = Drill.Kind(rawValue: form.kind ?? "") ?? .onsite
            let drill = Drill(checkID: checkID, kind: kind, alertAt: now, scenario: form.scenario?.nilIfEmpty ?? "模拟警情",
                              place: kind == .onsite ? form.place?.nilIfEmpty : nil, videoPoint: kind == .video ? form.place?.nilIfEmpty : nil,
                              officers: officers(form.officers, default: req.account?.displayName ?? actor.principal.name),
                              notes: nil,
                              units: units.map { DrillUnit(unitID: $0.id ?? 0, profile: $0.profile, notifiedAt: now, arrivedAt: nil) })
            _ = try await InspectionService.record(drill, finished: false, actor: actor, rules: req.application.liandong.ruleBook, now: now, on: req.db)
            return req.redirect(to: "/checks/drills/\(checkID)")
        } catch let error as AppError {
            return try await renderDrills(req, error: error.message, status: error.status == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    /// The officers present, as typed (separated by 、 or commas); the signed-in officer when blank.
    static func officers(_ raw: String?, default name: String) -> [String] {
        let list = (raw ?? "").split(whereSeparator: { "、,,".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return list.isEmpty ? [name] : list
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
        var scenario: String
        var place: String
        var alertAt: String
        var officers: String
        var units: [DrillUnitRow]
        var findings: [String]
        var hasFindings: Bool
        var timeline: [TimelineRow]
        var hasTimeline: Bool
        var tolerance: String
        var finished: Bool
        var error: String?
        var hasError: Bool
    }

    static func text(_ b: Bool?) -> String { b.map { $0 ? "true" : "false" } ?? "" }

    @Sendable static func drill(req: Request) async throws -> View {
        _ = try requireJointCheck(req)
        let drill = try await InspectionService.drill(req.parameters.get("id") ?? "", on: req.db)
        let rules = req.application.liandong.ruleBook.inForce(at: drill.alertAt)
        let names = try await RegisterService.unitNames(on: req.db as! any SQLDatabase)
        let findings = try await FindingService.list(FindingFilter(), on: req.db).filter { $0.ref == drill.checkID && $0.source == drill.kind.source.rawValue }
        let equipment = try await EquipmentChecklist.items(on: req.db)
        let finished = try await InspectionService.isFinished(drill.checkID, on: req.db)
        let linked = try await DispatchService.drillEvents(drill.checkID, on: req.db)
        let timeline: [TimelineRow] = linked.isEmpty ? [] : DrillCrossCheck.compare(drill, events: linked, finished: finished, rules: rules).map { c in
            let unit = drill.units.first { $0.unitID == c.unitID }!
            let time = { (d: Date?) in d.map { String(ChinaTime.isoString($0).dropFirst(11).prefix(8)) } ?? "—" }
            return TimelineRow(
                name: names[c.unitID] ?? String(c.unitID), instructed: time(c.instructedAt), arrived: time(c.arrivedAt),
                elapsed: c.elapsedSeconds.map { "\(RuleSet.durationText(seconds: $0))(时限\(c.limit))" } ?? "—", late: c.onTime == false,
                recorded: "通知 \(time(unit.notifiedAt)),到达 " + (unit.arrivedAt.map { "\(time($0))(\(RuleSet.durationText(seconds: c.recordedElapsedSeconds ?? 0)))" } ?? (finished ? "未到达" : "—")),
                discrepancies: c.discrepancies.joined(separator: ";"), hasDiscrepancies: !c.discrepancies.isEmpty)
        }
        return try await req.view.render("drill", DrillContext(
            frame: PageFrame(req, title: drill.checkID, active: "drills"), checkID: drill.checkID, kind: kindName(drill.kind),
            scenario: drill.scenario, place: drill.place ?? drill.videoPoint ?? "", alertAt: ChinaTime.displayString(drill.alertAt),
            officers: drill.officers.joined(separator: "、"),
            units: drill.units.map { u in
                let limit = drill.limit(for: u, rules: rules)
                return DrillUnitRow(
                    id: u.unitID, name: names[u.unitID] ?? String(u.unitID), level: u.level.name, limit: limit.description, limitSeconds: limit.seconds,
                    notifiedMs: Int(u.notifiedAt.timeIntervalSince1970 * 1000), arrived: u.arrivedAt != nil,
                    arrivedText: u.arrivedAt.map { RuleSet.durationText(seconds: RuleSet.elapsedSeconds(from: u.notifiedAt, to: $0)) + "到达" } ?? "",
                    uniformExempt: u.uniformExempt, vest: text(u.vestWorn), equipment: text(u.equipmentOK), duties: text(u.knowsDuties),
                    notes: u.notes ?? "",
                    checklist: EquipmentChecklist.forUnit(u.unitID, in: equipment).map {
                        ChecklistItem(name: $0, missing: u.equipmentMissing?.contains($0) ?? false)
                    })
            },
            findings: findings.map { "\($0.unit ?? "") \($0.item) \($0.reason)(拟扣\(Points($0.proposedPoints))分)" }, hasFindings: !findings.isEmpty,
            timeline: timeline, hasTimeline: !timeline.isEmpty,
            tolerance: RuleSet.durationText(seconds: DrillCrossCheck.toleranceSeconds), finished: finished, error: nil, hasError: false))
    }

    static func updateDrill(_ req: Request, _ change: (inout DrillUnit) throws -> Void) async throws -> Response {
        let actor = try requireJointCheck(req)
        let id = req.parameters.get("id") ?? ""
        var drill = try await InspectionService.drill(id, on: req.db)
        struct Form: Decodable { var unit_id: Int }
        let unitID = try req.content.decode(Form.self).unit_id
        guard let index = drill.units.firstIndex(where: { $0.unitID == unitID }) else { throw AppError.invalid("该单位未参加本次检查", field: "unit_id") }
        try change(&drill.units[index])
        let finished = try await InspectionService.isFinished(id, on: req.db)
        _ = try await InspectionService.record(drill, replace: true, finished: finished, actor: actor, rules: req.application.liandong.ruleBook, on: req.db)
        return req.redirect(to: "/checks/drills/\(id)")
    }

    @Sendable static func finish(req: Request) async throws -> Response {
        let actor = try requireJointCheck(req)
        let id = req.parameters.get("id") ?? ""
        try await InspectionService.finish(id, actor: actor, rules: req.application.liandong.ruleBook, on: req.db)
        return req.redirect(to: "/checks/drills/\(id)")
    }

    /// One tap: the unit's first responders are here now.
    @Sendable static func arrive(req: Request) async throws -> Response {
        try await updateDrill(req) { unit in
            guard unit.arrivedAt == nil else { throw AppError.invalid("已记录到达时间") }
            unit.arrivedAt = Date()
        }
    }

    @Sendable static func assess(req: Request) async throws -> Response {
        struct Form: Decodable { var vest: String?; var equipment: String?; var duties: String?; var notes: String?; var missing: [String]? }
        let form = try req.content.decode(Form.self)
        return try await updateDrill(req) { unit in
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
    }

    // MARK: Supervision calendar

    struct PeriodRow: Encodable {
        var duty: String
        var period: String
        var count: Int
        var status: String
        var statusText: String
        var agencies: String
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
            dutiesText: req.currentRules.supervisionDuties.map { "\($0.period.chinese)\($0.title)(\($0.agencies.map(\.name).joined(separator: "、")))" }
                .joined(separator: "、"),
            periods: periods.reversed().map { p in
                PeriodRow(duty: p.duty.title, period: p.chineseLabel, count: p.count, status: p.status.rawValue, statusText: p.status.chinese,
                          agencies: p.duty.agencies.map(\.name).joined(separator: "、"))
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
