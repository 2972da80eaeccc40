import Foundation
import LiandongCore
import SQLKit
import Vapor

enum SortDirection: String, Sendable {
    case asc, desc

    var flipped: SortDirection { self == .asc ? .desc : .asc }
    var name: String { self == .asc ? "升序" : "降序" }
}

/// A column of a list: its heading and, when the list sorts by it, the key `?sort=` names.
struct SortColumn: Sendable {
    var label: String
    var key: String?
    /// Figures: right-aligned.
    var numeric: Bool
    /// The direction a first click sorts in: names A→Z, times and figures largest first.
    var first: SortDirection

    init(_ label: String, _ key: String? = nil, numeric: Bool = false, first: SortDirection = .asc) {
        self.label = label; self.key = key; self.numeric = numeric; self.first = first
    }
}

/// What a page needs to show a sortable table: the header row (links that re-sort) and the
/// hidden fields that keep the order when the filter form is submitted.
struct TableHead: Encodable {
    var row: String
    var inputs: String
}

/// A row of a table built as text, with the values its sortable columns sort by.
struct KeyedRow {
    var cells: [String]
    var keys: [String: SortValue]
}

/// A value lists sort by in memory. Missing values go last in either direction.
enum SortValue: Comparable, Sendable {
    case number(Double)
    case key(String)
    case missing

    /// Chinese text in pinyin order (`Pinyin.sortKey`).
    static func text(_ s: String?) -> SortValue {
        guard let s, !s.isEmpty else { return .missing }
        return .key(Pinyin.sortKey(s))
    }

    static func int(_ n: Int?) -> SortValue { n.map { .number(Double($0)) } ?? .missing }
    static func double(_ n: Double?) -> SortValue { n.map { .number($0) } ?? .missing }
    static func date(_ d: Date?) -> SortValue { d.map { .number($0.timeIntervalSince1970) } ?? .missing }
    static func day(_ d: LocalDate?) -> SortValue { d.map { .key($0.description) } ?? .missing }
    /// Codes and ISO dates that already sort as plain strings.
    static func plain(_ s: String?) -> SortValue {
        guard let s, !s.isEmpty else { return .missing }
        return .key(s)
    }
}

/// The order a list is shown in, from `?sort=<key>&dir=asc|desc`, checked against the list's
/// own columns; and the header row whose links change it. One implementation for every list:
/// the page declares its columns, then sorts in SQL (`orderBy`) or in memory (`sorted`).
///
/// An unknown key or direction is a 400 naming the field and the keys the list offers.
/// A header link keeps the other query parameters (the filters) and goes back to the first
/// page; the pager's links keep the order.
struct ListSort: Sendable {
    let columns: [SortColumn]
    let key: String
    let direction: SortDirection
    let defaultKey: String
    let defaultDirection: SortDirection
    /// The query parameters: `sort` and `dir`, or `<prefix>sort` and `<prefix>dir` for a second
    /// table on the same page.
    let sortParameter: String
    let dirParameter: String

    var ascending: Bool { direction == .asc }

    init(_ req: Request, columns: [SortColumn], default defaultKey: String, _ defaultDirection: SortDirection = .asc,
         prefix: String = "") throws {
        let keys = columns.compactMap(\.key)
        precondition(keys.contains(defaultKey), "default sort key \(defaultKey) is not a column")
        self.columns = columns
        self.defaultKey = defaultKey
        self.defaultDirection = defaultDirection
        sortParameter = prefix + "sort"
        dirParameter = prefix + "dir"
        let askedKey = (try? req.query.get(String.self, at: sortParameter))?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let askedDir = (try? req.query.get(String.self, at: dirParameter))?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if let askedKey, !keys.contains(askedKey) {
            throw AppError(.badRequest, "不能按“\(askedKey)”排序，可选：\(keys.joined(separator: "、"))", field: sortParameter)
        }
        var direction: SortDirection?
        if let askedDir {
            guard let d = SortDirection(rawValue: askedDir.lowercased()) else {
                throw AppError(.badRequest, "排序方向应为 asc（升序）或 desc（降序）", field: dirParameter)
            }
            direction = d
        }
        let key = askedKey ?? defaultKey
        self.key = key
        self.direction = direction
            ?? (key == defaultKey ? defaultDirection : columns.first { $0.key == key }?.first ?? .asc)
    }

