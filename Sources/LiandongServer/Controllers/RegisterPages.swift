import Fluent
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// The units register as pages: the list, a unit with its contact history, the change form.
enum RegisterPages {
    struct Option: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct UnitRow: Encodable {
        var id: Int
        var name: String
        var level: String
        var jurisdiction: String
        var kind: String
        var limit: String
        var dutyPhone: String
        var liaison: String
        var reportedAt: String
        var ranked: Bool
    }

    struct ListContext: Encodable {
        var frame: PageFrame
        var jurisdictions: [Option]
        var levels: [Option]
        var query: String
        var units: [UnitRow]
        var count: Int
        var pager: Pager
        var exportQuery: String
        var head: TableHead
    }

    static let columns = [
        SortColumn("编号", "id", numeric: true), SortColumn("单位名称", "name"), SortColumn("级别", "level"),
        SortColumn("辖区", "jurisdiction"), SortColumn("类型", "kind"), SortColumn("到场时限", "limit"),
        SortColumn("值班电话"), SortColumn("联络员"), SortColumn("最近报备", "reported", first: .desc),
    ]

    @Sendable static func list(req: Request) async throws -> View {
        let rules = req.currentRules
        let filter = try RegisterAPI.filter(req)
        // The register's own order (jurisdiction, level, number) is the default.
        let sort = try ListSort(req, columns: columns, default: "jurisdiction")
        let units = sort.sorted(try await RegisterService.units(filter, on: req.db), by: [
            "id": { .int($0.id) },
            "name": { .text($0.name) },
            "level": { .int($0.level) },
            "jurisdiction": { .int(RegisterService.jurisdictionOrder($0.jurisdictionID)) },
            "kind": { .text($0.unitKind.name) },
            "limit": { .int(rules.limit(level: $0.unitLevel, publicSecurity: $0.publicSecurity).seconds) },
            "reported": { .date($0.contactsReportedAt) },
        ])
        let (shown, pager) = Pager.slice(units, req)
        try await AccessAudit.contactsShown(req, units: Array(shown))
        var exportParameters: [String] = []
        if let j = filter.jurisdictionID { exportParameters.append("jurisdiction=\(j)") }
        if let l = filter.level { exportParameters.append("level=\(l.rawValue)") }
        return try await req.view.render("units", ListContext(
            frame: PageFrame(req, title: "联动单位", active: "units"),
            jurisdictions: [Option(value: "", label: "全部辖区", selected: filter.jurisdictionID == nil)]
                + Jurisdictions.all.map { Option(value: $0.id, label: $0.name, selected: $0.id == filter.jurisdictionID) },
            levels: [Option(value: "", label: "全部级别", selected: filter.level == nil)]
                + UnitLevel.allCases.map { Option(value: String($0.rawValue), label: $0.name, selected: $0 == filter.level) },
            query: filter.query ?? "",
            units: shown.map { unit in
                UnitRow(id: unit.id ?? 0, name: unit.name, level: unit.unitLevel.name,
                        jurisdiction: Jurisdictions.named(unit.jurisdictionID)?.name ?? "",
                        kind: unit.unitKind.name,
                        limit: rules.limit(level: unit.unitLevel, publicSecurity: unit.publicSecurity).description,
                        dutyPhone: unit.dutyPhone ?? "", liaison: liaisonText(unit, req),
                        reportedAt: unit.contactsReportedAt.map(ChinaTime.displayString) ?? "", ranked: unit.ranked)
            },
            count: units.count, pager: pager, exportQuery: exportParameters.joined(separator: "&"), head: sort.head(req)))
    }

    static func visibleContacts(_ unit: LinkageUnit, _ req: Request) -> ContactDetails {
        RegisterAPI.fullContacts(unit, req) ? unit.contacts : Masking.contacts(unit.contacts)
    }

    static func liaisonText(_ unit: LinkageUnit, _ req: Request) -> String {
        let c = visibleContacts(unit, req)
        return [c.liaisonName, c.liaisonMobile].compactMap { $0 }.joined(separator: " ")
    }

    struct HistoryRow: Encodable {
        var reportedAt: String
        var recordedAt: String
        var reportedBy: String
        var channel: String
        var changed: String
        var dutyPhone: String
        var liaison: String
        var alternate: String
        var note: String
    }

