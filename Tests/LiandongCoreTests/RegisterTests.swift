import Foundation
import Testing
@testable import LiandongCore

@Suite("Register: Annex 2 as the notice prints it")
struct Annex2Tests {
    @Test func fortySixUnitsByLevel() {
        let units = Annex2.cityUnits
        #expect(units.count == 46)
        #expect(units.filter { $0.level == .one }.count == 23)
        #expect(units.filter { $0.level == .two }.count == 14)
        #expect(units.filter { $0.level == .three }.count == 9)
        #expect(Set(units.map(\.name)).count == 46)
        #expect(units.allSatisfy { $0.jurisdictionID == Jurisdictions.city.id })
    }

    @Test func namesAreExactlyThoseOfTheNotice() throws {
        let annex2 = try Fixture.notice().components(separatedBy: "附件2\n").last!
        let sections = annex2.components(separatedBy: "(一)组成单位\n").dropFirst().map {
            $0.components(separatedBy: "\n").first!
        }
        #expect(sections.count == 3)
        for (level, line) in zip(UnitLevel.allCases, sections) {
            // "市公安局、市消防救援支队、…、丽水火车站等。"
            let names = line.replacingOccurrences(of: "等。", with: "").components(separatedBy: "、")
            #expect(names == Annex2.cityUnits.filter { $0.level == level }.map(\.name), "level \(level.rawValue)")
        }
        #expect(Annex2.cityUnits.contains { $0.name == "市自然资源和规划局(市林业局)" })
        #expect(Annex2.cityUnits.contains { $0.name == "浙江金丽温高速公路有限公司丽水管理处" })
        #expect(Annex2.cityUnits.contains { $0.name == "人行丽水市中心支行" })
    }

    @Test func flags() {
        let units = Dictionary(uniqueKeysWithValues: Annex2.cityUnits.map { ($0.name, $0) })
        #expect(Set(units.values.filter(\.publicSecurity).map(\.name)) == ["市公安局", "浙江高速交警丽水支队"])
        #expect(Set(units.values.filter(\.uniformExempt).map(\.name))
                == ["市公安局", "市消防救援支队", "浙江高速交警丽水支队", "丽水军分区", "市武警支队"])
        for name in ["丽水电业局", "丽汽集团", "中石化丽水分公司", "中石油丽水分公司", "丽水火车站",
                     "浙江金丽温高速公路有限公司丽水管理处", "丽水电信", "丽水移动", "丽水联通", "丽水华数公司",
                     "丽水军分区", "市武警支队"] {
            #expect(units[name]?.ranked == false, "\(name) must not be ranked")
        }
        for name in ["市水利局", "市建设局", "市公安局", "市应急管理局", "丽水市全域旅游发展中心", "市红十字会"] {
            #expect(units[name]?.ranked == true, "\(name) must be ranked")
        }
    }

    @Test func dutiesComeFromTheLevelAndTheRuleSet() throws {
        // Quoted word for word, but with full-width punctuation (GB/T 15834); the source file has ASCII marks.
        let annex2 = [(",", "，"), (";", "；"), ("(", "（"), (")", "）")].reduce(try Fixture.notice().components(separatedBy: "附件2\n").last!) {
            $0.replacingOccurrences(of: $1.0, with: $1.1)
        }
        for level in UnitLevel.allCases {
            for line in Annex2.duties(for: level).split(separator: "\n") {
                #expect(annex2.contains(line), "level \(level.rawValue): \(line.prefix(20))")
            }
        }
        #expect(Annex2.duties(for: .one).contains("20分钟内赶到现场"))
        #expect(Annex2.duties(for: .three).contains("30分钟内赶到现场"))
    }
}

@Suite struct JurisdictionTests {
    @Test func elevenJurisdictions() {
        #expect(Jurisdictions.all.count == 11)
        #expect(Jurisdictions.all.filter { $0.kind == .county }.count == 9)
        #expect(Set(Jurisdictions.all.filter(\.phoneCheckScope).map(\.name)) == ["市本级", "莲都区", "丽水开发区"])
        #expect(Set(Jurisdictions.all.map(\.id)).count == 11)
    }

