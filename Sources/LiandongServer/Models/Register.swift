import Fluent
import Foundation
import LiandongCore

/// 辖区: the city level, a county-level area or the development zone.
final class JurisdictionModel: Model, @unchecked Sendable {
    static let schema = "jurisdictions"

    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    /// `Jurisdiction.Kind` raw value.
    @Field(key: "kind") var kind: String
    @Field(key: "phone_check_scope") var phoneCheckScope: Bool
    @Field(key: "sort_order") var sortOrder: Int

    init() {}

    init(_ j: Jurisdiction, sortOrder: Int) {
        self.id = j.id; self.name = j.name; self.kind = j.kind.rawValue
        self.phoneCheckScope = j.phoneCheckScope; self.sortOrder = sortOrder
    }
}

/// A supervising agency (市委政法委, 市应急管理局, 市公安局).
final class AgencyModel: Model, @unchecked Sendable {
    static let schema = "agencies"

    @ID(custom: "id", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String

    init() {}
    init(_ a: Agency) { self.id = a.rawValue; self.name = a.name }
}

/// 联动单位: a linkage unit with its current contacts. The contacts here are always those of
/// the unit's latest contact-change report; the reports themselves are the history.
final class LinkageUnit: Model, @unchecked Sendable {
    static let schema = "linkage_units"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @Field(key: "jurisdiction_id") var jurisdictionID: String
    @Field(key: "level") var level: Int
    /// `UnitKind` raw value.
    @Field(key: "kind") var kind: String
    @Field(key: "public_security") var publicSecurity: Bool
    @Field(key: "uniform_exempt") var uniformExempt: Bool
    @Field(key: "ranked") var ranked: Bool
    @Field(key: "duties") var duties: String
    @OptionalField(key: "duty_phone") var dutyPhone: String?
    @OptionalField(key: "liaison_name") var liaisonName: String?
    @OptionalField(key: "liaison_mobile") var liaisonMobile: String?
    @OptionalField(key: "alternate_name") var alternateName: String?
    @OptionalField(key: "alternate_mobile") var alternateMobile: String?
    /// When the current contacts were reported.
    @OptionalField(key: "contacts_reported_at") var contactsReportedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(profile: UnitProfile, duties: String) {
        self.name = profile.name
        self.jurisdictionID = profile.jurisdictionID
        self.level = profile.level.rawValue
        self.kind = profile.kind.rawValue
        self.publicSecurity = profile.publicSecurity
        self.uniformExempt = profile.uniformExempt
        self.ranked = profile.ranked
        self.duties = duties
    }

    var unitLevel: UnitLevel { UnitLevel(rawValue: level) ?? .three }
    var unitKind: UnitKind { UnitKind(rawValue: kind) ?? .department }

    var profile: UnitProfile {
        get {
            UnitProfile(name: name, jurisdictionID: jurisdictionID, level: unitLevel, kind: unitKind,
                        publicSecurity: publicSecurity, uniformExempt: uniformExempt, ranked: ranked)
        }
        set {
            name = newValue.name; jurisdictionID = newValue.jurisdictionID; level = newValue.level.rawValue
            kind = newValue.kind.rawValue; publicSecurity = newValue.publicSecurity
            uniformExempt = newValue.uniformExempt; ranked = newValue.ranked
        }
    }

    var contacts: ContactDetails {
        get {
            ContactDetails(dutyPhone: dutyPhone, liaisonName: liaisonName, liaisonMobile: liaisonMobile,
                           alternateName: alternateName, alternateMobile: alternateMobile)
        }
        set {
            dutyPhone = newValue.dutyPhone; liaisonName = newValue.liaisonName; liaisonMobile = newValue.liaisonMobile
            alternateName = newValue.alternateName; alternateMobile = newValue.alternateMobile
        }
    }
}

/// 报备: one reported change of a unit's contacts, kept for good. It records the state after
/// the change, which fields changed, when the unit reported it and when it was recorded.
final class ContactChange: Model, @unchecked Sendable {
    static let schema = "contact_changes"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "unit_id") var unitID: Int
    /// When the unit reported the change (may be before it was recorded, e.g. in a WeChat group).
    @Field(key: "reported_at") var reportedAt: Date
    @Field(key: "recorded_at") var recordedAt: Date
    @Field(key: "reported_by") var reportedBy: String
    /// How it reached the register: `web`, `api`, `import`, `wechat`, `phone`.
    @Field(key: "channel") var channel: String
    @OptionalField(key: "note") var note: String?
    /// Comma-separated `ContactDetails.Field` raw values.
    @Field(key: "changed_fields") var changedFields: String
    @OptionalField(key: "duty_phone") var dutyPhone: String?
    @OptionalField(key: "liaison_name") var liaisonName: String?
    @OptionalField(key: "liaison_mobile") var liaisonMobile: String?
    @OptionalField(key: "alternate_name") var alternateName: String?
    @OptionalField(key: "alternate_mobile") var alternateMobile: String?

    init() {}

    var contacts: ContactDetails {
        ContactDetails(dutyPhone: dutyPhone, liaisonName: liaisonName, liaisonMobile: liaisonMobile,
                       alternateName: alternateName, alternateMobile: alternateMobile)
    }

    var changed: [ContactDetails.Field] { Self.fields(changedFields) }

    /// The fields a `changed_fields` column names.
    static func fields(_ column: String) -> [ContactDetails.Field] {
        column.split(separator: ",").compactMap { ContactDetails.Field(rawValue: String($0)) }
    }
}
