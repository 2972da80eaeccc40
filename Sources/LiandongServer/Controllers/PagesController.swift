import Fluent
import LiandongCore
import SQLKit
import Vapor

/// The navigation every page shows; later capabilities add their entries here.
struct NavItem: Encodable {
    var key: String
    var title: String
    var href: String
    var active: Bool

    /// The areas whose entries only some roles see (`WorkArea`); the rest are open to all.
    static let areas: [String: WorkArea] = ["phone": .phoneChecks, "drills": .drills, "supervision": .supervision, "assessment": .assessment]

    static let entries: [(key: String, title: String, href: String)] = [
        ("home", "首页", "/"),
        ("overview", "全市概况", "/overview"),
        ("units", "联动单位", "/units"),
        ("phone", "电话检查", "/checks/phone"),
        ("drills", "实地视频检查", "/checks/drills"),
        ("compliance", "到场时限", "/compliance"),
        ("findings", "问题清单", "/findings"),
        ("deductions", "扣分", "/deductions"),
        ("rectifications", "整改", "/rectifications"),
        ("notices", "通报", "/notices"),
        ("assessment", "综合考核", "/assessment"),
        ("supervision", "监督日历", "/supervision"),
        ("plans", "应急预案", "/plans"),
        ("rules", "扣分标准", "/rules"),
    ]

    static let adminEntries: [(key: String, title: String, href: String)] = [
        ("accounts", "账户", "/admin/accounts"),
        ("tokens", "接口令牌", "/admin/tokens"),
        ("audit", "审计日志", "/admin/audit"),
        ("rulesets", "规则版本", "/admin/rules"),
        ("calendar", "工作日历", "/admin/calendar"),
    ]

    static func bar(active: String, principal: Principal?) -> [NavItem] {
        guard let principal else { return [] }
        let all = entries.filter { areas[$0.key]?.isOpen(to: principal) ?? true }
            + (AccessPolicy.canManageAccounts(principal) ? adminEntries : [])
        return all.map { NavItem(key: $0.key, title: $0.title, href: $0.href, active: $0.key == active) }
    }
}

/// What every page's layout needs.
struct PageFrame: Encodable {
    var title: String
    var nav: [NavItem]
    var ruleVersion: String
    var ruleSource: String
    /// The session's token for forms (CSRF).
    var csrf: String
    var userName: String?
    var userRole: String?
    var signedIn: Bool
    /// The release installed (`LiandongVersion`), in the footer of every page an administrator sees.
    var softwareVersion: String?

    init(_ req: Request, title: String, active: String) {
        let rules = req.currentRules
        self.title = title
        self.nav = NavItem.bar(active: active, principal: req.principal)
        self.ruleVersion = rules.version
        self.ruleSource = rules.source
        self.csrf = req.authSession?.csrfToken ?? ""
        self.userName = req.account?.displayName
        self.userRole = req.account?.accountRole.name
        self.signedIn = req.account != nil
        self.softwareVersion = req.account?.accountRole == .admin ? LiandongVersion.string : nil
    }
}

struct ErrorPage: AsyncResponseEncodable {
    let status: HTTPResponseStatus
    let message: String

    struct Context: Encodable {
        var frame: PageFrame
        var code: UInt
        var message: String
    }

    func encodeResponse(for request: Request) async throws -> Response {
        let context = Context(frame: PageFrame(request, title: "出错了", active: ""),
                              code: status.code, message: message)
        let response = try await request.view.render("error", context).encodeResponse(for: request)
        response.status = status
        return response
    }
}

enum PagesController {
    struct LimitRow: Encodable {
        var label: String
        var limit: String
    }

    struct JurisdictionRow: Encodable {
        var id: String
        var name: String
        var units: Int
        var levels: [Int]
        var phoneCheckScope: Bool
        var phoneCheckPeriod: String
    }

    struct RecentChange: Encodable {
        var unitID: Int
        var unitName: String
        var reportedAt: String
        var fields: String
        var reportedBy: String
    }

    struct HomeContext: Encodable {
        var frame: PageFrame
        var totalUnits: Int
        var jurisdictions: [JurisdictionRow]
        var limits: [LimitRow]
        var recent: [RecentChange]
        var hasRecent: Bool
        var withoutContacts: Int
        var duties: [DutyStatus]
        var hasDuties: Bool
        var overdue: [Rectifications.Item]
        var hasOverdue: Bool
        var tasks: [HomeTasks.Task]
        var hasTasks: Bool
        var panels: [HomeTasks.Panel]
        /// A liaison's news of the unit since it last marked them read.
        var inbox: [UnitInbox.Item]
        var hasInbox: Bool
        var showInbox: Bool
        var inboxSince: String
        var inboxLimit: Int
        var inboxFull: Bool
    }

