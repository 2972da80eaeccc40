import Crypto
import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// The second factor: a time-based one-time password (TOTP, RFC 6238) from an authenticator app,
/// and recovery codes for a lost phone. Enrolment, checking a code, disabling, resetting.
enum TwoFactor {
    /// The name authenticator apps show for the account.
    static let issuer = "丽水应急联动"

    // MARK: The secret at rest

    /// How `accounts.totp_secret` keeps the shared secret. The server must read the secret back
    /// to compute codes, so it cannot be hashed: with `LIANDONG_TOTP_KEY` set it is sealed with
    /// AES-256-GCM (`aesgcm:` + base64 of nonce, ciphertext and tag, bound to the account's id);
    /// without it, it is kept as is (`plain:` + Base32). Both read back, so setting a key later
    /// only changes what new enrolments write.
    struct SecretBox: Sendable {
        static let plainPrefix = "plain:"
        static let sealedPrefix = "aesgcm:"

        let key: SymmetricKey?

        /// `LIANDONG_TOTP_KEY`: 32 bytes, as base64 (`openssl rand -base64 32`) or 64 hex digits.
        static func key(from raw: String?) throws -> SymmetricKey? {
            guard let raw = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            var bytes: [UInt8]?
            if raw.count == 64, raw.allSatisfy(\.isHexDigit) {
                var out: [UInt8] = []
                var index = raw.startIndex
                while index < raw.endIndex {
                    let next = raw.index(index, offsetBy: 2)
                    out.append(UInt8(raw[index..<next], radix: 16)!)
                    index = next
                }
                bytes = out
            } else if let data = Data(base64Encoded: raw) {
                bytes = Array(data)
            }
            guard let bytes, bytes.count == 32 else {
                throw ConfigurationError(variable: "LIANDONG_TOTP_KEY", message: "应为32字节的密钥（base64，如 openssl rand -base64 32 的输出；或64位十六进制）")
            }
            return SymmetricKey(data: bytes)
        }

        private static func context(_ accountID: Int) -> Data { Data("liandong-totp:\(accountID)".utf8) }

        func seal(_ secret: [UInt8], accountID: Int) throws -> String {
            guard let key else { return Self.plainPrefix + Base32Secret.encode(secret) }
            let box = try AES.GCM.seal(secret, using: key, authenticating: Self.context(accountID))
            return Self.sealedPrefix + box.combined!.base64EncodedString()
        }

        func open(_ stored: String, accountID: Int) throws -> [UInt8] {
            if stored.hasPrefix(Self.plainPrefix), let secret = Base32Secret.decode(String(stored.dropFirst(Self.plainPrefix.count))) {
                return secret
            }
            if stored.hasPrefix(Self.sealedPrefix), let key, let data = Data(base64Encoded: String(stored.dropFirst(Self.sealedPrefix.count))),
               let box = try? AES.GCM.SealedBox(combined: data),
               let secret = try? AES.GCM.open(box, using: key, authenticating: Self.context(accountID)) {
                return Array(secret)
            }
            throw AppError(.internalServerError, "无法读取该账户的动态口令密钥（LIANDONG_TOTP_KEY 未设置或与加密时不同），请联系管理员")
        }
    }

    /// At start: sealed secrets need the key they were sealed with. Refuses to start without it
    /// rather than failing every sign-in later.
    static func checkSecretsCanBeOpened(_ app: Application) async throws {
        struct Row: Decodable { var id: Int; var username: String; var totp_secret: String }
        guard let row = try await (app.db as! any SQLDatabase).select().columns("id", "username", "totp_secret").from(Account.schema)
            .where("totp_secret", .like, SQLBind(SecretBox.sealedPrefix + "%")).limit(1).first(decoding: Row.self)
        else { return }
        do {
            _ = try app.liandong.totpSecrets.open(row.totp_secret, accountID: row.id)
        } catch {
            throw ConfigurationError(variable: "LIANDONG_TOTP_KEY",
                                     message: "数据库中的动态口令密钥已加密，须设置加密时所用的密钥（账户 \(row.username) 的密钥无法解开）")
        }
    }

    // MARK: Codes

    /// What proved the second factor.
    enum Proof: Equatable {
        case totp(step: Int64)
        case recoveryCode(remaining: Int)

        var auditName: String {
            switch self {
            case .totp: "totp"
            case .recoveryCode: "recovery_code"
            }
        }
    }

    /// A code refused: what the person reads, and what the audit log records.
    struct Failure: Error {
        var message: String
        var reason: String
    }