    @Test func lookup() {
        #expect(Jurisdictions.find("莲都区")?.id == "liandu")
        #expect(Jurisdictions.find("liandu")?.id == "liandu")
        #expect(Jurisdictions.find("开发区")?.id == "kaifaqu")
        #expect(Jurisdictions.find("景宁")?.name == "景宁畲族自治县")
        #expect(Jurisdictions.find("杭州市") == nil)
        #expect(Jurisdictions.find("") == nil)
    }

    @Test func agencies() {
        #expect(Agency.allCases.map(\.name) == ["市委政法委", "市应急管理局", "市公安局"])
        #expect(Agency.confirming == [.emb, .psb])
        #expect(Agency.find("市公安局") == .psb)
        #expect(Agency.find("emb") == .emb)
    }
}

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        ("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"), ("0578-2123456", "0578-2123456"),
        ("05782123456", "0578-2123456"), ("(0578)2123456", "0578-2123456"), ("2123456", "0578-2123456"),
        ("0578-2123456转801", "0578-2123456转801"), ("0578-2123456-801", "0578-2123456转801"),
        ("010-12345678", "010-12345678"), ("12345", "12345"), ("１３８１２３４５６７８", "13812345678"),
    ])
    func valid(raw: String, normalised: String) {
        #expect(PhoneNumber(raw)?.value == normalised)
    }

    @Test(arguments: ["", "abc", "1381234567", "138123456789", "12812345678", "0578-123", "138-1234-5678", "13812345678转1", "0578-2123456转"])
    func invalid(raw: String) {
        #expect(PhoneNumber(raw) == nil)
    }

    @Test func masking() {
        #expect(PhoneNumber.mask("13812345678") == "138****5678")
        #expect(PhoneNumber.mask("0578-2123456") == "0578-***3456")
    }
}

@Suite struct ContactDetailsTests {
    @Test func validAndNormalised() throws {
        let c = try ContactDetails.validated(dutyPhone: " 0578 2123456 ", liaisonName: "张三", liaisonMobile: "13812345678",
                                             alternateName: "", alternateMobile: nil)
        #expect(c.dutyPhone == "0578-2123456")
        #expect(c.liaisonName == "张三")
        #expect(c.alternateName == nil)
    }

    @Test func errorsNameTheField() {
        #expect(throws: ContactDetails.Invalid.self) {
            try ContactDetails.validated(dutyPhone: "12", liaisonName: nil, liaisonMobile: nil, alternateName: nil, alternateMobile: nil)
        }
        do {
            _ = try ContactDetails.validated(dutyPhone: nil, liaisonName: "张三", liaisonMobile: "0578-2123456", alternateName: nil, alternateMobile: nil)
            Issue.record("a landline is not a liaison mobile")
        } catch {
            #expect(error.field == .liaisonMobile)
        }
        do {
            _ = try ContactDetails.validated(dutyPhone: nil, liaisonName: "张三", liaisonMobile: nil, alternateName: nil, alternateMobile: nil)
            Issue.record("a liaison needs a number")
        } catch {
            #expect(error.field == .liaisonMobile)
        }
    }

    @Test func changedFields() {
        let a = ContactDetails(dutyPhone: "0578-2123456", liaisonName: "张三", liaisonMobile: "13812345678")
        var b = a
        b.liaisonMobile = "13912345678"
        #expect(b.changedFields(from: a) == [.liaisonMobile])
        #expect(a.changedFields(from: a).isEmpty)
    }
}

@Suite("Unit table import: one bad row fails the whole file, naming row and column")
struct UnitTableTests {
    let header = (row: 1, cells: ["序号", "单位名称", "辖区", "级别", "值班电话", "联络员", "联络员手机"])

    func parse(_ rows: [[String]]) throws(ImportError) -> [UnitRecord] {
        try UnitTable.parse(header: header, rows: rows.enumerated().map { (row: $0.offset + 2, cells: $0.element) })
    }

    @Test func goodRows() throws {
        let records = try parse([
            ["1", "龙泉市水利局", "龙泉市", "一级", "0578-7123456", "李四", "13912345678"],
            ["2", "龙泉市教育局", "龙泉", "2", "", "", ""],
        ])
        #expect(records.count == 2)
        #expect(records[0].profile.jurisdictionID == "longquan")
        #expect(records[0].profile.level == .one)
        #expect(records[0].contacts.liaisonMobile == "13912345678")
        #expect(records[1].profile.level == .two)
        #expect(records[1].contacts.isEmpty)
        #expect(records[1].row == 3)
    }

