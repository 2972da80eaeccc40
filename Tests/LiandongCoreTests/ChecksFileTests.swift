import Foundation
import Testing
@testable import LiandongCore

@Suite("Past check records: JSON Lines import")
struct ChecksFileTests {
    static let phoneLine = #"{"type":"phone","check_id":"PC-2026-03-001","unit":"市水利局","dialled":"duty","attempts":[{"at":"2026-03-04T09:10:00+08:00","answered":false},{"at":"2026-03-04T09:13:00+08:00","answered":false},{"at":"2026-03-04T09:16:00+08:00","answered":false}],"number_current":true,"knows_first_responsibility":null}"#
    static let onsiteLine = #"{"type":"onsite","check_id":"DR-2026-Q1-01","alert_at":"2026-03-10T14:00:00+08:00","scenario":"...","units":[{"unit":"市建设局","notified_at":"2026-03-10T14:00:00+08:00","arrived_at":"2026-03-10T14:21:30+08:00","vest":true,"equipment_ok":true,"knows_duties":true}]}"#

    func parse(_ lines: String...) throws(ImportError) -> [CheckRecord] {
        try ChecksFile.parse(lines.joined(separator: "\n"), dates: .testing)
    }

    /// The error a file raises (nil when it parses).
    func error(_ lines: String...) -> ImportError? {
        do { _ = try ChecksFile.parse(lines.joined(separator: "\n"), dates: .testing); return nil } catch { return error }
    }