    /// Six ASCII digits from what was typed: full-width digits from a Chinese input method and
    /// spaces are accepted. Nil when it is not a six-digit code.
    static func digits(_ input: String) -> String? {
        let text = input.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }
        guard text.count == 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return text
    }

    static func totp(_ secret: [UInt8]) -> OneTimeCodes { OneTimeCodes(secret: secret) }

    /// Checks a code (six digits from the app, or a recovery code) and uses it up: the TOTP step
    /// is recorded so that it and every earlier step are refused from then on; a recovery code is
    /// deleted. Both are conditional writes, so two requests racing with one code cannot both pass.
    static func use(_ input: String, for account: Account, now: Date, policy: SecurityPolicy, box: SecretBox,
                    actor: Actor, on db: any Database) async throws -> Proof {
        guard account.hasTwoFactor, let stored = account.totpSecret else {
            throw Failure(message: "该账户未启用动态口令", reason: "not_enrolled")
        }
        let id = try account.requireID()
        let sql = db as! any SQLDatabase
        if let digits = digits(input) {
            let totp = totp(try box.open(stored, accountID: id))
            guard let step = totp.verify(code: digits, at: now, lastUsedCounter: account.totpLastStep, window: policy.totpDriftSteps) else {
                if totp.verify(code: digits, at: now, lastUsedCounter: nil, window: policy.totpDriftSteps) != nil {
                    throw Failure(message: "该动态口令已经用过，请等待验证器显示下一个口令（每30秒更新）后再输入", reason: "replayed_code")
                }
                throw Failure(message: "动态口令不正确，请核对验证器上“\(issuer)”的6位数字和手机时间后重试", reason: "wrong_code")
            }
            let updated = try await sql.update(Account.schema).set("totp_last_step", to: SQLBind(step))
                .where("id", .equal, SQLBind(id))
                .where(group: { $0.where("totp_last_step", .is, SQLLiteral.null).orWhere("totp_last_step", .lessThan, SQLBind(step)) })
                .returning("id").all()
            guard !updated.isEmpty else {
                throw Failure(message: "该动态口令已经用过，请等待验证器显示下一个口令（每30秒更新）后再输入", reason: "replayed_code")
            }
            // Not set on the model: a later save of the account must not write an older step back.
            return .totp(step: step)
        }
        guard RecoveryCodes.normalize(input) != nil else {
            throw Failure(message: "请输入验证器上的6位动态口令，或一个恢复码（形如 abcd-efgh）", reason: "malformed_code")
        }
        let codes = try await RecoveryCode.query(on: db).filter(\.$accountID == id).sort(\.$id).all()
        guard let index = RecoveryCodes.verify(input, against: codes.map(\.codeHash)) else {
            throw Failure(message: "恢复码不正确或已经用过", reason: "wrong_recovery_code")
        }
        let remaining = codes.count - 1
        try await db.writeTransaction { tx in
            let deleted = try await (tx as! any SQLDatabase).delete(from: RecoveryCode.schema)
                .where("id", .equal, SQLBind(codes[index].requireID())).returning("id").all()
            guard !deleted.isEmpty else { throw Failure(message: "恢复码不正确或已经用过", reason: "wrong_recovery_code") }
            try await AuditLog.append(tx, actor: actor, action: "totp.recovery_code_used", entity: "account", entityID: String(id),
                                      after: ["remaining": remaining])
        }
        return .recoveryCode(remaining: remaining)
    }

    /// A wrong code counts towards the lockout as a wrong password does: the password alone must
    /// not allow unlimited guessing of the code. So does a wrong password given to re-authenticate
    /// or to disable the second factor. Returns whether the account is now locked (its sessions end).
    @discardableResult
    static func recordFailure(_ account: Account, _ failure: Failure, stage: String, now: Date, policy: SecurityPolicy,
                              actor: Actor, on db: any Database) async throws -> Bool {
        account.failedLogins += 1
        var action = failure.reason == "bad_password" ? "password.failure" : "totp.failure"
        if account.failedLogins >= policy.lockoutThreshold {
            account.lockedUntil = now.addingTimeInterval(Double(policy.lockoutMinutes * 60))
            account.failedLogins = 0
            action = "login.lockout"
        }
        let locked = action == "login.lockout"
        let recorded = action
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            if locked { try await AuthSession.query(on: tx).filter(\.$accountID == account.requireID()).delete() }
            try await AuditLog.append(tx, actor: actor, action: recorded, entity: "account", entityID: String(account.id ?? 0),
                                      after: ["reason": failure.reason, "stage": stage], at: now)
        }
        return locked
    }

    // MARK: Enrolment

    /// The secret enrolment shows, waiting for its first code. It is kept in a cookie of the
    /// enrolment page (`pendingCookie`), not in the database: opening a page writes nothing. The
    /// cookie carries the secret, when it was issued and a MAC keyed with the hash of the
    /// session's own cookie (which no page shows), over the secret, the account and the time: a
    /// cookie planted from elsewhere (another session's, an attacker's) or older than half an hour
    /// is ignored. Reloading the page shows the same secret, so a phone already set up stays right.
    static let pendingCookie = "liandong_totp_pending"
    /// How long a shown secret waits for its first code.
    static let pendingSeconds = 1800

    static func pendingCookieValue(_ secret: [UInt8], issued: Date, session: AuthSession) -> String {
        let text = Base32Secret.encode(secret) + "." + String(Int64(issued.timeIntervalSince1970))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(session.accountID)|\(text)".utf8),
                                                  using: SymmetricKey(data: Data(session.tokenHash.utf8)))
        return text + "." + Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// The secret a pending cookie of this session carries, with when it was issued; nil for a
    /// missing, altered, foreign or expired one.
    static func pendingSecret(cookie: String?, session: AuthSession, now: Date) -> (secret: [UInt8], issued: Date)? {
        let parts = cookie?.split(separator: ".").map(String.init) ?? []
        guard parts.count == 3, let secret = Base32Secret.decode(parts[0]), secret.count >= 16, let seconds = Int64(parts[1]) else { return nil }
        let issued = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard issued <= now.addingTimeInterval(60), now.timeIntervalSince(issued) <= TimeInterval(pendingSeconds),
              constantTimeEqual(pendingCookieValue(secret, issued: issued, session: session), cookie ?? "") else { return nil }
        return (secret, issued)
    }

    /// Enables `secret` (the one the enrolment page showed) once a current code from it is
    /// entered; returns the recovery codes, to be shown once.
    static func confirmEnrolment(_ account: Account, secret: [UInt8]?, code: String, now: Date, policy: SecurityPolicy, box: SecretBox,
                                 actor: Actor, on db: any Database) async throws -> [String] {
        guard !account.hasTwoFactor else { throw AppError(.conflict, "动态口令已启用") }
        guard let secret else { throw AppError.invalid("启用页面已过期：请重新打开本页，在验证器中添加页面上的密钥后再输入口令", field: "code") }
        guard let digits = digits(code),
              let step = totp(secret).verify(code: digits, at: now, lastUsedCounter: nil, window: policy.totpDriftSteps)
        else {
            throw AppError.invalid("动态口令不正确：请确认验证器中添加的是本页的密钥、手机时间准确，再输入当前显示的6位数字", field: "code")
        }
        account.totpSecret = try box.seal(secret, accountID: try account.requireID())
        return try await enable(account, step: step, now: now, policy: policy, actor: actor, on: db)
    }

    /// `liandong accounts totp-enrol`: the operator enrols an account directly (a new secret,
    /// enabled at once) and hands the secret over. Returns the secret and the recovery codes.
    static func enrolDirectly(_ account: Account, now: Date, policy: SecurityPolicy, box: SecretBox,
                              actor: Actor, on db: any Database) async throws -> (secret: [UInt8], codes: [String]) {
        guard !account.hasTwoFactor else {
            throw AppError(.conflict, "账户 \(account.username) 已启用动态口令；如需更换，先运行 liandong accounts totp-reset \(account.username)")
        }
        let secret = OneTimeCodes.generateSecret()
        account.totpSecret = try box.seal(secret, accountID: try account.requireID())
        let codes = try await enable(account, step: nil, now: now, policy: policy, actor: actor, on: db)
        return (secret, codes)
    }

    private static func enable(_ account: Account, step: Int64?, now: Date, policy: SecurityPolicy,
                               actor: Actor, on db: any Database) async throws -> [String] {
        let id = try account.requireID()
        let (codes, hashes) = RecoveryCodes.generateWithHashes(count: policy.recoveryCodeCount)
        account.totpEnabledAt = now
        account.totpLastStep = step
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            try await RecoveryCode.query(on: tx).filter(\.$accountID == id).delete()
            for hash in hashes {
                let code = RecoveryCode()
                code.accountID = id
                code.codeHash = hash
                code.createdAt = now
                try await code.create(on: tx)
            }
            try await AuditLog.append(tx, actor: actor, action: "totp.enrol", entity: "account", entityID: String(id),
                                      after: ["username": account.username, "recovery_codes": String(hashes.count)], at: now)
        }
        return codes
    }

    /// Removes the second factor: by the person (`totp.disable`, after a code or the password)
    /// or by an administrator for someone who lost the phone and the codes (`totp.reset`, which
    /// also ends the account's sessions).
    static func remove(_ account: Account, action: String, actor: Actor, on db: any Database) async throws {
        let id = try account.requireID()
        account.totpSecret = nil
        account.totpEnabledAt = nil
        account.totpLastStep = nil
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            try await RecoveryCode.query(on: tx).filter(\.$accountID == id).delete()
            if action == "totp.reset" { try await AuthSession.query(on: tx).filter(\.$accountID == id).delete() }
            try await AuditLog.append(tx, actor: actor, action: action, entity: "account", entityID: String(id),
                                      after: ["username": account.username])
        }
    }

    static func remainingRecoveryCodes(_ account: Account, on db: any Database) async throws -> Int {
        try await RecoveryCode.query(on: db).filter(\.$accountID == account.requireID()).count()
    }

    /// The secret as a person types it into an app: Base32 in groups of four.
    static func grouped(_ secret: [UInt8]) -> String {
        let text = Array(Base32Secret.encode(secret))
        return stride(from: 0, to: text.count, by: 4).map { String(text[$0..<min($0 + 4, text.count)]) }.joined(separator: " ")
    }

    static func provisioningURI(_ secret: [UInt8], account: Account) -> String {
        totp(secret).provisioningURI(issuer: issuer, account: account.username)
    }
}

extension Application {
    /// Whether this account must enrol before it may use the system.
    func mustEnrolTwoFactor(_ account: Account) -> Bool {
        liandong.security.requiresTwoFactor(account.accountRole) && !account.hasTwoFactor
    }
}