    struct FormValues: Encodable {
        var dutyPhone = ""
        var liaisonName = ""
        var liaisonMobile = ""
        var alternateName = ""
        var alternateMobile = ""
        var reportedAt = ""
        var reportedBy = ""
        var channel = "wechat"
        var note = ""
    }

    struct ShowContext: Encodable {
        var frame: PageFrame
        var id: Int
        var name: String
        var level: String
        var jurisdiction: String
        var kind: String
        var limit: String
        var limitNote: String
        var publicSecurity: Bool
        var uniformExempt: Bool
        var ranked: Bool
        var duties: [String]
        var dutyPhone: String
        var liaisonName: String
        var liaisonMobile: String
        var alternateName: String
        var alternateMobile: String
        var reportedAt: String
        var history: [HistoryRow]
        var hasHistory: Bool
        var historyHead: TableHead
        var form: FormValues
        var channels: [Option]
        var error: String?
        var hasError: Bool
        var errorField: String?
        var saved: Bool
        var canReport: Bool
        var record: UnitRecordSection
    }

    /// The unit's record on its own page: its deductions, its on-time rate against its limit,
    /// and the checks it went through.
    struct UnitRecordSection: Encodable {
        struct Deduction: Encodable { var id: Int; var occurredAt: String; var item: String; var points: String; var status: String }
        struct Check: Encodable { var at: String; var kind: String; var result: String; var href: String }
        var year: Int
        var deductions: [Deduction]
        var deductionCount: Int
        var confirmedPoints: String
        var deductionsHref: String
        var rate: String
        var rateText: String
        var checks: [Check]
        var hasChecks: Bool { !checks.isEmpty }
        var shownCount: Int { deductions.count }
        var more: Bool { deductionCount > deductions.count }

        enum CodingKeys: String, CodingKey {
            case year, deductions, deductionCount, confirmedPoints, deductionsHref, rate, rateText, checks, hasChecks, shownCount, more
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(year, forKey: .year); try c.encode(deductions, forKey: .deductions); try c.encode(deductionCount, forKey: .deductionCount)
            try c.encode(confirmedPoints, forKey: .confirmedPoints); try c.encode(deductionsHref, forKey: .deductionsHref)
            try c.encode(rate, forKey: .rate); try c.encode(rateText, forKey: .rateText); try c.encode(checks, forKey: .checks)
            try c.encode(hasChecks, forKey: .hasChecks); try c.encode(shownCount, forKey: .shownCount); try c.encode(more, forKey: .more)
        }
    }

    /// How many deductions and checks the unit page lists (the full list is one link away).
    static let recordShown = 20

