import Fluent
import SQLKit
import Foundation
import LiandongCore
import SQLKit

/// Which units a list shows.
struct UnitFilter: Sendable {
    var jurisdictionID: String?
    var level: UnitLevel?
    /// A part of the unit's name.
    var query: String?
    /// One unit only (a liaison sees its own).
    var unitID: Int?
}

/// What an import did.
struct ImportSummary: Content, Equatable {
    var created = 0
    var updated = 0
    var contactChanges = 0
    var unchanged = 0
}

import Vapor

/// The register's operations. Each takes a `Database` so that pages, the API, commands and
/// tests share one implementation.
enum RegisterService {
    static func jurisdictionOrder(_ id: String) -> Int {
        Jurisdictions.all.firstIndex { $0.id == id } ?? Int.max
    }

    /// Every unit's name by id, read without building the models.
    static func unitNames(on sql: any SQLDatabase) async throws -> [Int: String] {
        struct Name: Decodable { var id: Int; var name: String }
        return Dictionary(uniqueKeysWithValues: try await sql.select().columns("id", "name").from(LinkageUnit.schema).all(decoding: Name.self).map { ($0.id, $0.name) })
    }

    static func units(_ filter: UnitFilter = UnitFilter(), on db: any Database) async throws -> [LinkageUnit] {
        let query = LinkageUnit.query(on: db)
        if let j = filter.jurisdictionID { query.filter(\.$jurisdictionID == j) }
        if let level = filter.level { query.filter(\.$level == level.rawValue) }
        if let id = filter.unitID { query.filter(\.$id == id) }
        var units = try await query.sort(\.$level).sort(\.$id).all()
        if let q = filter.query?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            // Filtered here, not in SQL: a part of the name or the pinyin initials of a part
            // (`Pinyin.matches`), and a register is a few hundred rows.
            units = units.filter { Pinyin.matches($0.name, query: q) }
        }
        return units.sorted { registerOrder($0.jurisdictionID, $0.level, $0.id ?? 0, before: $1.jurisdictionID, $1.level, $1.id ?? 0) }
    }

    /// The register's own order: jurisdiction (city first, then the counties as listed), level, number.
    static func registerOrder(_ j1: String, _ l1: Int, _ id1: Int, before j2: String, _ l2: Int, _ id2: Int) -> Bool {
        (jurisdictionOrder(j1), l1, id1) < (jurisdictionOrder(j2), l2, id2)
    }

    /// The units a search box names (`Pinyin.matches`: a part of the name or its pinyin
    /// initials), for lists that filter by unit in SQL; nil when there is nothing to search for.
    static func unitIDs(matching query: String?, on db: any Database) async throws -> [Int]? {
        guard let q = query?.trimmingCharacters(in: .whitespaces), !q.isEmpty else { return nil }
        return try await units(UnitFilter(query: q), on: db).compactMap(\.id)
    }

    /// `column IN (ids)`, and an empty list selects nothing (an empty `IN ()` is refused by PostgreSQL).
    static func whereUnit(_ query: SQLSelectBuilder, _ column: SQLColumn, in ids: [Int]) -> SQLSelectBuilder {
        ids.isEmpty ? query.where(SQLLiteral.numeric("1"), .equal, SQLLiteral.numeric("0")) : query.where(column, .in, SQLBind.group(ids))
    }

    /// Keeps `linkage_units.name_initials` (the pinyin initials lists sort unit names by in SQL)
    /// equal to the name. Not a model field: the seed migration writes units before the column
    /// exists (`AddUnitNameInitials` fills those).
    static func storeNameInitials(_ unit: LinkageUnit, on db: any Database) async throws {
        try await (db as! any SQLDatabase).update("linkage_units").set("name_initials", to: SQLBind(Pinyin.initials(unit.name)))
            .where("id", .equal, SQLBind(try unit.requireID())).run()
    }

    static func unit(_ id: Int, on db: any Database) async throws -> LinkageUnit {
        guard let unit = try await LinkageUnit.find(id, on: db) else { throw AppError.notFound("编号为 \(id) 的联动单位") }
        return unit
    }

    /// The unit an operator names by its id or its registered name; a name shared by units of
    /// several jurisdictions must be given as an id.
    static func resolve(_ ref: String, on db: any Database) async throws -> LinkageUnit {
        let key = ref.trimmingCharacters(in: .whitespaces)
        if let id = Int(key), let unit = try await LinkageUnit.find(id, on: db) { return unit }
        let matches = try await LinkageUnit.query(on: db).filter(\.$name == key).all()
        guard matches.count == 1 else {
            throw AppError.invalid(matches.isEmpty ? "登记册中没有单位“\(key)”" : "单位名称“\(key)”在多个辖区重复，请用单位编号", field: "unit")
        }
        return matches[0]
    }

    /// The unit's contact-change reports, newest first.
    static func history(unitID: Int, on db: any Database) async throws -> [ContactChange] {
        try await ContactChange.query(on: db).filter(\.$unitID == unitID)
            .sort(\.$reportedAt, .descending).sort(\.$id, .descending).all()
    }

    /// Records a reported change of contacts (报备) and makes it the unit's current state.
    /// Returns nil, writing nothing, when the details equal the current ones.
    @discardableResult
    static func reportContactChange(
        unit: LinkageUnit, to details: ContactDetails, reportedAt: Date, reportedBy: String,
        channel: String, note: String?, now: Date = Date(), actor: Actor, on db: any Database
    ) async throws -> ContactChange? {
        let changed = details.changedFields(from: unit.contacts)
        guard !changed.isEmpty else { return nil }
        guard reportedAt <= now.addingTimeInterval(300) else {
            throw AppError.invalid("报备时间不能晚于当前时间", field: "reported_at")
        }
        let reporter = reportedBy.trimmingCharacters(in: .whitespaces)
        guard !reporter.isEmpty else { throw AppError.invalid("请填写报备人", field: "reported_by") }
        guard reporter.count <= 40 else { throw AppError.invalid("报备人不能超过40个字", field: "reported_by") }
        let change = ContactChange()
        change.unitID = try unit.requireID()
        change.reportedAt = reportedAt
        change.recordedAt = now
        change.reportedBy = reporter
        change.channel = channel
        change.note = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        change.changedFields = changed.map(\.rawValue).joined(separator: ",")
        change.dutyPhone = details.dutyPhone
        change.liaisonName = details.liaisonName
        change.liaisonMobile = details.liaisonMobile
        change.alternateName = details.alternateName
        change.alternateMobile = details.alternateMobile
        let before = unit.contacts
        try await db.writeTransaction { tx in
            try await change.create(on: tx)
            struct Report: Encodable {
                var contacts: ContactDetails
                var reportedAt: Date
                var reportedBy: String
                var channel: String
                var changedFields: String
            }
            try await AuditLog.append(tx, actor: actor, action: "contact.report", entity: "linkage_unit", entityID: String(change.unitID),
                                      before: before, after: Report(contacts: details, reportedAt: reportedAt, reportedBy: reporter,
                                                                    channel: channel, changedFields: change.changedFields), at: now)
            // The current contacts are those most recently reported; a late-recorded older
            // report joins the history without overriding a newer one.
            if unit.contactsReportedAt.map({ $0 <= reportedAt }) ?? true {
                unit.contacts = details
                unit.contactsReportedAt = reportedAt
                try await unit.save(on: tx)
            }
        }
        return change
    }

    /// Loads a register file: creates new units, updates changed ones, records contact changes
    /// as reports. All or nothing: any problem rolls the whole file back. Re-importing the same
    /// file changes nothing.
    static func importUnits(
        _ records: [UnitRecord], reportedBy: String, now: Date = Date(), actor: Actor, on db: any Database
    ) async throws -> ImportSummary {
        try await db.writeTransaction { tx in
            var summary = ImportSummary()
            var existing = try await LinkageUnit.query(on: tx).all()
            func key(_ j: String, _ n: String) -> String { j + "\u{1}" + n }
            for record in records {
                var unit: LinkageUnit?
                if let id = record.id {
                    guard let found = existing.first(where: { $0.id == id }) else {
                        throw ImportError(row: record.row, field: UnitTable.Column.id.header, message: "登记册中没有编号为 \(id) 的单位")
                    }
                    unit = found
                } else {
                    unit = existing.first { key($0.jurisdictionID, $0.name) == key(record.profile.jurisdictionID, record.profile.name) }
                }
                if let clash = existing.first(where: {
                    key($0.jurisdictionID, $0.name) == key(record.profile.jurisdictionID, record.profile.name) && $0.id != unit?.id
                }), unit != nil {
                    throw ImportError(row: record.row, field: UnitTable.Column.name.header,
                                      message: "改名后与已有单位“\(clash.name)”（编号 \(clash.id ?? 0)）重名")
                }
                var changedSomething = false
                let target: LinkageUnit
                if let unit {
                    target = unit
                    if unit.profile != record.profile {
                        let before = unit.profile
                        let levelChanged = unit.profile.level != record.profile.level
                        unit.profile = record.profile
                        if levelChanged { unit.duties = Annex2.duties(for: record.profile.level) }
                        try await unit.save(on: tx)
                        try await storeNameInitials(unit, on: tx)
                        try await AuditLog.append(tx, actor: actor, action: "unit.update", entity: "linkage_unit",
                                                  entityID: String(unit.id ?? 0), before: before, after: record.profile, at: now)
                        summary.updated += 1
                        changedSomething = true
                    }
                } else {
                    target = LinkageUnit(profile: record.profile, duties: Annex2.duties(for: record.profile.level))
                    try await target.create(on: tx)
                    try await storeNameInitials(target, on: tx)
                    try await AuditLog.append(tx, actor: actor, action: "unit.create", entity: "linkage_unit",
                                              entityID: String(target.id ?? 0), after: record.profile, at: now)
                    existing.append(target)
                    summary.created += 1
                    changedSomething = true
                }
                var details = target.contacts
                for field in record.contactFields { details[field] = record.contacts[field] }
                if try await reportContactChange(unit: target, to: details, reportedAt: now, reportedBy: reportedBy,
                                                 channel: "import", note: "导入第\(record.row)行", now: now, actor: actor, on: tx) != nil {
                    summary.contactChanges += 1
                    changedSomething = true
                }
                if !changedSomething { summary.unchanged += 1 }
            }
            return summary
        }
    }

    /// The register as table rows in `UnitTable.exportColumns` order (full numbers: the
    /// caller decides who may see them).
    static func exportRows(_ units: [LinkageUnit], masked: (LinkageUnit) -> Bool = { _ in false }) -> [[String]] {
        units.map { unit in
            let contacts = masked(unit) ? Masking.contacts(unit.contacts) : unit.contacts
            return UnitTable.exportColumns.map { column -> String in
                switch column {
                case .id: String(unit.id ?? 0)
                case .name: unit.name
                case .jurisdiction: Jurisdictions.named(unit.jurisdictionID)?.name ?? unit.jurisdictionID
                case .level: unit.unitLevel.name
                case .kind: unit.unitKind.name
                case .publicSecurity: UnitTable.flagText(unit.publicSecurity)
                case .uniformExempt: UnitTable.flagText(unit.uniformExempt)
                case .ranked: UnitTable.flagText(unit.ranked)
                case .dutyPhone: contacts.dutyPhone ?? ""
                case .liaisonName: contacts.liaisonName ?? ""
                case .liaisonMobile: contacts.liaisonMobile ?? ""
                case .alternateName: contacts.alternateName ?? ""
                case .alternateMobile: contacts.alternateMobile ?? ""
                case .contactsReportedAt: unit.contactsReportedAt.map(ChinaTime.displayString) ?? ""
                }
            }
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
