import Crypto
import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import SQLKit
import Vapor

/// The year closed (年度考核结算, issue 15 item 5, mechanism §6): the city PLC stores a year's
/// scores, ranks and the deductions behind them as they stand, with their SHA-256 in the audit
/// chain; from then on the year is read from that snapshot. A deduction of the closed year that
/// is confirmed or changed later counts in the next open year (上年度补扣): `carry` sets its
/// `assessed_month` in the decision's own transaction, and the totals' triggers key on it.
///
/// Reopening takes the city PLC and an administrator, two people: one asks with a reason, the
/// other agrees. The carried items then move back into the reopened year (from the snapshot,
/// where they stood at the close), so its live figures are exact again; a year is reopened only
/// while no later year is closed (the later one would have counted them).
enum YearClose {
    static let closures = "assessment_closures"
    static let closureDeductions = "assessment_closure_deductions"

    struct Closure: Decodable {
        var id: Int
        var year: Int
        var active_year: Int?
        var report: String
        var hash: String
        var closed_by: String
        var closed_at: Date
        var reopen_side: String?
        var reopen_requested_by: String?
        var reopen_requested_account: Int?
        var reopen_reason: String?
        var reopen_requested_at: Date?
    }

    /// One deduction behind the closed figures, as it counted then.
    struct SnapshotDeduction: Codable, Equatable {
        var id: Int
        var entity: String
        var subject: String
        var item: String
        var points: Double
        var occurredAt: String
        var reason: String
        var assessedMonth: String?
        var carriedTenths: Int
    }

    /// What is hashed: the year, its report and the deductions behind it.
    struct Snapshot: Codable {
        var year: Int
        var report: AssessmentService.Report
        var deductions: [SnapshotDeduction]

        func canonical() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try encoder.encode(self)
        }

        func sha256() throws -> String {
            SHA256.hash(data: try canonical()).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Who acts: their name for the record, their account (two sides must be two people).
    struct Person: Sendable {
        var name: String
        var accountID: Int?
    }

    // MARK: Reading

    static func closedYears(on sql: any SQLDatabase) async throws -> Set<Int> {
        struct R: Decodable { var active_year: Int }
        return Set(try await sql.select().column("active_year").from(closures).where("active_year", .isNot, SQLLiteral.null)
            .all(decoding: R.self).map(\.active_year))
    }

    static func active(_ year: Int, on sql: any SQLDatabase) async throws -> Closure? {
        try await sql.select().columns("*").from(closures).where("active_year", .equal, SQLBind(year)).first(decoding: Closure.self)
    }

    /// The closed report of a year, or nil while it is open.
    static func closedReport(_ year: Int, on sql: any SQLDatabase) async throws -> (AssessmentService.Report, Closure)? {
        guard let closure = try await active(year, on: sql) else { return nil }
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(closure.report.utf8))
        return (snapshot.report, closure)
    }

    static func snapshotDeductions(_ closureID: Int, on sql: any SQLDatabase) async throws -> [SnapshotDeduction] {
        struct R: Decodable {
            var deduction_id: Int; var entity: String; var subject: String; var item: String; var points_tenths: Int; var occurred_at: Date
            var reason: String; var assessed_month: String?; var carried_tenths: Int
        }
        return try await sql.select().columns("*").from(closureDeductions).where("closure_id", .equal, SQLBind(closureID))
            .orderBy("deduction_id").all(decoding: R.self).map {
                SnapshotDeduction(id: $0.deduction_id, entity: $0.entity, subject: $0.subject, item: $0.item, points: Points(tenths: $0.points_tenths).value,
                                  occurredAt: ChinaTime.isoString($0.occurred_at), reason: $0.reason, assessedMonth: $0.assessed_month,
                                  carriedTenths: $0.carried_tenths)
            }
    }

    /// A deduction counted in another year than its fact's: carried out of a closed year.
    struct Carried: Content {
        var id: Int
        var subject: String
        var item: String
        /// What it counts where it is carried: its figure, less what a closed year already counted.
        var points: Double
        var status: String
        var occurredAt: String
        var countedIn: Int
    }

