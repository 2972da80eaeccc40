import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// 整改: a supervisor sets a corrective action on a confirmed deduction; the unit reports it
/// done with its evidence; a supervisor verifies. An action past its due date and not verified
/// is overdue.
enum Rectifications {
    struct Item: Content {
        var id: Int
        var deductionId: Int
        var unit: String?
        var unitId: Int?
        var item: String
        var action: String
        var owner: String
        var dueOn: String
        var evidence: String?
        var completedAt: String?
        var verifiedBy: String?
        var verifiedAt: String?
        var verificationNote: String?
        var overdue: Bool
        var stage: String
        /// The unit's evidence files.
        var files: [Attachments.Meta] = []
        var hasFiles = false
        /// What the liaison typed when the report was refused: the form comes back with it.
        var evidenceDraft = ""
    }

    struct Row: Decodable {
        var id: Int; var deduction_id: Int; var action: String; var owner: String; var due_at: Date; var evidence: String?
        var completed_at: Date?; var verified_by: String?; var verified_at: Date?; var verification_note: String?
        var unit_id: Int?; var name: String?; var item: String
    }

    static func list(unitID: Int? = nil, jurisdictionID: String? = nil, now: Date = Date(), on db: any Database) async throws -> [Item] {
        var query = (db as! any SQLDatabase).select()
            .columns(SQLColumn("id", table: "rectifications"), SQLColumn("deduction_id", table: "rectifications"), SQLColumn("action", table: "rectifications"),
                     SQLColumn("owner", table: "rectifications"), SQLColumn("due_at", table: "rectifications"), SQLColumn("evidence", table: "rectifications"),
                     SQLColumn("completed_at", table: "rectifications"), SQLColumn("verified_by", table: "rectifications"),
                     SQLColumn("verified_at", table: "rectifications"), SQLColumn("verification_note", table: "rectifications"),
                     SQLColumn("unit_id", table: "deductions"), SQLColumn("name", table: "linkage_units"), SQLColumn("item", table: "deductions"))
            .from("rectifications")
            .join("deductions", on: SQLColumn("deduction_id", table: "rectifications"), .equal, SQLColumn("id", table: "deductions"))
            .join("linkage_units", method: SQLJoinMethod.left, on: SQLColumn("unit_id", table: "deductions"), .equal, SQLColumn("id", table: "linkage_units"))
        if let unitID { query = query.where(SQLColumn("unit_id", table: "deductions"), .equal, SQLBind(unitID)) }
        if let jurisdictionID { query = query.where(SQLColumn("jurisdiction_id", table: "linkage_units"), .equal, SQLBind(jurisdictionID)) }
        return try await query.orderBy(SQLColumn("due_at", table: "rectifications")).all(decoding: Row.self).map { r in
            let overdue = r.verified_at == nil && r.due_at < now
            let stage = r.verified_at != nil ? "已验收" : r.completed_at != nil ? "待验收" : overdue ? "已逾期" : "整改中"
            return Item(id: r.id, deductionId: r.deduction_id, unit: r.name, unitId: r.unit_id, item: r.item, action: r.action, owner: r.owner,
                        dueOn: LocalDate(r.due_at).chinese, evidence: r.evidence, completedAt: r.completed_at.map(ChinaTime.displayString),
                        verifiedBy: r.verified_by, verifiedAt: r.verified_at.map(ChinaTime.displayString), verificationNote: r.verification_note,
                        overdue: overdue, stage: stage)
        }
    }

    /// When a corrective action is due, as the supervisor gives it.
    enum Due: Sendable, Equatable {
        /// A day; one that falls on a day off (a weekend, a holiday) moves to the next working day.
        case date(LocalDate)
        /// So many working days after today (today not counted).
        case workingDays(Int)
    }

