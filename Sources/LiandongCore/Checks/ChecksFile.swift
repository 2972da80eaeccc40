import Foundation

/// A past phone check as an import file records it. The unit is kept as written (a registered
/// name or an id): the server resolves it against the register.
public struct PhoneCheckRecord: Hashable, Sendable {
    /// The line of the file (1-based).
    public var line: Int
    public var checkID: String
    public var unit: String
    public var dialled: PhoneCheck.Dialled
    public var attempts: [PhoneCheck.Attempt]
    public var answeredBy: String?
    public var numberCurrent: Bool?
    /// Whether a change report covered a changed number; nil when the file does not say, and
    /// the register's contact history decides.
    public var changeReported: Bool?
    public var knowsFirstResponsibility: Bool?
    public var officers: [String]
    public var notes: String?

    /// The check for a resolved unit. `changeReportedInRegister` is what the register's contact
    /// history says; the file's own `change_reported`, when given, wins.
    public func check(unitID: Int, changeReportedInRegister: Bool = false) -> PhoneCheck {
        PhoneCheck(checkID: checkID, unitID: unitID, dialled: dialled, attempts: attempts, answeredBy: answeredBy,
                   numberCurrent: numberCurrent, changeReported: changeReported ?? changeReportedInRegister,
                   knowsFirstResponsibility: knowsFirstResponsibility, officers: officers, notes: notes)
    }
}

/// One unit of a past drill as an import file records it.
public struct DrillUnitRecord: Hashable, Sendable {
    public var unit: String
    public var notifiedAt: Date
    /// nil: the unit never arrived (the file says `"arrived_at": null`).
    public var arrivedAt: Date?
    /// The video check's own time for this unit: the unit's `limit_minutes`, else the drill's.
    public var limitSeconds: Int?
    public var vestWorn: Bool?
    public var equipmentOK: Bool?
    public var knowsDuties: Bool?
    public var notes: String?
}

/// A past on-site or video check as an import file records it.
public struct DrillRecord: Hashable, Sendable {
    public var line: Int
    public var checkID: String
    public var kind: Drill.Kind
    public var alertAt: Date
    public var scenario: String?
    public var place: String?
    public var videoPoint: String?
    /// The drill-wide `limit_minutes`, in seconds (already applied to each unit without its own).
    public var limitSeconds: Int?
    public var officers: [String]
    /// `emb_officers` and `psb_officers`: who of each agency took part; nil when the file says
    /// neither (the check then does not count as a joint check for D7).
    public var teams: [DrillTeam]?
    public var notes: String?
    public var units: [DrillUnitRecord]

    /// The drill with its units resolved against the register. A unit that cannot be found, or
    /// two entries that turn out to be the same unit, fail with the line and the entry.
    public func drill(resolve: (String) -> (id: Int, profile: UnitProfile)?) throws(ImportError) -> Drill {
        var resolved: [DrillUnit] = []
        for (index, unit) in units.enumerated() {
            guard let found = resolve(unit.unit) else {
                throw ImportError(row: line, field: "units[\(index)].unit", message: "找不到联动单位“\(unit.unit)”")
            }
            resolved.append(DrillUnit(unitID: found.id, profile: found.profile, notifiedAt: unit.notifiedAt,
                                      arrivedAt: unit.arrivedAt, limitSeconds: unit.limitSeconds, vestWorn: unit.vestWorn,
                                      equipmentOK: unit.equipmentOK, knowsDuties: unit.knowsDuties, notes: unit.notes))
        }
        let drill = Drill(checkID: checkID, kind: kind, alertAt: alertAt, scenario: scenario ?? "", place: place,
                          videoPoint: videoPoint, officers: officers, teams: teams, notes: notes, units: resolved)
        do { try drill.validate() } catch { throw ImportError(row: line, field: error.field, message: error.message) }
        return drill
    }
}

/// One line of a checks import file.
public enum CheckRecord: Hashable, Sendable {
    case phone(PhoneCheckRecord)
    case drill(DrillRecord)

    public var line: Int {
        switch self {
        case .phone(let r): r.line
        case .drill(let r): r.line
        }
    }

    public var checkID: String {
        switch self {
        case .phone(let r): r.checkID
        case .drill(let r): r.checkID
        }
    }
}

