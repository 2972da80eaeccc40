import Fluent
import Foundation
import LiandongCore

/// A person's account.
final class Account: Model, @unchecked Sendable {
    static let schema = "accounts"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    /// `Role` raw value.
    @Field(key: "role") var role: String
    /// A liaison's unit.
    @OptionalField(key: "unit_id") var unitID: Int?
    /// An officer scoped to one jurisdiction; nil: city-wide.
    @OptionalField(key: "jurisdiction_id") var jurisdictionID: String?
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "must_change_password") var mustChangePassword: Bool
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @Field(key: "disabled") var disabled: Bool
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    /// The TOTP secret as `TwoFactor.SecretBox` stores it; nil when there is none.
    @OptionalField(key: "totp_secret") var totpSecret: String?
    /// When the second factor was enabled; nil while enrolment waits for its first code.
    @OptionalField(key: "totp_enabled_at") var totpEnabledAt: Date?
    /// The time step of the last code accepted (replay protection).
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    /// When the person last marked the unit's inbox read (`UnitInbox`).
    @OptionalField(key: "inbox_read_at") var inboxReadAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var accountRole: Role { Role(rawValue: role) ?? .liaison }

    var principal: Principal {
        Principal(kind: .account(id: id ?? 0, role: accountRole), name: username, unitID: unitID, jurisdictionID: jurisdictionID)
    }

    /// What the audit log keeps of an account (never the password hash).
    struct Snapshot: Codable {
        var username: String
        var displayName: String
        var role: String
        var unitId: Int?
        var jurisdictionId: String?
        var disabled: Bool
        var locked: Bool
    }

    func snapshot(now: Date = Date()) -> Snapshot {
        Snapshot(username: username, displayName: displayName, role: role, unitId: unitID, jurisdictionId: jurisdictionID,
                 disabled: disabled, locked: lockedUntil.map { $0 > now } ?? false)
    }

    /// Whether sign-in asks this account for a code.
    var hasTwoFactor: Bool { totpEnabledAt != nil && totpSecret != nil }
}

/// A signed-in session, kept in the database so that several app servers can share it.
/// Only a hash of the cookie's token is stored.
final class AuthSession: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "account_id") var accountID: Int
    @Field(key: "csrf_token") var csrfToken: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    /// When the person last proved their password (sensitive actions ask again after a while).
    @Field(key: "authenticated_at") var authenticatedAt: Date
    @OptionalField(key: "source") var source: String?
    /// Set while the password has been given and the code is awaited, to the time the wait ends.
    /// Such a session signs nobody in: it only leads to `/login/code`.
    @OptionalField(key: "second_factor_due") var secondFactorDue: Date?

    init() {}
}

/// One recovery code of an account, as a salted hash (`RecoveryCodes.hash`). A code used is deleted.
final class RecoveryCode: Model, @unchecked Sendable {
    static let schema = "recovery_codes"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "account_id") var accountID: Int
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A token an administrator issues to an integration client (the 110 dispatch system).
final class ApiToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    /// Comma-separated `TokenScope` raw values.
    @Field(key: "scopes") var scopes: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    var scopeSet: Set<TokenScope> { Set(scopes.split(separator: ",").compactMap { TokenScope(rawValue: String($0)) }) }

    var principal: Principal { Principal(kind: .token(id: id ?? 0, scopes: scopeSet), name: "token:\(name)") }
}

/// One entry of the tamper-evident audit log. Never updated or deleted by the application.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_log"

    @ID(custom: "seq", generatedBy: .user) var id: Int?
    /// Milliseconds since 1970: exact on both databases, so the hash recomputes.
    @Field(key: "at_ms") var atMilliseconds: Int
    @Field(key: "actor") var actor: String
    @Field(key: "role") var role: String
    @Field(key: "action") var action: String
    @Field(key: "entity") var entity: String
    @OptionalField(key: "entity_id") var entityID: String?
    @OptionalField(key: "before") var before: String?
    @OptionalField(key: "after") var after: String?
    @OptionalField(key: "source") var source: String?
    @Field(key: "algorithm") var algorithm: String
    @Field(key: "prev_hash") var prevHash: String
    @Field(key: "hash") var hash: String

    init() {}
}
