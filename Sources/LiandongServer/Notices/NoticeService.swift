import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// What a notice says: the confirmed deductions of its period grouped by jurisdiction and unit,
/// a summary table and the supervision work done. Fixed at publication.
struct NoticeContent: Content, Equatable {
    struct Entry: Content, Equatable {
        var deductionId: Int
        var item: String
        var itemTitle: String
        var facts: String
        var points: Double
        var occurredOn: String
    }
    struct UnitGroup: Content, Equatable {
        var unit: String
        var entries: [Entry]
        var total: Double
    }
    struct JurisdictionGroup: Content, Equatable {
        var jurisdiction: String
        var units: [UnitGroup]
    }
    struct SummaryRow: Content, Equatable {
        var entity: String
        var count: Int
        var points: Double
    }
    struct Work: Content, Equatable {
        var phoneChecks: Int
        var unitsCalled: Int
        var drills: Int
        var meetings: Int
        var dispatches: Int
    }

    var periodLabel: String
    var groups: [JurisdictionGroup]
    /// Changes on appeal to deductions earlier notices carried (issue 15); nil in notices
    /// published before.
    var changes: [NoticeLedger.Change]?
    var summary: [SummaryRow]
    var work: Work
    var total: Double
    var count: Int

    /// The deductions the notice carries (not those it reports changed).
    var deductionIds: [Int] { groups.flatMap(\.units).flatMap(\.entries).map(\.deductionId) }
}

struct NoticeDTO: Content {
    var id: Int
    var number: String?
    var title: String
    var intro: String
    /// The 有关要求 paragraph(s), as edited in the draft or the standard text.
    var requirements: String
    var status: String
    var periodFrom: String
    var periodTo: String
    var correctsId: Int?
    var publishedAt: String?
    var publishedBy: String?
    /// The PLC that publishes it (issue 15): its code and name.
    var publisherId: String
    var publisher: String
    var issuerMark: String
    var signature: String
    /// The names the body gives the agencies that checked and decided.
    var embName: String
    var psbName: String
    var jurisdiction: String
    var content: NoticeContent
    var deductionIds: [Int]
    var changedDeductionIds: [Int]
}

enum NoticeService {
    /// The city's document-number prefix (发文字号的机关代字), configurable by `LIANDONG_NOTICE_PREFIX`
    /// unless the city PLC's own is set in the register.
    static var prefix: String { Environment.get("LIANDONG_NOTICE_PREFIX")?.nilIfEmpty ?? "丽应联通" }

    /// A publisher's prefix: its own when set; the city's as configured; a county's default.
    static func prefix(of publisher: SupervisingAgency) -> String {
        if publisher.prefix?.isEmpty == false { return publisher.noticePrefix }
        return publisher.jurisdictionID == Jurisdictions.city.id ? prefix : publisher.noticePrefix
    }

    /// `丽应联通〔2026〕3号`: the year in 〔〕, the sequence without leading zeros (GB/T 9704 7.2.4).
    static func number(year: Int, seq: Int, prefix: String = NoticeService.prefix) -> String { "\(prefix)〔\(year)〕\(seq)号" }

