import Crypto
import Fluent
import Foundation
import LiandongCore
import NIOConcurrencyHelpers
import SQLKit

/// Who did something, from where: what every audited change carries.
struct Actor: Sendable {
    var principal: Principal
    /// The client's address, or `console`.
    var source: String

    static func console() -> Actor {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "operator"
        return Actor(principal: Principal(kind: .console, name: "console:\(user)"), source: "console")
    }
}

/// The tamper-evident audit log: each entry carries the hash of the one before it, so an entry
/// altered, removed or reordered behind the application's back breaks the chain, and
/// `liandong audit verify` finds the first place it breaks. The hash is SHA-256 or SM3
/// (`LIANDONG_AUDIT_HASH`); each entry records the one it was made with, and is verified with it.
enum AuditLog {
    static let headTable = "audit_head"

    /// How the log's actions read to a person.
    static let actionLabels: [String: String] = [
        "login.success": "登录", "login.failure": "登录失败", "login.lockout": "登录失败并锁定", "login.refused": "锁定期间尝试登录",
        "logout": "退出", "account.create": "新建账户", "account.password_change": "修改密码", "account.password_reset": "重置密码",
        "account.unlock": "解锁账户", "account.disable": "停用账户", "account.enable": "启用账户",
        "token.issue": "签发令牌", "token.revoke": "吊销令牌", "contact.report": "联系方式报备",
        "unit.create": "新增联动单位", "unit.update": "修改联动单位", "backup": "备份数据库",
        "dispatch.ingest": "接收联动警情", "dispatch.judge_pending": "到期判定联动警情",
        "login.password_ok": "密码正确，待验证动态口令", "totp.enrol": "启用动态口令", "totp.disable": "停用动态口令",
        "totp.reset": "管理员清除动态口令", "totp.recovery_code_used": "使用恢复码", "totp.failure": "动态口令验证失败",
        "password.failure": "密码验证失败", "session.reauth": "重新验证身份",
        "export.units": "导出联动单位登记册", "export.assessment": "导出综合考核结果", "export.notice": "导出通报",
        "attachment.download": "下载附件", "contacts.view": "查看未脱敏的联系方式",
        "access.refused": "拒绝越权访问", "access.csrf": "拒绝来源不明的提交",
        "check.drill.record": "发起实地或视频检查", "check.drill.update": "登记检查到达或现场情况", "check.drill.finish": "结束检查",
        "check.drill.amend": "更正已结束的检查记录", "finding.provincial": "登记省通报扣分",
        "calendar.add": "录入年度节假日安排", "calendar.replace": "替换年度节假日安排",
        "account.update": "修改账户", "unlock": "解锁账户", "agency.contacts": "修改部门联系方式",
        "assessment.close": "考核结果定稿", "assessment.reopen": "重新打开考核", "assessment.reopen_request": "申请重新打开考核",
        "attachment.upload": "上传附件", "check.campaign.create": "生成电话抽查名单", "check.phone.record": "登记电话检查",
        "check.phone.correct": "更正电话检查", "deduction.carry_over": "扣分结转下期", "deduction.sync": "形成拟扣分",
        "deduction.confirm": "确认扣分", "deduction.reject": "驳回扣分", "deduction.appeal": "提出申诉", "deduction.appeal_decision": "处理申诉",
        "equipment.add": "增加装备清单项目", "equipment.remove": "删除装备清单项目",
        "export.compliance": "导出到场时限统计", "export.deductions": "导出扣分清单", "export.findings": "导出问题清单",
        "finding.file": "登记问题", "finding.migrate": "迁移问题记录", "notice.draft": "起草通报", "notice.edit": "修改通报草稿",
        "notice.publish": "发布通报", "plans.judge": "判定预案情况", "plans.save": "保存预案登记",
        "rectification.assign": "布置整改", "rectification.complete": "整改完成",
        "rectification.return": "退回整改", "rectification.verify": "验收整改", "rules.publish": "发布扣分规则",
        "supervision.judge": "判定日常监督情况", "supervision.meeting": "登记会商会",
    ]

