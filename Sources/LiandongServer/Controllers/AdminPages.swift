import Fluent
import Foundation
import LiandongCore
import Vapor

/// Accounts, API tokens and the audit log, for administrators.
enum AdminPages {
    static func requireAdmin(_ req: Request) throws -> Actor {
        let actor = try req.actor()
        try req.authorize(AccessPolicy.canManageAccounts(actor.principal), "只有系统管理员可以管理账户、令牌和审计日志")
        return actor
    }

    struct AccountRow: Encodable {
        var id: Int
        var username: String
        var displayName: String
        var role: String
        var scope: String
        var status: String
        var lastLogin: String
        var locked: Bool
        var disabled: Bool
        /// 已启用, 未启用 or 须启用 (the role needs one and has none yet).
        var twoFactor: String
        var hasTwoFactor: Bool
    }

    struct Option: Encodable {
        var value: String
        var label: String
    }

    struct AccountsContext: Encodable {
        var frame: PageFrame
        var head: TableHead
        var accounts: [AccountRow]
        var roles: [Option]
        var units: [Option]
        var jurisdictions: [Option]
        var message: String?
        var hasMessage: Bool
        var secret: String?
        var hasSecret: Bool
        var error: String?
        var hasError: Bool
    }

    static func renderAccounts(_ req: Request, message: String? = nil, secret: String? = nil, error: String? = nil,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        let now = Date()
        let accounts = try await Account.query(on: req.db).sort(\.$id).all()
        let units = try await RegisterService.units(on: req.db)
        let unitNames = Dictionary(uniqueKeysWithValues: units.map { ($0.id ?? 0, $0.name) })
        let sort = try ListSort(req, columns: accountColumns, default: "username")
        let rows = sort.sorted(accounts, by: [
            "username": { .plain($0.username.lowercased()) }, "name": { .text($0.displayName) },
            "role": { .int(Role.allCases.firstIndex(of: $0.accountRole)) },
            "scope": { a in .text(a.unitID.flatMap { unitNames[$0] } ?? a.jurisdictionID.flatMap { Jurisdictions.named($0)?.name } ?? "全市") },
            "last": { .date($0.lastLoginAt) },
        ]).map { a in
            let locked = a.lockedUntil.map { $0 > now } ?? false
            let scope = a.unitID.flatMap { unitNames[$0] } ?? a.jurisdictionID.flatMap { Jurisdictions.named($0)?.name } ?? "全市"
            return AccountRow(id: a.id ?? 0, username: a.username, displayName: a.displayName, role: a.accountRole.name, scope: scope,
                              status: a.disabled ? "已停用" : locked ? "已锁定" : a.mustChangePassword ? "待修改初始密码" : "正常",
                              lastLogin: a.lastLoginAt.map(ChinaTime.displayString) ?? "—", locked: locked, disabled: a.disabled,
                              twoFactor: a.hasTwoFactor ? "已启用" : req.application.mustEnrolTwoFactor(a) ? "须启用" : "未启用",
                              hasTwoFactor: a.hasTwoFactor)
        }
        let context = AccountsContext(
            frame: PageFrame(req, title: "账户管理", active: "accounts"), head: sort.head(req, path: "/admin/accounts"), accounts: rows,
            roles: Role.allCases.map { Option(value: $0.rawValue, label: $0.name) },
            units: units.map { Option(value: String($0.id ?? 0), label: "\(Jurisdictions.named($0.jurisdictionID)?.name ?? "") \($0.name)") },
            jurisdictions: Jurisdictions.all.map { Option(value: $0.id, label: $0.name) },
            message: message, hasMessage: message != nil, secret: secret, hasSecret: secret != nil, error: error, hasError: error != nil)
        return try await req.page("admin_accounts", context, status: status)
    }

    static let accountColumns = [
        SortColumn("用户名", "username"), SortColumn("姓名", "name"), SortColumn("角色", "role"), SortColumn("范围", "scope"),
        SortColumn("状态"), SortColumn("动态口令"), SortColumn("最近登录", "last", first: .desc), SortColumn("操作"),
    ]

    @Sendable static func accounts(req: Request) async throws -> Response {
        _ = try requireAdmin(req)
        return try await renderAccounts(req)
    }

    struct NewAccount: Decodable {
        var username: String?
        var displayName: String?
        var role: String?
        var unitId: String?
        var jurisdictionId: String?