    /// Deductions of `year` counted in a later one (the closed year's page lists them), or
    /// (`into`) deductions of earlier years counted in `year`, marked 上年度补扣.
    static func carried(of year: Int, into: Bool = false, rules: RuleBook, on db: any Database) async throws -> [Carried] {
        let sql = db as! any SQLDatabase
        let period = Period.year(year)
        struct R: Decodable { var id: Int; var assessed_month: String; var status: String; var points_tenths: Int; var carried_tenths: Int }
        var query = sql.select().columns("id", "assessed_month", "status", "points_tenths", "carried_tenths").from("deductions")
            .where("assessed_month", .isNot, SQLLiteral.null)
        if into {
            query = query.where("assessed_month", .greaterThanOrEqual, SQLBind(DeductionTotals.monthKey(period.start)))
                .where("assessed_month", .lessThan, SQLBind(DeductionTotals.monthKey(period.end)))
                .where("occurred_at", .lessThan, SQLBind(period.startInstant))
        } else {
            query = query.where("occurred_at", .greaterThanOrEqual, SQLBind(period.startInstant)).where("occurred_at", .lessThan, SQLBind(period.endInstant))
                .where("assessed_month", .greaterThanOrEqual, SQLBind(DeductionTotals.monthKey(period.end)))
        }
        let rows = try await query.orderBy("id").all(decoding: R.self)
        guard !rows.isEmpty else { return [] }
        var names: [Int: DeductionDTO] = [:]
        for chunk in rows.map(\.id).chunked(into: 300) {
            for d in try await DeductionService.list(DeductionFilter(ids: chunk), rules: rules, calendar: .mondayToFriday, on: db) { names[d.id] = d }
        }
        return rows.map { r in
            let d = names[r.id]
            let counted = (r.status == DeductionStatus.confirmed.rawValue ? r.points_tenths : 0) - r.carried_tenths
            return Carried(id: r.id, subject: d.map { $0.unit ?? $0.agency ?? $0.jurisdiction ?? "" } ?? "", item: d?.item ?? "",
                           points: Points(tenths: counted).value, status: d?.statusName ?? r.status, occurredAt: d?.occurredAt ?? "",
                           countedIn: YearClosing.year(ofMonth: r.assessed_month) ?? year + 1)
        }
    }

