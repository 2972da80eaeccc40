import Fluent
import LiandongCore
import Vapor

/// A person to call: the liaison or the alternate.
struct ContactPersonDTO: Content, Equatable {
    var name: String
    var mobile: String
}

/// A linkage unit as the API shows it.
struct UnitDTO: Content {
    var id: Int
    var name: String
    var level: Int
    var levelName: String
    var jurisdiction: String
    var jurisdictionId: String
    var kind: String
    var publicSecurity: Bool
    var uniformExempt: Bool
    var ranked: Bool
    /// The response limit in force today, in minutes.
    var responseLimitMinutes: Int
    var dutyPhone: String?
    var liaison: ContactPersonDTO?
    var alternate: ContactPersonDTO?
    var contactsReportedAt: String?

    /// `full`: whether the reader may see the liaisons' names and mobiles unmasked.
    init(_ unit: LinkageUnit, rules: RuleSet, full: Bool) {
        let contacts = full ? unit.contacts : Masking.contacts(unit.contacts)
        id = unit.id ?? 0
        name = unit.name
        level = unit.level
        levelName = unit.unitLevel.name
        jurisdiction = Jurisdictions.named(unit.jurisdictionID)?.name ?? unit.jurisdictionID
        jurisdictionId = unit.jurisdictionID
        kind = unit.kind
        publicSecurity = unit.publicSecurity
        uniformExempt = unit.uniformExempt
        ranked = unit.ranked
        responseLimitMinutes = rules.limit(level: unit.unitLevel, publicSecurity: unit.publicSecurity).minutes
        dutyPhone = contacts.dutyPhone
        liaison = Self.person(contacts.liaisonName, contacts.liaisonMobile)
        alternate = Self.person(contacts.alternateName, contacts.alternateMobile)
        contactsReportedAt = unit.contactsReportedAt.map(ChinaTime.isoString)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, level, levelName, jurisdiction, jurisdictionId, kind, publicSecurity, uniformExempt, ranked
        case responseLimitMinutes, dutyPhone, liaison, alternate, contactsReportedAt
    }

    /// Absent values are written as null, so every object has every key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(name, forKey: .name); try c.encode(level, forKey: .level)
        try c.encode(levelName, forKey: .levelName); try c.encode(jurisdiction, forKey: .jurisdiction)
        try c.encode(jurisdictionId, forKey: .jurisdictionId); try c.encode(kind, forKey: .kind)
        try c.encode(publicSecurity, forKey: .publicSecurity); try c.encode(uniformExempt, forKey: .uniformExempt)
        try c.encode(ranked, forKey: .ranked); try c.encode(responseLimitMinutes, forKey: .responseLimitMinutes)
        try c.encode(dutyPhone, forKey: .dutyPhone); try c.encode(liaison, forKey: .liaison)
        try c.encode(alternate, forKey: .alternate); try c.encode(contactsReportedAt, forKey: .contactsReportedAt)
    }

    static func person(_ name: String?, _ mobile: String?) -> ContactPersonDTO? {
        guard let name, let mobile else { return nil }
        return ContactPersonDTO(name: name, mobile: mobile)
    }
}

/// The unit page's detail: the unit, its duties.
struct UnitDetailDTO: Content {
    var unit: UnitDTO
    var duties: String
}

struct ContactChangeDTO: Content {
    var id: Int
    var unitId: Int
    var reportedAt: String
    var recordedAt: String
    var reportedBy: String
    var channel: String
    var note: String?
    var changedFields: [String]
    var dutyPhone: String?
    var liaison: ContactPersonDTO?
    var alternate: ContactPersonDTO?

    enum CodingKeys: String, CodingKey {
        case id, unitId, reportedAt, recordedAt, reportedBy, channel, note, changedFields, dutyPhone, liaison, alternate
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(unitId, forKey: .unitId); try c.encode(reportedAt, forKey: .reportedAt)
        try c.encode(recordedAt, forKey: .recordedAt); try c.encode(reportedBy, forKey: .reportedBy)
        try c.encode(channel, forKey: .channel); try c.encode(note, forKey: .note)
        try c.encode(changedFields, forKey: .changedFields); try c.encode(dutyPhone, forKey: .dutyPhone)
        try c.encode(liaison, forKey: .liaison); try c.encode(alternate, forKey: .alternate)
    }

    init(_ c: ContactChange, full: Bool) {
        let contacts = full ? c.contacts : Masking.contacts(c.contacts)
        id = c.id ?? 0
        unitId = c.unitID
        reportedAt = ChinaTime.isoString(c.reportedAt)
        recordedAt = ChinaTime.isoString(c.recordedAt)
        reportedBy = c.reportedBy
        channel = c.channel
        note = c.note
        changedFields = c.changed.map(\.rawValue)
        dutyPhone = contacts.dutyPhone
        liaison = UnitDTO.person(contacts.liaisonName, contacts.liaisonMobile)
        alternate = UnitDTO.person(contacts.alternateName, contacts.alternateMobile)
    }
}