    /// The action in words; an action the table does not name keeps its code.
    static func label(_ action: String) -> String { actionLabels[action] ?? action }

    /// What an entry's entity is, in words.
    static let entityLabels: [String: String] = [
        "account": "账户", "agency": "部门", "api_token": "接口令牌", "assessment": "综合考核", "consultation_meeting": "会商会",
        "database": "数据库", "deduction": "扣分", "deductions": "扣分", "dispatch": "联动警情", "dispatch_events": "联动警情事件",
        "dispatches": "联动警情", "drill": "实地或视频检查", "equipment_item": "装备清单项目", "finding": "问题", "findings": "问题",
        "linkage_unit": "联动单位", "notice": "通报", "phone_campaign": "电话抽查名单", "phone_check": "电话检查",
        "plan_records": "预案登记", "rectification": "整改", "request": "请求", "rule_set": "扣分规则", "supervision": "日常监督",
        "working_calendar": "节假日安排", "session": "会话",
    ]

    /// Who acted, in words: the command line and the system's own work named as such.
    static func actorLabel(_ actor: String) -> String {
        if actor.hasPrefix("console:") { return "命令行（\(actor.dropFirst("console:".count))）" }
        if actor == "system" { return "系统" }
        return actor
    }

    /// The role an entry was made under, in words.
    static func roleLabel(_ role: String) -> String {
        if let r = Role(rawValue: role) { return r.name }
        return ["console": "命令行", "token": "接口令牌", "system": "系统"][role] ?? role
    }

    /// The fields of an entry's detail, in words: every key the writers use, at the top of a
    /// detail or inside it (the records they snapshot, encoded in snake case). The agencies'
    /// codes (`emb`, `psb`, `plc`) read as their names (`Agency`).
    static let fieldLabels: [String: String] = [
        "reason": "理由", "name": "名称", "unit": "单位", "units": "单位", "version": "版本", "title": "标题", "status": "状态",
        "kind": "类型", "id": "编号", "format": "格式", "source": "来源", "points": "分值", "path": "地址", "owner": "责任人",
        "note": "备注", "notes": "备注", "level": "级别", "jurisdiction": "辖区", "jurisdiction_id": "辖区", "item": "项目",
        "intro": "导语", "due": "期限", "deductions": "扣分", "deduction_ids": "扣分编号", "unit_id": "单位编号",
        "unit_ids": "单位编号", "plan_ids": "预案编号", "type": "类型", "subject": "对象", "stage": "环节", "scope": "范围",
        "scopes": "权限范围", "scenario": "情景", "role": "角色", "reported": "报备", "query": "筛选条件", "publisher": "发布机关",
        "period": "期间", "officer": "经办人", "officers": "检查人员", "occurred": "发生时间", "occurred_at": "发生时间",
        "number": "文号", "rows": "行数", "unmasked": "未脱敏单位数", "method": "方法", "username": "用户名", "display_name": "姓名",
        "filename": "文件名", "file": "文件", "files": "附件", "size": "大小（字节）", "agency": "部门", "decision": "决定",
        "decisions": "会议决定", "statement": "申诉理由", "duty_phone": "值班电话", "liaison_name": "联络员",
        "liaison_mobile": "联络员手机", "alternate_name": "备用联络人", "alternate_mobile": "备用联络人手机",
        "reported_by": "报备人", "reported_at": "报备时间", "channel": "报备方式", "contacts": "联系方式", "changed_fields": "变更项目",
        // Checks: phone calls, drills and video checks, meetings.
        "check_id": "检查编号", "dialled": "拨打号码", "attempts": "拨打次数", "answered": "接通", "answered_by": "接听人",
        "number_current": "号码仍有效", "change_reported": "变更已报备", "knows_first_responsibility": "熟悉首处责任制",
        "last_attempt_at": "最后拨打时间", "line": "行号", "month": "月份", "seed": "随机种子", "out_of_hours": "非工作时间抽查",
        "alert_at": "发起时间", "place": "地点", "video_point": "视频点位", "teams": "参检队伍", "participating_agencies": "参加部门",
        "notified_at": "通知时间", "arrived_at": "到达时间", "limit_seconds": "时限（秒）", "vest_worn": "着反光背心",
        "equipment_ok": "装备齐全", "equipment_missing": "缺少的装备", "knows_duties": "熟悉工作职责", "public_security": "公安部门",
        "uniform_exempt": "免着反光背心", "ranked": "参与排名", "not_arrived": "未到达单位", "finished_at": "结束时间",
        "drill": "检查记录", "added": "新增", "withdrawn": "撤销", "held_on": "召开日期", "attendees": "参会人员",
        // Findings and dispatches.
        "finding": "问题", "report": "报告", "joined": "并入已有问题", "ref": "关联编号", "key": "问题标识",
        "proposed_points": "拟扣分值", "rule_version": "规则版本", "summary": "统计", "received": "收到事件", "new": "新增",
        "known": "已有", "updated": "更新", "records": "记录数", "dispatches_judged": "判定警情数", "findings_added": "新增问题",
        "findings_withdrawn": "撤销问题", "changed": "变更",
        // Deductions, appeals, rectifications.
        "confirmations": "确认意见", "deciders": "决定部门", "rejection": "驳回意见", "rejections": "驳回记录", "appeal": "申诉",
        "positions": "各部门意见", "prior_status": "申诉前状态", "by": "提出人", "at": "时间", "decided_by": "决定人",
        "decided_agency": "决定部门", "decided_at": "决定时间", "proposed_from_findings": "由问题形成拟扣分", "reopened": "重新打开",
        "mark": "标记", "assessed_month": "计入考核月份", "carried_tenths": "结转分值（0.1分）", "action": "整改事项",
        "due_on": "整改期限", "due_note": "期限说明", "evidence": "整改材料", "completed_at": "完成时间", "verified": "已验收",
        "overdue": "逾期", "requirements": "有关要求",
        // Accounts, sign-in, the year closed, rules.
        "disabled": "已停用", "locked": "已锁定", "failures": "失败次数", "second_factor": "动态口令", "recovery_codes": "恢复码",
        "remaining": "剩余", "closure": "考核定稿", "sha256": "SHA-256摘要", "side": "申请方", "requested_by": "申请人",
        "agreed_by": "同意人", "effective_from": "施行日期", "count": "数量",
    ]