    /// Each stored close checked against the audit chain: the snapshot's SHA-256 is the one its
    /// `assessment.close` entry recorded, and the rows behind it are the snapshot's deductions.
    /// Returns how many were checked, or the first that does not match.
    static func verify(on db: any Database) async throws -> (checked: Int, broken: String?) {
        let sql = db as! any SQLDatabase
        let all = try await sql.select().columns("*").from(closures).orderBy("id").all(decoding: Closure.self)
        for closure in all {
            let label = "\(closure.year)年度考核结算记录 \(closure.id)"
            let digest = SHA256.hash(data: Data(closure.report.utf8)).map { String(format: "%02x", $0) }.joined()
            guard digest == closure.hash else { return (all.count, "\(label)的数据与其校验值不符") }
            let entries = try await AuditEntry.query(on: db).filter(\.$action == "assessment.close").filter(\.$entityID == String(closure.year)).all()
            guard entries.contains(where: { $0.after?.contains(closure.hash) == true }) else { return (all.count, "\(label)的校验值不在审计日志中") }
            let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(closure.report.utf8))
            let rows = try await snapshotDeductions(closure.id, on: sql)
            guard rows.map({ "\($0.id)|\(Points($0.points))" }) == snapshot.deductions.sorted(by: { $0.id < $1.id }).map({ "\($0.id)|\(Points($0.points))" }) else {
                return (all.count, "\(label)的扣分明细与结算数据不符")
            }
        }
        return (all.count, nil)
    }

    // MARK: Who may

    /// Only the city PLC closes a year (mechanism §6). `agency`: the agency a console command
    /// names; a signed-in officer acts for their own.
    static func requireCityPLC(_ principal: Principal, agency raw: String?, on db: any Database) async throws {
        let directory = try await AgencyStore.load(on: db)
        let acting: SupervisingAgency?
        if case .account = principal.kind { acting = directory.acting(for: principal) } else { acting = raw.flatMap(directory.find) }
        guard let acting, acting.id == Agency.plc.rawValue else {
            let city = directory.agency(.plc, of: Jurisdictions.city.id)?.name ?? Agency.plc.name
            throw AppError(.forbidden, "年度考核只能由\(city)结算或申请重开\(acting.map { "（\($0.name)无此权限）" } ?? "")")
        }
    }

    // MARK: Writing

    /// Closes a year: refused (nothing written) when it is closed already or has not ended.
    @discardableResult
    static func close(_ year: Int, by person: Person, actor: Actor, rules: RuleBook, now: Date, on db: any Database) async throws -> (id: Int, hash: String) {
        let name = person.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw AppError.invalid("请填写结算人", field: "officer") }
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            if let refusal = YearClosing.refusalToClose(year: year, now: now, closed: try await closedYears(on: sql)) {
                throw AppError(.conflict, refusal, field: "year")
            }
            let report = try await AssessmentService.report(.year(year), rules: rules, withIDs: true, on: tx)
            let entityOf = Dictionary((report.ranked + report.unranked).flatMap { r in r.deductionIds.map { ($0, r.entity) } }, uniquingKeysWith: { a, _ in a })
            struct R: Decodable { var id: Int; var status: String; var points_tenths: Int; var assessed_month: String?; var carried_tenths: Int }
            var rows: [Int: R] = [:]
            var names: [Int: DeductionDTO] = [:]
            for chunk in entityOf.keys.sorted().chunked(into: 300) {
                for r in try await sql.select().columns("id", "status", "points_tenths", "assessed_month", "carried_tenths").from("deductions")
                    .where("id", .in, SQLBind.group(chunk)).all(decoding: R.self) { rows[r.id] = r }
                for d in try await DeductionService.list(DeductionFilter(ids: chunk), rules: rules, calendar: .mondayToFriday, on: tx) { names[d.id] = d }
            }
            let deductions = entityOf.keys.sorted().compactMap { id -> SnapshotDeduction? in
                guard let r = rows[id], let d = names[id] else { return nil }
                let counted = (r.status == DeductionStatus.confirmed.rawValue ? r.points_tenths : 0) - r.carried_tenths
                return SnapshotDeduction(id: id, entity: entityOf[id] ?? "", subject: d.unit ?? d.agency ?? d.jurisdiction ?? "", item: d.item,
                                         points: Points(tenths: counted).value, occurredAt: d.occurredAt, reason: d.reason,
                                         assessedMonth: r.assessed_month, carriedTenths: r.carried_tenths)
            }
            let snapshot = Snapshot(year: year, report: report, deductions: deductions)
            let hash = try snapshot.sha256()
            struct New: Decodable { var id: Int }
            try await sql.insert(into: closures).columns("year", "active_year", "report", "hash", "closed_by", "closed_at")
                .values(SQLBind(year), SQLBind(year), SQLBind(String(decoding: try snapshot.canonical(), as: UTF8.self)), SQLBind(hash),
                        SQLBind(name), SQLBind(now)).run()
            guard let closure = try await sql.select().column("id").from(closures).where("active_year", .equal, SQLBind(year)).first(decoding: New.self) else {
                throw AppError(.internalServerError, "结算记录未写入")
            }
            for chunk in deductions.chunked(into: 200) {
                var insert = sql.insert(into: closureDeductions).columns("closure_id", "deduction_id", "entity", "subject", "item", "points_tenths",
                                                                         "occurred_at", "reason", "assessed_month", "carried_tenths")
                for d in chunk {
                    insert = insert.values(SQLBind(closure.id), SQLBind(d.id), SQLBind(d.entity), SQLBind(d.subject), SQLBind(d.item),
                                           SQLBind(Points(d.points).tenths), SQLBind(ChinaTime.parseTimestamp(d.occurredAt) ?? now), SQLBind(d.reason),
                                           SQLBind(d.assessedMonth), SQLBind(d.carriedTenths))
                }
                try await insert.run()
            }
            try await AuditLog.append(tx, actor: actor, action: "assessment.close", entity: "assessment", entityID: String(year),
                                      after: ["closure": String(closure.id), "officer": name, "sha256": hash,
                                              "deductions": String(deductions.count)], at: now)
            return (closure.id, hash)
        }
    }

    enum ReopenStep: Equatable { case requested, reopened }

    /// One side's step towards reopening: the first asks (a reason is required), the other side,
    /// another person, agrees and the year is open again. Refused, writing nothing, for a year
    /// that is open, a second step by the same side or the same person.
    static func reopen(_ year: Int, side: YearClosing.Side, by person: Person, reason: String?, actor: Actor, now: Date,
                       on db: any Database) async throws -> ReopenStep {
        let name = person.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw AppError.invalid("请填写经办人", field: "officer") }
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            if let refusal = YearClosing.refusalToReopen(year: year, closed: try await closedYears(on: sql)) {
                throw AppError(.conflict, refusal, field: "year")
            }
            guard let closure = try await active(year, on: sql) else { throw AppError(.conflict, "\(year)年度考核未结算，无需重开", field: "year") }
            guard let asked = closure.reopen_side.flatMap(YearClosing.Side.init(rawValue:)) else {
                guard let why else { throw AppError.invalid("申请重开须说明理由", field: "reason") }
                try await sql.update(closures).set("reopen_side", to: SQLBind(side.rawValue)).set("reopen_requested_by", to: SQLBind(name))
                    .set("reopen_requested_account", to: SQLBind(person.accountID)).set("reopen_reason", to: SQLBind(why))
                    .set("reopen_requested_at", to: SQLBind(now)).where("id", .equal, SQLBind(closure.id)).run()
                try await AuditLog.append(tx, actor: actor, action: "assessment.reopen_request", entity: "assessment", entityID: String(year),
                                          after: ["closure": String(closure.id), "side": side.name, "officer": name, "reason": why], at: now)
                return .requested
            }
            let other = asked == .plc ? YearClosing.Side.admin : .plc
            guard side == other else {
                throw AppError(.conflict, "\(asked.name)已申请重开\(year)年度考核，须由\(other.name)同意")
            }
            if let mine = person.accountID, mine == closure.reopen_requested_account {
                throw AppError(.conflict, "申请与同意重开须由两人分别办理")
            }
            if person.accountID == nil, closure.reopen_requested_account == nil, name == closure.reopen_requested_by {
                throw AppError(.conflict, "申请与同意重开须由两人分别办理")
            }
            try await moveBack(year, closureID: closure.id, on: sql)
            try await sql.update(closures).set("active_year", to: SQLLiteral.null).set("reopened_by", to: SQLBind(name))
                .set("reopened_at", to: SQLBind(now)).where("id", .equal, SQLBind(closure.id)).run()
            try await AuditLog.append(tx, actor: actor, action: "assessment.reopen", entity: "assessment", entityID: String(year),
                                      before: ["closure": String(closure.id), "sha256": closure.hash],
                                      after: ["requested_by": "\(asked.name) \(closure.reopen_requested_by ?? "")", "agreed_by": "\(side.name) \(name)",
                                              "reason": closure.reopen_reason ?? "", "note": why ?? ""], at: now)
            return .reopened
        }
    }

    /// The items carried out of a reopened year go back where they stood at its close (or, for
    /// an earlier year's carried in after it, into the reopened year's last month).
    private static func moveBack(_ year: Int, closureID: Int, on sql: any SQLDatabase) async throws {
        let period = Period.year(year)
        struct R: Decodable { var id: Int; var occurred_at: Date; var carried_tenths: Int }
        let moved = try await sql.select().columns("id", "occurred_at", "carried_tenths").from("deductions")
            .where("assessed_month", .greaterThanOrEqual, SQLBind(DeductionTotals.monthKey(period.end)))
            .where("occurred_at", .lessThan, SQLBind(period.endInstant)).all(decoding: R.self)
        guard !moved.isEmpty else { return }
        struct S: Decodable { var deduction_id: Int; var assessed_month: String?; var carried_tenths: Int }
        var before: [Int: S] = [:]
        for chunk in moved.map(\.id).chunked(into: 300) {
            for s in try await sql.select().columns("deduction_id", "assessed_month", "carried_tenths").from(closureDeductions)
                .where("closure_id", .equal, SQLBind(closureID)).where("deduction_id", .in, SQLBind.group(chunk)).all(decoding: S.self) {
                before[s.deduction_id] = s
            }
        }
        for d in moved {
            let month: String?, carried: Int
            if let s = before[d.id] {
                (month, carried) = (s.assessed_month, s.carried_tenths)
            } else if period.contains(d.occurred_at) {
                (month, carried) = (nil, 0)
            } else {
                (month, carried) = (String(format: "%04d-12", year), d.carried_tenths)
            }
            try await sql.update("deductions").set("assessed_month", to: SQLBind(month)).set("carried_tenths", to: SQLBind(carried))
                .where("id", .equal, SQLBind(d.id)).run()
        }
    }

    /// In a decision's transaction, before its write: when the deduction's year is closed and the
    /// decision changes what it counts, it moves to the next open year (上年度补扣), carrying the
    /// points the closed year counted. Returns the new `assessed_month` and `carried_tenths`.
    static func carry(id: Int, status: String, points: Int, occurredAt: Date, assessedMonth: String?, carriedTenths: Int,
                      newStatus: String, newPoints: Int, now: Date, on sql: any SQLDatabase) async throws -> (month: String, carried: Int)? {
        let confirmed = DeductionStatus.confirmed.rawValue
        let before = (status == confirmed ? points : 0) - carriedTenths
        let after = (newStatus == confirmed ? newPoints : 0) - carriedTenths
        guard before != after else { return nil }
        let keyYear = assessedMonth.flatMap(YearClosing.year(ofMonth:)) ?? LocalDate(occurredAt).year
        let closed = try await closedYears(on: sql)
        guard closed.contains(keyYear) else { return nil }
        let target = YearClosing.nextOpenYear(after: keyYear, closed: closed)
        return (YearClosing.carriedMonth(into: target, decidedAt: now), carriedTenths + before)
    }

    // MARK: The report in the notice layout

    /// The closed (or live) year as a document in the notice layout, made by the notice's DOCX code.
    static func document(_ report: AssessmentService.Report, year: Int, closure: Closure?, carried: [Carried], now: Date) -> NoticeDocument {
        var blocks: [NoticeDocument.Block] = []
        let when = closure.map { "\(LocalDate($0.closed_at).chinese)结算" } ?? "截至\(LocalDate(now).chinese)"
        blocks.append(.paragraph("根据社会应急联动监督考核机制，现将\(report.period)各县（市、区）、开发区和市直单位社会应急联动工作考核结果（\(when)）通报如下，纳入平安综治考核。"))
        func table(_ rows: [AssessmentService.Row]) -> NoticeDocument.Block {
            .table(header: ["排名", "被考核单位", "扣分", "得分"],
                   rows: rows.map { [$0.rank.map(String.init) ?? "—", $0.entity, Points($0.deductions).description, Points($0.score).description] },
                   widthsMM: [16, 80, 30, 30], align: [.center, .left, .right, .right])
        }
        let counties = report.counties, departments = report.departments
        blocks.append(.heading1("一、县（市、区）和开发区"))
        blocks.append(table(counties))
        blocks.append(.heading1("二、市直单位"))
        blocks.append(table(departments))
        blocks.append(.heading1("三、不参与排名的单位"))
        blocks.append(table(report.unranked))
        if !carried.isEmpty {
            blocks.append(.heading1("四、结算后确认或变更的扣分"))
            for c in carried {
                blocks.append(.paragraph("\(c.subject)：\(ChinaTime.parseTimestamp(c.occurredAt).map { LocalDate($0).chinese } ?? c.occurredAt)，\(c.item)，计入\(c.countedIn)年度（\(YearClosing.carriedOverMark)\(Points(c.points))分）。"))
            }
        }
        if let closure {
            blocks.append(.paragraph("结算数据SHA-256校验值：\(closure.hash)。"))
        }
        return NoticeDocument(issuerMark: NoticeDocument.issuer, number: closure.map { "\(year)年度考核结算第\($0.id)号" } ?? "（未结算）",
                              title: "关于\(report.period)社会应急联动工作考核结果的通报", addressee: NoticeDocument.addressee, blocks: blocks,
                              signature: NoticeDocument.signature, date: closure.map { LocalDate($0.closed_at) } ?? LocalDate(now))
    }
}
