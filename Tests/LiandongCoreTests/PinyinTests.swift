import Foundation
import Testing
@testable import LiandongCore

@Suite("Pinyin initials: finding and sorting units by name")
struct PinyinTests {
    @Test func initialsOfUnitAndPlaceNames() {
        #expect(Pinyin.initials("市水利局") == "sslj")
        #expect(Pinyin.initials("缙云县") == "jyx")
        // The county names of Lishui, level-2 characters included.
        let counties = ["莲都区": "ldq", "龙泉市": "lqs", "青田县": "qtx", "缙云县": "jyx", "遂昌县": "scx", "松阳县": "syx",
                        "云和县": "yhx", "庆元县": "qyx", "景宁畲族自治县": "jnszzzx"]
        for (name, initials) in counties { #expect(Pinyin.initials(name) == initials, "\(name)") }
    }

    @Test func latinLettersAndDigitsAreKeptPunctuationSkipped() {
        #expect(Pinyin.initials("110指挥中心") == "110zhzx")
        #expect(Pinyin.initials("市自然资源和规划局(市林业局)") == "szrzyhghjslyj")
        #expect(Pinyin.initials("ABC·公司") == "abcgs")
        #expect(Pinyin.initials("国网 丽水供电公司") == "gwlsgdgs")
        // Full-width letters and digits count as their ASCII forms.
        #expect(Pinyin.initials("１２３ＡＢ") == "123ab")
        #expect(Pinyin.initials("、。,!") == "")
    }

    @Test func theFirstAndLastCharactersOfTheBlockHaveTheirInitials() {
        #expect(Pinyin.initials("一") == "y")
        #expect(Pinyin.initials("\u{9FA5}") == "y") // 龥, the last of GB 13000's CJK block
        #expect(Pinyin.denseTable.count == 0x9FFF - 0x4E00 + 1)
    }

    @Test func searchMatchesANamePartOrItsInitials() {
        #expect(Pinyin.matches("市水利局", query: "sslj"))
        #expect(Pinyin.matches("市水利局", query: "SSLJ"))
        #expect(Pinyin.matches("市水利局", query: "slj"))       // a run inside the name
        #expect(Pinyin.matches("缙云县", query: "jy"))
        #expect(Pinyin.matches("缙云县公安局", query: "gaj"))
        #expect(Pinyin.matches("市水利局", query: "水利"))
        #expect(Pinyin.matches("人行丽水市中心支行", query: "人行"))
        #expect(Pinyin.matches("市水利局", query: "") )
        #expect(Pinyin.matches("市水利局", query: "s s l j"))   // spaces between initials are allowed
        #expect(!Pinyin.matches("市水利局", query: "sjl"))      // not in order
        #expect(!Pinyin.matches("市水利局", query: "ssljx"))    // longer than the name
        #expect(!Pinyin.matches("市水利局", query: "水务"))
        #expect(!Pinyin.matches("市水利局", query: "s-l"))      // not initials, not a part
    }

    @Test func aPolyphoneMatchesByAnyReading() {
        // 行: háng (银行) and xíng (行政).
        #expect(Pinyin.matches("人行丽水市中心支行", query: "rhls"))
        #expect(Pinyin.matches("人行丽水市中心支行", query: "rxls"))
        #expect(Pinyin.matches("市行政服务中心", query: "sxzfw"))
        #expect(Pinyin.matches("市行政服务中心", query: "shzfw"))
        // 长 cháng / zhǎng, 重 chóng / zhòng, 乐 lè / yuè, 调 diào / tiáo, 厦 shà / xià, 单 dān / shàn.
        #expect(Pinyin.matches("长途汽车站", query: "ctqcz"))
        #expect(Pinyin.matches("长途汽车站", query: "ztqcz"))
        #expect(Pinyin.matches("重点工程办", query: "zdgcb"))
        #expect(Pinyin.matches("重点工程办", query: "cdgcb"))
        #expect(Pinyin.matches("乐清", query: "lq") && Pinyin.matches("乐清", query: "yq"))
        #expect(Pinyin.matches("调度中心", query: "ddzx") && Pinyin.matches("调度中心", query: "tdzx"))
        #expect(Pinyin.matches("大厦物业", query: "dswy") && Pinyin.matches("大厦物业", query: "dxwy"))
        #expect(Pinyin.matches("联动单位", query: "lddw") && Pinyin.matches("联动单位", query: "ldsw"))
        // One reading per position: a query cannot mix positions.
        #expect(!Pinyin.matches("调度中心", query: "dtzx"))
    }

    @Test func initialsGiveOneReadingSearchEvery() {
        // The table's reading of 行 is xíng; a search finds 银行 by háng too.
        #expect(Pinyin.initials("银行") == "yx")
        #expect(Pinyin.matches("银行", query: "yh"))
        #expect(Pinyin.initials("单位") == "dw")
        #expect(Pinyin.initialSets("行").count == 1)
        #expect(Set(Pinyin.initialSets("行")[0]) == Set("hx".utf8))
    }

    @Test func sortKeysOrderNamesByPinyin() {
        let names = ["云和县", "市水利局", "丽水开发区", "缙云县", "安全生产委员会", "市本级"]
        let sorted = names.sorted { Pinyin.sortKey($0) < Pinyin.sortKey($1) }
        #expect(sorted == ["安全生产委员会", "缙云县", "丽水开发区", "市本级", "市水利局", "云和县"])
        // A name that is a prefix of another's initials comes first.
        #expect(Pinyin.sortKey("市水利") < Pinyin.sortKey("市水利局"))
    }
}