    /// A detail's field in words: the table's, an agency's name, or its code when neither names it.
    static func fieldLabel(_ key: String) -> String {
        fieldLabels[key] ?? Agency(rawValue: key)?.name ?? key
    }

    /// An entry's JSON detail as 「字段：值；…」, records inside it as 「（字段：值，…）」, yes and
    /// no in words; text that is not a JSON object stays as it is. With `codes`, the fields keep
    /// their codes (for the title a reader may hover over).
    static func detailText(_ json: String?, codes: Bool = false) -> String {
        guard let json, !json.isEmpty else { return "" }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        func label(_ key: String) -> String { codes ? key : fieldLabel(key) }
        func value(_ v: Any, key: String) -> String {
            switch v {
            case let s as String:
                if !codes, key.hasSuffix("agency"), let agency = Agency(rawValue: s) { return agency.name }
                return s
            case let n as NSNumber:
                // JSON's true and false come back as a boolean NSNumber (`__NSCFBoolean`).
                if !codes, String(describing: type(of: n)).contains("Boolean") { return n.boolValue ? "是" : "否" }
                return n.stringValue
            case let a as [Any]: return a.map { value($0, key: key) }.joined(separator: "、")
            case is NSNull: return "—"
            case let d as [String: Any]:
                return "（" + d.keys.sorted().map { "\(label($0))：\(value(d[$0]!, key: $0))" }.joined(separator: "，") + "）"
            default: return "\(v)"
            }
        }
        return object.keys.sorted().map { "\(label($0))：\(value(object[$0]!, key: $0))" }.joined(separator: "；")
    }
    static let genesis = String(repeating: "0", count: 64)

