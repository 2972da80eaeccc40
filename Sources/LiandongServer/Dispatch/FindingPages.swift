import Fluent
import Foundation
import LiandongCore
import Vapor

/// `/findings`: every active finding the reader may see (a liaison its own unit's).
enum FindingPages {
    struct Context: Encodable {
        var frame: PageFrame
        var sources: [RegisterPages.Option]
        var from: String
        var to: String
        var header: [String]
        var rows: [[String]]
        var count: Int
        var total: String
    }

    @Sendable static func list(req: Request) async throws -> View {
        let filter = try DispatchAPI.findingFilter(req)
        let findings = try await FindingService.list(filter, on: req.db)
        let table = FindingService.table(findings)
        return try await req.view.render("findings", Context(
            frame: PageFrame(req, title: "发现的问题", active: "findings"),
            sources: [RegisterPages.Option(value: "", label: "全部", selected: filter.source == nil)]
                + FindingSource.allCases.map { RegisterPages.Option(value: $0.rawValue, label: $0.name, selected: $0 == filter.source) },
            from: filter.from?.description ?? "", to: filter.to?.description ?? "",
            header: table.header, rows: table.rows, count: findings.count,
            total: findings.reduce(Points.zero) { $0 + Points($1.proposedPoints) }.description))
    }
}
