import Fluent
import LiandongCore
import SQLKit

/// Which agencies a proposed deduction still waits for, as a column (`,emb,psb,`), so that the
/// home pages count and the lists filter them in SQL instead of reading every state.
struct AddDeductionAwaiting: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("deductions").field("awaiting", .string, .required, .sql(.default(""))).update()
        let sql = database as! any SQLDatabase
        struct Row: Decodable { var id: Int; var state: String }
        let rows = try await sql.select().columns("id", "state").from("deductions")
            .where("status", .equal, SQLBind(DeductionStatus.proposed.rawValue)).all(decoding: Row.self)
        for row in rows {
            let state = try InspectionService.decode(DeductionState.self, row.state)
            try await sql.update("deductions").set("awaiting", to: SQLBind(DeductionService.awaitingColumn(state)))
                .where("id", .equal, SQLBind(row.id)).run()
        }
        try await sql.create(index: "deductions_status_awaiting").on("deductions").column("status").column("awaiting").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "deductions_status_awaiting").run()
        try await database.schema("deductions").deleteField("awaiting").update()
    }
}