    /// The publisher's notices carry what its agencies confirmed since its previous notice (and
    /// what changed on appeal since), whatever the date it occurred (issue 15); `period` sets
    /// the title and the period's statistics only.
    static func compose(_ period: Period, publisher: SupervisingAgency, directory: AgencyDirectory, rules: RuleBook, on db: any Database) async throws -> NoticeContent {
        let ids = try await NoticeLedger.unpublished(publisher, directory: directory, on: db)
        let calendar = try await WorkingCalendarStore.load(on: db)
        var deductions: [DeductionDTO] = []
        for chunk in ids.chunked(into: 500) {
            var filter = DeductionFilter()
            filter.ids = chunk
            deductions += try await DeductionService.list(filter, rules: rules, calendar: calendar, on: db)
        }
        let changes = try await NoticeLedger.changed(publisher, directory: directory, on: db)
        let units = Dictionary(uniqueKeysWithValues: try await LinkageUnit.query(on: db).all().map { ($0.id ?? 0, $0) })
        func entry(_ d: DeductionDTO) -> NoticeContent.Entry {
            let item = DeductionItemID(rawValue: d.item) ?? .d12
            // The item as worded by the rule set in force when it happened.
            let ruleSet = ChinaTime.parseTimestamp(d.occurredAt).map { rules.inForce(at: $0) } ?? rules.latest
            return .init(deductionId: d.id, item: d.item, itemTitle: ruleSet.item(item).title, facts: d.reason, points: d.points,
                         occurredOn: ChinaTime.parseTimestamp(d.occurredAt).map { LocalDate($0).chinese } ?? "")
        }
        var byJurisdiction: [String: [String: [NoticeContent.Entry]]] = [:]
        for d in deductions {
            let jurisdiction = d.jurisdiction ?? d.unitId.flatMap { units[$0]?.jurisdictionID }.flatMap { Jurisdictions.named($0)?.name } ?? Jurisdictions.city.name
            byJurisdiction[jurisdiction, default: [:]][d.unit ?? d.agency ?? d.jurisdiction ?? "", default: []].append(entry(d))
        }
        let groups = Jurisdictions.all.compactMap { j -> NoticeContent.JurisdictionGroup? in
            guard let unitsMap = byJurisdiction[j.name] else { return nil }
            let unitGroups = unitsMap.map { NoticeContent.UnitGroup(unit: $0.key, entries: $0.value, total: $0.value.reduce(Points.zero) { $0 + Points($1.points) }.value) }
                .sorted { ($1.total, $0.unit) < ($0.total, $1.unit) }
            return .init(jurisdiction: j.name, units: unitGroups)
        }
        let summary = groups.flatMap(\.units).map { NoticeContent.SummaryRow(entity: $0.unit, count: $0.entries.count, points: $0.total) }
        let phone = try await InspectionService.phoneChecks(from: period.startInstant, to: period.endInstant, on: db)
        let acts = try await InspectionService.activities(on: db).filter { period.contains($0.at) }
        let dispatches = try await ComplianceService.report(period: period, by: .all, on: db).total.dispatches
        return NoticeContent(periodLabel: period.label, groups: groups, changes: changes, summary: summary,
                             work: .init(phoneChecks: phone.count, unitsCalled: Set(phone.map(\.unitID)).count,
                                         drills: acts.filter { $0.kind == .jointCheck }.count, meetings: acts.filter { $0.kind == .consultation }.count,
                                         dispatches: dispatches),
                             total: deductions.reduce(Points.zero) { $0 + Points($1.points) }.value, count: deductions.count)
    }

    struct Row: Decodable {
        var id: Int; var number: String?; var title: String; var intro: String; var status: String; var period_start: Date; var period_end: Date
        var corrects_id: Int?; var published_at: Date?; var published_by: String?; var content: String?
        var publisher_id: String?
        var requirements: String?
    }

    static func load(_ id: Int, rules: RuleBook, on db: any Database) async throws -> NoticeDTO {
        guard let row = try await (db as! any SQLDatabase).select().columns("*").from("notices").where("id", .equal, SQLBind(id)).first(decoding: Row.self) else {
            throw AppError.notFound("编号为 \(id) 的通报")
        }
        let period = Self.named(Period(start: LocalDate(row.period_start), end: LocalDate(row.period_end)))
        let directory = try await AgencyStore.load(on: db)
        let publisher = try publisherOf(row, directory)
        // A draft shows what is unpublished as it stands now; a published notice what it said then.
        let content: NoticeContent
        if let stored = row.content { content = try InspectionService.decode(NoticeContent.self, stored) }
        else { content = try await compose(period, publisher: publisher, directory: directory, rules: rules, on: db) }
        return NoticeDTO(id: row.id, number: row.number, title: row.title, intro: row.intro,
                         requirements: row.requirements ?? Self.standardRequirements, status: row.status,
                         periodFrom: period.start.description, periodTo: period.end.adding(days: -1).description, correctsId: row.corrects_id,
                         publishedAt: row.published_at.map(ChinaTime.isoString), publishedBy: row.published_by,
                         publisherId: publisher.id, publisher: publisher.name, issuerMark: publisher.issuerMark, signature: publisher.signature,
                         embName: directory.agency(.emb, of: publisher.jurisdictionID)?.name ?? Agency.emb.name,
                         psbName: directory.agency(.psb, of: publisher.jurisdictionID)?.name ?? Agency.psb.name,
                         jurisdiction: Jurisdictions.named(publisher.jurisdictionID)?.name ?? "",
                         content: content, deductionIds: content.deductionIds, changedDeductionIds: (content.changes ?? []).map(\.deductionId))
    }

