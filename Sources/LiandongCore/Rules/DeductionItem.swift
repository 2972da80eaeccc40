/// The twelve deduction items of Annex 1 (丽水市社会应急联动工作扣分标准).
public enum DeductionItemID: String, Sendable, Codable, CaseIterable, Comparable {
    case d1 = "D1", d2 = "D2", d3 = "D3", d4 = "D4", d5 = "D5", d6 = "D6"
    case d7 = "D7", d8 = "D8", d9 = "D9", d10 = "D10", d11 = "D11", d12 = "D12"

    /// The item's number in Annex 1.
    public var number: Int { Int(rawValue.dropFirst())! }

    public init?(parsing text: String) {
        let key = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let id = Self(rawValue: key) { self = id; return }
        if let n = Int(key), let id = Self.allCases.first(where: { $0.number == n }) { self = id; return }
        return nil
    }

    public static func < (a: Self, b: Self) -> Bool { a.number < b.number }
}

/// One item of Annex 1 as a rule set states it.
public struct DeductionItem: Hashable, Sendable, Codable, Identifiable {
    public var id: DeductionItemID
    /// The item's text as Annex 1 words it.
    public var text: String
    /// A short label for tables.
    public var title: String

    public init(id: DeductionItemID, text: String, title: String) {
        self.id = id; self.text = text; self.title = title
    }
}

extension DeductionItem {
    /// Annex 1 of 丽应急〔2020〕62号. The numbers inside the wording (the response limits, the
    /// three unanswered calls, the three-year drill cycle) come from the rule set, so that the
    /// text users read and the code that judges always agree; with the initial figures this is
    /// Annex 1 word for word (pinned by a test).
    public static func annex1(limits: ResponseLimits, phoneAttempts: Int, specialPlanDrillYears: Int) -> [DeductionItem] { [
        DeductionItem(id: .d1, text: "按规定应该制定应急预案的单位没有制定应急预案，或未按要求开展应急演练", title: "未制定预案或未演练"),
        DeductionItem(id: .d2, text: "未按要求及时修订政府专项应急预案", title: "专项预案未及时修订"),
        DeductionItem(id: .d3, text: "政府专项预案修订未开展风险评估和应急资源调查", title: "修订未开展风险评估和资源调查"),
        DeductionItem(id: .d4, text: "没有按要求及时公布应急预案", title: "预案未及时公布"),
        DeductionItem(id: .d5, text: "政府专项应急预案编制单位未按要求每\(specialPlanDrillYears)年进行一次应急演练，重大活动举行前没有组织应急演练", title: "专项预案未按期演练"),
        DeductionItem(id: .d6, text: "未将社会应急联动工作情况纳入当年政府对各部门绩效考核，未在日常社会应急联动工作中开展定期考核", title: "未纳入绩效考核或未定期考核"),
        DeductionItem(id: .d7, text: "负责监督考核的职能部门对社会应急联动工作情况未开展日常监督", title: "未开展日常监督"),
        DeductionItem(id: .d8, text: "一级应急联动部门未按规定建立24小时值班制度；应急联动单位值班电话或联络员电话\(ChineseNumeral.of(phoneAttempts))次无人接听；值班电话或联络员变更且未主动报备", title: "值班值守不到位"),
        DeductionItem(id: .d9, text: "应急联动部门应急处置力量未按规定及时到达现场（公安部门首批应急力量\(limits.publicSecurity.minutes)分钟内到达，一级联动部门首批应急处置力量\(limits.levelOne.minutes)分钟到达，非一级联动部门首批应急处置力量\(limits.levelTwo.minutes)分钟到达）", title: "未按时到达现场"),
        DeductionItem(id: .d10, text: "应急联动部门有警不出、推诿扯皮，不按规定报告反馈的", title: "有警不出、推诿扯皮、不报告反馈"),
        DeductionItem(id: .d11, text: "应急联动工作被省里通报扣分的，按照省里扣分市里加倍扣分", title: "被省通报扣分"),
        DeductionItem(id: .d12, text: "其他影响社会应急联动工作的情形", title: "其他情形"),
    ] }
}

/// Small Chinese numerals for wording (三次, 二级).
public enum ChineseNumeral {
    public static func of(_ n: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
        return (0...10).contains(n) ? digits[n] : String(n)
    }
}
