import Fluent
import LiandongCore
import SQLKit

/// The pinyin initials of each unit's name (`市水利局` → `sslj`): lists paged by the database
/// sort by unit name in pinyin order with it. Kept by the register whenever a unit is created
/// or renamed (`RegisterService.storeNameInitials`).
struct AddUnitNameInitials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.alter(table: "linkage_units").column("name_initials", type: .text).run()
        struct Row: Decodable { var id: Int; var name: String }
        for row in try await sql.select().columns("id", "name").from("linkage_units").all(decoding: Row.self) {
            try await sql.update("linkage_units").set("name_initials", to: SQLBind(Pinyin.initials(row.name)))
                .where("id", .equal, SQLBind(row.id)).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).alter(table: "linkage_units").dropColumn("name_initials").run()
    }
}
