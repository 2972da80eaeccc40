import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// `liandong accounts list|create|reset-password|unlock|totp-enrol|totp-reset`
struct AccountsCommand: AsyncCommandGroup {
    var help: String { "账户管理" }
    var commands: [String: any AnyAsyncCommand] {
        ["list": AccountsListCommand(), "create": AccountsCreateCommand(), "reset-password": AccountsResetCommand(), "unlock": AccountsUnlockCommand(),
         "totp-enrol": AccountsTOTPEnrolCommand(), "totp-reset": AccountsTOTPResetCommand()]
    }
    var defaultCommand: (any AnyAsyncCommand)? { AccountsListCommand() }
}

struct AccountsListCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "列出账户" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let accounts = try await Account.query(on: context.application.db).sort(\.$id).all()
        let rows = accounts.map { a in
            [String(a.id ?? 0), a.username, a.displayName, a.accountRole.name, a.unitID.map(String.init) ?? a.jurisdictionID ?? "全市",
             a.disabled ? "已停用" : (a.lockedUntil.map { $0 > Date() } ?? false) ? "已锁定" : "正常",
             a.hasTwoFactor ? "已启用" : context.application.mustEnrolTwoFactor(a) ? "须启用" : "未启用"]
        }
        context.application.commandOutput.write(CommandOutput.table(header: ["编号", "用户名", "姓名", "角色", "范围", "状态", "动态口令"], rows: rows))
    }
}

struct AccountsCreateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username", help: "用户名") var username: String?
        @Option(name: "name", help: "姓名") var name: String?
        @Option(name: "role", help: "admin、plc、emb、psb 或 liaison") var role: String?
        @Option(name: "unit", help: "联络员所属单位编号") var unit: Int?
        @Option(name: "jurisdiction", help: "限定辖区（县级工作人员）") var jurisdiction: String?
    }
    var help: String { "新建账户并打印一次性密码" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let (account, password) = try await AccountService.create(
            username: signature.username ?? "", displayName: signature.name ?? "", role: signature.role ?? "",
            unitID: signature.unit, jurisdiction: signature.jurisdiction, actor: .console(), hasher: app.password.async, on: app.db)
        app.commandOutput.write("已创建账户 \(account.username)（\(account.accountRole.name)），一次性密码：\(password)\n首次登录须修改密码。\n")
    }
}

struct AccountsResetCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username") var username: String
    }
    var help: String { "重置密码为一次性密码" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let account = try await Account.named(signature.username, on: app.db)
        let password = try await AccountService.resetPassword(account, actor: .console(), hasher: app.password.async, on: app.db)
        app.commandOutput.write("已重置 \(account.username) 的密码，一次性密码：\(password)\n")
    }
}

struct AccountsUnlockCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username") var username: String
    }
    var help: String { "解除登录锁定" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let account = try await Account.named(signature.username, on: app.db)
        try await AccountService.setState(account, action: "unlock", actor: .console(), on: app.db)
        app.commandOutput.write("已解锁 \(account.username)\n")
    }
}

struct AccountsTOTPEnrolCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username") var username: String
    }
    var help: String { "为账户启用动态口令，打印密钥和恢复码（交本人添加到验证器）" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let account = try await Account.named(signature.username, on: app.db)
        let (secret, codes) = try await TwoFactor.enrolDirectly(account, now: app.liandong.clock.now(), policy: app.liandong.security,
                                                                box: app.liandong.totpSecrets, actor: .console(), on: app.db)
        let lines = ["已为 \(account.username) 启用动态口令。密钥（仅显示一次，请当面交本人添加到验证器）：",
                     TwoFactor.grouped(secret), TwoFactor.provisioningURI(secret, account: account), "恢复码（每个只能用一次）："] + codes
        app.commandOutput.write(lines.joined(separator: "\n") + "\n")
    }
}