struct JurisdictionDTO: Content {
    var id: String
    var name: String
    var kind: String
    var phoneCheckScope: Bool
    var unitCount: Int
}

/// A contact-change report as the API receives it. Only the fields present change; a field
/// sent as null or "" is cleared.
struct ContactChangeRequest: Decodable, Sendable {
    var values: [ContactDetails.Field: String?] = [:]
    var reportedAt: String?
    var reportedBy: String?
    var note: String?

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let metadataKeys: Set<String> = ["reported_at", "reported_by", "note"]

    init(from decoder: any Decoder) throws {
        // Read raw keys: the global snake_case strategy would otherwise hide the difference
        // between an absent field (keep) and a null one (clear).
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            let name = Self.snakeCase(key.stringValue)
            if let field = ContactDetails.Field(rawValue: name) {
                values[field] = try container.decodeNil(forKey: key) ? .some(nil) : try container.decode(String.self, forKey: key)
            } else if Self.metadataKeys.contains(name) {
                let value = try container.decodeIfPresent(String.self, forKey: key)
                switch name {
                case "reported_at": reportedAt = value
                case "reported_by": reportedBy = value
                default: note = value
                }
            } else {
                throw AppError(.unprocessableEntity, "未知字段“\(name)”；可用字段：\((ContactDetails.Field.allCases.map(\.rawValue) + Self.metadataKeys.sorted()).joined(separator: "、"))", field: name)
            }
        }
    }

    /// `liaisonMobile` → `liaison_mobile` (keys arrive converted from snake case).
    static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }

    /// The unit's contacts after this report, validated.
    func applied(to current: ContactDetails) throws -> ContactDetails {
        var merged = current
        for (field, value) in values { merged[field] = value }
        return try ContactDetails.validated(
            dutyPhone: merged.dutyPhone, liaisonName: merged.liaisonName, liaisonMobile: merged.liaisonMobile,
            alternateName: merged.alternateName, alternateMobile: merged.alternateMobile)
    }

    func reportedAtDate(now: Date) throws -> Date {
        guard let raw = reportedAt, !raw.isEmpty else { return now }
        guard let date = ChinaTime.parseTimestamp(raw) else {
            throw AppError.invalid("报备时间“\(raw)”格式不正确，应为 2026-03-04T09:10:00+08:00", field: "reported_at")
        }
        return date
    }
}

enum RegisterAPI {
    static func unitID(_ req: Request) throws -> Int {
        guard let id = req.parameters.get("id", as: Int.self) else {
            throw AppError(.notFound, "联动单位编号应为数字", field: "id")
        }
        return id
    }

    static func filter(_ req: Request) throws -> UnitFilter {
        struct Query: Decodable {
            var jurisdiction: String?
            var level: String?
            var q: String?
        }
        let principal = try req.requirePrincipal()
        let query = try req.query.decode(Query.self)
        var filter = UnitFilter(query: query.q)
        if let j = query.jurisdiction?.nilIfEmpty {
            guard let found = Jurisdictions.find(j) else {
                throw AppError(.badRequest, "未知辖区“\(j)”", field: "jurisdiction")
            }
            filter.jurisdictionID = found.id
        }
        if let l = query.level?.nilIfEmpty {
            guard let level = UnitLevel(parsing: l) else { throw AppError(.badRequest, "级别应为 1、2 或 3", field: "level") }
            filter.level = level
        }
        // A county's officers see their county; a liaison sees its own unit.
        if filter.jurisdictionID == nil, let scope = principal.jurisdictionID, principal.role != .liaison {
            filter.jurisdictionID = scope
        }
        try req.authorize(AccessPolicy.canList(jurisdictionID: filter.jurisdictionID, by: principal), "无权查看该辖区的联动单位")
        if principal.role == .liaison { filter.unitID = principal.unitID ?? -1 }
        return filter
    }

    /// The unit named in the path, if the principal may see it (403 otherwise).
    static func visibleUnit(_ req: Request) async throws -> LinkageUnit {
        let principal = try req.requirePrincipal()
        let unit = try await RegisterService.unit(unitID(req), on: req.db)
        try req.authorize(AccessPolicy.canView(unitID: unit.id ?? 0, jurisdictionID: unit.jurisdictionID, by: principal), "无权查看该联动单位")
        return unit
    }

    static func fullContacts(_ unit: LinkageUnit, _ req: Request) -> Bool {
        req.principal.map { AccessPolicy.seesFullContacts(unitID: unit.id ?? 0, by: $0) } ?? false
    }

