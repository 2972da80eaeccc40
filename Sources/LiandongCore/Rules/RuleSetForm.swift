import Foundation

/// A rule set as a form for people: every figure a revision may change, each with its name and
/// unit in Chinese, read from a version and written back into one. The names and units live
/// here and nowhere else: the administrators' page lays the form out from `groups(_:)`, and a
/// problem `RuleSet.validate()` finds is named with `label(of:)`. The figures themselves stay in
/// `RuleSet` (`RuleSet.initial` states them once).
///
/// A field's name is the path of its value in the stored JSON with indices as dots
/// (`latenessBands.1.upTo` for `latenessBands[1].upTo`), so a problem found by validation points
/// back at the field that holds the value.
public enum RuleSetForm {
    public enum Input: Hashable, Sendable {
        case text
        case date
        /// A whole number (minutes, days, times…); the unit says which.
        case integer
        /// Points, exact to a tenth.
        case points
        /// `HH:mm`, China time.
        case time
        /// One of the options (value, label).
        case choice([Option])
        /// A checkbox: on or off.
        case check
    }

    public struct Option: Hashable, Sendable {
        public let value: String
        public let label: String
    }

    public struct Field: Hashable, Sendable {
        public let name: String
        public let label: String
        /// 分钟, 分, 个工作日…; empty when the value has none.
        public let unit: String
        public let input: Input
        /// The value as the form shows it (`1` for a checked box).
        public let value: String
        public let hint: String
    }

    public struct Group: Hashable, Sendable {
        public let title: String
        public let fields: [Field]
    }

    /// What can be revised in a version shaped like `rules` (as many lateness bands, office-hour
    /// spans and duties as it has), prefilled with its figures.
    public static func groups(_ rules: RuleSet) -> [Group] {
        specs(rules).map { group in
            Group(title: group.title, fields: group.specs.map {
                Field(name: $0.name, label: $0.label, unit: $0.unit, input: $0.input, value: $0.get(rules), hint: $0.hint)
            })
        }
    }