    /// The table's header: one `<th>` per column; a sortable one is a link that sorts by it
    /// (the current column flips its direction) and carries `aria-sort` and ▲/▼ when active.
    /// `path`: the list's own address, for a page rendered in answer to a form (a POST to
    /// another address); by default the request's.
    func head(_ req: Request, path: String? = nil) -> TableHead {
        var cells = ""
        for column in columns {
            let cls = column.numeric ? " class=\"num\"" : ""
            guard let key = column.key else {
                cells += "<th scope=\"col\"\(cls)>\(Self.escape(column.label))</th>"
                continue
            }
            let active = key == self.key
            let next = active ? direction.flipped : column.first
            let aria = active ? " aria-sort=\"\(direction == .asc ? "ascending" : "descending")\"" : ""
            let arrow = active ? "<span class=\"arrow\" aria-hidden=\"true\">\(direction == .asc ? "▲" : "▼")</span>" : ""
            cells += "<th scope=\"col\"\(cls)\(aria)><a class=\"sort\" href=\"\(Self.escape(href(req, key: key, direction: next, path: path)))\""
                + " title=\"按\(Self.escape(column.label))\(next.name)排列\">\(Self.escape(column.label))\(arrow)</a></th>"
        }
        var inputs = ""
        if key != defaultKey || direction != defaultDirection {
            inputs = "<input type=\"hidden\" name=\"\(sortParameter)\" value=\"\(Self.escape(key))\">"
                + "<input type=\"hidden\" name=\"\(dirParameter)\" value=\"\(direction.rawValue)\">"
        }
        return TableHead(row: "<tr>\(cells)</tr>", inputs: inputs)
    }

    /// This page sorted by `key` in `direction`, with the other parameters kept and paging reset.
    func href(_ req: Request, key: String, direction: SortDirection, path: String? = nil) -> String {
        var components = URLComponents(string: req.url.string) ?? URLComponents()
        if let path { components.path = path }
        var query = (components.queryItems ?? []).filter { ![sortParameter, dirParameter, "page"].contains($0.name) }
        query.append(URLQueryItem(name: sortParameter, value: key))
        query.append(URLQueryItem(name: dirParameter, value: direction.rawValue))
        components.queryItems = query
        return components.string ?? "?\(sortParameter)=\(key)&\(dirParameter)=\(direction.rawValue)"
    }

    /// Rows of a table built as text, sorted by the values each carries for the sortable columns.
    func sorted(_ rows: [KeyedRow]) -> [[String]] {
        sorted(rows, by: [key: { $0.keys[key] ?? .missing }]).map(\.cells)
    }

    /// Rows sorted in memory by the value `values[key]` gives; ties keep their given order and
    /// missing values go last in either direction.
    func sorted<Row>(_ rows: [Row], by values: [String: (Row) -> SortValue]) -> [Row] {
        guard let value = values[key] else { return rows }
        let keyed = rows.enumerated().map { (index: $0.offset, value: value($0.element), row: $0.element) }
        return keyed.sorted { a, b in
            switch (a.value, b.value) {
            case (.missing, .missing): return a.index < b.index
            case (.missing, _): return false
            case (_, .missing): return true
            default:
                if a.value == b.value { return a.index < b.index }
                return ascending ? a.value < b.value : a.value > b.value
            }
        }.map(\.row)
    }

    /// Orders a SQL query by the expressions `columns[key]` gives (in the chosen direction),
    /// then by `then` (ascending) for a stable order. Keys in `nullable` put missing values last
    /// on both databases (SQLite sorts NULL first and PostgreSQL last).
    func orderBy(_ query: SQLSelectBuilder, _ columns: [String: [any SQLExpression]], nullable: Set<String> = [],
                 then: [any SQLExpression]) -> SQLSelectBuilder {
        var query = query
        for expression in columns[key] ?? [] {
            if nullable.contains(key) {
                query = query.orderBy(SQLGroupExpression(SQLBinaryExpression(left: expression, op: SQLBinaryOperator.is, right: SQLLiteral.null)),
                                      SQLDirection.ascending)
            }
            query = query.orderBy(expression, ascending ? SQLDirection.ascending : SQLDirection.descending)
        }
        for expression in then { query = query.orderBy(expression, SQLDirection.ascending) }
        return query
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// A cell of a list that turns into cards on a phone (`table.stack`): its text with its column's
/// name, which the card shows before it.
struct ListCell: Encodable {
    var label: String
    var text: String
    /// A figure: right-aligned in the table.
    var numeric: Bool

    /// The rows with the names of their columns.
    static func labelled(_ rows: [[String]], _ columns: [SortColumn]) -> [[ListCell]] {
        rows.map { row in
            zip(columns, row).map { ListCell(label: $0.label, text: $1, numeric: $0.numeric) }
        }
    }
}