    /// A stored period with its name when it is a month, quarter, half-year or year
    /// (「2026年第一季度」 rather than 「2026年1月1日至2026年3月31日」).
    static func named(_ period: Period) -> Period {
        let y = period.start.year
        let named: [Period] = [.year(y), .halfYear(y, 1), .halfYear(y, 2)] + (1...4).map { .quarter(y, $0) } + (1...12).map { .month(y, $0) }
        return named.first { $0.start == period.start && $0.end == period.end } ?? period
    }

    /// The PLC a notice belongs to (notices from before issue 15: the city's).
    static func publisherOf(_ row: Row, _ directory: AgencyDirectory) throws -> SupervisingAgency {
        guard let publisher = directory.agency(id: row.publisher_id ?? Agency.plc.rawValue) else {
            throw AppError(.conflict, "通报 \(row.id) 的发布机关不在登记册中")
        }
        return publisher
    }

    static func list(on db: any Database) async throws -> [Row] {
        try await (db as! any SQLDatabase).select().columns("*").from("notices").orderBy("id", .descending).all(decoding: Row.self)
    }

    /// A draft for a period. `corrects`: a published notice this one corrects.
    /// `publisher`: the PLC whose notice it is (nil: the city's).
    static func draft(period: Period, title: String?, intro: String?, corrects: Int? = nil, publisher: SupervisingAgency? = nil, actor: Actor, rules: RuleBook,
                      now: Date = Date(), on db: any Database) async throws -> Int {
        let directory = try await AgencyStore.load(on: db)
        guard let publisher = publisher ?? directory.agency(id: Agency.plc.rawValue), publisher.kind == .plc else {
            throw AppError.invalid("通报由政法委发布", field: "publisher")
        }
        if let corrects {
            let original = try await load(corrects, rules: rules, on: db)
            guard original.status == "published" else { throw AppError.invalid("只能更正已发布的通报", field: "corrects") }
            guard original.publisherId == publisher.id else { throw AppError.invalid("只能更正本机关发布的通报", field: "corrects") }
        }
        let t = title?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? "关于\(period.label)社会应急联动工作检查情况的通报"
        let city = publisher.jurisdictionID == Jurisdictions.city.id
        let emb = directory.agency(.emb, of: publisher.jurisdictionID)?.name ?? Agency.emb.name
        let psb = directory.agency(.psb, of: publisher.jurisdictionID)?.name ?? Agency.psb.name
        let i = intro?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            ?? (city ? "根据《丽水市社会应急联动工作监督检查考核机制（试行）》，市应急管理局、市公安局对\(period.label)全市社会应急联动工作开展了监督检查，现将有关情况通报如下。"
                : "根据《丽水市社会应急联动工作监督检查考核机制（试行）》，\(emb)、\(psb)对\(period.label)\(Jurisdictions.named(publisher.jurisdictionID)?.name ?? "")社会应急联动工作开展了监督检查，现将有关情况通报如下。")
        return try await db.writeTransaction { tx in
            struct IDRow: Decodable { var id: Int }
            let id = try await (tx as! any SQLDatabase).insert(into: "notices")
                .columns("title", "intro", "period_start", "period_end", "corrects_id", "status", "created_by", "created_at", "publisher_id")
                .values(SQLBind(t), SQLBind(i), SQLBind(period.startInstant), SQLBind(period.endInstant), SQLBind(corrects), SQLBind("draft"),
                        SQLBind(actor.principal.name), SQLBind(now), SQLBind(publisher.id))
                .returning("id").first(decoding: IDRow.self)?.id ?? 0
            try await AuditLog.append(tx, actor: actor, action: "notice.draft", entity: "notice", entityID: String(id),
                                      after: ["title": t, "period": period.label, "publisher": publisher.id], at: now)
            return id
        }
    }

