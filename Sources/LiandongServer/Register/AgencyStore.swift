import Fluent
import Foundation
import LiandongCore
import SQLKit

/// The supervising agencies of each jurisdiction as the database holds them (issue 15 item 1),
/// read into the core's `AgencyDirectory`, which says who acts and decides where.
enum AgencyStore {
    /// Linkage units that are an agency or part of its bureau.
    static let unitsTable = "agency_units"

    struct Row: Decodable {
        var id: String; var name: String; var kind: String?; var jurisdiction_id: String?
        var liaison_name: String?; var liaison_mobile: String?; var phone: String?; var sort_order: Int?
        /// From migration 031 on (read with `*` so that migrations before it read the table too).
        var notice_prefix: String?
    }

    /// Every agency, in the order documents list them (a few dozen rows: read whole).
    static func load(on db: any Database) async throws -> AgencyDirectory { try await load(on: db as! any SQLDatabase) }

    static func load(on sql: any SQLDatabase) async throws -> AgencyDirectory {
        let rows = try await sql.select().columns("*").from(AgencyModel.schema).all(decoding: Row.self)
        struct L: Decodable { var agency_id: String; var unit_id: Int }
        let links = try await sql.select().columns("agency_id", "unit_id").from(unitsTable).all(decoding: L.self)
        let units = Dictionary(grouping: links, by: \.agency_id).mapValues { Set($0.map(\.unit_id)) }
        return AgencyDirectory(rows.sorted { ($0.sort_order ?? 0, $0.id) < ($1.sort_order ?? 0, $1.id) }.compactMap { r in
            guard let kind = Agency(rawValue: r.kind ?? r.id) else { return nil }
            return SupervisingAgency(id: r.id, kind: kind, jurisdictionID: r.jurisdiction_id ?? Jurisdictions.city.id, name: r.name,
                                     liaisonName: r.liaison_name, liaisonMobile: r.liaison_mobile, phone: r.phone, unitIDs: units[r.id] ?? [],
                                     prefix: r.notice_prefix)
        })
    }

    /// The subject of deductions, with what deciding who decides needs.
    struct Subject: Decodable {
        var id: Int; var unit_id: Int?; var agency: String?; var jurisdiction_id: String?; var unit_name: String?; var unit_jurisdiction: String?

        var decisionSubject: DecisionSubject {
            if let unit = unit_id { return .unit(id: unit, name: unit_name ?? "", jurisdictionID: unit_jurisdiction ?? Jurisdictions.city.id) }
            if let a = agency.flatMap(Agency.init(rawValue:)) { return .agency(a) }
            return .government(jurisdictionID: jurisdiction_id ?? Jurisdictions.city.id)
        }
    }

