import Foundation

// The emergency-plans register (应急预案台账): what Annex 1 items 1–6 are judged on. The types are
// plain values with the import format's snake_case field names, so that a register kept by a
// clerk (a form, a spreadsheet turned into JSON) and the stored record read the same.

/// The kinds of emergency plan (应急预案) the register keeps.
public enum PlanKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// 政府专项应急预案: Annex 1 items 2, 3 and 5 apply to these only.
    case special
    /// 部门应急预案
    case department
    /// 企业应急预案 (utilities, transport and telecom companies among the linkage units)
    case enterprise

    public var label: String {
        switch self {
        case .special: "政府专项应急预案"
        case .department: "部门应急预案"
        case .enterprise: "企业应急预案"
        }
    }

    /// Accepts the code or the Chinese label (`special`, `政府专项应急预案`, `专项预案`...).
    public init?(parsing text: String) {
        let key = text.trimmingCharacters(in: .whitespaces)
        if let kind = Self(rawValue: key.lowercased()) ?? Self.allCases.first(where: { $0.label == key }) {
            self = kind; return
        }
        switch key {
        case "专项预案", "专项应急预案": self = .special
        case "部门预案": self = .department
        case "企业预案": self = .enterprise
        default: return nil
        }
    }
}

/// One plan of one unit, as the register keeps it.
///
/// A plan a unit must have but has not made is a row like any other, with `required` set and
/// `issuedOn` empty: one table of plans, one row per plan, is what a clerk keeps and what an
/// import file carries, and the row is already there to be completed when the plan is issued
/// (rather than a separate list of requirements to keep in step with the plans).
///
/// The register holds each plan's current state: its original issue, its latest revision and
/// the next revision's due date. Earlier revisions are not kept, so a shortfall of an earlier
/// revision (published late, revised late) is judged only while it is the latest.
public struct EmergencyPlan: Hashable, Sendable, Codable, Identifiable {
    /// The register's code for the plan (e.g. the document number or a clerk's code).
    public var id: String
    /// The unit that drafts and owns the plan (编制单位).
    public var unitID: Int
    public var name: String
    public var kind: PlanKind
    /// The unit is required to have this plan (按规定应该制定): Annex 1 item 1 applies.
    public var required: Bool
    /// The first day the unit must have the plan: the drafting deadline it was given. Nil: it
    /// was required before the register's records begin. Only meaningful when `required`.
    public var requiredFrom: LocalDate?
    /// 印发: nil while the plan has not been made.
    public var issuedOn: LocalDate?
    /// The latest revision (修订) issued; nil if never revised.
    public var lastRevisedOn: LocalDate?
    /// When the next revision is due (the plan's own revision cycle); the due day itself is
    /// still in time.
    public var nextRevisionDue: LocalDate?
    /// Whether the latest revision was preceded by a risk assessment (风险评估).
    public var lastRevisionRiskAssessment: Bool
    /// Whether the latest revision was preceded by an emergency-resource survey (应急资源调查).
    public var lastRevisionResourceSurvey: Bool
    /// When the current text (the latest revision, else the original) was published (公布).
    public var publishedOn: LocalDate?
    /// Where it was published (a website, a gazette).
    public var publishedWhere: String?
    /// Annex 1 item 1 (未按要求开展应急演练): drills a year this plan requires, overriding the
    /// rule set's `plans.drillsPerYear`; 0 means none. Special plans follow item 5's cycle
    /// instead and are held to a yearly count only when this is set.
    public var drillsPerYear: Int?