    @Sendable static func jurisdictions(req: Request) async throws -> [JurisdictionDTO] {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil || principal.has(.registerRead))
        let units = try await LinkageUnit.query(on: req.db).all(\.$jurisdictionID)
        let counts = Dictionary(grouping: units, by: { $0 }).mapValues(\.count)
        return Jurisdictions.all.map {
            JurisdictionDTO(id: $0.id, name: $0.name, kind: $0.kind.rawValue, phoneCheckScope: $0.phoneCheckScope, unitCount: counts[$0.id] ?? 0)
        }
    }

    @Sendable static func list(req: Request) async throws -> [UnitDTO] {
        let rules = req.currentRules
        let units = try await RegisterService.units(filter(req), on: req.db)
        try await AccessAudit.contactsShown(req, units: units)
        return units.map { UnitDTO($0, rules: rules, full: fullContacts($0, req)) }
    }

    @Sendable static func show(req: Request) async throws -> UnitDetailDTO {
        let unit = try await visibleUnit(req)
        try await AccessAudit.contactsShown(req, units: [unit])
        return UnitDetailDTO(unit: UnitDTO(unit, rules: req.currentRules, full: fullContacts(unit, req)), duties: unit.duties)
    }

    @Sendable static func history(req: Request) async throws -> [ContactChangeDTO] {
        let unit = try await visibleUnit(req)
        let full = fullContacts(unit, req)
        try await AccessAudit.contactsShown(req, units: [unit])
        return try await RegisterService.history(unitID: unit.requireID(), on: req.db).map { ContactChangeDTO($0, full: full) }
    }

    @Sendable static func reportContacts(req: Request) async throws -> Response {
        let unit = try await visibleUnit(req)
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canReportContacts(unitID: unit.id ?? 0, jurisdictionID: unit.jurisdictionID, by: actor.principal),
                          "只有本单位联络员、公安局工作人员或管理员可以登记报备")
        let body = try req.content.decode(ContactChangeRequest.self)
        let now = Date()
        let details = try body.applied(to: unit.contacts)
        guard let change = try await RegisterService.reportContactChange(
            unit: unit, to: details, reportedAt: body.reportedAtDate(now: now),
            reportedBy: body.reportedBy ?? "", channel: "api", note: body.note, now: now, actor: actor, on: req.db)
        else {
            throw AppError(.unprocessableEntity, "联系方式与登记的一致，没有需要报备的变更")
        }
        let response = try await ContactChangeDTO(change, full: fullContacts(unit, req)).encodeResponse(status: .created, for: req)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/units/\(change.unitID)/contact-changes")
        return response
    }

    @Sendable static func rules(req: Request) async throws -> RuleSetDTO {
        let principal = try req.requirePrincipal()
        try req.authorize(principal.role != nil || principal.has(.registerRead))
        struct Query: Decodable { var date: String? }
        let raw = try req.query.decode(Query.self).date
        var day = LocalDate(Date())
        if let raw = raw?.nilIfEmpty {
            guard let parsed = LocalDate(raw) else { throw AppError(.badRequest, "日期“\(raw)”格式应为 2026-03-04", field: "date") }
            day = parsed
        }
        return RuleSetDTO(req.application.liandong.ruleBook.inForce(on: day))
    }
}

/// The rule set in force as the API and `rules list` show it.
struct RuleSetDTO: Content {
    struct Item: Content {
        var id: String
        var number: Int
        var title: String
        var text: String
        /// The default figures of the item's automatic findings (lateness bands for D9).
        var defaultPoints: [DefaultPoints]
        var minPoints: Double
        var maxPoints: Double
    }

    struct DefaultPoints: Content {
        var finding: String
        var label: String
        var points: Double
    }

    var version: String
    var effectiveFrom: String
    var source: String
    var title: String
    var responseLimitsMinutes: [String: Int]
    var pointsStep: Double
    var provincialMultiplier: Int
    var phoneCheckAttempts: Int
    var reportGraceHours: Int
    var assessmentBase: Double
    var items: [Item]

    init(_ rules: RuleSet) {
        version = rules.version
        effectiveFrom = rules.effectiveFrom.description
        source = rules.source
        title = rules.title
        let limits = rules.responseLimits
        responseLimitsMinutes = ["public_security": limits.publicSecurity.minutes, "level_1": limits.levelOne.minutes,
                                 "level_2": limits.levelTwo.minutes, "level_3": limits.levelThree.minutes]
        pointsStep = rules.pointsRange.step.value
        provincialMultiplier = rules.provincialMultiplier
        phoneCheckAttempts = rules.phoneCheckAttempts
        reportGraceHours = rules.reportGraceHours
        assessmentBase = rules.assessmentBase.value
        items = rules.items.map { item in
            Item(id: item.id.rawValue, number: item.id.number, title: item.title, text: item.text,
                 defaultPoints: RuleTables.defaultFigures(for: item.id, rules: rules).map {
                     DefaultPoints(finding: $0.kind.rawValue, label: $0.label, points: $0.points.value)
                 },
                 minPoints: rules.pointsRange.minimum.value, maxPoints: rules.pointsRange.maximum.value)
        }
    }
}
