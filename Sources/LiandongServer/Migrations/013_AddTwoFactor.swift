import Fluent
import SQLKit

/// The second factor (TOTP) of an account, its recovery codes, and the session's wait for a code.
/// SQLite adds one column per ALTER TABLE, hence one update per column.
struct AddTwoFactor: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // The shared secret, sealed (`aesgcm:` with LIANDONG_TOTP_KEY) or as is (`plain:`); set
        // while enrolment waits for its first code, enabled once `totp_enabled_at` is set.
        try await database.schema(Account.schema).field("totp_secret", .string).update()
        try await database.schema(Account.schema).field("totp_enabled_at", .datetime).update()
        // The time step of the last code accepted: a code is never accepted twice.
        try await database.schema(Account.schema).field("totp_last_step", .int64).update()
        // Set while a session has passed the password and waits for the code, until then.
        try await database.schema(AuthSession.schema).field("second_factor_due", .datetime).update()

        try await database.schema(RecoveryCode.schema)
            .field("id", .int, .identifier(auto: true))
            .field("account_id", .int, .required, .references(Account.schema, "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "recovery_codes_account").on(RecoveryCode.schema).column("account_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RecoveryCode.schema).delete()
        try await database.schema(AuthSession.schema).deleteField("second_factor_due").update()
        for field in ["totp_last_step", "totp_enabled_at", "totp_secret"] {
            try await database.schema(Account.schema).deleteField(.key(.string(field))).update()
        }
    }
}