    public init(id: String, unitID: Int, name: String, kind: PlanKind, required: Bool, requiredFrom: LocalDate? = nil,
                issuedOn: LocalDate?, lastRevisedOn: LocalDate? = nil, nextRevisionDue: LocalDate? = nil,
                lastRevisionRiskAssessment: Bool = false, lastRevisionResourceSurvey: Bool = false,
                publishedOn: LocalDate? = nil, publishedWhere: String? = nil, drillsPerYear: Int? = nil) {
        self.id = id; self.unitID = unitID; self.name = name; self.kind = kind; self.required = required
        self.requiredFrom = requiredFrom; self.issuedOn = issuedOn; self.lastRevisedOn = lastRevisedOn
        self.nextRevisionDue = nextRevisionDue; self.lastRevisionRiskAssessment = lastRevisionRiskAssessment
        self.lastRevisionResourceSurvey = lastRevisionResourceSurvey; self.publishedOn = publishedOn
        self.publishedWhere = publishedWhere; self.drillsPerYear = drillsPerYear
    }

    /// The day the current text was issued: the latest revision, else the original.
    public var currentVersionOn: LocalDate? { lastRevisedOn ?? issuedOn }

    /// `《丽水市防汛防台应急预案》`
    public var quotedName: String {
        name.hasPrefix("《") ? name : "《\(name)》"
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind, required
        case unitID = "unit_id"
        case requiredFrom = "required_from"
        case issuedOn = "issued_on"
        case lastRevisedOn = "last_revised_on"
        case nextRevisionDue = "next_revision_due"
        case lastRevisionRiskAssessment = "last_revision_risk_assessment"
        case lastRevisionResourceSurvey = "last_revision_resource_survey"
        case publishedOn = "published_on"
        case publishedWhere = "published_where"
        case drillsPerYear = "drills_per_year"
    }
}

/// A drill (应急演练) of a plan. Not to be confused with `Drill`, the supervisors' simulated alert
/// (实地/视频检查): this is an exercise a unit holds of its own plan.
public struct PlanDrill: Hashable, Sendable, Codable, Identifiable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 桌面推演
        case tabletop
        /// 实战演练
        case live
        /// 综合演练
        case combined
        /// 其他形式
        case other

        public var label: String {
            switch self {
            case .tabletop: "桌面推演"
            case .live: "实战演练"
            case .combined: "综合演练"
            case .other: "其他"
            }
        }
    }

    public var id: String
    public var planID: String
    /// The unit that held it (normally the plan's owner).
    public var unitID: Int
    public var heldOn: LocalDate
    /// Every kind counts alike for Annex 1 items 1 and 5.
    public var kind: Kind
    /// 规模, as the clerk writes it (e.g. `参演120人`).
    public var scale: String
    /// The stored attachment name of the drill report (演练总结).
    public var reportRef: String?

    public init(id: String, planID: String, unitID: Int, heldOn: LocalDate, kind: Kind, scale: String = "", reportRef: String? = nil) {
        self.id = id; self.planID = planID; self.unitID = unitID; self.heldOn = heldOn
        self.kind = kind; self.scale = scale; self.reportRef = reportRef
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, scale
        case planID = "plan_id"
        case unitID = "unit_id"
        case heldOn = "held_on"
        case reportRef = "report_ref"
    }

    /// `scale` and `report_ref` may be left out of an import file.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), planID: try c.decode(String.self, forKey: .planID),
                  unitID: try c.decode(Int.self, forKey: .unitID), heldOn: try c.decode(LocalDate.self, forKey: .heldOn),
                  kind: try c.decode(Kind.self, forKey: .kind), scale: try c.decodeIfPresent(String.self, forKey: .scale) ?? "",
                  reportRef: try c.decodeIfPresent(String.self, forKey: .reportRef))
    }
}

/// A major event (重大活动): Annex 1 item 5 requires the units concerned to drill before it.
public struct MajorEvent: Hashable, Sendable, Codable, Identifiable {
    public var id: String
    public var name: String
    public var startsOn: LocalDate
    public var endsOn: LocalDate
    /// The units that must drill before the event.
    public var unitIDs: [Int]
    /// The plans to drill; their owners are concerned too. A concerned unit with none of its
    /// plans listed may drill any of its plans.
    public var planIDs: [String]

