import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// A unit's inbox (issue: settle on write, the liaison inbox): what happened to the unit's
/// deductions and rectifications, newest first. It reads the records the writers keep in their
/// own transactions (a proposal is notified when it is stored, each decision is a deduction
/// event, each rectification request a row), so nothing is written twice and the inbox can never
/// disagree with the deductions page. What the liaison has read is an explicit act (`POST
/// /inbox/read`), not a side effect of opening a page: a read never writes.
enum UnitInbox {
    /// The home page shows the newest few; the deductions and rectifications pages hold the rest.
    static let homeLimit = 10

    struct Item: Encodable, Sendable, Equatable {
        var at: Date
        var when: String
        var text: String
        var href: String
    }

    /// The unit's news after `since` (all of it when nil), newest first, at most `limit`.
    static func items(unitID: Int, since: Date?, limit: Int = 30, rules: RuleBook, calendar: WorkingCalendar = .shipped,
                      on db: any Database) async throws -> [Item] {
        let sql = db as! any SQLDatabase
        // Times come back from the database to its precision (a floating second on SQLite, a
        // microsecond on PostgreSQL): a millisecond's margin keeps a watermark taken from a
        // stored time from matching that same record again.
        let after = since.map { $0.addingTimeInterval(0.001) } ?? Date(timeIntervalSince1970: 0)
        var items: [Item] = []
        func item(_ at: Date, _ text: String, _ href: String = "/deductions") -> Item {
            Item(at: at, when: ChinaTime.displayString(at), text: text, href: href)
        }

        // New proposals, with the appeal deadline their notification started.
        struct Proposed: Decodable { var id: Int; var item: String; var points_tenths: Int; var state: String; var occurred_at: Date; var created_at: Date }
        for row in try await sql.select().columns("id", "item", "points_tenths", "state", "occurred_at", "created_at").from("deductions")
            .where("unit_id", .equal, SQLBind(unitID)).where("created_at", .greaterThan, SQLBind(after))
            .orderBy("created_at", .descending).limit(limit).all(decoding: Proposed.self) {
            let state = try? InspectionService.decode(DeductionState.self, row.state)
            let window = rules.inForce(at: row.occurred_at).appealWindowWorkingDays
            let deadline = state?.appealDeadline(workingDays: window, calendar: calendar).map { "，可于\(ChinaTime.displayString($0))前申诉" } ?? ""
            items.append(item(row.created_at, "新的拟扣分 \(row.id)（\(row.item)，\(Points(tenths: row.points_tenths))分）\(deadline)", "/deductions/\(row.id)"))
        }

        // Decisions on them: each agency's confirmation or rejection, appeal decisions, the
        // system's withdrawals and reopenings. The unit's own appeal is not news to it.
        struct Event: Decodable {
            var deduction_id: Int; var action: String; var agency: String?; var points_tenths: Int?; var reason: String?; var at: Date
        }
        let events = try await sql.select()
            .columns(SQLColumn("deduction_id", table: "deduction_events"), SQLColumn("action", table: "deduction_events"),
                     SQLColumn("agency", table: "deduction_events"), SQLColumn("points_tenths", table: "deduction_events"),
                     SQLColumn("reason", table: "deduction_events"), SQLColumn("at", table: "deduction_events"))
            .from("deduction_events")
            .join("deductions", on: SQLColumn("deduction_id", table: "deduction_events"), .equal, SQLColumn("id", table: "deductions"))
            .where(SQLColumn("unit_id", table: "deductions"), .equal, SQLBind(unitID))
            .where(SQLColumn("at", table: "deduction_events"), .greaterThan, SQLBind(after))
            .where(SQLColumn("action", table: "deduction_events"), .notEqual, SQLBind("appeal"))
            .orderBy(SQLOrderBy(expression: SQLColumn("at", table: "deduction_events"), direction: SQLDirection.descending))
            .limit(limit).all(decoding: Event.self)
        for e in events {
            let who = e.agency.flatMap { Agency(rawValue: $0)?.name } ?? ""
            let points = e.points_tenths.map { "\(Points(tenths: $0))分" } ?? ""
            let why = e.reason?.nilIfEmpty.map { "；理由：\($0)" } ?? ""
            let text: String = switch e.action {
            case "confirm": "\(who)确认扣分 \(e.deduction_id)（\(points)）\(why)"
            case "reject": "\(who)驳回扣分 \(e.deduction_id)，不予扣分\(why)"
            case "withdraw": "扣分 \(e.deduction_id) 已撤回\(why)"
            case "reopen": "扣分 \(e.deduction_id) 重新拟定（\(points)）\(why)"
            case "appeal_uphold": "对扣分 \(e.deduction_id) 的申诉：\(who)决定维持（\(points)）\(why)"
            case "appeal_reduce": "对扣分 \(e.deduction_id) 的申诉：\(who)决定减为\(points)\(why)"
            case "appeal_withdraw": "对扣分 \(e.deduction_id) 的申诉：\(who)决定撤销扣分\(why)"
            default: "扣分 \(e.deduction_id) 有新的处理（\(e.action)）"
            }
            items.append(item(e.at, text, "/deductions/\(e.deduction_id)"))
        }

        // Rectification requests and their verification.
        struct Rect: Decodable { var id: Int; var deduction_id: Int; var action: String; var due_at: Date; var created_at: Date; var verified_at: Date? }
        let rectifications = try await sql.select()
            .columns(SQLColumn("id", table: "rectifications"), SQLColumn("deduction_id", table: "rectifications"),
                     SQLColumn("action", table: "rectifications"), SQLColumn("due_at", table: "rectifications"),
                     SQLColumn("created_at", table: "rectifications"), SQLColumn("verified_at", table: "rectifications"))
            .from("rectifications")
            .join("deductions", on: SQLColumn("deduction_id", table: "rectifications"), .equal, SQLColumn("id", table: "deductions"))
            .where(SQLColumn("unit_id", table: "deductions"), .equal, SQLBind(unitID))
            .where { $0.where(SQLColumn("created_at", table: "rectifications"), .greaterThan, SQLBind(after))
                .orWhere(SQLColumn("verified_at", table: "rectifications"), .greaterThan, SQLBind(after)) }
            .limit(limit).all(decoding: Rect.self)
        for r in rectifications {
            if r.created_at > after {
                items.append(item(r.created_at, "扣分 \(r.deduction_id) 须整改：\(r.action)，期限\(LocalDate(r.due_at).chinese)", "/rectifications"))
            }
            if let verified = r.verified_at, verified > after {
                items.append(item(verified, "扣分 \(r.deduction_id) 的整改已验收", "/rectifications"))
            }
        }
        return Array(items.sorted { $0.at > $1.at }.prefix(limit))
    }
}