    private static let configured = NIOLockedValueBox(AuditHashAlgorithm.sha256)

    /// The hash new entries are chained with: one per process, set by `configure` from
    /// `LIANDONG_AUDIT_HASH`. Entries already written keep theirs.
    static var algorithm: AuditHashAlgorithm {
        get { configured.withLockedValue { $0 } }
        set { configured.withLockedValue { $0 = newValue } }
    }

    /// The fields an entry's hash covers, in a fixed order.
    struct Canonical: Encodable {
        var seq: Int
        var atMs: Int
        var actor: String
        var role: String
        var action: String
        var entity: String
        var entityId: String?
        var before: String?
        var after: String?
        var source: String?
        var algorithm: String
        var prevHash: String

        enum CodingKeys: String, CodingKey {
            case seq, atMs = "at_ms", actor, role, action, entity, entityId = "entity_id", before, after, source, algorithm, prevHash = "prev_hash"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(seq, forKey: .seq); try c.encode(atMs, forKey: .atMs); try c.encode(actor, forKey: .actor)
            try c.encode(role, forKey: .role); try c.encode(action, forKey: .action); try c.encode(entity, forKey: .entity)
            try c.encode(entityId, forKey: .entityId); try c.encode(before, forKey: .before); try c.encode(after, forKey: .after)
            try c.encode(source, forKey: .source); try c.encode(algorithm, forKey: .algorithm); try c.encode(prevHash, forKey: .prevHash)
        }

        /// The canonical JSON: keys sorted, slashes as they are.
        var encoded: Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try! encoder.encode(self)
        }

        /// The hash of the canonical JSON with `algorithm`.
        func hash(using algorithm: AuditHashAlgorithm) -> String {
            algorithm.hexDigest(encoded)
        }

