import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// The equipment checklist: items for every unit (unit_id null) and items for one unit.
enum EquipmentChecklist {
    struct Item: Content {
        var id: Int
        var unitId: Int?
        var name: String
    }

    static func items(on db: any Database) async throws -> [Item] {
        struct R: Decodable { var id: Int; var unit_id: Int?; var name: String }
        return try await (db as! any SQLDatabase).select().columns("id", "unit_id", "name").from("equipment_items")
            .orderBy("sort_order").orderBy("id").all(decoding: R.self).map { Item(id: $0.id, unitId: $0.unit_id, name: $0.name) }
    }

    /// What a unit's responders must bring: the common items, then the unit's own.
    static func forUnit(_ unitID: Int, in all: [Item]) -> [String] {
        all.filter { $0.unitId == nil }.map(\.name) + all.filter { $0.unitId == unitID }.map(\.name)
    }

    static func add(name raw: String, unitID: Int?, actor: Actor, on db: any Database) async throws {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 30 else { throw AppError.invalid("装备名称不能为空且不超过30字", field: "name") }
        if let unitID { _ = try await RegisterService.unit(unitID, on: db) }
        let existing = try await items(on: db)
        guard !existing.contains(where: { $0.name == name && $0.unitId == unitID }) else { throw AppError(.conflict, "清单中已有“\(name)”", field: "name") }
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).insert(into: "equipment_items").columns("unit_id", "name", "sort_order")
                .values(SQLBind(unitID), SQLBind(name), SQLBind(existing.count + 1)).run()
            try await AuditLog.append(tx, actor: actor, action: "equipment.add", entity: "equipment_item",
                                      after: ["name": name, "unit_id": unitID.map(String.init) ?? "全部"])
        }
    }

    static func remove(_ id: Int, actor: Actor, on db: any Database) async throws {
        guard let item = try await items(on: db).first(where: { $0.id == id }) else { throw AppError.notFound("该装备项") }
        try await db.writeTransaction { tx in
            try await (tx as! any SQLDatabase).delete(from: "equipment_items").where("id", .equal, SQLBind(id)).run()
            try await AuditLog.append(tx, actor: actor, action: "equipment.remove", entity: "equipment_item", entityID: String(id),
                                      before: ["name": item.name, "unit_id": item.unitId.map(String.init) ?? "全部"])
        }
    }
}

/// `/checks/equipment`: the EMB and the police keep the checklist.
enum EquipmentPages {
    struct Row: Encodable { var id: Int; var scope: String; var name: String }
    struct Context: Encodable {
        var frame: PageFrame
        var head: TableHead
        var rows: [Row]
        var units: [AdminPages.Option]
        var error: String?
        var hasError: Bool
    }

    static func render(_ req: Request, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        _ = try InspectionPages.requireJointCheck(req)
        let units = try await RegisterService.units(on: req.db)
        let names = Dictionary(uniqueKeysWithValues: units.map { ($0.id ?? 0, $0.name) })
        // In the list's own order by default; "全部单位" (every unit) before any one unit by scope.
        let sort = try ListSort(req, columns: [SortColumn("适用", "scope"), SortColumn("装备", "name"), SortColumn("操作")], default: "scope")
        let items = try await EquipmentChecklist.items(on: req.db)
        let rows = sort.sorted(items.map { Row(id: $0.id, scope: $0.unitId.flatMap { names[$0] } ?? "全部单位", name: $0.name) }, by: [
            "scope": { row in items.first { $0.id == row.id }?.unitId == nil ? .key("") : .text(row.scope) },
            "name": { .text($0.name) },
        ])
        return try await req.page("equipment", Context(
            frame: PageFrame(req, title: "应急装备清单", active: "drills"), head: sort.head(req, path: "/checks/equipment"), rows: rows,
            units: units.map { AdminPages.Option(value: String($0.id ?? 0), label: "\(Jurisdictions.named($0.jurisdictionID)?.name ?? "") \($0.name)") },
            error: error, hasError: error != nil), status: status)
    }

    @Sendable static func list(req: Request) async throws -> Response { try await render(req) }

    @Sendable static func change(req: Request) async throws -> Response {
        let actor = try InspectionPages.requireJointCheck(req)
        struct Form: Decodable { var op: String?; var name: String?; var unit_id: String?; var id: Int? }
        let form = try req.content.decode(Form.self)
        do {
            if form.op == "remove" {
                try await EquipmentChecklist.remove(form.id ?? 0, actor: actor, on: req.db)
            } else {
                try await EquipmentChecklist.add(name: form.name ?? "", unitID: form.unit_id.flatMap { Int($0) }, actor: actor, on: req.db)
            }
            return req.redirect(to: "/checks/equipment")
        } catch let error as AppError {
            return try await render(req, error: error.message, status: error.status)
        }
    }
}
