import Foundation
import LiandongCore
import LiandongDocuments
import Vapor

/// 「导出 Excel」 of a list page: the rows the list's filters select (all of them, not one page),
/// as a workbook the project's own writer makes; recorded like every other export
/// (`AccessAudit.disclosed`). The reader's scope is the list's: the caller builds the rows with
/// the same filter the page uses.
enum ListExport {
    /// A table of text cells as spreadsheet cells: the columns named in `integers` and `numbers`
    /// become figures (an empty or unreadable value stays text).
    static func cells(_ rows: [[String]], integers: Set<Int> = [], numbers: Set<Int> = []) -> [[XLSXCell]] {
        rows.map { row in
            row.enumerated().map { index, value in
                if integers.contains(index), let n = Int(value) { return .integer(n) }
                if numbers.contains(index), let d = Double(value) { return .number(d) }
                return value.isEmpty ? .empty : .text(value)
            }
        }
    }

    /// The workbook as a download named `<name>.xlsx`, audited as `action`.
    static func respond(_ req: Request, name: String, ascii: String, title: String, header: [String], rows: [[XLSXCell]],
                        action: String, entity: String) async throws -> Response {
        let sheet = XLSXSheet(name: name, title: title, header: header, rows: rows, landscape: true)
        let data = try XLSX.write(sheets: [sheet])
        try await AccessAudit.disclosed(req, action: action, entity: entity,
                                        detail: ["format": "xlsx", "rows": String(rows.count), "query": req.url.query ?? ""])
        var headers = HTTPHeaders()
        headers.contentType = RegisterFiles.xlsxType
        let filename = "\(name).xlsx"
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "\(ascii).xlsx"
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(ascii).xlsx\"; filename*=UTF-8''\(encoded)")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    /// `（2026-03-01 至 2026-03-31）`, or nothing without a period.
    static func period(from: String, to: String) -> String {
        guard !from.isEmpty || !to.isEmpty else { return "" }
        return "（\(from.isEmpty ? "起" : from) 至 \(to.isEmpty ? "今" : to)）"
    }
}