    /// Deductions' subjects, by deduction id.
    static func subjects(_ query: (SQLSelectBuilder) -> SQLSelectBuilder, on sql: any SQLDatabase) async throws -> [Int: Subject] {
        let select = sql.select()
            .column(SQLColumn("id", table: "deductions")).column(SQLColumn("unit_id", table: "deductions"))
            .column(SQLColumn("agency", table: "deductions")).column(SQLColumn("jurisdiction_id", table: "deductions"))
            .column(SQLColumn("name", table: LinkageUnit.schema), as: "unit_name")
            .column(SQLColumn("jurisdiction_id", table: LinkageUnit.schema), as: "unit_jurisdiction")
            .from("deductions")
            .join(LinkageUnit.schema, method: SQLJoinMethod.left, on: SQLColumn("unit_id", table: "deductions"), .equal, SQLColumn("id", table: LinkageUnit.schema))
        let rows = try await query(select).all(decoding: Subject.self)
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Proposals (and appeals under way) against an agency or a unit of its bureau are handed to
    /// the deciders the register names: the other agency and the PLC. Run where deductions are
    /// proposed (`findingIDs`: those findings' deductions; nil: all) and when the register's links
    /// change. Writes only the deductions whose deciders change.
    static func assignDeciders(findingIDs: [Int]?, on sql: any SQLDatabase) async throws {
        if let ids = findingIDs, ids.isEmpty { return }
        let directory = try await load(on: sql)
        let names = directory.agencies.map(\.name)
        let linked = directory.agencies.flatMap(\.unitIDs)
        var chunks: [[Int]?] = findingIDs.map { Array(Set($0)).sorted().chunked(into: 500).map { Optional($0) } } ?? [nil]
        if chunks.isEmpty { chunks = [nil] }
        for chunk in chunks {
            let subjects = try await subjects({ select in
                var q = select.where(SQLColumn("status", table: "deductions"), .in, SQLBind.group([DeductionStatus.proposed.rawValue, DeductionStatus.appealed.rawValue]))
                    .where(group: { group in
                        let any = group.where(SQLColumn("agency", table: "deductions"), .isNot, SQLLiteral.null)
                            .orWhere(SQLColumn("name", table: LinkageUnit.schema), .in, SQLBind.group(names))
                        return linked.isEmpty ? any : any.orWhere(SQLColumn("unit_id", table: "deductions"), .in, SQLBind.group(linked))
                    })
                if let chunk { q = q.where(SQLColumn("finding_id", table: "deductions"), .in, SQLBind.group(chunk)) }
                return q
            }, on: sql)
            for (id, subject) in subjects {
                struct S: Decodable { var state: String }
                guard let row = try await sql.select().column("state").from("deductions").where("id", .equal, SQLBind(id)).first(decoding: S.self) else { continue }
                var state = try InspectionService.decode(DeductionState.self, row.state)
                let kinds = directory.deciders(for: subject.decisionSubject).map(\.kind)
                guard state.deciding != kinds else { continue }
                state.deciders = kinds
                try await sql.update("deductions").set("state", to: SQLBind(try DeductionService.encode(state)))
                    .set("awaiting", to: SQLBind(DeductionService.awaitingColumn(state))).where("id", .equal, SQLBind(id)).run()
            }
        }
    }
}

extension AgencyStore {
    /// Records an agency's liaison officer and contacts; a field not given stays as it is.
    /// `noticePrefix`: a PLC's document-number prefix (issue 15 item 4).
    static func setContacts(_ id: String, liaison: String?, mobile: String?, phone: String?, noticePrefix: String? = nil, actor: Actor, now: Date = Date(),
                            on db: any Database) async throws {
        let name = liaison?.trimmingCharacters(in: .whitespaces), cell = mobile?.trimmingCharacters(in: .whitespaces)
        let office = phone?.trimmingCharacters(in: .whitespaces), prefix = noticePrefix?.trimmingCharacters(in: .whitespaces)
        guard name != nil || cell != nil || office != nil || prefix != nil else { throw AppError.invalid("请至少填写联络员、手机、电话或通报文号前缀之一", field: "liaison") }
        if let prefix, !prefix.isEmpty {
            guard id.hasSuffix(Agency.plc.rawValue) else { throw AppError.invalid("通报文号前缀只属于政法委", field: "notice_prefix") }
            guard prefix.count <= 12, !prefix.contains(where: { "〔〕[]0123456789".contains($0) }) else {
                throw AppError.invalid("通报文号前缀应为机关代字，如 龙应联通，不含年份和序号", field: "notice_prefix")
            }
        }
        if let cell, !cell.isEmpty, PhoneNumber(cell) == nil { throw AppError.invalid("手机号码“\(cell)”无法识别", field: "mobile") }
        if let office, !office.isEmpty, PhoneNumber(office) == nil { throw AppError.invalid("电话号码“\(office)”无法识别", field: "phone") }
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            var update = sql.update(AgencyModel.schema)
            var after: [String: String] = [:]
            if let name { update = update.set("liaison_name", to: SQLBind(name.nilIfEmpty)); after["liaison_name"] = name }
            if let cell { update = update.set("liaison_mobile", to: SQLBind(cell.nilIfEmpty.flatMap { PhoneNumber($0)?.value })); after["liaison_mobile"] = cell }
            if let office { update = update.set("phone", to: SQLBind(office.nilIfEmpty.flatMap { PhoneNumber($0)?.value })); after["phone"] = office }
            if let prefix { update = update.set("notice_prefix", to: SQLBind(prefix.nilIfEmpty)); after["notice_prefix"] = prefix }
            try await update.where("id", .equal, SQLBind(id)).run()
            try await AuditLog.append(tx, actor: actor, action: "agency.contacts", entity: "agency", entityID: id, after: after, at: now)
        }
    }
}

extension AgencyStore {
    /// A finding (manual, a live-alert failure, D11) is filed against a unit the officer's agency
    /// reaches: the city's anywhere, a county's its own units (issue 15 item 2).
    static func requireReach(_ unit: LinkageUnit, actor: Actor, on db: any Database) async throws {
        let p = actor.principal
        guard case .account = p.kind, p.role?.agency != nil else { return }
        guard !AccessPolicy.canView(unitID: unit.id ?? 0, jurisdictionID: unit.jurisdictionID, by: p) else { return }
        let directory = try await load(on: db)
        let mine = directory.acting(for: p)?.name ?? p.role?.name ?? ""
        let seat = directory.seat(for: unit.jurisdictionID)
        let theirs = Agency.confirming.compactMap { directory.agency($0, of: seat)?.name }.joined(separator: "和")
        throw AppError(.forbidden, "\(mine)只能对本辖区的单位登记问题；\(unit.name)（\(Jurisdictions.named(unit.jurisdictionID)?.name ?? unit.jurisdictionID)）的问题由\(theirs)登记", field: "unit_id")
    }

    /// Rectifications follow the deduction: they are asked for and verified by the agencies of the
    /// jurisdiction that decides it (the city's for city and development-zone units and for
    /// governments). Administrators and the console act everywhere.
    static func requireDecidingSeat(deductionID: Int, actor: Actor, what: String, on db: any Database) async throws {
        let p = actor.principal
        guard case .account = p.kind, p.role?.agency != nil else { return }
        let sql = db as! any SQLDatabase
        let directory = try await load(on: db)
        guard let subject = try await subjects({ $0.where(SQLColumn("id", table: "deductions"), .equal, SQLBind(deductionID)) }, on: sql)[deductionID] else {
            throw AppError.notFound("编号为 \(deductionID) 的扣分")
        }
        let seat = directory.decidingSeat(for: subject.decisionSubject)
        guard directory.acting(for: p)?.jurisdictionID != seat else { return }
        let theirs = Agency.confirming.compactMap { directory.agency($0, of: seat)?.name }.joined(separator: "或")
        throw AppError(.forbidden, "扣分 \(deductionID) 的整改由\(theirs)\(what)", field: "deduction_id")
    }
}
