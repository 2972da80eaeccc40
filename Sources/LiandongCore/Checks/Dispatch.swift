import Foundation

/// A step of a linkage dispatch as the 110 system reports it (issue: live linkage dispatches).
public enum DispatchEventType: String, Sendable, Codable, CaseIterable {
    /// The instruction reached the unit: the response clock starts.
    case instructed
    case acknowledged
    /// 有警不出: the unit would not turn out.
    case refused
    /// 推诿: the unit tried to hand the case to another unit instead of handling it.
    case passedOn = "passed_on"
    /// The first responders arrived on scene.
    case arrived
    /// The unit reported its arrival to 110.
    case arrivalReported = "arrival_reported"
    /// The unit reported the result.
    case resultReported = "result_reported"
    case closed

    public var name: String {
        switch self {
        case .instructed: "下达指令"
        case .acknowledged: "接收指令"
        case .refused: "有警不出"
        case .passedOn: "推诿"
        case .arrived: "到达现场"
        case .arrivalReported: "反馈到达"
        case .resultReported: "反馈结果"
        case .closed: "结束"
        }
    }
}

/// One event as received, with the unit still as the sender wrote it (a name or an id).
public struct DispatchEventInput: Hashable, Sendable {
    public var eventID: String
    public var incidentID: String
    public var unit: String
    public var type: DispatchEventType
    public var at: Date
    /// Read from the `instructed` event; default true.
    public var onSiteRequired: Bool?
    /// Belongs to a drill: stored, never judged as a live dispatch.
    public var exercise: Bool
    public var note: String?
    /// The on-site or video check (drill) an exercise event belongs to, by its check id.
    public var drillID: String?

    public init(eventID: String, incidentID: String, unit: String, type: DispatchEventType, at: Date,
                onSiteRequired: Bool? = nil, exercise: Bool = false, note: String? = nil, drillID: String? = nil) {
        self.eventID = eventID; self.incidentID = incidentID; self.unit = unit; self.type = type; self.at = at
        self.onSiteRequired = onSiteRequired; self.exercise = exercise; self.note = note; self.drillID = drillID
    }
}

/// Reading events from JSON (one object, an array, or JSON Lines) and CSV with the same field
/// names. Any problem refuses the whole batch, naming the line or index and the field.
public enum DispatchEventParser {
    public static let fields = ["event_id", "incident_id", "unit", "type", "at", "on_site_required", "exercise", "note", "drill_id"]

    /// `position`: how the error names where the event is ("第3行" for files, "第3条" for arrays).
    /// `dates`: the times an event may bear (from the mechanism's first day to a day past now).
    public static func event(from object: [String: Any], position: Int, dates: FactDates) throws(ImportError) -> DispatchEventInput {
        try event(from: object.mapValues(JSONScalar.init(any:)), position: position, dates: dates)
    }

