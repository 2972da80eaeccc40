import Fluent

/// How far each unit's news has been handed to an outbound channel (`OutboundNotifier`): the
/// next delivery starts after it, so each item goes out once, across restarts.
struct CreateOutboundWatermarks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("outbound_watermarks")
            .field("unit_id", .int, .identifier(auto: false))
            .field("delivered_through", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("outbound_watermarks").delete()
    }
}