    public init(id: String, name: String, startsOn: LocalDate, endsOn: LocalDate, unitIDs: [Int], planIDs: [String] = []) {
        self.id = id; self.name = name; self.startsOn = startsOn; self.endsOn = endsOn
        self.unitIDs = unitIDs; self.planIDs = planIDs
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case startsOn = "starts_on"
        case endsOn = "ends_on"
        case unitIDs = "unit_ids"
        case planIDs = "plan_ids"
    }

    /// `unit_ids` or `plan_ids` may be left out of an import file.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
                  startsOn: try c.decode(LocalDate.self, forKey: .startsOn), endsOn: try c.decode(LocalDate.self, forKey: .endsOn),
                  unitIDs: try c.decodeIfPresent([Int].self, forKey: .unitIDs) ?? [], planIDs: try c.decodeIfPresent([String].self, forKey: .planIDs) ?? [])
    }
}

/// Annex 1 item 6 for one jurisdiction and one year: whether its government put linkage work
/// into its performance assessment of departments (纳入当年政府对各部门绩效考核) and assessed it
/// regularly in daily work (日常工作中开展定期考核).
public struct PerformanceAssessmentRecord: Hashable, Sendable, Codable {
    public var year: Int
    /// A `Jurisdiction.id`: `city` or a county's code.
    public var jurisdictionID: String
    public var includedInPerformanceAssessment: Bool
    public var regularAssessmentsHeld: Bool
    /// The stored attachment name of the supporting document (the assessment scheme).
    public var documentRef: String?

    public init(year: Int, jurisdictionID: String, includedInPerformanceAssessment: Bool, regularAssessmentsHeld: Bool,
                documentRef: String? = nil) {
        self.year = year; self.jurisdictionID = jurisdictionID
        self.includedInPerformanceAssessment = includedInPerformanceAssessment
        self.regularAssessmentsHeld = regularAssessmentsHeld; self.documentRef = documentRef
    }

    public var jurisdiction: Jurisdiction? { Jurisdictions.named(jurisdictionID) }

    enum CodingKeys: String, CodingKey {
        case year
        case jurisdictionID = "jurisdiction_id"
        case includedInPerformanceAssessment = "included_in_performance_assessment"
        case regularAssessmentsHeld = "regular_assessments_held"
        case documentRef = "document_ref"
    }
}

/// Everything the plan rules read: one value an import file or the database can fill.
public struct PlanRegister: Hashable, Sendable, Codable {
    public var plans: [EmergencyPlan]
    public var drills: [PlanDrill]
    public var events: [MajorEvent]
    public var performanceRecords: [PerformanceAssessmentRecord]

    public init(plans: [EmergencyPlan] = [], drills: [PlanDrill] = [], events: [MajorEvent] = [],
                performanceRecords: [PerformanceAssessmentRecord] = []) {
        self.plans = plans; self.drills = drills; self.events = events; self.performanceRecords = performanceRecords
    }

    enum CodingKeys: String, CodingKey {
        case plans, drills, events
        case performanceRecords = "performance_records"
    }