    /// Publishes a draft: it takes the next number of the year, never reused, and its content
    /// is fixed from then on.
    static func publish(_ id: Int, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws -> NoticeDTO {
        let notice = try await load(id, rules: rules, on: db)
        guard notice.status == "draft" else { throw AppError(.conflict, "通报已发布，不能修改；如需更正请另发一期通报", field: "id") }
        let year = LocalDate(now).year
        let directory = try await AgencyStore.load(on: db)
        guard let publisher = directory.agency(id: notice.publisherId) else { throw AppError(.conflict, "通报 \(id) 的发布机关不在登记册中") }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // Each PLC numbers its notices in its own yearly sequence (issue 15).
            struct M: Decodable { var seq: Int? }
            let next = (try await sql.select().column(SQLFunction("MAX", args: SQLColumn("publisher_seq")), as: "seq").from("notices")
                .where("publisher_id", .equal, SQLBind(publisher.id)).where("publisher_year", .equal, SQLBind(year)).first(decoding: M.self)?.seq ?? 0) + 1
            let number = Self.number(year: year, seq: next, prefix: Self.prefix(of: publisher))
            try await NoticeLedger.record(notice: id, content: notice.content, on: sql)
            // The old sequence columns, unique across the table, stay the city's.
            let city = publisher.id == Agency.plc.rawValue
            try await sql.update("notices").set("year", to: SQLBind(city ? year : nil)).set("seq", to: SQLBind(city ? next : nil))
                .set("publisher_year", to: SQLBind(year)).set("publisher_seq", to: SQLBind(next)).set("number", to: SQLBind(number))
                .set("status", to: SQLBind("published")).set("content", to: SQLBind(String(decoding: try InspectionService.encoder.encode(notice.content), as: UTF8.self)))
                .set("published_by", to: SQLBind(actor.principal.name)).set("published_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(id)).where("status", .equal, SQLBind("draft")).run()
            try await AuditLog.append(tx, actor: actor, action: "notice.publish", entity: "notice", entityID: String(id),
                                      after: ["number": number, "publisher": publisher.id, "deductions": String(notice.content.count),
                                              "deduction_ids": notice.deductionIds.map(String.init).joined(separator: ","),
                                              "changed": notice.changedDeductionIds.map(String.init).joined(separator: ","),
                                              "points": Points(notice.content.total).description], at: now)
        }
        return try await load(id, rules: rules, on: db)
    }

    /// The 有关要求 a draft starts with.
    static let standardRequirements = "请被扣分单位认真查找原因，落实整改，并于收到本通报之日起按要求反馈整改情况。对扣分有异议的，可在规定期限内提出申诉。检查结果将纳入年度综合考核平安综治项目。"

    /// Text typed in a textarea: its paragraphs, one a line, trimmed, without empty lines.
    static func paragraphs(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// Edits a draft's title, introduction and 有关要求 (nil: left as it is); a published notice
    /// never changes.
    static func edit(_ id: Int, title: String, intro: String, requirements: String? = nil, actor: Actor, rules: RuleBook, now: Date = Date(), on db: any Database) async throws {
        let notice = try await load(id, rules: rules, on: db)
        guard notice.status == "draft" else { throw AppError(.conflict, "通报已发布，不能修改；如需更正请另发一期通报", field: "id") }
        guard let t = Self.paragraphs(title).nilIfEmpty else { throw AppError.invalid("标题不能为空", field: "title") }
        let i = Self.paragraphs(intro)
        let r = requirements.map(Self.paragraphs) ?? notice.requirements
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).update("notices").set("title", to: SQLBind(t)).set("intro", to: SQLBind(i))
                .set("requirements", to: SQLBind(r)).where("id", .equal, SQLBind(id)).run()
            try await AuditLog.append(tx, actor: actor, action: "notice.edit", entity: "notice", entityID: String(id),
                                      before: ["title": notice.title, "intro": notice.intro, "requirements": notice.requirements],
                                      after: ["title": t, "intro": i, "requirements": r], at: now)
        }
    }
}
