import Fluent
import Foundation
import LiandongCore
import Vapor

enum Bootstrap {
    /// On first start there is no account: create the administrator with a one-time password,
    /// printed once on the console and to be changed at first login. Never a fixed default.
    /// All or nothing, and once: the account and its audit entry in one transaction, under the
    /// setup lock, so that two processes starting at once create one administrator.
    static func firstAdministrator(_ app: Application) async throws {
        guard try await Account.query(on: app.db).count() == 0 else { return }
        let password = Auth.oneTimePassword()
        let passwordHash = try await app.password.async.hash(password)
        let show = app.environment != .testing
        try await app.db.writeTransaction { tx in
            try await SetupLock.take(tx)
            guard try await Account.query(on: tx).count() == 0 else { return }
            let account = Account()
            account.username = "admin"
            account.displayName = "系统管理员"
            account.role = Role.admin.rawValue
            account.passwordHash = passwordHash
            account.mustChangePassword = true
            account.failedLogins = 0
            account.disabled = false
            try await account.create(on: tx)
            try await AuditLog.append(tx, actor: .console(), action: "account.create", entity: "account",
                                      entityID: String(account.id ?? 0), after: account.snapshot())
            // Printed before the commit: an administrator that exists has had its password shown.
            // A start killed before the commit leaves no account, and the next start makes one
            // with a new password.
            if show {
                FileHandle.standardError.write(Data("""

                ==============================================================
                 首次启动：已创建管理员账户 admin
                 一次性密码：\(password)
                 请登录后立即修改密码。此密码不会再次显示。
                ==============================================================

                """.utf8))
            }
        }
    }
}