        /// The hash with the algorithm the entry records.
        func hash() -> String {
            hash(using: AuditHashAlgorithm(rawValue: algorithm) ?? .sha256)
        }
    }

    static func json(_ value: (any Encodable)?) -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ChinaTime.isoString(date))
        }
        return (try? encoder.encode(AnyEncodable(value))).map { String(decoding: $0, as: UTF8.self) }
    }

    struct AnyEncodable: Encodable {
        let value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    /// Appends an entry. Runs in the caller's transaction when there is one, so the entry is
    /// stored if and only if the change it records is.
    static func append(_ db: any Database, actor: Actor, action: String, entity: String, entityID: String? = nil,
                       before: (any Encodable)? = nil, after: (any Encodable)? = nil, at: Date = Date(),
                       algorithm chosen: AuditHashAlgorithm? = nil) async throws {
        let beforeJSON = json(before), afterJSON = json(after)
        let algorithm = chosen ?? Self.algorithm
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // Taking the head row first makes concurrent appends wait for each other: a write
            // lock on SQLite, a row lock on PostgreSQL.
            try await sql.update(headTable).set(SQLIdentifier("seq"), to: SQLRaw("seq + 1"))
                .where("id", .equal, SQLBind(1)).run()
            struct Head: Decodable { var seq: Int; var hash: String }
            guard let head = try await sql.select().columns("seq", "hash").from(headTable)
                .where("id", .equal, SQLBind(1)).first(decoding: Head.self)
            else { throw AppError(.internalServerError, "审计日志头记录缺失") }
            let canonical = Canonical(
                seq: head.seq, atMs: Int((at.timeIntervalSince1970 * 1000).rounded(.down)), actor: actor.principal.name,
                role: actor.principal.roleName, action: action, entity: entity, entityId: entityID,
                before: beforeJSON, after: afterJSON, source: actor.source, algorithm: algorithm.rawValue, prevHash: head.hash)
            let hash = canonical.hash(using: algorithm)
            let entry = AuditEntry()
            entry.id = canonical.seq
            entry.atMilliseconds = canonical.atMs
            entry.actor = canonical.actor
            entry.role = canonical.role
            entry.action = action
            entry.entity = entity
            entry.entityID = entityID
            entry.before = beforeJSON
            entry.after = afterJSON
            entry.source = actor.source
            entry.algorithm = algorithm.rawValue
            entry.prevHash = head.hash
            entry.hash = hash
            try await entry.create(on: tx)
            try await sql.update(headTable).set("hash", to: SQLBind(hash)).where("id", .equal, SQLBind(1)).run()
        }
    }

    /// What `verify` found.
    struct Verification: Sendable, Equatable {
        var entries: Int
        var headSeq: Int
        var headHash: String
        /// The algorithm of the last entry (the one the head hash was made with).
        var headAlgorithm: String = AuditHashAlgorithm.sha256.rawValue
        /// Entries by the algorithm they were chained with.
        var byAlgorithm: [String: Int] = [:]
        /// The first entry whose content, link or order is wrong, and why; nil when the chain holds.
        var firstBroken: (seq: Int, reason: String)?

        static func == (a: Verification, b: Verification) -> Bool {
            a.entries == b.entries && a.headSeq == b.headSeq && a.headHash == b.headHash && a.headAlgorithm == b.headAlgorithm
                && a.byAlgorithm == b.byAlgorithm
                && a.firstBroken?.seq == b.firstBroken?.seq && a.firstBroken?.reason == b.firstBroken?.reason
        }
    }

    /// Walks the whole chain in order and recomputes every hash.
    static func verify(on db: any Database) async throws -> Verification {
        let sql = db as! any SQLDatabase
        struct Head: Decodable { var seq: Int; var hash: String }
        let head = try await sql.select().columns("seq", "hash").from(headTable).where("id", .equal, SQLBind(1)).first(decoding: Head.self)
        var previousHash = genesis
        var expectedSeq = 1
        var count = 0
        var broken: (Int, String)?
        var lastSeq = 0
        var lastAlgorithm = AuditHashAlgorithm.sha256.rawValue
        var byAlgorithm: [String: Int] = [:]
        let batch = 2000
        var after = 0
        outer: while true {
            let rows = try await AuditEntry.query(on: db).filter(\.$id > after).sort(\.$id).limit(batch).all()
            if rows.isEmpty { break }
            for row in rows {
                count += 1
                let seq = row.id ?? 0
                after = seq
                lastSeq = seq
                if seq != expectedSeq {
                    broken = (seq, seq > expectedSeq ? "第\(expectedSeq)条至第\(seq - 1)条记录缺失" : "记录序号错乱")
                    break outer
                }
                if row.prevHash != previousHash {
                    broken = (seq, "与前一条记录的链接不符（记录被删除、插入或调换了顺序）")
                    break outer
                }
                let canonical = Canonical(seq: seq, atMs: row.atMilliseconds, actor: row.actor, role: row.role, action: row.action,
                                          entity: row.entity, entityId: row.entityID, before: row.before, after: row.after,
                                          source: row.source, algorithm: row.algorithm, prevHash: row.prevHash)
                // Each entry with its own algorithm: a chain may mix SHA-256 and SM3.
                guard let algorithm = AuditHashAlgorithm(rawValue: row.algorithm) else {
                    broken = (seq, "未知的摘要算法 \(row.algorithm)")
                    break outer
                }
                if canonical.hash(using: algorithm) != row.hash {
                    broken = (seq, "记录内容被修改（\(algorithm.displayName) 摘要不符）")
                    break outer
                }
                byAlgorithm[row.algorithm, default: 0] += 1
                lastAlgorithm = row.algorithm
                previousHash = row.hash
                expectedSeq += 1
            }
        }
        if broken == nil, let head {
            if head.seq != lastSeq || head.hash != previousHash {
                broken = (lastSeq + 1, "链尾与头记录不符（最后的记录被删除）")
            }
        }
        return Verification(entries: count, headSeq: head?.seq ?? 0, headHash: head?.hash ?? "", headAlgorithm: lastAlgorithm,
                            byAlgorithm: byAlgorithm, firstBroken: broken)
    }
}
