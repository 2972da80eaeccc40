import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

/// Issue 15 item 4: notices by their publisher, each confirmed deduction in exactly one published notice.
@Suite("Notices by their publisher")
struct NoticePublisherTests {
    func shown(_ app: Application, _ id: Int) async throws -> [String: Any] {
        let out = try await app.run(["notice", "show", String(id), "--format", "json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    func confirm(_ app: Application, _ id: Int, seat: String = "city") async throws {
        for kind in [Agency.emb, .psb] {
            try await DeductionService.decide([id], decision: .confirm(points: nil, reason: nil), agency: kind, seat: seat, officer: "officer-\(kind)",
                                              actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        }
    }

    func draft(_ app: Application, _ args: [String]) async throws -> Int {
        let out = try await app.run(["notice", "draft"] + args)
        let digits = try #require(out.split(separator: " ").dropFirst().first).prefix { $0.isNumber }
        return try #require(Int(digits))
    }

    @Test func aLateConfirmationGoesInTheNextNoticeAndNoDeductionIsPublishedTwice() async throws {
        try await withTestApp { app in
            let u = try await JurisdictionTests.units(app)
            let year = LocalDate(app.liandong.clock.now()).year
            let january = try await JurisdictionTests.propose(app, unit: u.city, ref: "N-1")
            let february = try await JurisdictionTests.propose(app, unit: u.city, ref: "N-2")
            try await confirm(app, january)
            let q1 = try await draft(app, ["--period", "\(year)-Q1"])
            _ = try await app.run(["notice", "publish", String(q1)])
            var first = try await shown(app, q1)
            #expect(first["deduction_ids"] as? [Int] == [january] && first["status"] as? String == "published")
            #expect(first["publisher"] as? String == "市委政法委" && first["number"] as? String == "丽应联通〔\(year)〕1号")
            #expect(first["published_at"] is String)
            // Confirmed after the first notice was published: the next notice carries it, a second
            // draft of the same period does not carry the first one again.
            try await confirm(app, february)
            let again = try await draft(app, ["--period", "\(year)-Q1"])
            #expect(try await shown(app, again)["deduction_ids"] as? [Int] == [february])
            _ = try await app.run(["notice", "publish", String(again)])
            let next = try await draft(app, ["--period", "\(year)-Q2"])
            #expect(try await shown(app, next)["deduction_ids"] as? [Int] == [])
            first = try await shown(app, q1)
            #expect(first["deduction_ids"] as? [Int] == [january])
            // The appeal decided after publication: the next notice reports the change, citing the number.
            let liaison = try await app.signIn(.liaison, unitID: u.city)
            try await app.send(.POST, "deductions/\(january)/appeal", as: liaison, form: ["statement": "当日道路中断"]) { res in #expect(res.status == .ok) }
            for kind in [Agency.emb, .psb] {
                try await DeductionService.decide([january], decision: .decideAppeal(.withdraw, points: nil, reason: "情况属实"), agency: kind,
                                                  officer: "officer-\(kind)", actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            }
            let change = try await NoticeService.load(next, rules: app.liandong.ruleBook, on: app.db)
            #expect(change.changedDeductionIds == [january] && change.deductionIds.isEmpty)
            let text = NoticeDocument(change).blocks.compactMap { if case .paragraph(let t) = $0 { t } else { nil } }.joined()
            #expect(text.contains("丽应联通〔\(year)〕1号通报扣1分，经申诉撤销扣分"))
            _ = try await app.run(["notice", "publish", String(next)])
            let after = try await draft(app, ["--period", "\(year)-Q3"])
            #expect(try await NoticeService.load(after, rules: app.liandong.ruleBook, on: app.db).changedDeductionIds.isEmpty)
        }
    }

    @Test func eachPLCPublishesItsOwnNumberedAndSigned() async throws {
        try await withTestApp { app in
            let u = try await JurisdictionTests.units(app)
            let year = LocalDate(app.liandong.clock.now()).year
            let county = try await JurisdictionTests.propose(app, unit: u.county, ref: "K-1")
            let city = try await JurisdictionTests.propose(app, unit: u.city, ref: "K-2")
            try await confirm(app, county, seat: "longquan")
            try await confirm(app, city)
            let lqPLC = try await app.signIn(.plc, jurisdiction: "longquan"), cityPLC = try await app.signIn(.plc)
            var id = 0
            try await app.send(.POST, "notices", as: lqPLC, form: ["period": "\(year)-Q4"]) { res in
                #expect(res.status == .seeOther)
                id = Int(res.headers.first(name: .location)?.split(separator: "/").last ?? "") ?? 0
            }
            // The city's PLC neither sees nor publishes the county's draft.
            try await app.send(.GET, "notices/\(id)", as: cityPLC) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: cityPLC, form: [:]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: lqPLC, form: ["confirmed": "1"]) { res in #expect(res.status == .seeOther) }
            let notice = try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db)
            #expect(notice.number == "龙泉应联通〔\(year)〕1号" && notice.deductionIds == [county] && notice.publisher == "龙泉市委政法委")
            let doc = NoticeDocument(notice)
            #expect(doc.signature == "中共龙泉市委政法委员会" && doc.issuerMark == "龙泉市社会应急联动工作通报")
            // The city's own sequence and deductions.
            let cityNotice = try await draft(app, ["--period", "\(year)-Q4"])
            _ = try await app.run(["notice", "publish", String(cityNotice)])
            let c = try await shown(app, cityNotice)
            #expect(c["number"] as? String == "丽应联通〔\(year)〕1号" && c["deduction_ids"] as? [Int] == [city])
            // A prefix of its own.
            _ = try await app.run(["agencies", "set", "龙泉市委政法委", "--notice-prefix", "龙应联通"])
            let county2 = try await JurisdictionTests.propose(app, unit: u.county, ref: "K-3")
            try await confirm(app, county2, seat: "longquan")
            let second = try await draft(app, ["--period", "\(year)-Q4", "--publisher", "longquan-plc"])
            _ = try await app.run(["notice", "publish", String(second)])
            #expect(try await shown(app, second)["number"] as? String == "龙应联通〔\(year)〕2号")
        }
    }
}