    static func record(_ req: Request, unit: LinkageUnit, limit: TimeLimit) async throws -> UnitRecordSection {
        let id = try unit.requireID()
        let year = LocalDate(req.now).year
        let app = req.application.liandong
        let rules = req.currentRules
        var filter = DeductionFilter()
        filter.unitID = id
        let summary = try await DeductionService.summary(filter, on: req.db)
        let newest = try ListSort(req, columns: DeductionService.sortColumns, default: "occurred", .desc, prefix: "d")
        let shown = try await DeductionService.list(filter, rules: app.ruleBook, calendar: app.calendar, page: (0, recordShown), sort: newest, on: req.db)
        var confirmed = filter
        confirmed.status = .confirmed
        let confirmedPoints = try await DeductionService.summary(confirmed, on: req.db).points
        // This year's arrivals, judged against the unit's own limit.
        let compliance = try await ComplianceService.report(period: .year(year), by: .unit, unitID: id, summary: true, on: req.db).total
        let rate = compliance.onTimeRate == nil ? "—" : ComplianceService.percent(compliance.onTimeRate)
        let rateText = compliance.arrivalsJudged == 0
            ? "\(year)年尚无判定到场的联动警情"
            : "\(year)年判定到场\(compliance.arrivalsJudged)起，\(limit)内到场\(compliance.onTime)起"
        // Phone checks of the unit and the drills it took part in, newest first.
        var checks: [(Date, UnitRecordSection.Check)] = []
        let sql = req.db as! any SQLDatabase
        struct Row: Decodable { var body: String }
        let phone = try await sql.select().column("body").from("phone_checks").where("unit_id", .equal, SQLBind(id))
            .orderBy("checked_at", .descending).limit(recordShown).all(decoding: Row.self)
            .map { try InspectionService.decode(PhoneCheck.self, $0.body) }
        for c in phone {
            let at = c.attempts.first?.at ?? Date.distantPast
            let result = c.answered ? "已接通" + (c.answeredBy.map { "（\($0)）" } ?? "") : "\(c.attempts.count)次无人接听"
            checks.append((at, .init(at: ChinaTime.displayString(at), kind: "电话检查（\(c.dialled.chinese)）", result: result, href: "")))
        }
        let mayOpenDrills = req.principal.map { WorkArea.drills.isOpen(to: $0) } ?? false
        for d in try await InspectionService.drills(on: req.db) {
            guard let u = d.units.first(where: { $0.unitID == id }) else { continue }
            let result: String
            if let arrived = u.arrivedAt {
                let seconds = Int(arrived.timeIntervalSince(u.notifiedAt))
                let late = u.limitSeconds.map { seconds > $0 } ?? false
                result = "\(seconds / 60)分\(seconds % 60)秒到场" + (late ? "，超过时限" : "")
            } else {
                result = "未到场"
            }
            checks.append((d.alertAt, .init(at: ChinaTime.displayString(d.alertAt), kind: d.kind == .onsite ? "实地检查" : "视频检查",
                                            result: result, href: mayOpenDrills ? "/checks/drills/\(d.checkID)" : "")))
        }
        let q = unit.name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
        return UnitRecordSection(
            year: year,
            deductions: shown.map { d in
                .init(id: d.id, occurredAt: ChinaTime.parseTimestamp(d.occurredAt).map(ChinaTime.displayString) ?? d.occurredAt,
                      item: rules.items.first { $0.id.rawValue == d.item }.map { "\($0.id.rawValue) \($0.title)" } ?? d.item,
                      points: Points(d.points).description, status: d.statusName)
            },
            deductionCount: summary.count, confirmedPoints: confirmedPoints.description,
            deductionsHref: "/deductions?q=\(q)", rate: rate, rateText: rateText,
            checks: checks.sorted { $0.0 > $1.0 }.prefix(recordShown).map(\.1))
    }

    static let historyColumns = [
        SortColumn("报备时间", "reported", first: .desc), SortColumn("变更内容"), SortColumn("值班电话"), SortColumn("联络员"),
        SortColumn("备用联络人"), SortColumn("报备方式", "channel"), SortColumn("报备人", "by"),
        SortColumn("登记时间", "recorded", first: .desc), SortColumn("备注"),
    ]

    static let channels: [(String, String)] = [("wechat", "微信联络员群"), ("phone", "电话"), ("document", "书面"), ("web", "网页登记")]

    static func channelLabel(_ code: String) -> String {
        (channels + [("api", "系统接口"), ("import", "批量导入")]).first { $0.0 == code }?.1 ?? code
    }