    public static func event(from object: [String: JSONScalar], position: Int, dates: FactDates) throws(ImportError) -> DispatchEventInput {
        func fail(_ field: String, _ message: String) -> ImportError { ImportError(row: position, field: field, message: message) }
        func text(_ key: String, required: Bool = true, max: Int = 64) throws(ImportError) -> String? {
            var value: String
            switch object[key] {
            case nil, .null?:
                if required { throw fail(key, "缺少必填字段") }
                return nil
            case .string(let s)?: value = s
            case .number(let n)? where key == "unit": value = n
            default: throw fail(key, "应为文本")
            }
            if let first = value.utf8.first, let last = value.utf8.last, first.isASCIIBlank || last.isASCIIBlank {
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if value.isEmpty {
                if required { throw fail(key, "不能为空") }
                return nil
            }
            if key != "note", IdentifierText.hasControlCharacters(value) { throw fail(key, IdentifierText.controlCharacterMessage) }
            // Characters as users count them; the byte count bounds it from above cheaply.
            guard value.utf8.count <= max || value.count <= max else { throw fail(key, "不能超过\(max)个字符") }
            return value
        }
        func flag(_ key: String) throws(ImportError) -> Bool? {
            switch object[key] {
            case nil, .null?: return nil
            case .bool(let b)?: return b
            case .number("1")?: return true
            case .number("0")?: return false
            case .string(let s)?:
                switch s.lowercased() {
                case "true", "1", "yes", "是": return true
                case "false", "0", "no", "否", "": return s.isEmpty ? nil : false
                default: break
                }
            default: break
            }
            throw fail(key, "应为 true 或 false")
        }
        for key in object.keys where !fields.contains(key) {
            throw fail(key, "未知字段；可用字段：\(fields.joined(separator: "、"))")
        }
        let eventID = try text("event_id")!
        let incidentID = try text("incident_id")!
        let unit = try text("unit", max: 60)!
        let typeText = try text("type")!
        guard let type = DispatchEventType(rawValue: typeText) else {
            throw fail("type", "未知类型“\(typeText)”；应为 \(DispatchEventType.allCases.map(\.rawValue).joined(separator: "、")) 之一")
        }
        let atText = try text("at")!
        guard let at = ChinaTime.parseTimestamp(atText) else {
            throw fail("at", "时间“\(atText)”格式不正确，应为 2026-03-01T08:15:00+08:00")
        }
        // A time the 110 system can have sent under the mechanism: not before its first day, not
        // more than the tolerance past now.
        if let problem = dates.problem(at, written: atText) { throw fail("at", problem) }
        let onSite = try flag("on_site_required")
        if onSite != nil && type != .instructed {
            throw fail("on_site_required", "只能在 instructed 事件中给出")
        }
        let exercise = try flag("exercise") ?? false
        let drillID = try text("drill_id", required: false)
        if drillID != nil && !exercise {
            throw fail("drill_id", "只有演练事件（exercise 为 true）才能关联检查编号")
        }
        return DispatchEventInput(eventID: eventID, incidentID: incidentID, unit: unit, type: type, at: at,
                                  onSiteRequired: onSite, exercise: exercise,
                                  note: try text("note", required: false, max: 500), drillID: drillID)
    }

    /// A JSON body: one event object or an array of them. Positions are 1-based array indices.
    public static func parseJSON(_ data: Data, limit: Int, dates: FactDates) throws(ImportError) -> [DispatchEventInput] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ImportError(row: 0, field: "", message: "请求内容不是有效的 JSON")
        }
        let objects: [Any]
        if let array = root as? [Any] { objects = array } else if root is [String: Any] { objects = [root] } else {
            throw ImportError(row: 0, field: "", message: "应为一个事件对象或事件数组")
        }
        guard !objects.isEmpty else { throw ImportError(row: 0, field: "", message: "没有事件") }
        guard objects.count <= limit else { throw ImportError(row: 0, field: "", message: "一次最多\(limit)个事件，收到\(objects.count)个") }
        var events: [DispatchEventInput] = []
        events.reserveCapacity(objects.count)
        for (index, item) in objects.enumerated() {
            guard let object = item as? [String: Any] else { throw ImportError(row: index + 1, field: "", message: "应为事件对象") }
            events.append(try event(from: object, position: index + 1, dates: dates))
        }
        return events
    }

    /// JSON Lines: one object per line; blank lines are skipped. Positions are line numbers.
    public static func parseJSONLines(_ data: Data, dates: FactDates) throws(ImportError) -> [DispatchEventInput] {
        try parseJSONLinesWithLines(data, dates: dates).events
    }

    /// The events and the line number of each. Large files are cut at line ends into one part
    /// per processor and the parts parsed at once; an error names the first bad line of the
    /// file, as a sequential reading would.
    public static func parseJSONLinesWithLines(_ data: Data, parts wanted: Int = ProcessInfo.processInfo.activeProcessorCount,
                                               dates: FactDates) throws(ImportError) -> (events: [DispatchEventInput], lines: [Int]) {
        final class Results: @unchecked Sendable {
            // Each part writes only its own slot.
            var parts: [Part]
            init(_ count: Int) { parts = Array(repeating: Part(), count: count) }
        }
        let result: Result<([DispatchEventInput], [Int]), ImportError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // Part boundaries just after a newline, so no line is split.
            let count = bytes.count < 1 << 20 ? 1 : max(1, wanted)
            var bounds = [0]
            for k in 1..<count {
                var cut = max(bounds[k - 1], bytes.count * k / count)
                while cut < bytes.count, cut > 0, bytes[cut - 1] != 0x0A { cut += 1 }
                bounds.append(cut)
            }
            bounds.append(bytes.count)
            let results = Results(count)
            let cuts = bounds
            // The buffer outlives the (synchronous) parallel loop, which only reads it.
            nonisolated(unsafe) let shared = bytes
            DispatchQueue.concurrentPerform(iterations: count) { k in
                results.parts[k] = parsePart(UnsafeBufferPointer(rebasing: shared[cuts[k]..<cuts[k + 1]]), dates: dates)
            }
            // Local line numbers become the file's.
            var events: [DispatchEventInput] = [], lines: [Int] = []
            events.reserveCapacity(results.parts.reduce(0) { $0 + $1.events.count })
            lines.reserveCapacity(events.capacity)
            var offset = 0
            for part in results.parts {
                if let error = part.error {
                    return .failure(ImportError(row: error.row + offset, field: error.field, message: error.message))
                }
                events += part.events
                lines += part.lines.map { $0 + offset }
                offset += part.lineCount
            }
            return .success((events, lines))
        }
        let (events, lines) = try result.get()
        return (events, lines)
    }

    struct Part {
        var events: [DispatchEventInput] = []
        var lines: [Int] = []
        var lineCount = 0
        var error: ImportError?
    }

    /// One part of a JSON Lines file, with line numbers counted from its start.
    static func parsePart(_ bytes: UnsafeBufferPointer<UInt8>, dates: FactDates) -> Part {
        var part = Part()
        part.events.reserveCapacity(bytes.count / 160)
        part.lines.reserveCapacity(bytes.count / 160)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            var end = start
            while end < bytes.endIndex, bytes[end] != 0x0A { end += 1 }
            part.lineCount += 1
            let lineNumber = part.lineCount
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end < bytes.endIndex ? end + 1 : end
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do throws(ImportError) {
                // A flat object of plain values (what the 110 system sends) is scanned directly;
                // anything else goes through the full JSON parser.
                if let fields = FlatJSON.object(line) {
                    part.events.append(try event(from: fields, position: lineNumber, dates: dates))
                } else {
                    guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                        throw ImportError(row: lineNumber, field: "", message: "不是有效的 JSON 对象")
                    }
                    part.events.append(try event(from: object, position: lineNumber, dates: dates))
                }
                part.lines.append(lineNumber)
            } catch {
                part.error = error
                return part
            }
        }
        return part
    }

    /// CSV rows with the field names as the header (`line` numbers from the file).
    public static func parseCSV(header: [String], rows: [(line: Int, cells: [String])], dates: FactDates) throws(ImportError) -> [DispatchEventInput] {
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        for name in names where !fields.contains(name) {
            throw ImportError(row: 1, field: name, message: "未知列；可用列：\(fields.joined(separator: "、"))")
        }
        var events: [DispatchEventInput] = []
        for (line, cells) in rows {
            var object: [String: JSONScalar] = [:]
            for (index, name) in names.enumerated() where index < cells.count && !cells[index].isEmpty {
                object[name] = .string(cells[index])
            }
            events.append(try event(from: object, position: line, dates: dates))
        }
        return events
    }
}

