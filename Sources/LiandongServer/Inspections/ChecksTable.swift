import Foundation
import LiandongCore
import LiandongDocuments

/// Past checks as spreadsheet rows (CSV or XLSX), turned into the JSON Lines records that
/// `ChecksFile` validates, so both formats obey one set of rules. Phone checks are one row each
/// (`attempt1_at`, `attempt1_answered`, … up to the rule set's attempts); a drill is one row per
/// summoned unit, rows with the same `check_id` making one drill.
enum ChecksTable {
    static let phoneColumns = ["type", "check_id", "unit", "dialled", "answered_by", "number_current", "change_reported",
                               "knows_first_responsibility", "notes"]
    static let drillColumns = ["type", "check_id", "alert_at", "scenario", "place", "video_point", "emb_officers", "psb_officers", "unit",
                               "notified_at", "arrived_at", "limit_minutes", "vest", "equipment_ok", "knows_duties", "notes"]

    static func rows(_ data: Data, filename: String) throws -> [(line: Int, cells: [String])] {
        switch (filename as NSString).pathExtension.lowercased() {
        case "csv":
            do { return try CSV.parse(data).map { ($0.line, $0.fields) } } catch { throw ImportError(row: error.line, field: "", message: error.message) }
        case "xlsx":
            do { return try XLSX.readRows(data).map { ($0.number, $0.cells) } } catch { throw ImportError(row: 1, field: "", message: error.message) }
        default:
            throw ImportError(row: 1, field: "", message: "只能导入 .jsonl、.csv 或 .xlsx 文件")
        }
    }

    /// The JSON Lines text and, for each of its lines, the spreadsheet row it came from.
    static func jsonLines(_ table: [(line: Int, cells: [String])], attempts: Int) throws -> (text: String, rows: [Int]) {
        guard let header = table.first else { throw ImportError(row: 1, field: "", message: "文件为空") }
        let names = header.cells.map { $0.trimmingCharacters(in: .whitespaces) }
        let attemptColumns = (1...attempts).flatMap { ["attempt\($0)_at", "attempt\($0)_answered"] }
        let known = Set(phoneColumns + drillColumns + attemptColumns)
        for name in names where !name.isEmpty && !known.contains(name) {
            throw ImportError(row: header.line, field: name, message: "未知列；可用列：\((phoneColumns + attemptColumns + drillColumns.filter { !phoneColumns.contains($0) }).joined(separator: "、"))")
        }
        func bool(_ raw: String, _ line: Int, _ field: String) throws -> Any {
            switch raw.lowercased() {
            case "": return NSNull()
            case "是", "true", "1", "y", "yes": return true
            case "否", "false", "0", "n", "no": return false
            default: throw ImportError(row: line, field: field, message: "“\(raw)”应为“是”或“否”")
            }
        }
        var lines: [(row: Int, object: [String: Any])] = []
        var drills: [String: Int] = [:]
        for (line, cells) in table.dropFirst() {
            var v: [String: String] = [:]
            for (i, name) in names.enumerated() where i < cells.count { v[name] = cells[i].trimmingCharacters(in: .whitespaces) }
            let type = v["type"] ?? ""
            if type == "phone" {
                var object: [String: Any] = ["type": "phone", "check_id": v["check_id"] ?? "", "unit": v["unit"] ?? "", "dialled": v["dialled"] ?? ""]
                var list: [[String: Any]] = []
                for n in 1...attempts {
                    guard let at = v["attempt\(n)_at"], !at.isEmpty else { continue }
                    list.append(["at": at, "answered": try bool(v["attempt\(n)_answered"] ?? "", line, "attempt\(n)_answered")])
                }
                object["attempts"] = list
                for key in ["number_current", "knows_first_responsibility", "change_reported"] {
                    let value = try bool(v[key] ?? "", line, key)
                    if !(value is NSNull) || key != "change_reported" { object[key] = value }
                }
                for key in ["answered_by", "notes"] where !(v[key] ?? "").isEmpty { object[key] = v[key] }
                lines.append((line, object))
            } else if type == "onsite" || type == "video" {
                let id = v["check_id"] ?? ""
                var unit: [String: Any] = ["unit": v["unit"] ?? "", "notified_at": v["notified_at"] ?? "",
                                           "arrived_at": (v["arrived_at"] ?? "").isEmpty ? NSNull() : v["arrived_at"]!]
                for (key, column) in [("vest", "vest"), ("equipment_ok", "equipment_ok"), ("knows_duties", "knows_duties")] {
                    let value = try bool(v[column] ?? "", line, column)
                    if !(value is NSNull) { unit[key] = value }
                }
                // A video check's time for this unit, in minutes (the file's rules check the rest).
                if let raw = v["limit_minutes"], !raw.isEmpty {
                    guard let minutes = Double(raw) else { throw ImportError(row: line, field: "limit_minutes", message: "“\(raw)”应为分钟数，如 15") }
                    unit["limit_minutes"] = minutes
                }
                // Who of each agency took part: names separated by 、 or commas, on any of the drill's rows.
                let teams = try ["emb_officers", "psb_officers"].compactMap { key -> (String, [String])? in
                    guard let raw = v[key], !raw.isEmpty else { return nil }
                    let names = raw.split(whereSeparator: { "、,，;；".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    guard !names.isEmpty else { throw ImportError(row: line, field: key, message: "应为检查人员姓名，用顿号分隔") }
                    return (key, names)
                }
                if let index = drills[id] {
                    var units = lines[index].object["units"] as! [[String: Any]]
                    units.append(unit)
                    lines[index].object["units"] = units
                    for (key, names) in teams {
                        let known = lines[index].object[key] as? [String] ?? []
                        lines[index].object[key] = known + names.filter { !known.contains($0) }
                    }
                } else {
                    var object: [String: Any] = ["type": type, "check_id": id, "alert_at": v["alert_at"] ?? "", "units": [unit]]
                    for key in ["scenario", "place", "video_point", "notes"] where !(v[key] ?? "").isEmpty { object[key] = v[key] }
                    for (key, names) in teams { object[key] = names }
                    drills[id] = lines.count
                    lines.append((line, object))
                }
            } else {
                throw ImportError(row: line, field: "type", message: "类型应为 phone、onsite 或 video")
            }
        }
        let text = try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0.object, options: [.sortedKeys]), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
        return (text, lines.map(\.row))
    }
}