struct AccountsTOTPResetCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "username") var username: String
    }
    var help: String { "清除账户的动态口令（手机和恢复码都丢失时），其会话随之结束" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let account = try await Account.named(signature.username, on: app.db)
        guard account.hasTwoFactor else { throw CommandFailure("账户 \(account.username) 未启用动态口令") }
        try await TwoFactor.remove(account, action: "totp.reset", actor: .console(), on: app.db)
        app.commandOutput.write("已清除 \(account.username) 的动态口令\(app.mustEnrolTwoFactor(account) ? "；下次登录时须重新启用" : "")\n")
    }
}

extension Account {
    /// The account with this username, or a message for the operator.
    static func named(_ username: String, on db: any Database) async throws -> Account {
        guard let account = try await Account.query(on: db).filter(\.$username == username).first() else {
            throw CommandFailure("没有用户名为“\(username)”的账户")
        }
        return account
    }
}

/// `liandong tokens issue|list|revoke`
struct TokensCommand: AsyncCommandGroup {
    var help: String { "接口令牌" }
    var commands: [String: any AnyAsyncCommand] { ["issue": TokensIssueCommand(), "list": TokensListCommand(), "revoke": TokensRevokeCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { TokensListCommand() }
}

struct TokensIssueCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "name", help: "令牌名称，如 110指挥系统") var name: String?
        @Option(name: "scope", help: "权限，逗号分隔：register:read、dispatch:ingest") var scope: String?
    }
    var help: String { "签发令牌（令牌只显示一次）" }
    func run(using context: CommandContext, signature: Signature) async throws {
        var scopes = Set<TokenScope>()
        for raw in (signature.scope ?? "").split(separator: ",") {
            guard let scope = TokenScope(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                throw CommandFailure("未知权限“\(raw)”；可用：\(TokenScope.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            scopes.insert(scope)
        }
        let (token, secret) = try await Auth.issueToken(name: signature.name ?? "", scopes: scopes, actor: .console(), on: context.application.db)
        context.application.commandOutput.write("已签发令牌 \(token.name)（\(token.scopes)）：\n\(secret)\n")
    }
}

struct TokensListCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "列出令牌" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let tokens = try await ApiToken.query(on: context.application.db).sort(\.$id).all()
        let rows = tokens.map { [String($0.id ?? 0), $0.name, $0.scopes, $0.createdBy, $0.revokedAt == nil ? "有效" : "已吊销"] }
        context.application.commandOutput.write(CommandOutput.table(header: ["编号", "名称", "权限", "签发人", "状态"], rows: rows))
    }
}

struct TokensRevokeCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "name") var name: String
    }
    var help: String { "吊销令牌" }
    func run(using context: CommandContext, signature: Signature) async throws {
        guard let token = try await ApiToken.query(on: context.application.db).filter(\.$name == signature.name).first() else {
            throw CommandFailure("没有名为“\(signature.name)”的令牌")
        }
        try await Auth.revokeToken(token, actor: .console(), on: context.application.db)
        context.application.commandOutput.write("已吊销令牌 \(token.name)\n")
    }
}

/// `liandong audit verify|anchor`
struct AuditCommand: AsyncCommandGroup {
    var help: String { "审计日志" }
    var commands: [String: any AnyAsyncCommand] { ["verify": AuditVerifyCommand(), "anchor": AuditAnchorCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { AuditVerifyCommand() }
}

struct AuditVerifyCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "校验审计日志的哈希链，报告第一条被篡改的记录" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let result = try await AuditLog.verify(on: context.application.db)
        if let broken = result.firstBroken {
            throw CommandFailure("审计日志已被篡改：第 \(broken.seq) 条 — \(broken.reason)")
        }
        let algorithms = AuditHashAlgorithm.allCases.compactMap { a in result.byAlgorithm[a.rawValue].map { "\(a.displayName) \($0) 条" } }
        let mix = algorithms.isEmpty ? "" : "（\(algorithms.joined(separator: "、"))）"
        context.application.commandOutput.write("审计日志完整：共 \(result.entries) 条\(mix)，链头 #\(result.headSeq) \(result.headHash)\n")
        // Issue 15 item 5: each closed year's snapshot against the hash its close recorded.
        let closes = try await YearClose.verify(on: context.application.db)
        if let broken = closes.broken { throw CommandFailure("年度考核结算数据已被改动：\(broken)") }
        if closes.checked > 0 {
            context.application.commandOutput.write("年度考核结算 \(closes.checked) 份，数据与审计日志记录的校验值一致\n")
        }
    }
}