/// The import format for past check records: JSON Lines, one check per line, blank lines
/// skipped. `type` is `phone`, `onsite` or `video`. Any problem fails the whole file with the
/// line and the field (a JSON path such as `units[0].arrived_at`), so the clerk can fix it.
/// Unknown fields are errors too: a misspelt optional field would otherwise be silently lost.
public enum ChecksFile {
    public enum RecordType: String, CaseIterable, Sendable {
        case phone, onsite, video
    }

    /// Parses a file's bytes (UTF-8, with or without a byte-order mark). `dates`: the times a
    /// check may bear (from the mechanism's first day to a day past now).
    public static func parse(_ data: Data, rules: RuleBook = .standard, dates: FactDates) throws(ImportError) -> [CheckRecord] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImportError(row: 1, field: "", message: "文件不是UTF-8编码")
        }
        return try parse(text, rules: rules, dates: dates)
    }

    /// Parses the text of a file. Each check is validated by the rule version in force on its
    /// date (a phone check's first call, a drill's alert).
    public static func parse(_ text: String, rules: RuleBook = .standard, dates: FactDates) throws(ImportError) -> [CheckRecord] {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        // "\r\n" is one Character in Swift; a lone "\n" ends a line too.
        let lines = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        var records: [CheckRecord] = []
        var seen: [String: Int] = [:]
        for (offset, content) in lines.enumerated() {
            let line = offset + 1
            guard !content.allSatisfy(\.isWhitespace) else { continue }
            let record = try parseLine(String(content), line: line, rules: rules, dates: dates, seen: seen)
            seen[record.checkID] = line
            records.append(record)
        }
        guard !records.isEmpty else { throw ImportError(row: 1, field: "", message: "文件中没有检查记录") }
        return records
    }

    static func parseLine(_ content: String, line: Int, rules: RuleBook, dates: FactDates, seen: [String: Int]) throws(ImportError) -> CheckRecord {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(content.utf8))
        } catch {
            throw ImportError(row: line, field: "", message: "不是有效的JSON，每行应为一个完整的JSON对象")
        }
        guard case .object(let fields) = value else {
            throw ImportError(row: line, field: "", message: "每行应为一个JSON对象（{...}）")
        }
        let object = Fields(fields, path: "", line: line, dates: dates)
        let typeText = try object.string("type")
        guard let type = RecordType(rawValue: typeText) else {
            throw object.fail("type", "未知的检查类型“\(typeText)”；应为 phone（电话检查）、onsite（实地检查）或 video（视频检查）")
        }
        let checkID = try object.string("check_id")
        if let first = seen[checkID] {
            throw object.fail("check_id", "检查编号“\(checkID)”与第\(first)行重复")
        }
        switch type {
        case .phone: return .phone(try parsePhone(object, checkID: checkID, rules: rules))
        case .onsite, .video: return .drill(try parseDrill(object, checkID: checkID, kind: type == .video ? .video : .onsite))
        }
    }

    static func parsePhone(_ object: Fields, checkID: String, rules: RuleBook) throws(ImportError) -> PhoneCheckRecord {
        try object.allow(["type", "check_id", "unit", "dialled", "attempts", "answered_by", "number_current",
                          "change_reported", "knows_first_responsibility", "officers", "notes"])
        let unit = try object.unitReference("unit")
        let dialledText = try object.string("dialled")
        guard let dialled = PhoneCheck.Dialled(rawValue: dialledText) else {
            throw object.fail("dialled", "“\(dialledText)”应为 duty（值班电话）或 liaison（联络员电话）")
        }
        var attempts: [PhoneCheck.Attempt] = []
        for (index, element) in try object.array("attempts").enumerated() {
            let attempt = try object.object(element, at: "attempts[\(index)]")
            try attempt.allow(["at", "answered"])
            attempts.append(PhoneCheck.Attempt(at: try attempt.timestamp("at"), answered: try attempt.bool("answered")))
        }
        let record = PhoneCheckRecord(
            line: object.line, checkID: checkID, unit: unit, dialled: dialled, attempts: attempts,
            answeredBy: try object.optionalString("answered_by"), numberCurrent: try object.optionalBool("number_current"),
            changeReported: try object.optionalBool("change_reported"),
            knowsFirstResponsibility: try object.optionalBool("knows_first_responsibility"),
            officers: try object.strings("officers"), notes: try object.optionalString("notes"))
        // Validated as a check of a placeholder unit: the rules do not depend on which unit it is.
        let ruleSet = attempts.first.map { rules.inForce(at: $0.at) } ?? rules.latest
        do { try record.check(unitID: 0).validate(rules: ruleSet) } catch {
            throw ImportError(row: object.line, field: error.field, message: error.message)
        }
        return record
    }

    static func parseDrill(_ object: Fields, checkID: String, kind: Drill.Kind) throws(ImportError) -> DrillRecord {
        var allowed = ["type", "check_id", "alert_at", "scenario", "place", "units", "officers", "emb_officers", "psb_officers", "notes"]
        if kind == .video {
            allowed += ["limit_minutes", "video_point"]
        } else {
            try rejectVideoFields(object)
        }
        try object.allow(allowed)
        let alertAt = try object.timestamp("alert_at")
        let drillLimit = try object.limitSeconds("limit_minutes")
        var units: [DrillUnitRecord] = []
        var seenUnits: [String: Int] = [:]
        for (index, element) in try object.array("units").enumerated() {
            let path = "units[\(index)]"
            let entry = try object.object(element, at: path)
            if kind == .onsite { try rejectVideoFields(entry) }
            try entry.allow(["unit", "notified_at", "arrived_at", "vest", "equipment_ok", "knows_duties", "notes"]
                            + (kind == .video ? ["limit_minutes"] : []))
            let unit = try entry.unitReference("unit")
            if let first = seenUnits[unit] {
                throw entry.fail("unit", "“\(unit)”与第\(first + 1)个单位重复，同一单位在一次检查中只登记一次")
            }
            seenUnits[unit] = index
            // "Never arrived" is a D10 no-show finding, so it must be said (null), not implied by
            // a forgotten field.
            guard entry.has("arrived_at") else {
                throw entry.fail("arrived_at", "缺少到达时间；单位未到达时请填写 null")
            }
            units.append(DrillUnitRecord(
                unit: unit, notifiedAt: try entry.timestamp("notified_at"),
                arrivedAt: try entry.optionalTimestamp("arrived_at"),
                limitSeconds: try entry.limitSeconds("limit_minutes") ?? drillLimit,
                vestWorn: try entry.optionalBool("vest"), equipmentOK: try entry.optionalBool("equipment_ok"),
                knowsDuties: try entry.optionalBool("knows_duties"), notes: try entry.optionalString("notes")))
        }
        // Who of each agency took part; the officers' list names them all.
        var teams: [DrillTeam]?
        var officers = try object.strings("officers")
        for agency in Agency.confirming where object.has("\(agency.rawValue)_officers") {
            let names = try object.strings("\(agency.rawValue)_officers")
            teams = (teams ?? []) + [DrillTeam(agency: agency, officers: names)]
            officers += names.filter { !officers.contains($0) }
        }
        let record = DrillRecord(
            line: object.line, checkID: checkID, kind: kind, alertAt: alertAt,
            scenario: try object.optionalString("scenario"), place: try object.optionalString("place"),
            videoPoint: try object.optionalString("video_point"), limitSeconds: drillLimit,
            officers: officers, teams: teams, notes: try object.optionalString("notes"), units: units)
        // Validated with placeholder units (one per entry, so only the file's own repetitions,
        // caught above, count as duplicates; the server validates again once units are resolved).
        let placeholder = UnitProfile(name: "", jurisdictionID: Jurisdictions.city.id, level: .one, kind: .department)
        _ = try record.drill { raw in seenUnits[raw].map { (id: $0, profile: placeholder) } }
        return record
    }
}

