import Fluent
import Foundation
import LiandongCore
import SQLKit

/// Issue 15 item 1: the register holds each jurisdiction's PLC, EMB and police, with their liaison
/// officer and contacts (§一: 三个部门有关业务处室各指定一名联络员). The city's three rows keep the
/// codes they always had (`plc`, `emb`, `psb`), so what stored them stays valid; each county's
/// three are added (`longquan-psb`). `agency_units` marks the linkage units that are an agency or
/// part of its bureau (市公安局 is a linkage unit too): such an agency does not decide their
/// deductions. Proposals already stored against such a unit are handed to the right deciders.
struct UpdateAgenciesAddJurisdiction: AsyncMigration {
    func prepare(on database: any Database) async throws {
        for (name, type) in [("kind", DatabaseSchema.DataType.string), ("jurisdiction_id", .string), ("liaison_name", .string),
                             ("liaison_mobile", .string), ("phone", .string), ("sort_order", .int)] {
            try await database.schema(AgencyModel.schema).field(.string(name), type).update()
        }
        try await database.schema(AgencyStore.unitsTable)
            .field("agency_id", .string, .required, .references(AgencyModel.schema, "id"))
            .field("unit_id", .int, .required, .references(LinkageUnit.schema, "id"))
            .unique(on: "agency_id", "unit_id")
            .create()
        let sql = database as! any SQLDatabase
        for (index, agency) in AgencyDirectory.seed.agencies.enumerated() {
            if agency.jurisdictionID == Jurisdictions.city.id {
                try await sql.update(AgencyModel.schema).set("kind", to: SQLBind(agency.kind.rawValue))
                    .set("jurisdiction_id", to: SQLBind(agency.jurisdictionID)).set("sort_order", to: SQLBind(index + 1))
                    .where("id", .equal, SQLBind(agency.id)).run()
            } else {
                try await sql.insert(into: AgencyModel.schema).columns("id", "name", "kind", "jurisdiction_id", "sort_order")
                    .values(SQLBind(agency.id), SQLBind(agency.name), SQLBind(agency.kind.rawValue), SQLBind(agency.jurisdictionID), SQLBind(index + 1))
                    .run()
            }
        }
        // The agencies that are linkage units of their own jurisdiction, by name (Annex 2 lists
        // 市公安局 and 市应急管理局).
        struct U: Decodable { var id: Int; var name: String; var jurisdiction_id: String }
        let units = try await sql.select().columns("id", "name", "jurisdiction_id").from(LinkageUnit.schema).all(decoding: U.self)
        for agency in AgencyDirectory.seed.agencies {
            for unit in units where unit.name == agency.name && unit.jurisdiction_id == agency.jurisdictionID {
                try await sql.insert(into: AgencyStore.unitsTable).columns("agency_id", "unit_id").values(SQLBind(agency.id), SQLBind(unit.id)).run()
            }
        }
        try await AgencyStore.assignDeciders(findingIDs: nil, on: sql)
        // Appeals under way now await both deciders (the column was empty for them before).
        struct D: Decodable { var id: Int; var state: String }
        for row in try await sql.select().columns("id", "state").from("deductions")
            .where("status", .equal, SQLBind(DeductionStatus.appealed.rawValue)).all(decoding: D.self) {
            let state = try InspectionService.decode(DeductionState.self, row.state)
            try await sql.update("deductions").set("awaiting", to: SQLBind(DeductionService.awaitingColumn(state)))
                .where("id", .equal, SQLBind(row.id)).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AgencyStore.unitsTable).delete()
        let sql = database as! any SQLDatabase
        try await sql.delete(from: AgencyModel.schema).where("id", .notIn, SQLBind.group(Agency.allCases.map(\.rawValue))).run()
        for name in ["kind", "jurisdiction_id", "liaison_name", "liaison_mobile", "phone", "sort_order"] {
            try await database.schema(AgencyModel.schema).deleteField(.string(name)).update()
        }
    }
}