struct AuditAnchorCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "打印链头摘要，供在系统外存档" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let result = try await AuditLog.verify(on: context.application.db)
        context.application.commandOutput.write("\(ChinaTime.isoString(Date())) seq=\(result.headSeq) \(result.headAlgorithm)=\(result.headHash)\(result.firstBroken == nil ? "" : "（链已损坏）")\n")
    }
}

/// `liandong backup FILE`: a consistent copy taken while the server runs.
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "备份文件路径（不能已存在）") var file: String
    }
    var help: String { "在线备份数据库（SQLite）；PostgreSQL 请用 pg_dump" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard case .sqlite = app.liandong.database else {
            throw CommandFailure("PostgreSQL 数据库请用 pg_dump 备份，例如：pg_dump -Fc -f liandong.dump \"$DATABASE_URL\"；恢复用 pg_restore -d 数据库 liandong.dump")
        }
        guard !FileManager.default.fileExists(atPath: signature.file) else { throw CommandFailure("文件 \(signature.file) 已存在，不会覆盖") }
        // VACUUM INTO writes a consistent, compacted copy from one read transaction.
        try await (app.db as! any SQLDatabase).raw("VACUUM INTO \(bind: signature.file)").run()
        try await app.db.writeTransaction { tx in
            try await AuditLog.append(tx, actor: .console(), action: "backup", entity: "database", after: ["file": signature.file])
        }
        app.commandOutput.write("已备份到 \(signature.file)\n")
    }
}

/// `liandong restore FILE`: replaces the SQLite database with a backup (the server must be stopped).
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "由 liandong backup 生成的备份文件") var file: String
    }
    var help: String { "从备份恢复数据库（SQLite；须先停止服务）" }
    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard case .sqlite(let path) = app.liandong.database else {
            throw CommandFailure("PostgreSQL 数据库请用 pg_restore 恢复")
        }
        try await Backup.restore(from: signature.file, to: path, app: app)
        app.commandOutput.write("已从 \(signature.file) 恢复到 \(path)\n")
    }
}

enum Backup {
    /// Checks the backup (SQLite integrity and the audit chain), then swaps it in.
    static func restore(from backup: String, to path: String, app: Application) async throws {
        guard FileManager.default.fileExists(atPath: backup) else { throw CommandFailure("找不到备份文件 \(backup)") }
        let sql = app.db as! any SQLDatabase
        struct Check: Decodable { var integrity_check: String }
        try await sql.raw("ATTACH DATABASE \(bind: backup) AS restore_source").run()
        let check = try await sql.raw("PRAGMA restore_source.integrity_check").first(decoding: Check.self)
        try await sql.raw("DETACH DATABASE restore_source").run()
        guard check?.integrity_check == "ok" else { throw CommandFailure("备份文件已损坏：\(check?.integrity_check ?? "无法读取")") }
        // The live connections must let go of the file before it is replaced.
        await app.databases.shutdownAsync()
        let fm = FileManager.default
        for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
        let staging = path + ".restoring"
        try? fm.removeItem(atPath: staging)
        try fm.copyItem(atPath: backup, toPath: staging)
        // rename(2) swaps the file in one step: the path holds either the old or the restored database.
        guard rename(staging, path) == 0 else {
            throw CommandFailure("无法替换数据库文件 \(path)：\(String(cString: strerror(errno)))")
        }
    }
}