    /// The example drill line with one of its unit's fields replaced (nil removes it).
    func onsite(unit changes: [String: String?] = [:], id: String = "DR-2026-Q1-01", type: String = "onsite",
                extra: String = "") -> String {
        var fields: [(String, String)] = [("unit", #""市建设局""#), ("notified_at", #""2026-03-10T14:00:00+08:00""#),
                                          ("arrived_at", #""2026-03-10T14:21:30+08:00""#), ("vest", "true")]
        for (key, value) in changes {
            if let i = fields.firstIndex(where: { $0.0 == key }) { fields.remove(at: i) }
            if let value { fields.append((key, value)) }
        }
        let unit = fields.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",")
        return #"{"type":"\#(type)","check_id":"\#(id)","alert_at":"2026-03-10T14:00:00+08:00"\#(extra),"units":[{\#(unit)}]}"#
    }

    @Test func theExampleLinesParse() throws {
        let records = try parse(Self.phoneLine, Self.onsiteLine)
        #expect(records.count == 2)
        guard case .phone(let p) = records[0], case .drill(let d) = records[1] else {
            Issue.record("wrong kinds: \(records)"); return
        }
        #expect(p.line == 1)
        #expect(p.checkID == "PC-2026-03-001")
        #expect(p.unit == "市水利局")
        #expect(p.dialled == .duty)
        #expect(p.attempts.map(\.at) == [cst("09:10"), cst("09:13"), cst("09:16")])
        #expect(p.attempts.map(\.answered) == [false, false, false])
        #expect(p.numberCurrent == true)
        #expect(p.knowsFirstResponsibility == nil)
        #expect(p.changeReported == nil)
        #expect(p.answeredBy == nil && p.notes == nil && p.officers.isEmpty)

        #expect(d.line == 2)
        #expect(d.kind == .onsite)
        #expect(d.checkID == "DR-2026-Q1-01")
        #expect(d.alertAt == cst("2026-03-10T14:00:00+08:00"))
        #expect(d.scenario == "...")
        #expect(d.units.count == 1)
        #expect(d.units[0].unit == "市建设局")
        #expect(d.units[0].arrivedAt == cst("2026-03-10T14:21:30+08:00"))
        #expect(d.units[0].vestWorn == true && d.units[0].equipmentOK == true && d.units[0].knowsDuties == true)
        #expect(d.units[0].limitSeconds == nil)
        #expect(records.map(\.checkID) == ["PC-2026-03-001", "DR-2026-Q1-01"])
    }

    @Test func fromFileToFindings() throws {
        let records = try parse(Self.phoneLine, Self.onsiteLine)
        let register: [String: (id: Int, profile: UnitProfile)] = Dictionary(uniqueKeysWithValues:
            Annex2.cityUnits.enumerated().map { ($1.name, (id: $0 + 1, profile: $1)) })
        guard case .phone(let p) = records[0], case .drill(let d) = records[1] else { Issue.record("kinds"); return }
        let rules = RuleSet.initial
        let phoneFindings = p.check(unitID: register[p.unit]!.id).judge(rules: rules)
        #expect(phoneFindings.map(\.kind) == [.phoneUnanswered])
        #expect(phoneFindings.first?.reason == "值班电话连续3次无人接听（09:10、09:13、09:16）")
        let drill = try d.drill { register[$0] }
        // 市建设局 is level 1: 21:30 is 1:30 late, the first band.
        let drillFindings = drill.judge(rules: rules)
        #expect(drillFindings.map(\.kind) == [.lateArrival])
        #expect(drillFindings.first?.proposedPoints == Points(0.5))
        #expect(drillFindings.first?.unitID == register["市建设局"]!.id)
    }

    @Test func blankLinesAreSkippedAndLinesKeepTheirNumbers() throws {
        let records = try ChecksFile.parse("\n" + Self.phoneLine + "\r\n   \r\n" + Self.onsiteLine + "\n\n", dates: .testing)
        #expect(records.map(\.line) == [2, 4])
        let withBOM = try ChecksFile.parse(Data(("\u{FEFF}" + Self.phoneLine).utf8), dates: .testing)
        #expect(withBOM.map(\.checkID) == ["PC-2026-03-001"])
    }

    @Test func badJSON() {
        let e = error(Self.phoneLine, #"{"type":"phone","check_id":"#)
        #expect(e?.row == 2)
        #expect(e?.field == "")
        #expect(e?.message == "不是有效的JSON，每行应为一个完整的JSON对象")
        #expect(error("[1,2]")?.message == "每行应为一个JSON对象（{...}）")
        #expect(error(Self.phoneLine + " x")?.row == 1)
    }

    @Test func unknownType() {
        let e = error(Self.onsiteLine, Self.phoneLine.replacingOccurrences(of: #""type":"phone""#, with: #""type":"visit""#))
        #expect(e == ImportError(row: 2, field: "type", message: "未知的检查类型“visit”；应为 phone（电话检查）、onsite（实地检查）或 video（视频检查）"))
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""type":"phone","#, with: ""))
                == ImportError(row: 1, field: "type", message: "缺少必填字段"))
    }

    @Test func badTimestamps() {
        let phone = Self.phoneLine.replacingOccurrences(of: "2026-03-04T09:13:00+08:00", with: "2026-03-04 9点13分")
        #expect(error(phone)?.field == "attempts[1].at")
        #expect(error(phone)?.message == "不是有效的时间；应写作 2026-03-04T09:10:00+08:00 这样的格式")
        #expect(error(onsite(unit: ["arrived_at": #""2026-02-30T14:21:30+08:00""#]))?.field == "units[0].arrived_at")
        #expect(error(onsite(unit: ["arrived_at": "1741587690"]))?.field == "units[0].arrived_at")
        #expect(error(onsite(unit: ["notified_at": #""yesterday""#]))?.field == "units[0].notified_at")
        let alert = onsite().replacingOccurrences(of: #""alert_at":"2026-03-10T14:00:00+08:00""#, with: #""alert_at":"""#)
        #expect(error(alert) == ImportError(row: 1, field: "alert_at", message: "不是有效的时间；应写作 2026-03-04T09:10:00+08:00 这样的格式"))
    }

    @Test func missingUnit() {
        let phone = Self.phoneLine.replacingOccurrences(of: #""unit":"市水利局","#, with: "")
        #expect(error(Self.onsiteLine, phone) == ImportError(row: 2, field: "unit", message: "缺少必填字段"))
        #expect(error(onsite(unit: ["unit": nil])) == ImportError(row: 1, field: "units[0].unit", message: "缺少必填字段"))
        #expect(error(onsite(unit: ["unit": #""  ""#]))?.field == "units[0].unit")
        #expect(error(onsite(unit: ["unit": "true"]))?.message == "应为单位名称或单位编号")
        #expect(error(onsite(unit: ["unit": "1.5"]))?.field == "units[0].unit")
    }

    @Test func unitByID() throws {
        let records = try parse(onsite(unit: ["unit": "12"]))
        guard case .drill(let d) = records[0] else { Issue.record("kind"); return }
        #expect(d.units[0].unit == "12")
    }

    @Test func arrivalBeforeNotification() {
        let e = error(Self.phoneLine, onsite(unit: ["arrived_at": #""2026-03-10T13:59:59+08:00""#]))
        #expect(e == ImportError(row: 2, field: "units[0].arrived_at", message: "到达时间（13:59:59）早于通知时间（14:00）"))
        #expect(error(onsite(unit: ["notified_at": #""2026-03-10T13:59:00+08:00""#]))?.field == "units[0].notified_at")
    }

    @Test func duplicateCheckIDNamesTheSecondLine() {
        let e = error(Self.phoneLine, "", Self.onsiteLine, onsite(id: "PC-2026-03-001"))
        #expect(e == ImportError(row: 4, field: "check_id", message: "检查编号“PC-2026-03-001”与第1行重复"))
        #expect(error(Self.phoneLine.replacingOccurrences(of: "PC-2026-03-001", with: " "))?.field == "check_id")
    }

    @Test func neverArrivedMustBeSaid() throws {
        let records = try parse(onsite(unit: ["arrived_at": "null", "vest": nil]))
        guard case .drill(let d) = records[0] else { Issue.record("kind"); return }
        #expect(d.units[0].arrivedAt == nil)
        #expect(error(onsite(unit: ["arrived_at": nil, "vest": nil]))
                == ImportError(row: 1, field: "units[0].arrived_at", message: "缺少到达时间；单位未到达时请填写 null"))
        // A vest cannot be seen on a unit that never came.
        #expect(error(onsite(unit: ["arrived_at": "null"]))?.field == "units[0].vest")
    }

    @Test func phoneCheckRules() {
        let four = Self.phoneLine.replacingOccurrences(
            of: #"{"at":"2026-03-04T09:16:00+08:00","answered":false}"#,
            with: #"{"at":"2026-03-04T09:16:00+08:00","answered":false},{"at":"2026-03-04T09:19:00+08:00","answered":false}"#)
        #expect(error(four) == ImportError(row: 1, field: "attempts", message: "一次电话检查最多拨打3次，记录了4次"))
        let backwards = Self.phoneLine.replacingOccurrences(of: "09:16:00", with: "09:12:00")
        #expect(error(backwards)?.field == "attempts[2].at")
        let afterAnswer = Self.phoneLine.replacingOccurrences(
            of: #""2026-03-04T09:10:00+08:00","answered":false"#, with: #""2026-03-04T09:10:00+08:00","answered":true"#)
        #expect(error(afterAnswer)?.field == "attempts[1]")
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""dialled":"duty""#, with: #""dialled":"mobile""#))?.field == "dialled")
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""answered":false}]"#, with: #""answered":0}]"#))?.field == "attempts[2].answered")
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""attempts":[{"#, with: #""attempts":[7,{"#))?.field == "attempts[0]")
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""number_current":true"#, with: #""number_current":"是""#))?.field == "number_current")
    }

    @Test func optionalFields() throws {
        let line = #"{"type":"phone","check_id":"PC-2","unit":"市民政局","dialled":"liaison","attempts":[{"at":"2026-03-05T10:00:00+08:00","answered":true}],"answered_by":" 李四 ","number_current":false,"change_reported":true,"knows_first_responsibility":false,"officers":["王警官","赵警官"],"notes":"号码已更换"}"#
        guard case .phone(let p) = try parse(line)[0] else { Issue.record("kind"); return }
        #expect(p.dialled == .liaison)
        #expect(p.answeredBy == "李四")
        #expect(p.numberCurrent == false)
        #expect(p.changeReported == true)
        #expect(p.knowsFirstResponsibility == false)
        #expect(p.officers == ["王警官", "赵警官"])
        #expect(p.notes == "号码已更换")
        // The file's change_reported wins over the register's; without it, the register decides.
        #expect(p.check(unitID: 3, changeReportedInRegister: false).changeReported == true)
        var silent = p
        silent.changeReported = nil
        #expect(silent.check(unitID: 3, changeReportedInRegister: true).changeReported == true)
        #expect(silent.check(unitID: 3).changeReported == false)
        #expect(error(line.replacingOccurrences(of: #"["王警官","赵警官"]"#, with: #"["王警官",""]"#))?.field == "officers[1]")
    }

    @Test func videoChecksAndTheirOwnTime() throws {
        let line = onsite(unit: ["limit_minutes": "7.5"], type: "video",
                          extra: #","limit_minutes":15,"video_point":"城北卡口","place":"指挥大厅""#)
        let two = line.replacingOccurrences(of: "}]}", with: #"},{"unit":"市水利局","notified_at":"2026-03-10T14:00:00+08:00","arrived_at":null}]}"#)
        guard case .drill(let d) = try parse(two)[0] else { Issue.record("kind"); return }
        #expect(d.kind == .video)
        #expect(d.videoPoint == "城北卡口")
        #expect(d.place == "指挥大厅")
        #expect(d.limitSeconds == 900)
        #expect(d.units.map(\.limitSeconds) == [450, 900])
        #expect(error(onsite(type: "video", extra: #","limit_minutes":0"#))?.field == "limit_minutes")
        #expect(error(onsite(type: "video", extra: #","limit_minutes":"15""#))?.field == "limit_minutes")
        #expect(error(onsite(unit: ["limit_minutes": "0.001"], type: "video"))?.field == "units[0].limit_minutes")
        // An on-site check is judged by the rules' limits only.
        #expect(error(onsite(extra: #","limit_minutes":15"#))?.field == "limit_minutes")
        #expect(error(onsite(unit: ["limit_minutes": "15"]))?.field == "units[0].limit_minutes")
        #expect(error(onsite(extra: #","video_point":"城北卡口""#))?.field == "video_point")
    }

    @Test func unknownFieldsAreNamed() {
        let e = error(onsite(unit: ["arived_at": #""2026-03-10T14:10:00+08:00""#]))
        #expect(e?.field == "units[0].arived_at")
        #expect(e?.message.hasPrefix("未知字段") == true)
        #expect(error(Self.phoneLine.replacingOccurrences(of: #""dialled""#, with: #""place":"x","dialled""#))?.field == "place")
    }

    @Test func duplicateUnitInADrill() throws {
        let line = onsite().replacingOccurrences(of: "}]}", with: #"},{"unit":"市建设局","notified_at":"2026-03-10T14:00:00+08:00","arrived_at":null}]}"#)
        #expect(error(line) == ImportError(row: 1, field: "units[1].unit", message: "“市建设局”与第1个单位重复，同一单位在一次检查中只登记一次"))
        // Two ways of writing the same unit are caught once the server resolves them.
        let byNameAndID = onsite().replacingOccurrences(of: "}]}", with: #"},{"unit":6,"notified_at":"2026-03-10T14:00:00+08:00","arrived_at":null}]}"#)
        guard case .drill(let d) = try parse(byNameAndID)[0] else { Issue.record("kind"); return }
        let profile = Annex2.cityUnits[5]
        #expect(throws: ImportError(row: 1, field: "units[1].unit", message: "与第1个单位重复，同一单位在一次检查中只登记一次")) {
            try d.drill { _ in (id: 6, profile: profile) }
        }
        #expect(throws: ImportError(row: 1, field: "units[0].unit", message: "找不到联动单位“市建设局”")) {
            try d.drill { _ in nil }
        }
    }

    @Test func emptyFilesAndBadBytes() {
        #expect(error("") == ImportError(row: 1, field: "", message: "文件中没有检查记录"))
        #expect(error("\n  \n") == ImportError(row: 1, field: "", message: "文件中没有检查记录"))
        #expect(throws: ImportError(row: 1, field: "", message: "文件不是UTF-8编码")) {
            try ChecksFile.parse(Data([0xFF, 0xFE, 0x7B]), dates: .testing)
        }
        let noUnits = #"{"type":"onsite","check_id":"DR-9","alert_at":"2026-03-10T14:00:00+08:00","units":[]}"#
        #expect(error(noUnits) == ImportError(row: 1, field: "units", message: "不能为空数组"))
        #expect(error(noUnits.replacingOccurrences(of: "[]", with: "{}")) == ImportError(row: 1, field: "units", message: "应为数组（[...]）"))
    }

    @Test func phoneChecksAreValidatedByTheRuleVersionOfTheirDate() throws {
        var later = RuleSet.initial
        later.version = "2026.1"
        later.effectiveFrom = LocalDate(year: 2026, month: 4, day: 1)!
        later.phoneCheckAttempts = 2
        let book = try RuleBook([.initial, later])
        // In March, three calls are allowed; a check under the April version may make two.
        #expect(try ChecksFile.parse(Self.phoneLine, rules: book, dates: .testing).count == 1)
        let april = Self.phoneLine.replacingOccurrences(of: "2026-03-04", with: "2026-04-04")
        #expect(throws: ImportError(row: 1, field: "attempts", message: "一次电话检查最多拨打2次，记录了3次")) {
            try ChecksFile.parse(april, rules: book, dates: .testing)
        }
    }

    @Test func theAgenciesThatTookPart() throws {
        let both = onsite(extra: #","officers":["李科长"],"emb_officers":["李科长","张科员"],"psb_officers":["王警官"]"#)
        guard case .drill(let d) = try parse(both)[0] else { Issue.record("kind"); return }
        #expect(d.teams == [DrillTeam(agency: .emb, officers: ["李科长", "张科员"]), DrillTeam(agency: .psb, officers: ["王警官"])])
        // The officers' list names everyone once.
        #expect(d.officers == ["李科长", "张科员", "王警官"])
        let built = try d.drill { _ in (id: 6, profile: Annex2.cityUnits[5]) }
        #expect(built.participatingAgencies == [.emb, .psb])
        // Neither list: who took part is not recorded.
        guard case .drill(let silent) = try parse(onsite(extra: #","officers":["李科长"]"#))[0] else { Issue.record("kind"); return }
        #expect(silent.teams == nil)
        #expect(error(onsite(extra: #","psb_officers":"王警官""#))?.field == "psb_officers")
        #expect(error(onsite(extra: #","psb_officers":[""]"#))?.field == "psb_officers[0]")
        #expect(error(onsite(extra: #","plc_officers":["赵"]"#))?.field == "plc_officers")
    }
}
