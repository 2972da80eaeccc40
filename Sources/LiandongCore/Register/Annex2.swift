/// A linkage unit as the register first knows it.
public struct UnitProfile: Hashable, Sendable, Codable {
    public var name: String
    public var jurisdictionID: String
    public var level: UnitLevel
    public var kind: UnitKind
    /// 公安: judged against the police limit (Annex 1 item 9: 10 minutes).
    public var publicSecurity: Bool
    /// Has its own uniform, so the reflective-vest rule does not apply (Annex 2 一(二)2).
    public var uniformExempt: Bool
    /// Ranked in the comprehensive assessment (市直部门); others are notified but not ranked.
    public var ranked: Bool

    public init(name: String, jurisdictionID: String, level: UnitLevel, kind: UnitKind,
                publicSecurity: Bool = false, uniformExempt: Bool = false, ranked: Bool? = nil) {
        self.name = name
        self.jurisdictionID = jurisdictionID
        self.level = level
        self.kind = kind
        self.publicSecurity = publicSecurity
        self.uniformExempt = uniformExempt
        self.ranked = ranked ?? kind.rankedByDefault
    }
}

/// Annex 2 of 丽应急〔2020〕62号: the city-level (市本级) linkage units and their duties.
public enum Annex2 {
    private static func unit(_ name: String, _ level: UnitLevel, _ kind: UnitKind,
                             publicSecurity: Bool = false, uniformExempt: Bool = false) -> UnitProfile {
        UnitProfile(name: name, jurisdictionID: Jurisdictions.city.id, level: level, kind: kind,
                    publicSecurity: publicSecurity, uniformExempt: uniformExempt)
    }

    /// The 46 city-level units, in the notice's order: 23 level 1, 14 level 2, 9 level 3.
    /// Names exactly as printed. Kinds follow mechanism.md §5: companies, the military and
    /// vertically managed bodies are not ranked (the flag can be changed per unit).
    public static let cityUnits: [UnitProfile] = [
        // 一、一级联动单位 (23个)
        unit("市公安局", .one, .department, publicSecurity: true, uniformExempt: true),
        unit("市消防救援支队", .one, .vertical, uniformExempt: true),
        unit("市自然资源和规划局(市林业局)", .one, .department),
        unit("市水利局", .one, .department),
        unit("市民政局", .one, .department),
        unit("市建设局", .one, .department),
        unit("市综合行政执法局", .one, .department),
        unit("市市场监管局", .one, .department),
        unit("市人力社保局", .one, .department),
        unit("市农业局", .one, .department),
        unit("市气象局", .one, .vertical),
        unit("市应急管理局", .one, .department),
        unit("市交通运输局", .one, .department),
        unit("市生态环境局", .one, .department),
        unit("市卫生健康委", .one, .department),
        unit("丽水电业局", .one, .enterprise),
        unit("丽水市全域旅游发展中心", .one, .institution),
        unit("浙江高速交警丽水支队", .one, .vertical, publicSecurity: true, uniformExempt: true),
        unit("浙江金丽温高速公路有限公司丽水管理处", .one, .enterprise),
        unit("丽汽集团", .one, .enterprise),
        unit("中石化丽水分公司", .one, .enterprise),
        unit("中石油丽水分公司", .one, .enterprise),
        unit("丽水火车站", .one, .enterprise),
        // 二、二级联动单位 (14个)
        unit("丽水军分区", .two, .military, uniformExempt: true),
        unit("市武警支队", .two, .military, uniformExempt: true),
        unit("市文广旅体局", .two, .department),
        unit("市教育局", .two, .department),
        unit("市民宗局", .two, .department),
        unit("市烟草专卖局", .two, .vertical),
        unit("市法院(执行局)", .two, .department),
        unit("市新闻办", .two, .department),
        unit("市金融办", .two, .department),
        unit("市邮政管理局", .two, .vertical),
        unit("丽水电信", .two, .enterprise),
        unit("丽水移动", .two, .enterprise),
        unit("丽水联通", .two, .enterprise),
        unit("丽水华数公司", .two, .enterprise),
        // 三、三级联动单位 (9个)
        unit("市发改委", .three, .department),
        unit("市经信局", .three, .department),
        unit("市财政局", .three, .department),
        unit("市司法局", .three, .department),
        unit("丽水海关", .three, .vertical),
        unit("市人防办", .three, .department),
        unit("市无管会", .three, .department),
        unit("人行丽水市中心支行", .three, .vertical),
        unit("市红十字会", .three, .department),
    ]