    /// The due day by the working calendar, and what to tell the supervisor about it (a day
    /// moved off a holiday, years counted Monday to Friday).
    static func dueDay(_ due: Due, today: LocalDate, calendar: WorkingCalendar) -> (day: LocalDate, note: String?) {
        switch due {
        case .workingDays(let n):
            let deadline = calendar.deadline(after: n, fromDay: today)
            return (deadline.lastDay, "\(n)个工作日后为\(deadline.lastDay.chinese)" + deadline.note)
        case .date(let day):
            let working = calendar.firstWorkingDay(onOrAfter: day)
            guard working.lastDay != day else { return (day, working.assumedYears.isEmpty ? nil : working.note) }
            return (working.lastDay, "\(day.chinese)不是工作日，期限顺延至\(working.lastDay.chinese)" + working.note)
        }
    }

    /// A supervisor sets the corrective action of a confirmed deduction. The due day counts the
    /// working days the database holds (holidays skipped, make-up days counted); returns it,
    /// with a note when the day moved or years were counted Monday to Friday.
    @discardableResult
    static func assign(deductionID: Int, action: String, owner: String, due: Due, actor: Actor, now: Date = Date(),
                       on db: any Database) async throws -> (day: LocalDate, note: String?) {
        let a = action.trimmingCharacters(in: .whitespacesAndNewlines), o = owner.trimmingCharacters(in: .whitespaces)
        let today = LocalDate(now)
        guard !a.isEmpty else { throw AppError.invalid("请填写整改要求", field: "action") }
        guard !o.isEmpty else { throw AppError.invalid("请填写整改责任人", field: "owner") }
        switch due {
        case .date(let day): guard day >= today else { throw AppError.invalid("整改期限不能早于今天", field: "due_on") }
        case .workingDays(let n): guard (1...250).contains(n) else { throw AppError.invalid("整改期限应为1至250个工作日", field: "due_days") }
        }
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            try await AgencyStore.requireDecidingSeat(deductionID: deductionID, actor: actor, what: "提出", on: tx)
            struct S: Decodable { var status: String }
            guard let d = try await sql.select().column("status").from("deductions").where("id", .equal, SQLBind(deductionID)).first(decoding: S.self) else {
                throw AppError.notFound("编号为 \(deductionID) 的扣分")
            }
            guard d.status == DeductionStatus.confirmed.rawValue else { throw AppError.invalid("只有已确认的扣分才能要求整改", field: "deduction_id") }
            struct E: Decodable { var id: Int }
            guard try await sql.select().column("id").from("rectifications").where("deduction_id", .equal, SQLBind(deductionID)).first(decoding: E.self) == nil else {
                throw AppError(.conflict, "该扣分已有整改要求", field: "deduction_id")
            }
            let (day, note) = dueDay(due, today: today, calendar: try await WorkingCalendarStore.load(on: sql))
            // Due at the end of the due day, China time.
            try await sql.insert(into: "rectifications").columns("deduction_id", "action", "owner", "due_at", "created_by", "created_at")
                .values(SQLBind(deductionID), SQLBind(a), SQLBind(o), SQLBind(day.adding(days: 1).start.addingTimeInterval(-1)),
                        SQLBind(actor.principal.name), SQLBind(now)).run()
            var after = ["action": a, "owner": o, "due_on": day.description]
            if case .workingDays(let n) = due { after["due_working_days"] = String(n) }
            if let note { after["due_note"] = note }
            try await AuditLog.append(tx, actor: actor, action: "rectification.assign", entity: "deduction", entityID: String(deductionID),
                                      after: after, at: now)
            return (day, note)
        }
    }

    static func find(_ id: Int, on db: any Database) async throws -> Item {
        guard let item = try await list(on: db).first(where: { $0.id == id }) else { throw AppError.notFound("编号为 \(id) 的整改") }
        return item
    }

    /// The unit reports the action done, with its evidence.
    static func complete(_ id: Int, evidence: String, actor: Actor, now: Date = Date(), on db: any Database) async throws {
        let item = try await find(id, on: db)
        guard actor.principal.role == .liaison, actor.principal.unitID == item.unitId else { throw AppError(.forbidden, "由本单位联络员提交整改情况") }
        guard item.verifiedAt == nil else { throw AppError.invalid("该整改已验收") }
        let text = evidence.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AppError.invalid("请说明整改情况", field: "evidence") }
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).update("rectifications").set("evidence", to: SQLBind(text)).set("completed_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(id)).run()
            try await AuditLog.append(tx, actor: actor, action: "rectification.complete", entity: "rectification", entityID: String(id),
                                      after: ["evidence": text], at: now)
        }
    }

    /// A supervisor verifies the action (accepted), or sends it back with a note.
    static func verify(_ id: Int, accepted: Bool, note: String, actor: Actor, now: Date = Date(), on db: any Database) async throws {
        let item = try await find(id, on: db)
        try await AgencyStore.requireDecidingSeat(deductionID: item.deductionId, actor: actor, what: "验收", on: db)
        guard item.completedAt != nil, item.verifiedAt == nil else { throw AppError.invalid("只有单位已提交、尚未验收的整改才能验收") }
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard accepted || !text.isEmpty else { throw AppError.invalid("退回须说明理由", field: "note") }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            if accepted {
                try await sql.update("rectifications").set("verified_by", to: SQLBind(actor.principal.name)).set("verified_at", to: SQLBind(now))
                    .set("verification_note", to: SQLBind(text.isEmpty ? nil : text)).where("id", .equal, SQLBind(id)).run()
            } else {
                try await sql.update("rectifications").set("completed_at", to: SQLBind(Optional<Date>.none))
                    .set("verification_note", to: SQLBind(text)).where("id", .equal, SQLBind(id)).run()
            }
            try await AuditLog.append(tx, actor: actor, action: accepted ? "rectification.verify" : "rectification.return", entity: "rectification",
                                      entityID: String(id), after: ["note": text], at: now)
        }
    }
}