    static func render(_ req: Request, unit: LinkageUnit, form: FormValues? = nil, error: (String, String?)? = nil,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let rules = req.currentRules
        let sort = try ListSort(req, columns: historyColumns, default: "reported", .desc)
        let history = sort.sorted(try await RegisterService.history(unitID: unit.requireID(), on: req.db), by: [
            "reported": { .date($0.reportedAt) },
            "channel": { .text(channelLabel($0.channel)) },
            "by": { .text($0.reportedBy) },
            "recorded": { .date($0.recordedAt) },
        ])
        let full = RegisterAPI.fullContacts(unit, req)
        if full { try await AccessAudit.contactsShown(req, units: [unit]) }
        let c = visibleContacts(unit, req)
        let principal = try req.requirePrincipal()
        var values = form ?? FormValues(dutyPhone: c.dutyPhone ?? "", liaisonName: c.liaisonName ?? "", liaisonMobile: c.liaisonMobile ?? "",
                                        alternateName: c.alternateName ?? "", alternateMobile: c.alternateMobile ?? "")
        if values.reportedAt.isEmpty { values.reportedAt = String(ChinaTime.isoString(Date()).prefix(16)) }
        let limit = rules.limit(level: unit.unitLevel, publicSecurity: unit.publicSecurity)
        let context = ShowContext(
            frame: PageFrame(req, title: unit.name, active: "units"),
            id: unit.id ?? 0, name: unit.name, level: unit.unitLevel.name,
            jurisdiction: Jurisdictions.named(unit.jurisdictionID)?.name ?? "",
            kind: unit.unitKind.name, limit: limit.description,
            limitNote: unit.publicSecurity ? "公安部门" : (unit.unitLevel == .three ? "确需现场处置时" : ""),
            publicSecurity: unit.publicSecurity, uniformExempt: unit.uniformExempt, ranked: unit.ranked,
            duties: unit.duties.split(separator: "\n").map(String.init),
            dutyPhone: c.dutyPhone ?? "", liaisonName: c.liaisonName ?? "", liaisonMobile: c.liaisonMobile ?? "",
            alternateName: c.alternateName ?? "", alternateMobile: c.alternateMobile ?? "",
            reportedAt: unit.contactsReportedAt.map(ChinaTime.displayString) ?? "",
            history: history.map { change in
                let h = full ? change.contacts : Masking.contacts(change.contacts)
                return HistoryRow(reportedAt: ChinaTime.displayString(change.reportedAt), recordedAt: ChinaTime.displayString(change.recordedAt),
                           reportedBy: change.reportedBy, channel: channelLabel(change.channel),
                           changed: change.changed.map(\.label).joined(separator: "、"),
                           dutyPhone: h.dutyPhone ?? "—",
                           liaison: [h.liaisonName, h.liaisonMobile].compactMap { $0 }.joined(separator: " ").nilIfEmpty ?? "—",
                           alternate: [h.alternateName, h.alternateMobile].compactMap { $0 }.joined(separator: " ").nilIfEmpty ?? "—",
                           note: change.note ?? "")
            },
            hasHistory: !history.isEmpty, historyHead: sort.head(req, path: "/units/\(unit.id ?? 0)"),
            form: values,
            channels: channels.map { Option(value: $0.0, label: $0.1, selected: $0.0 == values.channel) },
            error: error?.0, hasError: error != nil, errorField: error?.1,
            saved: (try? req.query.get(String.self, at: "saved")) == "1",
            canReport: AccessPolicy.canReportContacts(unitID: unit.id ?? 0, jurisdictionID: unit.jurisdictionID, by: principal),
            record: try await record(req, unit: unit, limit: limit))
        return try await req.page("unit", context, status: status)
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let unit = try await RegisterAPI.visibleUnit(req)
        return try await render(req, unit: unit)
    }

    struct ContactForm: Decodable {
        var dutyPhone: String?
        var liaisonName: String?
        var liaisonMobile: String?
        var alternateName: String?
        var alternateMobile: String?
        var reportedAt: String?
        var reportedBy: String?
        var channel: String?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case dutyPhone = "duty_phone", liaisonName = "liaison_name", liaisonMobile = "liaison_mobile"
            case alternateName = "alternate_name", alternateMobile = "alternate_mobile"
            case reportedAt = "reported_at", reportedBy = "reported_by", channel, note
        }
    }

    /// The contact-change form. A bad value re-shows the form with what was typed and the
    /// problem next to its field; nothing is stored.
    @Sendable static func reportContacts(req: Request) async throws -> Response {
        let unit = try await RegisterAPI.visibleUnit(req)
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canReportContacts(unitID: unit.id ?? 0, jurisdictionID: unit.jurisdictionID, by: actor.principal),
                          "只有本单位联络员、公安局工作人员或管理员可以登记报备")
        let form = try req.content.decode(ContactForm.self)
        let values = FormValues(dutyPhone: form.dutyPhone ?? "", liaisonName: form.liaisonName ?? "", liaisonMobile: form.liaisonMobile ?? "",
                                alternateName: form.alternateName ?? "", alternateMobile: form.alternateMobile ?? "",
                                reportedAt: form.reportedAt ?? "", reportedBy: form.reportedBy ?? "",
                                channel: form.channel ?? "web", note: form.note ?? "")
        do {
            let details = try ContactDetails.validated(
                dutyPhone: form.dutyPhone, liaisonName: form.liaisonName, liaisonMobile: form.liaisonMobile,
                alternateName: form.alternateName, alternateMobile: form.alternateMobile)
            let now = Date()
            var reportedAt = now
            if let raw = form.reportedAt?.nilIfEmpty {
                guard let parsed = ChinaTime.parseTimestamp(raw) else {
                    throw AppError.invalid("报备时间格式不正确", field: "reported_at")
                }
                reportedAt = parsed
            }
            let channel = form.channel.flatMap { code in channels.first { $0.0 == code }?.0 } ?? "web"
            guard try await RegisterService.reportContactChange(
                unit: unit, to: details, reportedAt: reportedAt, reportedBy: form.reportedBy ?? "",
                channel: channel, note: form.note, now: now, actor: actor, on: req.db) != nil
            else {
                throw AppError.invalid("联系方式与登记的一致，没有需要报备的变更")
            }
            return req.redirect(to: "/units/\(unit.id ?? 0)?saved=1", redirectType: .normal)
        } catch let invalid as ContactDetails.Invalid {
            return try await render(req, unit: unit, form: values, error: (invalid.description, invalid.field.rawValue), status: .unprocessableEntity)
        } catch let error as AppError {
            return try await render(req, unit: unit, form: values, error: (error.message, error.field), status: error.status)
        }
    }

    /// The register as a CSV or XLSX file, in the layout `units import` reads back.
    @Sendable static func export(req: Request) async throws -> Response {
        let format = (try? req.query.get(String.self, at: "format")) ?? "xlsx"
        let units = try await RegisterService.units(RegisterAPI.filter(req), on: req.db)
        let (data, type, ext) = try RegisterFiles.export(units, format: format) { !RegisterAPI.fullContacts($0, req) }
        let unmasked = units.filter { RegisterAPI.fullContacts($0, req) }.count
        try await AccessAudit.disclosed(req, action: "export.units", entity: "linkage_unit",
                                        detail: ["format": ext, "units": String(units.count), "unmasked": String(unmasked), "query": req.url.query ?? ""])
        var headers = HTTPHeaders()
        headers.contentType = type
        let filename = "联动单位登记册.\(ext)"
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "units.\(ext)"
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"units.\(ext)\"; filename*=UTF-8''\(encoded)")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}

