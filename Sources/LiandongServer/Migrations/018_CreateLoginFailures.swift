import Fluent

/// Failed sign-ins counted per account (or typed username) and client address, so that a
/// stranger's wrong passwords pause sign-in from the stranger's address only (issue: keep an
/// officer from being locked out by a stranger).
struct CreateLoginFailures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("login_failures")
            .field("id", .int, .identifier(auto: true))
            .field("subject", .string, .required)
            .field("source", .string, .required)
            .field("failures", .int, .required)
            .field("locked_until", .datetime)
            .field("updated_at", .datetime, .required)
            .unique(on: "subject", "source")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("login_failures").delete()
    }
}