    /// The work requirements (工作要求) of each level, as Annex 2 words them. A unit's duties are
    /// those of its level; the time in them comes from the rule set's response limits.
    public static func duties(for level: UnitLevel, rules: RuleSet = .initial) -> String {
        let limit = rules.responseLimits.limit(for: level, publicSecurity: false).minutes
        switch level {
        case .one:
            return """
            1.根据应急联动处置工作职责，建立健全领导机构和应急联动处置工作机制、工作预案、明确工作目标责任制、操作规程和实施细则，将职责范围内的救助项目公开向社会承诺，并列入本部门年度考核。
            2.建立健全24小时值班备勤制度；落实应急联动专项工作经费；建立专门及充足的处置工作队伍；需赶赴现场处置的，处置人员必须统一着印有“应急联动”标志的反光背心（行业内部有统一制服的可不着），并在\(limit)分钟内赶到现场。
            3.自觉接受市应急联动指挥中心（110）指令，认真落实“首处责任制”，并在到达现场后立即向市应急联动指挥中心（110）反馈处置人员到达情况，处置完成后及时反馈处置结果。
            """
        case .two:
            return """
            1.根据应急联动处置工作职责，建立建全领导机构和应急联动处置工作机制、工作预案，明确工作目标责任制、操作规程和实施细则，将职责范围内的救助项目公开向社会承诺，并列入本部门年度考核。
            2.完善联络员制度，确保24小时内能接受工作指令；对需要现场处置的应急联动指令，处置人员必须统一着印有“应急联动”标志的反光背心（行业内部有统一制服的可不着），并在\(limit)分钟内赶到现场。
            3.自觉接受市应急联动指挥中心（110）指令，认真落实“首处责任制”，并在到达现场后立即向市应急联动指挥中心（110）反馈处置人员到达情况，处置完成后及时反馈处置结果。
            """
        case .three:
            return """
            根据各自应急联动工作职责，积极做好与应急联动有关的技术服务、经费保障和管理下属联动单位等工作；健全应急联动联络员，保持联络通畅，对确需参与现场处置的应急联动警情，在\(limit)分钟内赶到现场。
            """
        }
    }

    /// The duty table of Annex 2 in structured form (mechanism.md §2), for the register's pages.
    public struct Duty: Sendable, Hashable {
        public let text: String
        /// What the duty asks of each level; nil where it does not apply.
        public let requirement: [UnitLevel: String]
    }

    public static func dutyTable(rules: RuleSet = .initial) -> [Duty] {
        let limits = rules.responseLimits
        return [
            Duty(text: "领导机构、工作机制、预案、操作规程，救助项目向社会承诺并列入年度考核",
                 requirement: [.one: "须", .two: "须", .three: "做好技术服务、经费保障、管理下属联动单位"]),
            Duty(text: "24小时值班备勤", requirement: [.one: "建立24小时值班制度", .two: "联络员24小时内能接受指令", .three: "保持联络畅通"]),
            Duty(text: "联络员和值班电话保持最新，变更及时报备", requirement: [.one: "须", .two: "须", .three: "须"]),
            Duty(text: "专项工作经费和专门处置队伍", requirement: [.one: "须"]),
            Duty(text: "处置人员着“应急联动”反光背心（有统一制服的可不着）",
                 requirement: Dictionary(uniqueKeysWithValues: UnitLevel.allCases.filter(\.wearsVest).map { ($0, "须") })),
            Duty(text: "首批处置力量到场时限",
                 requirement: [.one: "\(limits.levelOne.minutes)分钟（公安\(limits.publicSecurity.minutes)分钟）",
                               .two: "\(limits.levelTwo.minutes)分钟", .three: "确需现场处置时\(limits.levelThree.minutes)分钟"]),
            Duty(text: "接受110指令，落实“首处责任制”", requirement: [.one: "须", .two: "须", .three: "须"]),
            Duty(text: "到场后立即反馈到达情况，处置完成后反馈结果", requirement: [.one: "须", .two: "须", .three: "须"]),
        ]
    }
}
