import Fluent
import Foundation
import LiandongCore
import Vapor

/// Creating and maintaining accounts; every change is audited.
enum AccountService {
    static let usernamePattern = try! NSRegularExpression(pattern: "^[A-Za-z0-9_.-]{3,32}$")

    /// Creates an account with a one-time password, which is returned once.
    static func create(username rawUsername: String, displayName rawName: String, role rawRole: String, unitID: Int?,
                       jurisdiction: String?, actor: Actor, on req: Request) async throws -> (Account, String) {
        try await create(username: rawUsername, displayName: rawName, role: rawRole, unitID: unitID, jurisdiction: jurisdiction,
                         actor: actor, hasher: req.password.async, on: req.db)
    }

    static func create(username rawUsername: String, displayName rawName: String, role rawRole: String, unitID: Int?,
                       jurisdiction: String?, actor: Actor, hasher: AsyncPasswordHasher, on db: any Database) async throws -> (Account, String) {
        let username = rawUsername.trimmingCharacters(in: .whitespaces)
        guard usernamePattern.firstMatch(in: username, range: NSRange(username.startIndex..., in: username)) != nil else {
            throw AppError.invalid("用户名须为3至32位字母、数字、下划线、点或连字符", field: "username")
        }
        let displayName = rawName.trimmingCharacters(in: .whitespaces)
        guard !displayName.isEmpty, displayName.count <= 40 else { throw AppError.invalid("请填写姓名（不超过40字）", field: "display_name") }
        guard let role = Role(parsing: rawRole) else {
            throw AppError.invalid("未知角色“\(rawRole)”；应为 \(Role.allCases.map(\.rawValue).joined(separator: "、")) 之一", field: "role")
        }
        var scope: String?
        if let jurisdiction {
            guard let found = Jurisdictions.find(jurisdiction) else { throw AppError.invalid("未知辖区“\(jurisdiction)”", field: "jurisdiction_id") }
            guard role != .admin, role != .liaison else { throw AppError.invalid("只有部门工作人员可以限定辖区", field: "jurisdiction_id") }
            scope = found.id
        }
        if role == .liaison {
            guard let unitID, try await LinkageUnit.find(unitID, on: db) != nil else {
                throw AppError.invalid("单位联络员须指定所属单位", field: "unit_id")
            }
        } else if unitID != nil {
            throw AppError.invalid("只有单位联络员可以指定所属单位", field: "unit_id")
        }
        if try await Account.query(on: db).filter(\.$username == username).first() != nil {
            throw AppError(.conflict, "用户名“\(username)”已被使用", field: "username")
        }
        let password = Auth.oneTimePassword()
        let account = Account()
        account.username = username
        account.displayName = displayName
        account.role = role.rawValue
        account.unitID = role == .liaison ? unitID : nil
        account.jurisdictionID = scope
        account.passwordHash = try await hasher.hash(password)
        account.mustChangePassword = true
        account.failedLogins = 0
        account.disabled = false
        try await db.writeTransaction { tx in
            try await account.create(on: tx)
            try await AuditLog.append(tx, actor: actor, action: "account.create", entity: "account", entityID: String(account.id ?? 0),
                                      after: account.snapshot())
        }
        return (account, password)
    }

    static func resetPassword(_ account: Account, actor: Actor, on req: Request) async throws -> String {
        try await resetPassword(account, actor: actor, hasher: req.password.async, on: req.db)
    }

    /// A new one-time password; the account's sessions end and it must be changed at next login.
    static func resetPassword(_ account: Account, actor: Actor, hasher: AsyncPasswordHasher, on db: any Database) async throws -> String {
        let password = Auth.oneTimePassword()
        account.passwordHash = try await hasher.hash(password)
        account.mustChangePassword = true
        account.failedLogins = 0
        account.lockedUntil = nil
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            try await AuthSession.query(on: tx).filter(\.$accountID == account.requireID()).delete()
            try await AuditLog.append(tx, actor: actor, action: "account.password_reset", entity: "account", entityID: String(account.id ?? 0))
        }
        return password
    }

    static func setState(_ account: Account, action: String, actor: Actor, on db: any Database) async throws {
        let before = account.snapshot()
        switch action {
        case "unlock":
            account.lockedUntil = nil
            account.failedLogins = 0
            // Every address's pause too.
            try await LoginThrottle.clear(LoginThrottle.subject(account: account, username: account.username), on: db)
        case "disable":
            guard actor.principal.accountID != account.id else { throw AppError.invalid("不能停用自己的账户") }
            account.disabled = true
        case "enable":
            account.disabled = false
        default:
            throw AppError.invalid("未知操作“\(action)”", field: "action")
        }
        try await db.writeTransaction { tx in
            try await account.save(on: tx)
            if account.disabled { try await AuthSession.query(on: tx).filter(\.$accountID == account.requireID()).delete() }
            try await AuditLog.append(tx, actor: actor, action: "account.\(action)", entity: "account", entityID: String(account.id ?? 0),
                                      before: before, after: account.snapshot())
        }
    }
}
