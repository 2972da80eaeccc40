/// Who may use the system, and what for (issue: accounts and roles). The policy is pure so that
/// it is tested on its own; every route and command asks it.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// 系统管理员: accounts, tokens, rule sets.
    case admin
    /// 市委政法委: publishes notices, runs the assessment.
    case plc
    /// 市应急管理局: co-runs joint checks, confirms deductions for the EMB.
    case emb
    /// 市公安局: runs phone checks, keeps the register, confirms deductions for the police.
    case psb
    /// 单位联络员: one unit's liaison.
    case liaison

    public var name: String {
        switch self {
        case .admin: "系统管理员"
        case .plc: "政法委工作人员"
        case .emb: "应急管理局工作人员"
        case .psb: "公安局工作人员"
        case .liaison: "单位联络员"
        }
    }

    /// The supervising agency an officer acts for.
    public var agency: Agency? {
        switch self {
        case .plc: .plc
        case .emb: .emb
        case .psb: .psb
        case .admin, .liaison: nil
        }
    }

    public init?(parsing text: String) {
        let key = text.trimmingCharacters(in: .whitespaces)
        if let role = Role(rawValue: key.lowercased()) { self = role; return }
        if let role = Role.allCases.first(where: { $0.name == key || $0.agency?.name == key }) { self = role; return }
        return nil
    }
}

/// The system's working areas, as the menu lists them. Who may open each is decided here once:
/// the menu shows a person only what they may open, and the pages refuse the rest.
public enum WorkArea: String, Sendable, CaseIterable {
    case phoneChecks, drills, supervision, assessment

    /// The roles that work in the area; the other areas are open to every role.
    public var roles: Set<Role> {
        switch self {
        // Main text §二(一): the police make the daily phone checks.
        case .phoneChecks: [.admin, .psb]
        // §二(二)(三): on-site and video checks are the EMB's and the police's, jointly.
        case .drills: [.admin, .emb, .psb]
        // The supervisors' own calendar and the assessment are the three agencies'.
        case .supervision, .assessment: [.admin, .plc, .emb, .psb]
        }
    }

    public func isOpen(to principal: Principal) -> Bool {
        principal.role.map(roles.contains) ?? false
    }
}

/// What an API token may do. Tokens belong to integration clients, not to people.
public enum TokenScope: String, Sendable, Codable, CaseIterable {
    /// Read the register (units and contacts, masked).
    case registerRead = "register:read"
    /// Send 110 dispatch events.
    case dispatchIngest = "dispatch:ingest"
    /// Read the server's metrics (`/metrics`, for a Prometheus scraper).
    case metricsRead = "metrics:read"

    public var name: String {
        switch self {
        case .registerRead: "读取联动单位登记册"
        case .dispatchIngest: "推送110联动警情"
        case .metricsRead: "读取运行指标"
        }
    }
}

/// The one acting: a signed-in person, an integration client, or the operator at the console.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case account(id: Int, role: Role)
        case token(id: Int, scopes: Set<TokenScope>)
        /// `liandong` commands run by whoever operates the server; they act as administrators.
        case console
    }

    public let kind: Kind
    /// A name for the audit log: the username, `token:NAME` or `console:USER`.
    public let name: String
    /// A liaison's unit.
    public let unitID: Int?
    /// An officer scoped to one jurisdiction (a county's own officers); nil: city-wide.
    public let jurisdictionID: String?

    public init(kind: Kind, name: String, unitID: Int? = nil, jurisdictionID: String? = nil) {
        self.kind = kind; self.name = name; self.unitID = unitID; self.jurisdictionID = jurisdictionID
    }

    public var role: Role? {
        switch kind {
        case .account(_, let role): role
        case .console: .admin
        case .token: nil
        }
    }

    public var accountID: Int? {
        if case .account(let id, _) = kind { return id }
        return nil
    }

    /// The role as the audit log records it.
    public var roleName: String {
        switch kind {
        case .account(_, let role): role.rawValue
        case .token: "token"
        case .console: "console"
        }
    }

    public func has(_ scope: TokenScope) -> Bool {
        if case .token(_, let scopes) = kind { return scopes.contains(scope) }
        return false
    }
}

