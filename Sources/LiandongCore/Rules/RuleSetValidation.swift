extension RuleSet {
    /// A figure of a proposed revision that cannot stand, named by its field in the stored JSON
    /// (`latenessBands[1].upTo`) and said in words an administrator can read.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public let field: String
        public let message: String

        public init(field: String, message: String) { self.field = field; self.message = message }

        /// The field in words where the form names it (`RuleSetForm.label(of:)`), else its path.
        public var description: String { "「\(RuleSetForm.label(of: field) ?? field)」：\(message)" }
    }

    /// Checks a proposed version (a revision under §四(三)) and returns every problem found, in
    /// field order; empty when it can be put in force.
    public func validate() -> [Problem] {
        var problems: [Problem] = []
        func fail(_ field: String, _ message: String) { problems.append(Problem(field: field, message: message)) }
        func positive(_ value: Int, _ field: String, _ name: String) {
            if value < 1 { fail(field, "\(name)应大于0（现为\(value)）") }
        }

        if version.trimmingCharacters(in: .whitespaces).isEmpty { fail("version", "版本号不能为空") }
        if source.trimmingCharacters(in: .whitespaces).isEmpty { fail("source", "应注明修订依据的文件") }

        if items.map(\.id).sorted() != DeductionItemID.allCases {
            fail("items", "扣分标准应包含第1至12项，每项一次")
        }

        for (field, name, limit) in [("publicSecurity", "公安部门到场时限", responseLimits.publicSecurity),
                                     ("levelOne", "一级联动单位到场时限", responseLimits.levelOne),
                                     ("levelTwo", "二级联动单位到场时限", responseLimits.levelTwo),
                                     ("levelThree", "三级联动单位到场时限", responseLimits.levelThree)] {
            positive(limit.seconds, "responseLimits.\(field)", name)
        }

        let rangeOK = pointsRange.minimum > .zero && pointsRange.step > .zero && pointsRange.maximum >= pointsRange.minimum
            && (pointsRange.maximum.tenths - pointsRange.minimum.tenths) % max(pointsRange.step.tenths, 1) == 0
        if !rangeOK {
            fail("pointsRange", "分值范围应为大于0的下限至不低于下限的上限，且上下限之差为步长的整数倍")
        }

        for message in officeHours.problems { fail("officeHours", message) }
        if latenessBands.isEmpty { fail("latenessBands", "迟到扣分档次不能为空") }
        var previous: (bound: TimeLimit?, points: Points)? = nil
        for (i, band) in latenessBands.enumerated() {
            let field = "latenessBands[\(i)]"
            let isLast = i == latenessBands.count - 1
            switch band.upTo {
            case nil where !isLast:
                fail("\(field).upTo", "只有最后一档可以不设上限")
            case let bound? where isLast:
                fail("\(field).upTo", "最后一档不应设上限（现为\(bound)），否则超过\(bound)的迟到无从扣分")
            case let bound?:
                if bound.seconds <= 0 { fail("\(field).upTo", "上限应大于0") }
                if let before = previous?.bound, bound <= before {
                    fail("\(field).upTo", "上限\(bound)应大于上一档的\(before)")
                }
            case nil:
                break
            }
            if rangeOK && !pointsRange.allows(band.points) {
                fail("\(field).points", "分值\(band.points)不符合规定：\(pointsRange.chinese)")
            }
            if let before = previous?.points, band.points < before {
                fail("\(field).points", "分值\(band.points)低于上一档的\(before)：迟到越久扣分不应越少")
            }
            previous = (band.upTo, band.points)
        }

        for key in defaultPoints.keys.sorted() {
            guard let kind = FindingKind(rawValue: key) else {
                fail("defaultPoints.\(key)", "未知的扣分情形“\(key)”")
                continue
            }
            // D11 is a multiple of the provincial figure, outside the range by design.
            if kind != .provincial, rangeOK, let points = defaultPoints[key], !pointsRange.allows(points) {
                fail("defaultPoints.\(key)", "“\(kind.label)”的默认分值\(points)不符合规定：\(pointsRange.chinese)")
            }
        }
        for kind in FindingKind.allCases where kind.hasDefaultFigure && defaultPoints[kind.rawValue] == nil {
            fail("defaultPoints.\(kind.rawValue)", "缺少“\(kind.label)”的默认分值")
        }

        if provincialMultiplier < 1 { fail("provincialMultiplier", "省通报扣分的倍数应不小于1（现为\(provincialMultiplier)）") }
        positive(phoneCheckAttempts, "phoneCheckAttempts", "电话检查拨打次数")
        positive(reportGraceHours, "reportGraceHours", "反馈宽限小时数")
        positive(specialPlanDrillYears, "specialPlanDrillYears", "专项预案演练周期年数")
        if assessmentBase <= .zero { fail("assessmentBase", "考核基础分应大于0") }
        positive(appealWindowWorkingDays, "appealWindowWorkingDays", "申诉期工作日数")
        positive(videoPointLimit.seconds, "videoPointLimit", "视频检查到达视频点位的时限（秒）")
        if !(0...168).contains(futureToleranceHours) {
            fail("futureToleranceHours", "允许超前的小时数应在0至168之间（现为\(futureToleranceHours)）")
        }

        var duties = Set<SupervisionDuty.Kind>()
        for (i, duty) in supervisionDuties.enumerated() {
            let field = "supervisionDuties[\(i)]"
            if !duties.insert(duty.id).inserted { fail("\(field).id", "监督职责“\(duty.title)”重复") }
            positive(duty.minimumCount, "\(field).minimumCount", "“\(duty.title)”每期最少次数")
            if duty.agencies.isEmpty { fail("\(field).agencies", "“\(duty.title)”应至少有一个负责部门") }
        }

        positive(plans.publicationWorkingDays, "plans.publicationWorkingDays", "预案公布期限工作日数")
        positive(plans.drillsPerYear, "plans.drillsPerYear", "预案每年演练次数")
        positive(plans.majorEventDrillWindowDays, "plans.majorEventDrillWindowDays", "重大活动前演练的天数范围")
        if plans.warningHorizonDays < 0 { fail("plans.warningHorizonDays", "提醒提前天数不能为负数") }
        if Set(plans.publishedKinds).count != plans.publishedKinds.count {
            fail("plans.publishedKinds", "须公布的预案类别重复")
        }
        return problems
    }
}