    /// A supervision duty's current period and how it stands (main text §二, §四(二)).
    struct DutyStatus: Encodable {
        var title: String
        var period: String
        var count: Int
        var status: String
        var statusText: String
        var overdue: Int
    }

    static func limitRows(_ rules: RuleSet) -> [LimitRow] {
        let l = rules.responseLimits
        return [
            LimitRow(label: "公安部门", limit: l.publicSecurity.description),
            LimitRow(label: "一级联动单位", limit: l.levelOne.description),
            LimitRow(label: "二级联动单位", limit: l.levelTwo.description),
            LimitRow(label: "三级联动单位（确需现场处置时）", limit: l.levelThree.description),
            LimitRow(label: "视频检查到达视频点位（检查未另定时限时）", limit: rules.videoPointLimit.description),
        ]
    }

    @Sendable static func home(req: Request) async throws -> View {
        let rules = req.currentRules
        let principal = try req.requirePrincipal()
        // The register kept while it is unchanged (`RegisterCache`): decoding every unit as a Fluent model took a fifth of the page's time.
        let units = try await req.register().units.filter { $0.visible(to: principal) }
        let rows = Jurisdictions.all.map { j -> JurisdictionRow in
            let mine = units.filter { $0.jurisdictionID == j.id }
            return JurisdictionRow(id: j.id, name: j.name, units: mine.count,
                                   levels: UnitLevel.allCases.map { l in mine.filter { $0.level == l.rawValue }.count },
                                   phoneCheckScope: j.phoneCheckScope, phoneCheckPeriod: rules.duty(.phoneCheck).period.chinese)
        }
        let names = Dictionary(uniqueKeysWithValues: units.map { ($0.id, $0.name) })
        let recentRows = try await recentChanges(units: units.map(\.id), names: names, on: req.db as! any SQLDatabase)
        var duties: [DutyStatus] = []
        if [.admin, .plc, .emb, .psb].contains(principal.role) {
            let (periods, _) = try await InspectionService.calendar(rules: req.application.liandong.ruleBook, on: req.db)
            for duty in rules.supervisionDuties {
                let mine = periods.filter { $0.duty.id == duty.id }
                guard let current = mine.last else { continue }
                duties.append(DutyStatus(title: duty.title, period: current.chineseLabel, count: current.count, status: current.status.rawValue,
                                         statusText: current.status.chinese, overdue: mine.filter { $0.status == .overdue }.count))
            }
        }
        let overdue = try await Rectifications.list(unitID: principal.role == .liaison ? (principal.unitID ?? -1) : nil,
                                                    jurisdictionID: principal.role == .liaison ? nil : principal.jurisdictionID, on: req.db).filter(\.overdue)
        let (tasks, panels) = try await HomeTasks.build(req, principal: principal)
        var inbox: [UnitInbox.Item] = []
        let readAt = req.account?.inboxReadAt
        if principal.role == .liaison, let unitID = principal.unitID {
            inbox = try await UnitInbox.items(unitID: unitID, since: readAt, limit: UnitInbox.homeLimit, rules: req.application.liandong.ruleBook,
                                              calendar: req.application.liandong.calendar, on: req.db)
        }
        return try await req.view.render("home", HomeContext(
            frame: PageFrame(req, title: "首页", active: "home"),
            totalUnits: units.count,
            jurisdictions: rows,
            limits: limitRows(rules),
            recent: recentRows,
            hasRecent: !recentRows.isEmpty,
            withoutContacts: units.filter { $0.dutyPhone == nil && $0.liaisonMobile == nil }.count,
            duties: duties, hasDuties: !duties.isEmpty, overdue: overdue, hasOverdue: !overdue.isEmpty,
            tasks: tasks, hasTasks: !tasks.isEmpty, panels: panels,
            inbox: inbox, hasInbox: !inbox.isEmpty, showInbox: principal.role == .liaison,
            inboxSince: readAt.map { "自\(ChinaTime.displayString($0))以来" } ?? "全部", inboxLimit: UnitInbox.homeLimit,
            inboxFull: inbox.count >= UnitInbox.homeLimit))
    }

