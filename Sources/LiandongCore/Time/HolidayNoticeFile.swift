import Foundation

/// The import format of the working calendar: one record per line, as JSON Lines (`.jsonl`) or
/// CSV with the same field names as columns (UTF-8, a header row). Each record belongs to a
/// `year` and is of one `type`:
///
/// - `notice`: `number` (文号) and `title` of the State Council's notice, `issued_on` and `note`
///   optional; the annual notice first, then any later notice that changed the year;
/// - `holiday`: `name` (元旦, 春节 …), `from` and `to` (inclusive; `to` may be left out for one day);
/// - `workday`: `date` of a make-up working day (调休上班, a Saturday or Sunday), `name` of the
///   holiday it belongs to (optional).
///
/// ```
/// {"year":2026,"type":"notice","number":"国办发明电〔2025〕7号","title":"国务院办公厅关于2026年部分节假日安排的通知"}
/// {"year":2026,"type":"holiday","name":"国庆节","from":"2026-10-01","to":"2026-10-07"}
/// {"year":2026,"type":"workday","date":"2026-10-10","name":"国庆节"}
/// ```
///
/// A file holds any number of years; each year in it is replaced whole. Any problem fails the
/// whole file naming the line and the field.
public enum HolidayNoticeFile {
    public enum LineType: String, CaseIterable, Sendable {
        case notice, holiday, workday
    }

    public static let fields = ["year", "type", "name", "from", "to", "date", "number", "title", "issued_on", "note"]

    static let fieldsByType: [LineType: Set<String>] = [
        .notice: ["year", "type", "number", "title", "issued_on", "note"],
        .holiday: ["year", "type", "name", "from", "to"],
        .workday: ["year", "type", "date", "name"],
    ]

    /// The years a file may name.
    public static let years = 2000...2100

    // MARK: Reading

