import Fluent

/// Files attached to appeals and to rectification reports.
struct CreateAttachments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("attachments")
            .field("id", .int, .identifier(auto: true))
            .field("owner", .string, .required)
            .field("owner_id", .int, .required)
            .field("filename", .string, .required)
            .field("content_type", .string, .required)
            .field("size", .int, .required)
            .field("sha256", .string, .required)
            .field("data", .data, .required)
            .field("uploaded_by", .string, .required)
            .field("uploaded_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("attachments").delete()
    }
}