/// `/rectifications`
enum RectificationPages {
    struct Context: Encodable {
        var frame: PageFrame
        var head: TableHead
        var items: [Rectifications.Item]
        var isSupervisor: Bool
        var isLiaison: Bool
        var confirmed: [AdminPages.Option]
        var error: String?
        var hasError: Bool
        var notice: String?
        var hasNotice: Bool
    }

    static let columns = [
        SortColumn("扣分", "deduction"), SortColumn("单位", "unit"), SortColumn("整改要求"), SortColumn("责任人", "owner"),
        SortColumn("期限", "due"), SortColumn("状态", "stage"), SortColumn("整改情况"), SortColumn("验收"), SortColumn("操作"),
    ]

    /// A report of a rectification that was refused, to be shown again as typed.
    struct EvidenceDraft { var id: Int; var evidence: String }

    static func render(_ req: Request, error: String? = nil, notice: String? = nil, status: HTTPResponseStatus = .ok,
                       draft: EvidenceDraft? = nil) async throws -> Response {
        let p = try req.requirePrincipal()
        try req.authorize(p.role != nil, "无权查看整改")
        let supervisor = [.admin, .emb, .psb].contains(p.role)
        var items = try await Rectifications.list(unitID: p.role == .liaison ? (p.unitID ?? -1) : nil,
                                                  jurisdictionID: p.role == .liaison ? nil : p.jurisdictionID, on: req.db)
        let files = try await Attachments.list(.rectification, ids: items.map(\.id), on: req.db)
        for i in items.indices {
            items[i].files = files[items[i].id] ?? []
            items[i].hasFiles = files[items[i].id] != nil
            if items[i].id == draft?.id { items[i].evidenceDraft = draft?.evidence ?? "" }
        }
        // The list comes by due date: its position is the due order.
        let sort = try ListSort(req, columns: columns, default: "due")
        let dueOrder = Dictionary(items.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let stages = ["已逾期", "整改中", "待验收", "已验收"]
        items = sort.sorted(items, by: [
            "deduction": { .int($0.deductionId) }, "unit": { .text($0.unit) }, "owner": { .text($0.owner) },
            "due": { .int(dueOrder[$0.id]) }, "stage": { .int(stages.firstIndex(of: $0.stage)) },
        ])
        var confirmed: [AdminPages.Option] = []
        if supervisor {
            let taken = Set(items.map(\.deductionId))
            // Those the officer's own agencies decide (issue 15).
            var filter = DeductionFilter(status: .confirmed)
            let directory = try await AgencyStore.load(on: req.db)
            filter.decidedBy = directory.acting(for: p).map { DecidingSeat($0.jurisdictionID, directory: directory) }
            confirmed = try await DeductionService.list(filter, rules: req.application.liandong.ruleBook, calendar: req.application.liandong.calendar, on: req.db).filter { !taken.contains($0.id) }.map {
                AdminPages.Option(value: String($0.id), label: "\($0.id) \($0.unit ?? $0.agency ?? "") \($0.item) \(Points($0.points))分")
            }
        }
        return try await req.page("rectifications", Context(
            frame: PageFrame(req, title: "整改", active: "rectifications"), head: sort.head(req, path: "/rectifications"), items: items, isSupervisor: supervisor, isLiaison: p.role == .liaison,
            confirmed: confirmed, error: error, hasError: error != nil, notice: notice, hasNotice: notice != nil), status: status)
    }

    @Sendable static func list(req: Request) async throws -> Response { try await render(req) }

    @Sendable static func act(req: Request) async throws -> Response {
        let actor = try req.actor()
        struct Form: Decodable {
            var op: String?; var deduction_id: Int?; var id: Int?; var action: String?; var owner: String?; var due_on: String?; var due_days: String?
            var evidence: String?; var note: String?; var attachment: File?
        }
        let form: Form
        do { form = try req.content.decode(Form.self) } catch { throw AppError(.badRequest, "表单内容无法读取") }
        let supervisor = [.admin, .emb, .psb].contains(actor.principal.role)
        do {
            switch form.op {
            case "assign":
                try req.authorize(supervisor, "由市应急管理局或市公安局提出整改要求")
                let due: Rectifications.Due
                if let raw = form.due_days?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
                    guard let n = Int(raw) else { throw AppError.invalid("整改期限的工作日数应为整数", field: "due_days") }
                    due = .workingDays(n)
                } else {
                    guard let day = form.due_on.flatMap(LocalDate.init) else { throw AppError.invalid("请填写整改期限（日期或工作日数）", field: "due_on") }
                    due = .date(day)
                }
                let (day, note) = try await Rectifications.assign(deductionID: form.deduction_id ?? 0, action: form.action ?? "", owner: form.owner ?? "",
                                                                  due: due, actor: actor, now: req.now, on: req.db)
                return try await render(req, notice: "已提出整改要求，期限为\(day.chinese)" + (note.map { "（\($0)）" } ?? ""))
            case "complete":
                let file = try Attachments.accept(form.attachment)
                // The report and its evidence file are stored together or not at all.
                try await req.db.writeTransaction { tx in
                    try await Rectifications.complete(form.id ?? 0, evidence: form.evidence ?? "", actor: actor, now: req.now, on: tx)
                    if let file { try await Attachments.save(file, owner: .rectification, ownerID: form.id ?? 0, actor: actor, now: req.now, on: tx) }
                }
                return try await render(req, notice: "已提交整改情况")
            case "verify", "return":
                try req.authorize(supervisor, "由市应急管理局或市公安局验收整改")
                try await Rectifications.verify(form.id ?? 0, accepted: form.op == "verify", note: form.note ?? "", actor: actor, on: req.db)
                return try await render(req, notice: form.op == "verify" ? "已验收" : "已退回")
            default:
                throw AppError.invalid("未知操作", field: "op")
            }
        } catch let error as AppError {
            let draft = form.op == "complete" ? form.id.map { EvidenceDraft(id: $0, evidence: form.evidence ?? "") } : nil
            return try await render(req, error: Attachments.refusal(error.message, chosen: form.attachment), status: error.status, draft: draft)
        }
    }
}