    /// What is inconsistent in the register, named by field (`plans[2].next_revision_due`) and
    /// said in words a clerk can read. The rules assume a register without problems.
    ///
    /// `today`, when given: what the records say was done (issued, revised, published, drilled, a
    /// year's assessment) cannot lie after it; dates that are due dates (the next revision, the day
    /// a plan becomes required) and major events ahead may. Dates before the mechanism began are
    /// allowed: a plan's history is older than the mechanism.
    public func problems(today: LocalDate? = nil) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        func fail(_ field: String, _ message: String) { problems.append(CheckProblem(field: field, message: message)) }
        if let today {
            func notAhead(_ day: LocalDate?, _ field: String, _ what: String) {
                if let day, day > today { fail(field, "\(what)\(day.chinese)晚于今天（\(today.chinese)），不能登记尚未发生的事") }
            }
            for (i, plan) in plans.enumerated() {
                notAhead(plan.issuedOn, "plans[\(i)].issued_on", "印发日期")
                notAhead(plan.lastRevisedOn, "plans[\(i)].last_revised_on", "修订日期")
                notAhead(plan.publishedOn, "plans[\(i)].published_on", "公布日期")
            }
            for (i, drill) in drills.enumerated() { notAhead(drill.heldOn, "drills[\(i)].held_on", "演练日期") }
            for (i, record) in performanceRecords.enumerated() where record.year > today.year {
                fail("performance_records[\(i)].year", "\(record.year)年尚未开始，不能登记该年的考核情况")
            }
        }
        var planIndex: [String: Int] = [:]
        for (i, plan) in plans.enumerated() {
            let path = "plans[\(i)]"
            if plan.id.trimmingCharacters(in: .whitespaces).isEmpty { fail("\(path).id", "预案编号不能为空") }
            if let first = planIndex[plan.id] { fail("\(path).id", "预案编号“\(plan.id)”与plans[\(first)]重复") }
            planIndex[plan.id] = planIndex[plan.id] ?? i
            if plan.name.trimmingCharacters(in: .whitespaces).isEmpty { fail("\(path).name", "预案名称不能为空") }
            if plan.issuedOn == nil {
                if plan.lastRevisedOn != nil { fail("\(path).last_revised_on", "预案尚未印发，不应登记修订日期") }
                if plan.publishedOn != nil { fail("\(path).published_on", "预案尚未印发，不应登记公布日期") }
            }
            if let issued = plan.issuedOn, let revised = plan.lastRevisedOn, revised < issued {
                fail("\(path).last_revised_on", "修订日期\(revised.chinese)早于印发日期\(issued.chinese)")
            }
            if let current = plan.currentVersionOn, let due = plan.nextRevisionDue, due <= current {
                fail("\(path).next_revision_due", "下次修订期限\(due.chinese)应晚于\(plan.lastRevisedOn == nil ? "印发" : "最近修订")日期\(current.chinese)")
            }
            if let n = plan.drillsPerYear, n < 0 { fail("\(path).drills_per_year", "每年演练次数不能为负数") }
        }
        var drillIDs = Set<String>()
        for (i, drill) in drills.enumerated() {
            let path = "drills[\(i)]"
            if !drillIDs.insert(drill.id).inserted { fail("\(path).id", "演练编号“\(drill.id)”重复") }
            if planIndex[drill.planID] == nil { fail("\(path).plan_id", "找不到预案“\(drill.planID)”") }
        }
        var eventIDs = Set<String>()
        for (i, event) in events.enumerated() {
            let path = "events[\(i)]"
            if !eventIDs.insert(event.id).inserted { fail("\(path).id", "重大活动编号“\(event.id)”重复") }
            if event.endsOn < event.startsOn { fail("\(path).ends_on", "结束日期早于开始日期") }
            if event.unitIDs.isEmpty && event.planIDs.isEmpty { fail("\(path).unit_ids", "应至少列出一个相关单位或预案") }
            for (j, planID) in event.planIDs.enumerated() where planIndex[planID] == nil {
                fail("\(path).plan_ids[\(j)]", "找不到预案“\(planID)”")
            }
        }
        var seenRecords = Set<String>()
        for (i, record) in performanceRecords.enumerated() {
            let path = "performance_records[\(i)]"
            if record.jurisdiction == nil { fail("\(path).jurisdiction_id", "未知辖区“\(record.jurisdictionID)”") }
            if !seenRecords.insert("\(record.year)|\(record.jurisdictionID)").inserted {
                fail("\(path).year", "\(record.jurisdiction?.name ?? record.jurisdictionID)\(record.year)年的考核情况重复登记")
            }
        }
        return problems
    }
}
