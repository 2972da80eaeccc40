import Foundation
import LiandongCore
import SQLKit
import Vapor

/// One page of a long list (`?page=2`), with links that keep the other query parameters.
struct Pager: Encodable {
    static let perPage = 50

    var page: Int
    var pages: Int
    var count: Int
    var text: String
    var hasPrev: Bool
    var hasNext: Bool
    var prevHref: String
    var nextHref: String

    /// The page the request asks for of `count` rows: what to read (OFFSET, LIMIT) and the links.
    static func page(count: Int, _ req: Request, per: Int = perPage) -> (offset: Int, limit: Int, pager: Pager) {
        let pages = max(1, (count + per - 1) / per)
        let page = min(max(1, (try? req.query.get(Int.self, at: "page")) ?? 1), pages)
        func href(_ p: Int) -> String {
            var components = URLComponents(string: req.url.string) ?? URLComponents()
            var query = (components.queryItems ?? []).filter { $0.name != "page" }
            query.append(URLQueryItem(name: "page", value: String(p)))
            components.queryItems = query
            return components.string ?? "?page=\(p)"
        }
        let pager = Pager(page: page, pages: pages, count: count, text: "第 \(page)/\(pages) 页，共 \(count) 条",
                          hasPrev: page > 1, hasNext: page < pages, prevHref: href(page - 1), nextHref: href(page + 1))
        return ((page - 1) * per, per, pager)
    }

    /// The page the request asks for, and the slice of `items` it shows.
    static func slice<T>(_ items: [T], _ req: Request, per: Int = perPage) -> (items: ArraySlice<T>, pager: Pager) {
        let (offset, limit, pager) = page(count: items.count, req, per: per)
        return (items[min(offset, items.count)..<min(offset + limit, items.count)], pager)
    }
}

/// How many rows a query selects and the sum of their `points_tenths`, counted by the database
/// (the totals above a paged list).
enum PointsSummary {
    static func of(_ query: SQLSelectBuilder, table: String) async throws -> (count: Int, points: Points) {
        struct S: Decodable { var n: Int; var points: Int? }
        let s = try await query
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            // PostgreSQL sums a BIGINT as NUMERIC: cast back to a whole number.
            .column(SQLRaw("CAST(SUM(\"\(table)\".\"points_tenths\") AS BIGINT)"), as: "points")
            .first(decoding: S.self)
        return (s?.n ?? 0, Points(tenths: s?.points ?? 0))
    }
}