    @Test func unknownLevel() {
        #expect(throws: ImportError(row: 3, field: "级别", message: "未知级别“四级”；应为 1、2、3 或 一级、二级、三级")) {
            try parse([["1", "甲", "龙泉市", "1", "", "", ""], ["2", "乙", "龙泉市", "四级", "", "", ""]])
        }
    }

    @Test func unknownJurisdiction() throws {
        do { _ = try parse([["1", "甲", "杭州市", "1", "", "", ""]]); Issue.record("accepted") } catch {
            #expect(error.row == 2 && error.field == "辖区")
        }
    }

    @Test func malformedPhone() throws {
        do { _ = try parse([["1", "甲", "龙泉市", "1", "0578-12", "", ""]]); Issue.record("accepted") } catch {
            #expect(error.row == 2 && error.field == "值班电话")
            #expect(error.description.hasPrefix("第2行「值班电话」"))
        }
    }

    @Test func duplicateNameInAJurisdiction() throws {
        do {
            _ = try parse([["1", "甲", "龙泉市", "1", "", "", ""], ["2", "乙", "龙泉市", "1", "", "", ""], ["3", "甲", "龙泉", "2", "", "", ""]])
            Issue.record("accepted")
        } catch {
            #expect(error.row == 4 && error.field == "单位名称")
            #expect(error.message.contains("第2行"))
        }
        // The same name in two jurisdictions is two units.
        #expect(try parse([["1", "甲", "龙泉市", "1", "", "", ""], ["2", "甲", "青田县", "1", "", "", ""]]).count == 2)
    }

    @Test func headerProblems() {
        #expect(throws: ImportError.self) {
            try UnitTable.parse(header: (1, ["单位名称", "级别"]), rows: [(2, ["甲", "1"])])
        }
        do {
            _ = try UnitTable.parse(header: (1, ["单位名称", "辖区", "级别", "电邮"]), rows: [(2, ["甲", "龙泉市", "1", "x"])])
            Issue.record("accepted")
        } catch {
            #expect(error.row == 1 && error.field == "电邮")
        }
    }

    @Test func exportHeaderImportsBack() throws {
        let header = UnitTable.exportColumns.map(\.header)
        let row = ["7", "市水利局", "市本级", "一级", "部门", "否", "否", "是", "0578-2123456", "王五", "13812345678", "", "", "2026年3月4日 09:10"]
        let records = try UnitTable.parse(header: (1, header), rows: [(2, row)])
        #expect(records[0].id == 7)
        #expect(records[0].profile.ranked)
        #expect(records[0].contacts.liaisonName == "王五")
    }
}

@Suite struct TimeTests {
    @Test func timestamps() {
        let withOffset = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00")! == withOffset)
        #expect(ChinaTime.parseTimestamp("2026-03-01 08:15")! == withOffset)
        #expect(ChinaTime.parseTimestamp("2026-03-01T00:15:00Z")! == withOffset)
        #expect(ChinaTime.parseTimestamp("2026-03-01T08:15:00+0800")! == withOffset)
        #expect(ChinaTime.parseTimestamp("2026-02-30T08:15:00+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("2026-03-01T25:00:00+08:00") == nil)
        #expect(ChinaTime.parseTimestamp("yesterday") == nil)
        #expect(ChinaTime.isoString(withOffset) == "2026-03-01T08:15:00+08:00")
        #expect(ChinaTime.displayString(withOffset) == "2026年3月1日 08:15")
    }

    @Test func localDates() {
        #expect(LocalDate("2026-03-04")!.chinese == "2026年3月4日")
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2028-02-29") != nil)
        #expect(LocalDate("2026-12-31")!.adding(days: 1) == LocalDate("2027-01-01"))
        // 23:59 China time on the 31st is still the 31st, though UTC is the same day.
        #expect(LocalDate(ChinaTime.parseTimestamp("2026-12-31T23:59:59+08:00")!) == LocalDate("2026-12-31"))
        #expect(LocalDate(ChinaTime.parseTimestamp("2026-12-31T16:00:00Z")!) == LocalDate("2027-01-01"))
    }
}