/// A channel that carries a unit's news beyond the system (SMS, 浙政钉): where one is configured
/// (`LiandongState.outbound`), the scheduled judging hands it each unit's news since the last
/// delivery. None is built in.
protocol OutboundNotifier: Sendable {
    func deliver(unitID: Int, items: [UnitInbox.Item]) async throws
}

extension UnitInbox {
    /// Hands each unit's news since its watermark to the channel, oldest first, and moves the
    /// watermark past what was delivered. A failed delivery leaves the unit's watermark where it
    /// was, to be tried again next round. Returns how many items went out.
    @discardableResult
    static func deliver(via notifier: any OutboundNotifier, now: Date, rules: RuleBook, on db: any Database) async throws -> Int {
        let sql = db as! any SQLDatabase
        struct Mark: Decodable { var unit_id: Int; var delivered_through: Date }
        let marks = Dictionary(uniqueKeysWithValues: try await sql.select().columns("unit_id", "delivered_through").from("outbound_watermarks")
            .all(decoding: Mark.self).map { ($0.unit_id, $0.delivered_through) })
        var sent = 0
        let calendar = try await WorkingCalendarStore.load(on: db)
        for unitID in try await LinkageUnit.query(on: db).all().compactMap(\.id) {
            // Only what is already in the past: a record stamped later in this same second waits.
            let items = try await items(unitID: unitID, since: marks[unitID], limit: 200, rules: rules, calendar: calendar, on: db)
                .filter { $0.at <= now }.sorted { $0.at < $1.at }
            guard let last = items.last?.at else { continue }
            try await notifier.deliver(unitID: unitID, items: items)
            sent += items.count
            try await db.writeTransaction { tx in
                let sql = tx as! any SQLDatabase
                if marks[unitID] == nil {
                    try await sql.insert(into: "outbound_watermarks").columns("unit_id", "delivered_through").values(SQLBind(unitID), SQLBind(last)).run()
                } else {
                    try await sql.update("outbound_watermarks").set("delivered_through", to: SQLBind(last)).where("unit_id", .equal, SQLBind(unitID)).run()
                }
            }
        }
        return sent
    }
}
