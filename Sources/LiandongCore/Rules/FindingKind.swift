/// The kinds of shortfall the system recognises by itself, each tied to an Annex 1 item and a
/// default figure (mechanism.md §5 "Default points"). `manual` is a finding an officer files
/// for any item with the points the agencies choose.
public enum FindingKind: String, Sendable, Codable, CaseIterable {
    /// D9: first responders late; points by the lateness bands.
    case lateArrival = "late_arrival"
    /// D10: 有警不出.
    case refused
    /// D10: 推诿, passed the case on instead of handling it.
    case passedOn = "passed_on"
    /// D10: on-site response needed, not refused, and no arrival.
    case noArrival = "no_arrival"
    /// D10: did not report back as Annex 2 requires: arrived (the 110 system recorded it) but
    /// never reported the arrival, or never reported the result; one finding whose reason names
    /// what is missing. Stored as `no_result_report` before arrival reports were judged.
    case noReportBack = "no_report_back"
    /// D8: phone check, every attempt unanswered.
    case phoneUnanswered = "phone_unanswered"
    /// D8: the registered number is no longer the unit's and no change was reported.
    case unreportedContactChange = "unreported_contact_change"
    /// D8: level-1 unit without 24-hour duty.
    case noDutySystem = "no_duty_system"
    /// D12: does not know the first-responsibility rule or the unit's duties.
    case dutiesUnknown = "duties_unknown"
    /// D12: drill responders without the vest (uniform-exempt units excepted).
    case noVest = "no_vest"
    /// D12: drill, required equipment missing.
    case equipmentMissing = "equipment_missing"
    /// D8: 指令不畅, the instruction could not get through to the unit on a live alert, as the
    /// police report it by hand (its figure is the unanswered duty phone's).
    case instructionFailed = "instruction_failed"
    /// D10: drill or video check, the unit never arrived.
    case drillNoShow = "drill_no_show"
    /// D11: the province notified a deduction; the city deducts a multiple.
    case provincial
    /// D7: a supervision duty missed, against the responsible agency.
    case supervisionMissed = "supervision_missed"
    /// D1: a plan the unit is required to have was not made.
    case planMissing = "plan_missing"
    /// D1: a required plan not drilled as often as required in a calendar year.
    case planNotDrilled = "plan_not_drilled"
    /// D2: a special plan not revised by its due date.
    case planRevisionOverdue = "plan_revision_overdue"
    /// D3: a special plan revised without risk assessment or emergency-resource survey.
    case planRevisionUnassessed = "plan_revision_unassessed"
    /// D4: a plan not published within the time allowed after issue or revision.
    case planNotPublished = "plan_not_published"
    /// D5: a special plan not drilled within the cycle (every three years).
    case specialPlanDrillOverdue = "special_plan_drill_overdue"
    /// D5: no drill before a major event.
    case majorEventNotDrilled = "major_event_not_drilled"
    /// D6: linkage work not in the year's performance assessment, or no regular assessment;
    /// against a jurisdiction.
    case performanceAssessmentMissing = "performance_assessment_missing"
    /// Any item, filed by hand.
    case manual

    /// The Annex 1 item the kind counts under (nil for `manual`, whose item is chosen).
    public var item: DeductionItemID? {
        switch self {
        case .lateArrival: .d9
        case .refused, .passedOn, .noArrival, .noReportBack, .drillNoShow: .d10
        case .phoneUnanswered, .unreportedContactChange, .noDutySystem, .instructionFailed: .d8
        case .dutiesUnknown, .noVest, .equipmentMissing: .d12
        case .provincial: .d11
        case .supervisionMissed: .d7
        case .planMissing, .planNotDrilled: .d1
        case .planRevisionOverdue: .d2
        case .planRevisionUnassessed: .d3
        case .planNotPublished: .d4
        case .specialPlanDrillOverdue, .majorEventNotDrilled: .d5
        case .performanceAssessmentMissing: .d6
        case .manual: nil
        }
    }

    /// Whether the kind has a fixed default figure in the rule set: all but the D9 lateness
    /// (by band), D11 (a multiple of the provincial figure), manual findings and the instruction
    /// failure (the unanswered duty phone's figure, `RuleSet.defaultPoints(for: LiveAlertFailure)`).
    public var hasDefaultFigure: Bool {
        switch self {
        case .lateArrival, .provincial, .manual, .instructionFailed: false
        default: true
        }
    }

    public var label: String {
        switch self {
        case .lateArrival: "未按时到达现场"
        case .refused: "有警不出"
        case .passedOn: "推诿扯皮"
        case .noArrival: "未到达现场或未反馈到达"
        case .noReportBack: "未按规定报告反馈"
        case .phoneUnanswered: "值班或联络员电话无人接听"
        case .unreportedContactChange: "电话或联络员变更未报备"
        case .noDutySystem: "一级联动单位未建立24小时值班制度"
        case .dutiesUnknown: "不熟悉首处责任制或工作职责"
        case .noVest: "未着应急联动反光背心"
        case .equipmentMissing: "应急装备不全"
        case .instructionFailed: "指令不畅"
        case .drillNoShow: "检查中未到达"
        case .provincial: "被省通报扣分"
        case .supervisionMissed: "未开展日常监督"
        case .planMissing: "未制定应急预案"
        case .planNotDrilled: "未按要求开展应急演练"
        case .planRevisionOverdue: "未及时修订政府专项应急预案"
        case .planRevisionUnassessed: "专项预案修订未开展风险评估或应急资源调查"
        case .planNotPublished: "未及时公布应急预案"
        case .specialPlanDrillOverdue: "专项应急预案未按期演练"
        case .majorEventNotDrilled: "重大活动前未组织应急演练"
        case .performanceAssessmentMissing: "未纳入绩效考核或未开展定期考核"
        case .manual: "人工登记"
        }
    }

    /// Kinds stored under another name before: the name then → the kind now. Rule sets written
    /// before the rename are read with it (`RuleSet.init(from:)`); stored findings are renamed by
    /// a migration.
    public static let formerNames: [String: FindingKind] = ["no_result_report": .noReportBack]
}

/// A duty of the supervisors (main text §二, §四(二)); a period that ends without it done is a
/// D7 finding against the responsible agencies.
public struct SupervisionDuty: Hashable, Sendable, Codable, Identifiable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 日常电话检查: at least once a month.
        case phoneCheck = "phone_check"
        /// 实地或视频联合检查: at least once a quarter.
        case jointCheck = "joint_check"
        /// 会商会: in principle every half year.
        case consultation
    }

    public enum Period: String, Sendable, Codable {
        case month, quarter, halfYear = "half_year", year

        public var months: Int {
            switch self {
            case .month: 1
            case .quarter: 3
            case .halfYear: 6
            case .year: 12
            }
        }

        public var chinese: String {
            switch self {
            case .month: "每月"
            case .quarter: "每季度"
            case .halfYear: "每半年"
            case .year: "每年"
            }
        }
    }

    public var id: Kind
    public var title: String
    public var period: Period
    /// At least this many in each period.
    public var minimumCount: Int
    /// Who answers for it (a missed duty is a D7 finding against each).
    public var agencies: [Agency]

    public init(id: Kind, title: String, period: Period, minimumCount: Int, agencies: [Agency]) {
        self.id = id; self.title = title; self.period = period
        self.minimumCount = minimumCount; self.agencies = agencies
    }
}