/// A unit's part in one incident: every event known for that (incident, unit) pair, judged.
public struct DispatchTimeline: Sendable {
    public struct Event: Sendable, Hashable {
        public var type: DispatchEventType
        public var at: Date
        public var onSiteRequired: Bool?
        public var exercise: Bool

        public init(type: DispatchEventType, at: Date, onSiteRequired: Bool? = nil, exercise: Bool = false) {
            self.type = type; self.at = at; self.onSiteRequired = onSiteRequired; self.exercise = exercise
        }
    }

    public var incidentID: String
    public var unitID: Int
    public var level: UnitLevel
    public var publicSecurity: Bool
    public var events: [Event]

    public init(incidentID: String, unitID: Int, level: UnitLevel, publicSecurity: Bool, events: [Event]) {
        self.incidentID = incidentID; self.unitID = unitID; self.level = level; self.publicSecurity = publicSecurity
        self.events = events.sorted { $0.at < $1.at }
    }

    func first(_ type: DispatchEventType) -> Date? { events.first { $0.type == type }?.at }

    public var instructedAt: Date? { first(.instructed) }
    public var acknowledgedAt: Date? { first(.acknowledged) }
    /// The first responders' arrival; an arrival report stands for it when the 110 system
    /// recorded no arrival of its own (the arrival happened at the latest then).
    public var arrivedAt: Date? { first(.arrived) ?? first(.arrivalReported) }
    public var arrivalReportedAt: Date? { first(.arrivalReported) }
    public var resultReportedAt: Date? { first(.resultReported) }
    public var closedAt: Date? { first(.closed) }
    public var refused: Bool { events.contains { $0.type == .refused } }
    public var passedOn: Bool { events.contains { $0.type == .passedOn } }
    /// Drill events are kept with their drill and never judged as a live dispatch.
    public var exercise: Bool { events.contains { $0.exercise } }
    /// Read from the `instructed` event; default true.
    public var onSiteRequired: Bool { events.first { $0.type == .instructed }?.onSiteRequired ?? true }

