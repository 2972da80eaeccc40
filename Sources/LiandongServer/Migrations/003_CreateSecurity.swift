import Fluent
import SQLKit

/// Accounts, sessions, API tokens and the audit log with its head.
struct CreateSecurity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Account.schema)
            .field("id", .int, .identifier(auto: true))
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("role", .string, .required)
            .field("unit_id", .int, .references(LinkageUnit.schema, "id"))
            .field("jurisdiction_id", .string, .references(JurisdictionModel.schema, "id"))
            .field("password_hash", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("disabled", .bool, .required)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "username")
            .create()

        try await database.schema(AuthSession.schema)
            .field("id", .int, .identifier(auto: true))
            .field("token_hash", .string, .required)
            .field("account_id", .int, .required, .references(Account.schema, "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("authenticated_at", .datetime, .required)
            .field("source", .string)
            .unique(on: "token_hash")
            .create()

        try await database.schema(ApiToken.schema)
            .field("id", .int, .identifier(auto: true))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("scopes", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "name")
            .unique(on: "token_hash")
            .create()

        try await database.schema(AuditEntry.schema)
            .field("seq", .int, .identifier(auto: false))
            .field("at_ms", .int64, .required)
            .field("actor", .string, .required)
            .field("role", .string, .required)
            .field("action", .string, .required)
            .field("entity", .string, .required)
            .field("entity_id", .string)
            .field("before", .string)
            .field("after", .string)
            .field("source", .string)
            .field("algorithm", .string, .required)
            .field("prev_hash", .string, .required)
            .field("hash", .string, .required)
            .create()

        // The chain's head: one row whose update serialises appends on both databases.
        try await database.schema(AuditLog.headTable)
            .field("id", .int, .identifier(auto: false))
            .field("seq", .int, .required)
            .field("hash", .string, .required)
            .create()
        try await (database as! any SQLDatabase).insert(into: AuditLog.headTable)
            .columns("id", "seq", "hash").values(SQLBind(1), SQLBind(0), SQLBind(AuditLog.genesis)).run()
    }

    func revert(on database: any Database) async throws {
        for table in [AuditLog.headTable, AuditEntry.schema, ApiToken.schema, AuthSession.schema, Account.schema] {
            try await database.schema(table).delete()
        }
    }
}