    /// `base` with the form's values written into it. Every field of `base`'s shape is read;
    /// a checkbox left out is off, any other field left out or unreadable is a problem named by
    /// its label. The rules are usable only when there are no problems, and still need
    /// `RuleSet.validate()`.
    public static func apply(_ values: [String: String], to base: RuleSet) -> (rules: RuleSet, problems: [RuleSet.Problem]) {
        var revision = base
        var problems: [RuleSet.Problem] = []
        for group in specs(base) {
            for spec in group.specs {
                let raw = values[spec.name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if spec.input == .check {
                    _ = spec.set(&revision, raw == nil || raw == "" || raw == "0" ? "0" : "1")
                    continue
                }
                guard let raw else {
                    problems.append(RuleSet.Problem(field: spec.path, message: "未填写"))
                    continue
                }
                if let message = spec.set(&revision, raw) {
                    problems.append(RuleSet.Problem(field: spec.path, message: message))
                }
            }
        }
        return (revision, problems)
    }

    /// The field a problem's path names, in words (`responseLimits.levelOne` → 一级联动单位到场时限);
    /// nil for a path the form does not know.
    public static func label(of path: String) -> String? {
        let name = formName(path)
        if let label = wholeLabels[name] { return label }
        for group in specs(.initial) {
            if let spec = group.specs.first(where: { $0.name == name }) { return spec.label }
        }
        let parts = name.split(separator: ".").map(String.init)
        // Indexed values a version may have more or fewer of than the initial rules.
        if parts.count == 3, let i = Int(parts[1]) {
            switch (parts[0], parts[2]) {
            case ("latenessBands", "upTo"): return bandBoundLabel(i)
            case ("latenessBands", "points"): return bandPointsLabel(i)
            case ("officeHours", _): return spanLabel(i, end: parts[2] == "to")
            case ("supervisionDuties", let value):
                let duty = RuleSet.initial.supervisionDuties.indices.contains(i) ? RuleSet.initial.supervisionDuties[i].title : "第\(i + 1)项监督职责"
                return value == "agencies" ? "\(duty)责任部门" : duty
            default: break
            }
        }
        if parts.count == 2, parts[0] == "defaultPoints", let kind = FindingKind(rawValue: parts[1]) {
            return pointsLabel(kind)
        }
        return nil
    }

    /// `latenessBands[1].upTo` → `latenessBands.1.upTo`.
    public static func formName(_ path: String) -> String {
        path.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
    }

    // MARK: - The fields

    /// Names of values validation speaks of as a whole.
    static let wholeLabels: [String: String] = [
        "items": "扣分标准条目", "pointsRange": "扣分分值范围", "officeHours": "办公时间", "latenessBands": "迟到扣分档次",
        "plans.publishedKinds": "须公布的预案类别", "supervisionDuties": "监督职责",
    ]

    struct Spec {
        let name: String
        let label: String
        let unit: String
        let input: Input
        var hint: String = ""
        let get: (RuleSet) -> String
        /// Writes the value; returns what is wrong with it, if anything.
        let set: (inout RuleSet, String) -> String?

        /// The path validation uses for the value.
        var path: String {
            name.split(separator: ".").map { part in Int(part).map { "[\($0)]" } ?? ".\(part)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
    }

    struct SpecGroup {
        let title: String
        let specs: [Spec]
    }

    static func bandBoundLabel(_ i: Int) -> String { "第\(i + 1)档迟到时长上限" }
    static func bandPointsLabel(_ i: Int) -> String { "第\(i + 1)档迟到扣分" }
    static func spanLabel(_ i: Int, end: Bool) -> String { "第\(i + 1)段办公时间\(end ? "结束" : "开始")" }
    static func pointsLabel(_ kind: FindingKind) -> String {
        kind.item.map { "第\($0.number)项“\(kind.label)”默认扣分" } ?? "“\(kind.label)”默认扣分"
    }

    static func integer(_ name: String, _ label: String, _ unit: String, hint: String = "",
                        _ key: WritableKeyPath<RuleSet, Int>) -> Spec {
        Spec(name: name, label: label, unit: unit, input: .integer, hint: hint, get: { "\($0[keyPath: key])" }, set: { rules, raw in
            guard let n = Int(raw) else { return "应填写整数\(unit)（现为“\(raw)”）" }
            rules[keyPath: key] = n
            return nil
        })
    }

    static func minutes(_ name: String, _ label: String, hint: String = "", _ key: WritableKeyPath<RuleSet, TimeLimit>) -> Spec {
        Spec(name: name, label: label, unit: "分钟", input: .integer, hint: hint, get: { limitText($0[keyPath: key]) }, set: { rules, raw in
            guard let m = Int(raw) else { return "应填写整数分钟（现为“\(raw)”）" }
            rules[keyPath: key] = .minutes(m)
            return nil
        })
    }

    static func points(_ name: String, _ label: String, hint: String = "", _ key: WritableKeyPath<RuleSet, Points>) -> Spec {
        Spec(name: name, label: label, unit: "分", input: .points, hint: hint, get: { $0[keyPath: key].description }, set: { rules, raw in
            guard let p = Points(parsing: raw) else { return "应填写分值，最多一位小数（现为“\(raw)”）" }
            rules[keyPath: key] = p
            return nil
        })
    }

    static func date(_ name: String, _ label: String, hint: String = "", _ key: WritableKeyPath<RuleSet, LocalDate>) -> Spec {
        Spec(name: name, label: label, unit: "", input: .date, hint: hint, get: { $0[keyPath: key].description }, set: { rules, raw in
            guard let d = LocalDate(raw) else { return "应填写日期，如2027-01-01（现为“\(raw)”）" }
            rules[keyPath: key] = d
            return nil
        })
    }

    static func text(_ name: String, _ label: String, hint: String = "", _ key: WritableKeyPath<RuleSet, String>) -> Spec {
        Spec(name: name, label: label, unit: "", input: .text, hint: hint, get: { $0[keyPath: key] }, set: { rules, raw in
            rules[keyPath: key] = raw
            return nil
        })
    }

    static func period(_ name: String, _ label: String, _ key: WritableKeyPath<RuleSet, SupervisionDuty.Period>) -> Spec {
        let periods: [SupervisionDuty.Period] = [.month, .quarter, .halfYear, .year]
        return Spec(name: name, label: label, unit: "", input: .choice(periods.map { Option(value: $0.rawValue, label: $0.chinese) }),
                    get: { $0[keyPath: key].rawValue }, set: { rules, raw in
            guard let p = SupervisionDuty.Period(rawValue: raw) else { return "应从每月、每季度、每半年、每年中选择" }
            rules[keyPath: key] = p
            return nil
        })
    }

    /// A whole number of minutes as the form shows it; a limit stored with odd seconds shows
    /// them as a decimal so that nothing is lost unseen.
    static func limitText(_ limit: TimeLimit) -> String {
        limit.seconds % 60 == 0 ? "\(limit.minutes)" : String(format: "%.2f", Double(limit.seconds) / 60)
    }

    static func specs(_ rules: RuleSet) -> [SpecGroup] {
        var groups: [SpecGroup] = []
        groups.append(SpecGroup(title: "版本", specs: [
            text("version", "版本号", hint: "新版本号，不能与已有版本相同，如2027.1", \.version),
            date("effectiveFrom", "施行日期", hint: "须晚于今天和已有版本的施行日期", \.effectiveFrom),
            text("source", "修订依据", hint: "修订所依据的文件，如丽应急〔2027〕1号", \.source),
            text("title", "规则名称", \.title),
        ]))

        groups.append(SpecGroup(title: "首批处置力量到场时限（附件1第9项）", specs: [
            minutes("responseLimits.publicSecurity", "公安部门到场时限", \.responseLimits.publicSecurity),
            minutes("responseLimits.levelOne", "\(UnitLevel.one.name)联动单位到场时限", \.responseLimits.levelOne),
            minutes("responseLimits.levelTwo", "\(UnitLevel.two.name)联动单位到场时限", \.responseLimits.levelTwo),
            minutes("responseLimits.levelThree", "\(UnitLevel.three.name)联动单位到场时限", hint: "仅在需要现场处置时适用", \.responseLimits.levelThree),
        ]))

        var bands: [Spec] = []
        for i in rules.latenessBands.indices {
            if i < rules.latenessBands.count - 1 {
                bands.append(Spec(name: "latenessBands.\(i).upTo", label: bandBoundLabel(i), unit: "分钟", input: .integer,
                                  hint: "迟到超过上一档、不超过此时长的，按本档扣分",
                                  get: { r in r.latenessBands.indices.contains(i) ? r.latenessBands[i].upTo.map(limitText) ?? "" : "" },
                                  set: { r, raw in
                    guard let m = Int(raw) else { return "应填写整数分钟（现为“\(raw)”）" }
                    r.latenessBands[i].upTo = .minutes(m)
                    return nil
                }))
            }
            let last = i == rules.latenessBands.count - 1
            bands.append(Spec(name: "latenessBands.\(i).points", label: bandPointsLabel(i), unit: "分", input: .points,
                              hint: last ? "迟到超过上一档上限的，不设上限" : "",
                              get: { r in r.latenessBands.indices.contains(i) ? r.latenessBands[i].points.description : "" },
                              set: { r, raw in
                guard let p = Points(parsing: raw) else { return "应填写分值，最多一位小数（现为“\(raw)”）" }
                r.latenessBands[i].points = p
                return nil
            }))
        }
        groups.append(SpecGroup(title: "迟到扣分档次（附件1第9项）", specs: bands))

        var figures: [Spec] = []
        for item in DeductionItemID.allCases {
            for kind in FindingKind.allCases where kind.item == item && kind.hasDefaultFigure {
                figures.append(Spec(name: "defaultPoints.\(kind.rawValue)", label: pointsLabel(kind), unit: "分", input: .points,
                                    get: { $0.defaultPoints(for: kind)?.description ?? "" }, set: { r, raw in
                    guard let p = Points(parsing: raw) else { return "应填写分值，最多一位小数（现为“\(raw)”）" }
                    r.defaultPoints[kind.rawValue] = p
                    return nil
                }))
            }
        }
        groups.append(SpecGroup(title: "各项默认扣分（附件1）", specs: figures))

        groups.append(SpecGroup(title: "扣分分值", specs: [
            points("pointsRange.minimum", "每项最低扣分", \.pointsRange.minimum),
            points("pointsRange.maximum", "每项最高扣分", \.pointsRange.maximum),
            points("pointsRange.step", "扣分步长", hint: "两部门商定的分值以此为单位", \.pointsRange.step),
            integer("provincialMultiplier", "省通报扣分倍数", "倍", hint: "附件1第11项：按照省里扣分市里加倍扣分", \.provincialMultiplier),
            points("assessmentBase", "考核基础分", hint: "各单位每期考核的起始分", \.assessmentBase),
        ]))

        groups.append(SpecGroup(title: "检查、反馈和申诉", specs: [
            integer("phoneCheckAttempts", "电话检查拨打次数", "次", hint: "附件1第8项：拨打此数次均无人接听的，扣分", \.phoneCheckAttempts),
            period("phoneCheckCoverage", "电话抽查覆盖周期", \.phoneCheckCoverage),
            minutes("videoPointLimit", "视频检查到达视频点位时限", hint: "检查未另行规定时限时适用", \.videoPointLimit),
            integer("reportGraceHours", "报告反馈宽限时间", "小时", hint: "下达指令后超过此时长仍未报告到达或结果的，视为未报告反馈", \.reportGraceHours),
            integer("appealWindowWorkingDays", "申诉期限", "个工作日", hint: "自通知之日起", \.appealWindowWorkingDays),
            date("mechanismStart", "机制起始日期", hint: "早于此日的警情和检查不予受理", \.mechanismStart),
            integer("futureToleranceHours", "允许超前的时间", "小时", hint: "警情和检查时间晚于服务器时钟不超过此时长的，予以受理", \.futureToleranceHours),
        ]))

        var duties: [Spec] = []
        for (i, duty) in rules.supervisionDuties.enumerated() {
            duties.append(period("supervisionDuties.\(i).period", "\(duty.title)周期", \.supervisionDuties[i].period))
            duties.append(integer("supervisionDuties.\(i).minimumCount", "\(duty.title)每期最少次数", "次", \.supervisionDuties[i].minimumCount))
            for agency in Agency.allCases {
                duties.append(Spec(name: "supervisionDuties.\(i).agencies.\(agency.rawValue)", label: "\(duty.title)责任部门：\(agency.name)",
                                   unit: "", input: .check,
                                   get: { r in r.supervisionDuties.indices.contains(i) && r.supervisionDuties[i].agencies.contains(agency) ? "1" : "" },
                                   set: { r, raw in
                    var agencies = r.supervisionDuties[i].agencies.filter { $0 != agency }
                    if raw == "1" { agencies.append(agency) }
                    r.supervisionDuties[i].agencies = Agency.allCases.filter(agencies.contains)
                    return nil
                }))
            }
        }
        groups.append(SpecGroup(title: "日常监督职责（附件1第7项）", specs: duties))

        var plans: [Spec] = [
            integer("specialPlanDrillYears", "专项预案演练周期", "年", hint: "附件1第5项：每若干年进行一次应急演练", \.specialPlanDrillYears),
            integer("plans.publicationWorkingDays", "预案公布期限", "个工作日", hint: "附件1第4项：印发或修订后公布的期限", \.plans.publicationWorkingDays),
            integer("plans.drillsPerYear", "预案每年演练次数", "次", hint: "附件1第1项：专项预案以外的预案", \.plans.drillsPerYear),
            integer("plans.majorEventDrillWindowDays", "重大活动前演练的时间范围", "天", hint: "附件1第5项：活动首日前此天数内的演练计为活动前演练", \.plans.majorEventDrillWindowDays),
            integer("plans.warningHorizonDays", "到期提醒提前", "天", \.plans.warningHorizonDays),
        ]
        for kind in PlanKind.allCases {
            plans.append(Spec(name: "plans.publishedKinds.\(kind.rawValue)", label: "须公布：\(kind.label)", unit: "", input: .check,
                              get: { $0.plans.mustPublish(kind) ? "1" : "" }, set: { r, raw in
                let kinds = r.plans.publishedKinds.filter { $0 != kind } + (raw == "1" ? [kind] : [])
                r.plans.publishedKinds = PlanKind.allCases.filter(kinds.contains)
                return nil
            }))
        }
        groups.append(SpecGroup(title: "应急预案（附件1第1、4、5项）", specs: plans))

        var hours: [Spec] = []
        for i in rules.officeHours.spans.indices {
            for end in [false, true] {
                hours.append(Spec(name: "officeHours.spans.\(i).\(end ? "to" : "from")", label: spanLabel(i, end: end), unit: "",
                                  input: .time, hint: end ? "结束时刻不计入办公时间" : "",
                                  get: { r in r.officeHours.spans.indices.contains(i) ? (end ? r.officeHours.spans[i].to : r.officeHours.spans[i].from) : "" },
                                  set: { r, raw in
                    guard OfficeHours.Span.seconds(raw) != nil else { return "应写作HH:mm，如08:30（现为“\(raw)”）" }
                    if end { r.officeHours.spans[i].to = raw } else { r.officeHours.spans[i].from = raw }
                    return nil
                }))
            }
        }
        hours.append(integer("officeHours.outOfHoursChecksPerQuarter", "每季度非工作时间抽查次数", "次",
                             hint: "每季度在办公时间以外拨打各一级联动单位值班电话的次数", \.officeHours.outOfHoursChecksPerQuarter))
        groups.append(SpecGroup(title: "办公时间（附件1第8项）", specs: hours))
        return groups
    }
}