extension ChecksFile {
    /// Only a video check sets its own time and has a video point; an on-site check is judged
    /// by the Annex 1 item 9 limits, which only a new rule version changes.
    static func rejectVideoFields(_ object: Fields) throws(ImportError) {
        if object.has("limit_minutes") {
            throw object.fail("limit_minutes", "实地检查按规定时限判定，不能另设到达时限（仅视频检查可设）")
        }
        if object.has("video_point") {
            throw object.fail("video_point", "实地检查没有视频点位（仅视频检查填写）")
        }
    }
}

/// A JSON value as decoded, keeping booleans apart from numbers (`1` is not `true`).
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

/// Typed access to one JSON object of a line, with errors that name the line and the path.
struct Fields {
    let values: [String: JSONValue]
    /// The object's path within the line (`units[0]`), empty for the line's object.
    let path: String
    let line: Int
    /// The times a timestamp of the line may bear.
    let dates: FactDates

    init(_ values: [String: JSONValue], path: String, line: Int, dates: FactDates = .unbounded) {
        self.values = values; self.path = path; self.line = line; self.dates = dates
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String) -> ImportError {
        ImportError(row: line, field: field(key), message: message)
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    /// Rejects fields the format does not have.
    func allow(_ keys: [String]) throws(ImportError) {
        for key in values.keys.sorted() where !keys.contains(key) {
            throw fail(key, "未知字段；此处可用的字段为：\(keys.joined(separator: "、"))")
        }
    }

    /// The value, nil when absent or null.
    func present(_ key: String) -> JSONValue? {
        guard let value = values[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws(ImportError) -> JSONValue {
        guard let value = present(key) else { throw fail(key, "缺少必填字段") }
        return value
    }

    func string(_ key: String) throws(ImportError) -> String {
        guard let text = try optionalString(key) else { throw fail(key, "缺少必填字段") }
        return text
    }

    /// A trimmed string; a blank one counts as absent.
    func optionalString(_ key: String) throws(ImportError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let raw) = value else { throw fail(key, "应为字符串") }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// A unit as written: a registered name, or an id (as a number or a string).
    func unitReference(_ key: String) throws(ImportError) -> String {
        switch try required(key) {
        case .string(let raw):
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw fail(key, "缺少必填字段") }
            return text
        case .number(let n) where n > 0 && n == n.rounded() && n < Double(Int32.max):
            return String(Int(n))
        default:
            throw fail(key, "应为单位名称或单位编号")
        }
    }

    func bool(_ key: String) throws(ImportError) -> Bool {
        guard let value = try optionalBool(key) else { throw fail(key, "缺少必填字段") }
        return value
    }

    func optionalBool(_ key: String) throws(ImportError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let b) = value else { throw fail(key, "应为 true 或 false（不清楚时填 null）") }
        return b
    }

    func timestamp(_ key: String) throws(ImportError) -> Date {
        guard let date = try optionalTimestamp(key) else { throw fail(key, "缺少必填字段") }
        return date
    }

    func optionalTimestamp(_ key: String) throws(ImportError) -> Date? {
        guard let value = present(key) else { return nil }
        guard case .string(let raw) = value, let date = ChinaTime.parseTimestamp(raw) else {
            throw fail(key, "不是有效的时间；应写作 2026-03-04T09:10:00+08:00 这样的格式")
        }
        if let problem = dates.problem(date, written: raw) { throw fail(key, problem) }
        return date
    }

    /// `limit_minutes` in whole seconds; fractions of a minute are allowed down to the second.
    func limitSeconds(_ key: String) throws(ImportError) -> Int? {
        guard let value = present(key) else { return nil }
        guard case .number(let minutes) = value, minutes > 0, minutes < Double(Int32.max) / 60,
              (minutes * 60) == (minutes * 60).rounded()
        else { throw fail(key, "应为大于0的分钟数（可精确到秒，如 7.5）") }
        return Int(minutes * 60)
    }

    func array(_ key: String) throws(ImportError) -> [JSONValue] {
        guard case .array(let items) = try required(key) else { throw fail(key, "应为数组（[...]）") }
        guard !items.isEmpty else { throw fail(key, "不能为空数组") }
        return items
    }

    /// An array of non-blank strings; absent or null is empty.
    func strings(_ key: String) throws(ImportError) -> [String] {
        guard let value = present(key) else { return [] }
        guard case .array(let items) = value else { throw fail(key, "应为字符串数组") }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let raw) = item, !raw.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ImportError(row: line, field: "\(field(key))[\(index)]", message: "应为非空字符串")
            }
            result.append(raw.trimmingCharacters(in: .whitespaces))
        }
        return result
    }

    /// An element of an array that must itself be an object.
    func object(_ value: JSONValue, at elementPath: String) throws(ImportError) -> Fields {
        let full = path.isEmpty ? elementPath : "\(path).\(elementPath)"
        guard case .object(let fields) = value else {
            throw ImportError(row: line, field: full, message: "应为JSON对象（{...}）")
        }
        return Fields(fields, path: full, line: line, dates: dates)
    }
}
