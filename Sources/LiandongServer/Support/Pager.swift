import Foundation
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
        let pager = Pager(page: page, pages: pages, count: count, text: "第 \(page)/\(pages) 页,共 \(count) 条",
                          hasPrev: page > 1, hasNext: page < pages, prevHref: href(page - 1), nextHref: href(page + 1))
        return ((page - 1) * per, per, pager)
    }

    /// The page the request asks for, and the slice of `items` it shows.
    static func slice<T>(_ items: [T], _ req: Request, per: Int = perPage) -> (items: ArraySlice<T>, pager: Pager) {
        let (offset, limit, pager) = page(count: items.count, req, per: per)
        return (items[min(offset, items.count)..<min(offset + limit, items.count)], pager)
    }
}
