import Fluent
import SQLKit

/// The emergency equipment a unit's responders bring to a drill: a default list for every unit,
/// and items added for particular units (a water bureau's pumps, a power company's generator).
struct CreateEquipmentChecklists: AsyncMigration {
    static let defaults = ["“应急联动”反光背心", "照明设备", "警示标志", "通讯工具", "急救包"]

    func prepare(on database: any Database) async throws {
        try await database.schema("equipment_items")
            .field("id", .int, .identifier(auto: true))
            .field("unit_id", .int, .references(LinkageUnit.schema, "id"))
            .field("name", .string, .required)
            .field("sort_order", .int, .required)
            .create()
        var insert = (database as! any SQLDatabase).insert(into: "equipment_items").columns("unit_id", "name", "sort_order")
        for (i, name) in Self.defaults.enumerated() {
            insert = insert.values(SQLBind(Optional<Int>.none), SQLBind(name), SQLBind(i + 1))
        }
        try await insert.run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("equipment_items").delete()
    }
}