    /// JSON Lines: one object per line; blank lines are skipped. A byte-order mark is allowed.
    public static func parseJSONLines(_ data: Data) throws(ImportError) -> [HolidayNotice] {
        guard var text = String(data: data, encoding: .utf8) else {
            throw ImportError(row: 1, field: "", message: "文件不是 UTF-8 编码")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var records: [(line: Int, fields: [String: JSONScalar])] = []
        for (offset, content) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = offset + 1
            guard !content.allSatisfy(\.isWhitespace) else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String: Any] else {
                throw ImportError(row: line, field: "", message: "不是有效的 JSON 对象，每行应为一个完整的 JSON 对象")
            }
            records.append((line, object.mapValues(JSONScalar.init(any:))))
        }
        return try notices(from: records)
    }

    /// CSV rows with the field names as the header (`line` numbers from the file). Empty cells
    /// count as absent.
    public static func parseCSV(header: [String], rows: [(line: Int, cells: [String])]) throws(ImportError) -> [HolidayNotice] {
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        for name in names where !fields.contains(name) {
            throw ImportError(row: 1, field: name, message: "未知列；可用列：\(fields.joined(separator: "、"))")
        }
        var records: [(line: Int, fields: [String: JSONScalar])] = []
        for (line, cells) in rows where !cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            var object: [String: JSONScalar] = [:]
            for (index, name) in names.enumerated() where index < cells.count && !cells[index].trimmingCharacters(in: .whitespaces).isEmpty {
                object[name] = .string(cells[index])
            }
            records.append((line, object))
        }
        return try notices(from: records)
    }

    /// What a year's lines say, with the line of each part (for errors across lines).
    struct YearDraft {
        var firstLine: Int
        var documents: [HolidayNotice.Document] = []
        var holidays: [(line: Int, holiday: HolidayNotice.Holiday)] = []
        var workdays: [(line: Int, day: HolidayNotice.MakeUpDay)] = []
    }

    /// The records of a file, checked line by line and then year by year.
    public static func notices(from records: [(line: Int, fields: [String: JSONScalar])]) throws(ImportError) -> [HolidayNotice] {
        guard !records.isEmpty else { throw ImportError(row: 1, field: "", message: "文件中没有日历记录") }
        var drafts: [Int: YearDraft] = [:]
        var order: [Int] = []
        for (line, object) in records {
            func fail(_ field: String, _ message: String) -> ImportError { ImportError(row: line, field: field, message: message) }
            func text(_ key: String, required: Bool = false, max: Int) throws(ImportError) -> String? {
                switch object[key] {
                case nil, .null?:
                    if required { throw fail(key, "缺少必填字段") }
                    return nil
                case .string(let raw)?:
                    let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                    if value.isEmpty {
                        if required { throw fail(key, "不能为空") }
                        return nil
                    }
                    if IdentifierText.hasControlCharacters(value) { throw fail(key, IdentifierText.controlCharacterMessage) }
                    guard value.count <= max else { throw fail(key, "不能超过\(max)个字符") }
                    return value
                default:
                    throw fail(key, "应为文本")
                }
            }
            func date(_ key: String, required: Bool = false) throws(ImportError) -> LocalDate? {
                guard let raw = try text(key, required: required, max: 10) else { return nil }
                guard raw.count == 10, let day = LocalDate(raw) else { throw fail(key, "“\(raw)”不是有效的日期，应写作 2026-10-01") }
                return day
            }

            let year: Int
            switch object["year"] {
            case nil, .null?: throw fail("year", "缺少必填字段")
            case .number(let n)?: guard let y = Int(n) else { throw fail("year", "“\(n)”不是年份") }; year = y
            case .string(let s)?: guard let y = Int(s.trimmingCharacters(in: .whitespaces)) else { throw fail("year", "“\(s)”不是年份") }; year = y
            default: throw fail("year", "应为年份，如 2026")
            }
            guard years.contains(year) else { throw fail("year", "年份\(year)应在\(years.lowerBound)年至\(years.upperBound)年之间") }
            guard let typeText = try text("type", required: true, max: 16) else { throw fail("type", "缺少必填字段") }
            guard let type = LineType(rawValue: typeText) else {
                throw fail("type", "未知类型“\(typeText)”；应为 notice（通知）、holiday（放假）或 workday（调休上班）")
            }
            let allowed = fieldsByType[type]!
            for key in object.keys.sorted() where !allowed.contains(key) {
                throw fail(key, fields.contains(key)
                           ? "\(type.rawValue) 行不用此字段；可用字段：\(allowed.sorted { fields.firstIndex(of: $0)! < fields.firstIndex(of: $1)! }.joined(separator: "、"))"
                           : "未知字段；可用字段：\(fields.joined(separator: "、"))")
            }
            if drafts[year] == nil { drafts[year] = YearDraft(firstLine: line); order.append(year) }
            let range = HolidayNotice.allowedDays(year: year)
            func inYear(_ day: LocalDate, _ key: String) throws(ImportError) {
                guard range.contains(day) else {
                    throw fail(key, "\(day.chinese)不在\(year)年的安排之内（应为\(range.lowerBound.chinese)至\(range.upperBound.chinese)）")
                }
            }
            switch type {
            case .notice:
                let number = try text("number", required: true, max: 64)!
                let title = try text("title", required: true, max: 100)!
                drafts[year]!.documents.append(HolidayNotice.Document(number: number, title: title, issuedOn: try date("issued_on"),
                                                                      note: try text("note", max: 500)))
            case .holiday:
                let name = try text("name", required: true, max: 20)!
                let first = try date("from", required: true)!
                let last = try date("to") ?? first
                try inYear(first, "from")
                try inYear(last, "to")
                guard first <= last else { throw fail("to", "结束日期\(last.chinese)早于开始日期\(first.chinese)") }
                let length = last.dayNumber - first.dayNumber + 1
                guard length <= HolidayNotice.longestHolidayDays else {
                    throw fail("to", "放假\(length)天，超过\(HolidayNotice.longestHolidayDays)天，请核对日期")
                }
                let holiday = HolidayNotice.Holiday(name, first, last)
                for other in drafts.values.flatMap(\.holidays) where other.holiday.first <= last && first <= other.holiday.last {
                    throw fail("from", "与第\(other.line)行的放假时间（\(other.holiday.name)）重叠")
                }
                for other in drafts.values.flatMap(\.workdays) where first <= other.day.date && other.day.date <= last {
                    throw fail("from", "包含第\(other.line)行的调休上班日\(other.day.date.chinese)")
                }
                drafts[year]!.holidays.append((line, holiday))
            case .workday:
                let day = try date("date", required: true)!
                try inYear(day, "date")
                guard day.weekday == 0 || day.weekday == 6 else {
                    throw fail("date", "\(day.chinese)是\(weekdayName(day))，本来就是工作日；调休上班日应为星期六或星期日")
                }
                for other in drafts.values.flatMap(\.workdays) where other.day.date == day {
                    throw fail("date", "与第\(other.line)行的调休上班日重复")
                }
                for other in drafts.values.flatMap(\.holidays) where other.holiday.first <= day && day <= other.holiday.last {
                    throw fail("date", "在第\(other.line)行的放假时间（\(other.holiday.name)）之内")
                }
                drafts[year]!.workdays.append((line, HolidayNotice.MakeUpDay(day, for: try text("name", max: 20))))
            }
        }
        return try order.map { year throws(ImportError) -> HolidayNotice in
            let draft = drafts[year]!
            guard !draft.documents.isEmpty else {
                throw ImportError(row: draft.firstLine, field: "type", message: "\(year)年缺少 notice 行（通知的文号和标题）")
            }
            guard !draft.holidays.isEmpty else {
                throw ImportError(row: draft.firstLine, field: "type", message: "\(year)年没有 holiday 行（放假安排）")
            }
            return HolidayNotice(year: year, documents: draft.documents, holidays: draft.holidays.map(\.holiday),
                                 makeUpDays: draft.workdays.map(\.day))
        }.sorted { $0.year < $1.year }
    }

    static func weekdayName(_ day: LocalDate) -> String {
        ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"][day.weekday]
    }

    // MARK: Writing

    /// The records of notices, in the order a file lists them: each year's notices, holidays, then workdays.
    public static func records(_ notices: [HolidayNotice]) -> [[String: String]] {
        var out: [[String: String]] = []
        for notice in notices.sorted(by: { $0.year < $1.year }) {
            let year = String(notice.year)
            for d in notice.documents {
                var r = ["year": year, "type": "notice", "number": d.number, "title": d.title]
                r["issued_on"] = d.issuedOn?.description
                r["note"] = d.note
                out.append(r)
            }
            for h in notice.holidays {
                out.append(["year": year, "type": "holiday", "name": h.name, "from": h.first.description, "to": h.last.description])
            }
            for w in notice.makeUpDays {
                var r = ["year": year, "type": "workday", "date": w.date.description]
                r["name"] = w.name
                out.append(r)
            }
        }
        return out
    }

    /// JSON Lines in the import format (`year` as a number): importing it again changes nothing.
    public static func jsonLines(_ notices: [HolidayNotice]) -> String {
        records(notices).map { record in
            "{" + fields.compactMap { key -> String? in
                guard let value = record[key] else { return nil }
                return key == "year" ? "\"year\":\(value)" : "\"\(key)\":\(jsonString(value))"
            }.joined(separator: ",") + "}\n"
        }.joined()
    }

    /// CSV rows in the import format: the header, then one row per record.
    public static func csvRows(_ notices: [HolidayNotice]) -> [[String]] {
        [fields] + records(notices).map { record in fields.map { record[$0] ?? "" } }
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