/// The authorisation rules. A unit is identified by its id and jurisdiction.
public enum AccessPolicy {
    /// Whether the principal may see a unit at all.
    public static func canView(unitID: Int, jurisdictionID: String, by p: Principal) -> Bool {
        switch p.kind {
        case .console: return true
        case .token: return p.has(.registerRead)
        case .account(_, let role):
            switch role {
            case .admin: return true
            case .liaison: return p.unitID == unitID
            case .plc, .emb, .psb: return p.jurisdictionID.map { $0 == jurisdictionID } ?? true
            }
        }
    }

    /// Whether the principal may list units of a jurisdiction (nil: all jurisdictions).
    public static func canList(jurisdictionID: String?, by p: Principal) -> Bool {
        switch p.kind {
        case .console: return true
        case .token: return p.has(.registerRead)
        case .account(_, let role):
            switch role {
            case .admin: return true
            case .liaison: return true // the list is cut to the liaison's own unit
            case .plc, .emb, .psb: return p.jurisdictionID == nil || p.jurisdictionID == jurisdictionID
            }
        }
    }

    /// Contact changes are reported by the unit itself and registered by the police
    /// (main text §二(一): the police check and collect the changes).
    public static func canReportContacts(unitID: Int, jurisdictionID: String, by p: Principal) -> Bool {
        switch p.role {
        case .admin: return true
        case .psb: return canView(unitID: unitID, jurisdictionID: jurisdictionID, by: p)
        case .liaison: return p.unitID == unitID
        default: return false
        }
    }

    /// Liaison names and mobiles are personal information (个人信息保护法): in full only for those
    /// who call them — police officers, administrators and the unit itself.
    public static func seesFullContacts(unitID: Int, by p: Principal) -> Bool {
        switch p.role {
        case .admin, .psb: return true
        case .liaison: return p.unitID == unitID
        default: return false
        }
    }

    public static func canManageAccounts(_ p: Principal) -> Bool { p.role == .admin }
    public static func canManageRules(_ p: Principal) -> Bool { p.role == .admin }

    /// Joint confirmation (§三.1): each agency confirms for itself only. The PLC decides too, where
    /// the deduction is against the EMB or the police (issue 15); which deductions an officer's
    /// agency decides is `AgencyDirectory.deciders`.
    public static func canConfirm(for agency: Agency, by p: Principal) -> Bool {
        p.role?.agency == agency
    }

    public static func canPublishNotices(_ p: Principal) -> Bool { p.role == .plc }

    /// The emergency-plans register is kept by the Emergency Management Bureau (and administrators).
    public static func canManagePlans(_ p: Principal) -> Bool { p.role == .emb || p.role == .admin }

    /// Any other shortfall (D1–D12 by hand) is filed by an officer of a supervising agency.
    public static func canFileFindings(_ p: Principal) -> Bool { p.role == .emb || p.role == .psb || p.role == .admin }

    /// A provincial notice's deduction (D11) is registered by an officer of the EMB or the police
    /// (or an administrator), like any other finding.
    public static func canFileProvincialNotices(_ p: Principal) -> Bool { canFileFindings(p) }

    /// Against a unit: one the officer may see.
    public static func canFileProvincialNotice(againstUnit unitID: Int, jurisdictionID: String, by p: Principal) -> Bool {
        canFileProvincialNotices(p) && canView(unitID: unitID, jurisdictionID: jurisdictionID, by: p)
    }

    /// Against a county government (or the development zone's): only city-wide officers; a
    /// county's own officers do not decide deductions against their own government.
    public static func canFileProvincialNotice(againstGovernment jurisdictionID: String, by p: Principal) -> Bool {
        canFileProvincialNotices(p) && p.jurisdictionID == nil
    }
}

/// Masks personal data for those who may not see it in full.
public enum Masking {
    /// `张*`, `李**`, `欧阳**`: the surname stays (two characters for names of four or more).
    public static func name(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count > 1 else { return "*" }
        let keep = chars.count >= 4 ? 2 : 1
        return String(chars.prefix(keep)) + String(repeating: "*", count: chars.count - keep)
    }

    public static func contacts(_ c: ContactDetails) -> ContactDetails {
        ContactDetails(dutyPhone: c.dutyPhone, // the duty phone is an office line, not personal
                       liaisonName: c.liaisonName.map(name), liaisonMobile: c.liaisonMobile.map(PhoneNumber.mask),
                       alternateName: c.alternateName.map(name), alternateMobile: c.alternateMobile.map(PhoneNumber.mask))
    }
}