/// Reading and writing register files, for the pages and the commands alike.
enum RegisterFiles {
    static let xlsxType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    static func export(_ units: [LinkageUnit], format: String, masked: (LinkageUnit) -> Bool = { _ in false }) throws -> (Data, HTTPMediaType, String) {
        let header = UnitTable.exportColumns.map(\.header)
        let rows = RegisterService.exportRows(units, masked: masked)
        switch format.lowercased() {
        case "csv":
            return (CSV.write([header] + rows), HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"]), "csv")
        case "xlsx":
            let sheet = XLSXSheet(name: "联动单位", title: "丽水市应急联动单位登记册", header: header,
                                  rows: rows.map { row in row.enumerated().map { index, value in
                                      UnitTable.exportColumns[index] == .id ? .integer(Int(value) ?? 0) : .text(value)
                                  } },
                                  landscape: true)
            return (try XLSX.write(sheets: [sheet]), xlsxType, "xlsx")
        default:
            throw AppError(.badRequest, "导出格式应为 csv 或 xlsx", field: "format")
        }
    }

    /// Reads a register file into records: `.csv` (UTF-8, with or without BOM) or `.xlsx`.
    /// The header is the first row that names the 单位名称 column, so a title row above it is fine.
    static func read(_ data: Data, filename: String) throws -> [UnitRecord] {
        let rows: [(row: Int, cells: [String])]
        switch (filename as NSString).pathExtension.lowercased() {
        case "csv":
            do {
                rows = try CSV.parse(data).map { ($0.line, $0.fields) }
            } catch {
                throw ImportError(row: error.line, field: "", message: error.message)
            }
        case "xlsx":
            do {
                rows = try XLSX.readRows(data).map { ($0.number, $0.cells) }
            } catch {
                throw ImportError(row: 1, field: "", message: error.message)
            }
        default:
            throw AppError(.badRequest, "只能导入 .csv 或 .xlsx 文件")
        }
        let nameHeadings = Set([UnitTable.Column.name.header, "name", "名称", "单位"])
        guard let headerIndex = rows.prefix(5).firstIndex(where: { $0.cells.contains { nameHeadings.contains($0.trimmingCharacters(in: .whitespaces)) } }) else {
            throw ImportError(row: rows.first?.row ?? 1, field: UnitTable.Column.name.header, message: "找不到表头行（应含“单位名称”列）")
        }
        return try UnitTable.parse(header: rows[headerIndex], rows: Array(rows[(headerIndex + 1)...]))
    }
}