    /// Whether arrival is judged at all: a level-3 unit only when on-site response is needed
    /// (Annex 2 三(二)); others whenever the dispatch says on-site response is required.
    public var arrivalJudged: Bool { onSiteRequired }

    /// Whether the reports are judged yet: once the dispatch is closed, or once the report
    /// deadline (`reportGraceHours` after the instruction) has passed.
    public func settled(rules: RuleSet, now: Date) -> Bool {
        guard let instructed = instructedAt else { return false }
        return closedAt != nil || now.timeIntervalSince(instructed) > Double(rules.reportGraceHours * 3600)
    }

    /// The reports Annex 2 asks of the unit that it has not made: the arrival report when the
    /// 110 system recorded an arrival and the unit never reported it, the result report when
    /// the unit handled the case (arrived, or, without on-site response, neither refused nor
    /// passed it on) and never reported the result. `reported`: failures the police reported
    /// by hand for the same incident and unit.
    public func missingReports(reported: Set<LiveAlertFailure> = []) -> (arrival: Bool, result: Bool) {
        let turnedAway = refused || passedOn || reported.contains(.refused) || reported.contains(.passedOn)
        let arrival = first(.arrived) != nil && arrivalReportedAt == nil
        let handled = arrivedAt != nil || (!arrivalJudged && !turnedAway)
        return (arrival, handled && resultReportedAt == nil)
    }

    /// The judgement of what is known now. A dispatch still open is judged on its reports only
    /// once it is closed or past the report deadline. One finding per shortfall, one shortfall
    /// per behaviour (mechanism.md §5): a unit that refused or passed the case on (by the 110
    /// timeline or by a report of the police, `reported`) is not also found not to have arrived;
    /// the reports it did not make are one finding naming them. The reported failures themselves
    /// are findings of the reports, not of this judgement.
    public func judge(rules: RuleSet, unitName: String, now: Date,
                      reported: Set<LiveAlertFailure> = []) -> (arrival: ArrivalJudgement?, findings: [Finding]) {
        guard !exercise, let instructed = instructedAt else { return (nil, []) }
        var findings: [Finding] = []
        func add(_ kind: FindingKind, _ reason: String, at: Date) {
            findings.append(rules.finding(kind, unitID: unitID, source: .dispatch, ref: incidentID, at: at, reason: reason))
        }
        let time = { (d: Date) in String(ChinaTime.isoString(d).dropFirst(11).prefix(8)) }
        if let at = first(.refused) { add(.refused, "\(unitName)接到指令后有警不出（\(time(at))）", at: at) }
        if let at = first(.passedOn) { add(.passedOn, "\(unitName)接到指令后推诿，未按首处责任制处置（\(time(at))）", at: at) }
        let turnedAway = refused || passedOn || reported.contains(.refused) || reported.contains(.passedOn)
        var judgement: ArrivalJudgement?
        let due = settled(rules: rules, now: now)
        if arrivalJudged {
            let limit = rules.limit(level: level, publicSecurity: publicSecurity)
            if let arrived = arrivedAt {
                let result = rules.judgeArrival(elapsedSeconds: RuleSet.elapsedSeconds(from: instructed, to: arrived), limit: limit)
                judgement = result
                if let points = result.points {
                    findings.append(Finding(
                        unitID: unitID, item: .d9, kind: .lateArrival, source: .dispatch, ref: incidentID, occurredAt: arrived,
                        proposedPoints: points,
                        reason: "\(unitName)首批处置力量\(RuleSet.durationText(seconds: result.elapsedSeconds))到场，超过\(limit)时限\(RuleSet.durationText(seconds: result.lateBySeconds))",
                        ruleVersion: rules.version))
                }
            } else if !turnedAway && due {
                add(.noArrival, "\(unitName)需现场处置，但未到达现场或未反馈到达情况", at: closedAt ?? instructed)
            }
        }
        let missing = missingReports(reported: reported)
        if due && (missing.arrival || missing.result) {
            let reason = switch (missing.arrival, missing.result, arrivedAt != nil) {
            case (true, true, _): "\(unitName)到场后未向110反馈到达情况，也未反馈处置结果"
            case (true, false, _): "\(unitName)到场后未向110反馈到达情况"
            case (false, _, true): "\(unitName)到场处置后未反馈处置结果"
            case (false, _, false): "\(unitName)未反馈处置结果"
            }
            add(.noReportBack, reason, at: closedAt ?? arrivedAt ?? instructed)
        }
        return (judgement, findings)
    }
}