        enum CodingKeys: String, CodingKey {
            case username, displayName = "display_name", role, unitId = "unit_id", jurisdictionId = "jurisdiction_id"
        }
    }

    @Sendable static func createAccount(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        let form = try req.content.decode(NewAccount.self)
        do {
            let (account, password) = try await AccountService.create(
                username: form.username ?? "", displayName: form.displayName ?? "", role: form.role ?? "",
                unitID: form.unitId.flatMap { Int($0) }, jurisdiction: form.jurisdictionId?.nilIfEmpty, actor: actor, on: req)
            return try await renderAccounts(req, message: "已创建账户 \(account.username)", secret: password)
        } catch let error as AppError {
            return try await renderAccounts(req, error: error.message, status: error.status)
        }
    }

    @Sendable static func updateAccount(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        guard let id = req.parameters.get("id", as: Int.self), let account = try await Account.find(id, on: req.db) else {
            throw AppError.notFound("该账户")
        }
        struct Form: Decodable { var action: String? }
        let action = try req.content.decode(Form.self).action ?? ""
        do {
            switch action {
            case "reset":
                let password = try await AccountService.resetPassword(account, actor: actor, on: req)
                return try await renderAccounts(req, message: "已重置 \(account.username) 的密码", secret: password)
            case "unlock", "disable", "enable":
                try await AccountService.setState(account, action: action, actor: actor, on: req.db)
                return try await renderAccounts(req, message: "已更新账户 \(account.username)")
            case "totp_reset":
                // For someone who lost both the phone and the recovery codes: they enrol again.
                guard account.hasTwoFactor else { throw AppError.invalid("账户 \(account.username) 未启用动态口令", field: "action") }
                try await TwoFactor.remove(account, action: "totp.reset", actor: actor, on: req.db)
                return try await renderAccounts(req, message: "已清除 \(account.username) 的动态口令，其登录会话已结束；下次登录时须重新启用")
            default:
                throw AppError.invalid("未知操作“\(action)”", field: "action")
            }
        } catch let error as AppError {
            return try await renderAccounts(req, error: error.message, status: error.status)
        }
    }

    struct TokenRow: Encodable {
        var id: Int
        var name: String
        var scopes: String
        var createdBy: String
        var createdAt: String
        var lastUsed: String
        var status: String
        var active: Bool
    }

    struct TokensContext: Encodable {
        var frame: PageFrame
        var head: TableHead
        var tokens: [TokenRow]
        var scopes: [Option]
        var secret: String?
        var hasSecret: Bool
        var error: String?
        var hasError: Bool
    }

    static func renderTokens(_ req: Request, secret: String? = nil, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let sort = try ListSort(req, columns: tokenColumns, default: "created")
        let tokens = sort.sorted(try await ApiToken.query(on: req.db).sort(\.$id).all(), by: [
            "name": { .text($0.name) }, "by": { .text($0.createdBy) }, "created": { .date($0.createdAt) },
            "used": { .date($0.lastUsedAt) }, "status": { .int($0.revokedAt == nil ? 0 : 1) },
        ])
        let context = TokensContext(
            frame: PageFrame(req, title: "接口令牌", active: "tokens"), head: sort.head(req, path: "/admin/tokens"),
            tokens: tokens.map { t in
                TokenRow(id: t.id ?? 0, name: t.name, scopes: t.scopeSet.map(\.name).sorted().joined(separator: "、"), createdBy: t.createdBy,
                         createdAt: ChinaTime.displayString(t.createdAt), lastUsed: t.lastUsedAt.map(ChinaTime.displayString) ?? "—",
                         status: t.revokedAt == nil ? "有效" : "已吊销", active: t.revokedAt == nil)
            },
            scopes: TokenScope.allCases.map { Option(value: $0.rawValue, label: $0.name) },
            secret: secret, hasSecret: secret != nil, error: error, hasError: error != nil)
        return try await req.page("admin_tokens", context, status: status)
    }

    static let tokenColumns = [
        SortColumn("名称", "name"), SortColumn("权限"), SortColumn("签发人", "by"), SortColumn("签发时间", "created", first: .desc),
        SortColumn("最近使用", "used", first: .desc), SortColumn("状态", "status"), SortColumn("操作"),
    ]

    @Sendable static func tokens(req: Request) async throws -> Response {
        _ = try requireAdmin(req)
        return try await renderTokens(req)
    }