    /// POST /inbox/read: the liaison has read the unit's news up to now.
    @Sendable static func markInboxRead(req: Request) async throws -> Response {
        let actor = try req.actor()
        guard actor.principal.role == .liaison, let account = req.account else { throw AppError(.forbidden, "只有单位联络员有消息") }
        account.inboxReadAt = req.now
        try await req.db.writeTransaction { tx in try await account.save(on: tx) }
        return req.redirect(to: "/")
    }

    /// The last ten contact changes of these units, newest recorded first.
    static func recentChanges(units: [Int], names: [Int: String], on sql: any SQLDatabase) async throws -> [RecentChange] {
        struct Row: Decodable { var unit_id: Int; var reported_at: Date; var reported_by: String; var changed_fields: String }
        guard !units.isEmpty else { return [] }
        return try await sql.select().columns("unit_id", "reported_at", "reported_by", "changed_fields").from(ContactChange.schema)
            .where("unit_id", .in, SQLBind.group(units)).orderBy("recorded_at", .descending).orderBy("id", .descending).limit(10)
            .all(decoding: Row.self).map {
                RecentChange(unitID: $0.unit_id, unitName: names[$0.unit_id] ?? "", reportedAt: ChinaTime.displayString($0.reported_at),
                             fields: ContactChange.fields($0.changed_fields).map(\.label).joined(separator: "、"), reportedBy: $0.reported_by)
            }
    }

    struct RulesContext: Encodable {
        struct Item: Encodable {
            var id: String
            var title: String
            var text: String
            var figures: [Figure]
            var hasFigures: Bool { !figures.isEmpty }
            enum CodingKeys: String, CodingKey { case id, title, text, figures, hasFigures }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id); try c.encode(title, forKey: .title); try c.encode(text, forKey: .text)
                try c.encode(figures, forKey: .figures); try c.encode(hasFigures, forKey: .hasFigures)
            }
        }
        struct Figure: Encodable {
            var label: String
            var points: String
        }
        var frame: PageFrame
        var title: String
        var effectiveFrom: String
        var range: String
        var multiplier: String
        var items: [Item]
        var limits: [LimitRow]
        var duties: [DutyRow]
        /// `工作日08:30–12:00、14:00–17:30` and the out-of-hours checks of level-1 units.
        var officeHours: String
        var outOfHoursChecks: String
    }

    struct DutyRow: Encodable {
        var title: String
        var period: String
        var agencies: String
    }

    @Sendable static func rules(req: Request) async throws -> View {
        let rules = req.currentRules
        return try await req.view.render("rules", RulesContext(
            frame: PageFrame(req, title: "扣分标准", active: "rules"),
            title: rules.title,
            effectiveFrom: rules.effectiveFrom.chinese,
            range: rules.pointsRange.chinese,
            multiplier: ChineseNumeral.of(rules.provincialMultiplier),
            items: rules.items.map { item in
                RulesContext.Item(id: item.id.rawValue, title: item.title, text: item.text,
                                  figures: RuleTables.defaultFigures(for: item.id, rules: rules).map {
                                      RulesContext.Figure(label: $0.label, points: $0.points.description)
                                  })
            },
            limits: limitRows(rules),
            duties: rules.supervisionDuties.map {
                DutyRow(title: $0.title, period: "\($0.period.chinese)不少于\($0.minimumCount)次",
                        agencies: $0.agencies.map(\.name).joined(separator: "、"))
            },
            officeHours: "工作日" + rules.officeHours.chinese,
            outOfHoursChecks: rules.officeHours.outOfHoursChecksPerQuarter == 0 ? ""
                : "每季度在办公时间以外抽查每个一级联动单位值班电话\(rules.officeHours.outOfHoursChecksPerQuarter)次；连续\(rules.phoneCheckAttempts)次无人接听的，按未建立24小时值班制度扣\(rules.defaultPoints(for: .noDutySystem)?.description ?? "")分"))
    }
}

extension Request {
    /// Renders a page with a status other than 200 where needed (a form shown again with its
    /// problem is 422, a refused change 403 or 409).
    func page<T: Encodable>(_ template: String, _ context: T, status: HTTPResponseStatus = .ok) async throws -> Response {
        let response = try await view.render(template, context).encodeResponse(for: self)
        response.status = status
        return response
    }
}
