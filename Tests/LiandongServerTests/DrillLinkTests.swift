import Fluent
import Foundation
import LiandongCore
import SQLKit
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Exercise events linked to their drill")
struct DrillLinkTests {
    let ingest = DispatchIngestTests()
    static let alert = ChinaTime.parseTimestamp("2026-03-10T14:00:00+08:00")!

    /// An on-site check of 市水利局 (unit 4, level 1: 20 minutes), seen arriving after 18 minutes.
    func recordDrill(_ app: Application, _ id: String) async throws {
        let drill = Drill(checkID: id, kind: .onsite, alertAt: Self.alert, scenario: "模拟山体滑坡",
                          units: [DrillUnit(unitID: 4, level: .one, notifiedAt: Self.alert, arrivedAt: Self.alert.addingTimeInterval(18 * 60),
                                            vestWorn: true, equipmentOK: true, knowsDuties: true)])
        _ = try await InspectionService.record(drill, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
    }

    static func event(_ id: String, _ type: String, _ at: String, drill: String, exercise: Bool = true) -> String {
        #"{"event_id":"\#(id)","incident_id":"110-DR","unit":"市水利局","type":"\#(type)","at":"2026-03-10T\#(at)+08:00"\#(exercise ? #","exercise":true"# : ""),"drill_id":"\#(drill)"}"#
    }

    @Test func theDrillPageSetsThe110TimelineBesideTheRecord() async throws {
        try await withTestApp { app in
            try await recordDrill(app, "DR-L")
            let officer = try await app.signIn(.emb)
            // Before any linked event the page has no 110 section.
            try await app.send(.GET, "checks/drills/DR-L", as: officer) { res in #expect(!res.body.string.contains("110系统记录对照")) }
            let token = try await ingest.ingestToken(app)
            let batch = "[" + Self.event("X-1", "instructed", "14:00:30", drill: "DR-L") + "," + Self.event("X-2", "arrived", "14:21:00", drill: "DR-L") + "]"
            try await ingest.post(app, token, batch) { res in
                #expect(res.status == .ok, "\(res.body.string)")
                let summary = try res.content.decode(IngestSummary.self)
                #expect(summary.new == 2)
            }
            let linked = try await DispatchService.drillEvents("DR-L", on: app.db)
            #expect(linked[4]?.map(\.type) == [.instructed, .arrived])
            // Exercise events never make dispatch findings; the drill is judged on its record (on time).
            #expect(try await FindingService.list(FindingFilter(), on: app.db).isEmpty)
            try await app.send(.GET, "checks/drills/DR-L", as: officer) { res in
                let html = res.body.string
                #expect(html.contains("110系统记录对照"))
                #expect(html.contains("14:00:30") && html.contains("14:21:00"))
                #expect(html.contains("20分30秒（时限20分钟）"))
                #expect(html.contains("到达时间与检查记录相差3分钟"))
                #expect(html.contains("按110系统记录超时，按检查记录未超时"))
                #expect(html.contains("class=\"discrepancy\""))
            }
        }
    }

    @Test func drillIDsAreCheckedAndPartOfTheEvent() async throws {
        try await withTestApp { app in
            try await recordDrill(app, "DR-A")
            try await recordDrill(app, "DR-B")
            let token = try await ingest.ingestToken(app)
            // An unknown drill, and a drill named on a live event: refused whole, naming the field.
            for bad in [Self.event("X-9", "arrived", "14:10:00", drill: "DR-NONE"),
                        Self.event("X-9", "arrived", "14:10:00", drill: "DR-A", exercise: false)] {
                let batch = "[" + Self.event("X-1", "instructed", "14:00:00", drill: "DR-A") + "," + bad + "]"
                try await ingest.post(app, token, batch) { res in
                    #expect(res.status == .unprocessableEntity, "\(res.body.string)")
                    #expect(res.body.string.contains("第2条事件「drill_id」"), "\(res.body.string)")
                    #expect(res.body.string.contains(#""field":"drill_id""#))
                }
            }
            #expect(try await BulkIngestTests.count("dispatch_events", app) == 0)
            try await ingest.post(app, token, Self.event("X-1", "instructed", "14:00:00", drill: "DR-A")) { res in #expect(res.status == .ok) }
            // The same event said to belong to another drill is a conflict, not a change.
            try await ingest.post(app, token, Self.event("X-1", "instructed", "14:00:00", drill: "DR-B")) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains(#""field":"drill_id""#))
            }
            try await ingest.post(app, token, Self.event("X-1", "instructed", "14:00:00", drill: "DR-A")) { res in
                let summary = try res.content.decode(IngestSummary.self)
                #expect(summary.known == 1)
            }
            // CSV files carry the same column.
            let csv = try Fixtures.temporaryFile("drill.csv", contents: Data(
                "event_id,incident_id,unit,type,at,exercise,drill_id\nX-2,110-DR,市水利局,arrived,2026-03-10 14:15:00,true,DR-A\n".utf8))
            #expect(try await app.run(["dispatches", "import", csv.path]).contains("新增 1"))
            #expect(try await DispatchService.drillEvents("DR-A", on: app.db)[4]?.count == 2)
            #expect(try await DispatchService.drillEvents("DR-B", on: app.db).isEmpty)
        }
    }
}