    @Sendable static func issueToken(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        struct Form: Decodable { var name: String?; var scopes: [String]? }
        let form = try req.content.decode(Form.self)
        do {
            var scopes = Set<TokenScope>()
            for raw in form.scopes ?? [] {
                guard let scope = TokenScope(rawValue: raw) else { throw AppError.invalid("未知权限“\(raw)”", field: "scopes") }
                scopes.insert(scope)
            }
            let (_, secret) = try await Auth.issueToken(name: form.name ?? "", scopes: scopes, actor: actor, on: req.db)
            return try await renderTokens(req, secret: secret)
        } catch let error as AppError {
            return try await renderTokens(req, error: error.message, status: error.status)
        }
    }

    @Sendable static func revokeToken(req: Request) async throws -> Response {
        let actor = try requireAdmin(req)
        guard let id = req.parameters.get("id", as: Int.self), let token = try await ApiToken.find(id, on: req.db) else {
            throw AppError.notFound("该令牌")
        }
        try await Auth.revokeToken(token, actor: actor, on: req.db)
        return req.redirect(to: "/admin/tokens")
    }

    struct AuditRow: Encodable {
        var seq: Int
        var at: String
        var actor: String
        var role: String
        var action: String
        /// The action's code, for whoever needs to search the log for it.
        var actionCode: String
        var entity: String
        var source: String
        var before: String
        var after: String
        /// The details with their fields' codes, for the cell's title.
        var beforeCodes: String
        var afterCodes: String
    }

    struct AuditContext: Encodable {
        var frame: PageFrame
        var intact: Bool
        var entries: Int
        var headHash: String
        var brokenSeq: Int
        var brokenReason: String
        var head: TableHead
        var pager: Pager
        var recent: [AuditRow]
    }

    static let auditColumns = [
        SortColumn("序号", "seq", numeric: true, first: .desc), SortColumn("时间", "at", first: .desc), SortColumn("操作人", "actor"),
        SortColumn("角色", "role"), SortColumn("操作", "action"), SortColumn("对象", "entity"), SortColumn("来源"),
        SortColumn("变更前"), SortColumn("变更后"),
    ]

    @Sendable static func audit(req: Request) async throws -> View {
        _ = try requireAdmin(req)
        let verification = try await AuditLog.verify(on: req.db)
        // The database sorts and pages: only the entries shown are read.
        let sort = try ListSort(req, columns: auditColumns, default: "seq", .desc)
        let (offset, limit, pager) = Pager.page(count: try await AuditEntry.query(on: req.db).count(), req)
        let query = AuditEntry.query(on: req.db)
        let direction: DatabaseQuery.Sort.Direction = sort.ascending ? .ascending : .descending
        switch sort.key {
        case "at": query.sort(\.$atMilliseconds, direction)
        case "actor": query.sort(\.$actor, direction)
        case "role": query.sort(\.$role, direction)
        case "action": query.sort(\.$action, direction)
        case "entity": query.sort(\.$entity, direction).sort(\.$entityID, direction)
        default: break
        }
        let recent = try await query.sort(\.$id, sort.key == "seq" ? direction : .descending).range(offset..<(offset + limit)).all()
        return try await req.view.render("admin_audit", AuditContext(
            frame: PageFrame(req, title: "审计日志", active: "audit"),
            intact: verification.firstBroken == nil, entries: verification.entries, headHash: verification.headHash,
            brokenSeq: verification.firstBroken?.seq ?? 0, brokenReason: verification.firstBroken?.reason ?? "",
            head: sort.head(req), pager: pager,
            recent: recent.map { e in
                AuditRow(seq: e.id ?? 0, at: ChinaTime.displayString(Date(timeIntervalSince1970: Double(e.atMilliseconds) / 1000)),
                         actor: AuditLog.actorLabel(e.actor), role: AuditLog.roleLabel(e.role), action: AuditLog.label(e.action),
                         actionCode: e.action, entity: ((AuditLog.entityLabels[e.entity] ?? e.entity) + " " + (e.entityID ?? "")).trimmingCharacters(in: .whitespaces),
                         source: e.source == "console" ? "命令行" : e.source ?? "", before: AuditLog.detailText(e.before), after: AuditLog.detailText(e.after),
                         beforeCodes: AuditLog.detailText(e.before, codes: true), afterCodes: AuditLog.detailText(e.after, codes: true))
            }))
    }
}
