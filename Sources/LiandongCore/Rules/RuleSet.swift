import Foundation

/// A version of the mechanism's rules: Annex 1's items, the limits and the figures the system
/// applies by default. Revisions (§四(三)) are new versions with a later effective date; a
/// finding is always judged by the version in force on its date, so a revision never rewrites
/// history. Every number of the mechanism lives here and nowhere else.
public struct RuleSet: Hashable, Sendable, Codable {
    /// A short version label, e.g. `2020.1`.
    public var version: String
    /// The first day (China time) the version applies to.
    public var effectiveFrom: LocalDate
    /// The document the version comes from.
    public var source: String
    public var title: String

    public var items: [DeductionItem]
    public var responseLimits: ResponseLimits
    /// D9 points by lateness, in increasing order; the last band has no bound.
    public var latenessBands: [LatenessBand]
    /// The default figure of each kind of finding (manual and provincial excepted).
    public var defaultPoints: [String: Points]
    /// Annex 1: 每项扣0.5至2分; the agencies may change a figure within this range.
    public var pointsRange: PointsRange
    /// Annex 1 item 11: the city deducts this multiple of the provincial points (加倍).
    public var provincialMultiplier: Int
    /// Annex 1 item 8: a phone check is a failure after this many unanswered attempts.
    public var phoneCheckAttempts: Int
    /// A phone check samples units again so that each in-scope unit is called at least once in
    /// this period (mechanism.md §5 "Phone checks").
    public var phoneCheckCoverage: SupervisionDuty.Period
    /// The report deadline: a dispatch still missing its arrival or result report this long after
    /// the instruction is judged as not reported, even if the 110 system has not closed it.
    public var reportGraceHours: Int
    /// Annex 1 item 5: special plans are drilled at least once in this many years.
    public var specialPlanDrillYears: Int
    /// The score each assessed entity starts the period from (the linkage sub-item).
    public var assessmentBase: Points
    /// Working days after notification within which a unit may appeal a deduction.
    public var appealWindowWorkingDays: Int
    /// The supervisors' own duties (D7).
    public var supervisionDuties: [SupervisionDuty]
    /// The emergency-plans figures (D1, D4, D5).
    public var plans: PlanLimits
    /// Office hours, outside which a level-1 unit's duty phone tests its 24-hour duty (D8).
    public var officeHours: OfficeHours
    /// Main text §二(三): in a video check units are told to reach a video point (视频点位)
    /// within a time the check sets; this is the time when the officers set none.
    public var videoPointLimit: TimeLimit
    /// The first day of the mechanism (丽应急〔2020〕62号 of 2020-12-30): a dispatch event or a
    /// check dated before it cannot be judged under the mechanism and is refused.
    public var mechanismStart: LocalDate
    /// How far ahead of the server's clock a dispatch event or a check may be dated (clocks of
    /// the 110 system drift a little); anything later is refused.
    public var futureToleranceHours: Int

    public init(version: String, effectiveFrom: LocalDate, source: String, title: String,
                responseLimits: ResponseLimits, latenessBands: [LatenessBand], defaultPoints: [FindingKind: Points],
                pointsRange: PointsRange, provincialMultiplier: Int, phoneCheckAttempts: Int,
                phoneCheckCoverage: SupervisionDuty.Period, reportGraceHours: Int, specialPlanDrillYears: Int,
                assessmentBase: Points, appealWindowWorkingDays: Int, supervisionDuties: [SupervisionDuty],
                plans: PlanLimits? = nil, officeHours: OfficeHours = .standard, items: [DeductionItem]? = nil,
                videoPointLimit: TimeLimit? = nil, mechanismStart: LocalDate? = nil, futureToleranceHours: Int? = nil) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.source = source
        self.title = title
        self.responseLimits = responseLimits
        self.latenessBands = latenessBands
        self.defaultPoints = Dictionary(uniqueKeysWithValues: defaultPoints.map { ($0.key.rawValue, $0.value) })
        self.pointsRange = pointsRange
        self.provincialMultiplier = provincialMultiplier
        self.phoneCheckAttempts = phoneCheckAttempts
        self.phoneCheckCoverage = phoneCheckCoverage
        self.reportGraceHours = reportGraceHours
        self.specialPlanDrillYears = specialPlanDrillYears
        self.assessmentBase = assessmentBase
        self.appealWindowWorkingDays = appealWindowWorkingDays
        self.supervisionDuties = supervisionDuties
        // `initial` states its own; any other version left without them takes the initial figures.
        self.plans = plans ?? RuleSet.initial.plans
        self.officeHours = officeHours
        self.videoPointLimit = videoPointLimit ?? RuleSet.initial.videoPointLimit
        self.mechanismStart = mechanismStart ?? RuleSet.initial.mechanismStart
        self.futureToleranceHours = futureToleranceHours ?? RuleSet.initial.futureToleranceHours
        self.items = items ?? DeductionItem.annex1(limits: responseLimits, phoneAttempts: phoneCheckAttempts,
                                                   specialPlanDrillYears: specialPlanDrillYears)
    }

    public func item(_ id: DeductionItemID) -> DeductionItem {
        items.first { $0.id == id }!
    }

    /// The default figure for a kind of finding. `lateArrival` depends on the lateness: use
    /// `judgeArrival`; `provincial` on the provincial figure: use `cityPoints(forProvincial:)`.
    public func defaultPoints(for kind: FindingKind) -> Points? {
        defaultPoints[kind.rawValue]
    }

    /// The response limit of a unit.
    public func limit(level: UnitLevel, publicSecurity: Bool) -> TimeLimit {
        responseLimits.limit(for: level, publicSecurity: publicSecurity)
    }

    /// Judges an arrival: on time when the whole seconds elapsed do not exceed the limit
    /// (arriving exactly at the limit is on time; one second later is late).
    public func judgeArrival(elapsedSeconds: Int, limit: TimeLimit) -> ArrivalJudgement {
        let lateBy = elapsedSeconds - limit.seconds
        guard lateBy > 0 else { return ArrivalJudgement(limit: limit, elapsedSeconds: elapsedSeconds, points: nil) }
        let band = latenessBands.first { band in band.upTo.map { lateBy <= $0.seconds } ?? true }
        return ArrivalJudgement(limit: limit, elapsedSeconds: elapsedSeconds, points: band?.points ?? latenessBands.last?.points)
    }

    /// Whole seconds between two instants, truncated: durations are exact to the second.
    public static func elapsedSeconds(from start: Date, to end: Date) -> Int {
        Int(end.timeIntervalSince(start).rounded(.down))
    }

    /// Annex 1 item 11: the city's deduction for a provincial one.
    public func cityPoints(forProvincial points: Points) -> Points {
        points * provincialMultiplier
    }

    /// The agencies may set a figure only within the range, except for D11, which is always
    /// the multiple of the provincial figure.
    public func allows(_ points: Points, for item: DeductionItemID) -> Bool {
        item == .d11 ? points > .zero : pointsRange.allows(points)
    }

    public func duty(_ kind: SupervisionDuty.Kind) -> SupervisionDuty {
        supervisionDuties.first { $0.id == kind }!
    }

    enum CodingKeys: String, CodingKey {
        case version, effectiveFrom, source, title, items, responseLimits, latenessBands, defaultPoints, pointsRange
        case provincialMultiplier, phoneCheckAttempts, phoneCheckCoverage, reportGraceHours, specialPlanDrillYears
        case assessmentBase, appealWindowWorkingDays, supervisionDuties, plans, officeHours, videoPointLimit
        case mechanismStart, futureToleranceHours
    }

    /// Decodes a stored version. A version stored before the plan rules existed has neither
    /// `plans` nor the D1–D6 figures: it takes those of `initial`, so that it still judges every
    /// kind of finding (and encodes them from then on). A figure under a kind's former name
    /// (`FindingKind.formerNames`, e.g. `no_result_report`) is read as the kind's figure.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        effectiveFrom = try c.decode(LocalDate.self, forKey: .effectiveFrom)
        source = try c.decode(String.self, forKey: .source)
        title = try c.decode(String.self, forKey: .title)
        items = try c.decode([DeductionItem].self, forKey: .items)
        responseLimits = try c.decode(ResponseLimits.self, forKey: .responseLimits)
        latenessBands = try c.decode([LatenessBand].self, forKey: .latenessBands)
        defaultPoints = try c.decode([String: Points].self, forKey: .defaultPoints)
        // A figure stored under a kind's former name is the figure of the kind now.
        for (former, kind) in FindingKind.formerNames {
            guard let points = defaultPoints.removeValue(forKey: former) else { continue }
            if defaultPoints[kind.rawValue] == nil { defaultPoints[kind.rawValue] = points }
        }
        pointsRange = try c.decode(PointsRange.self, forKey: .pointsRange)
        provincialMultiplier = try c.decode(Int.self, forKey: .provincialMultiplier)
        phoneCheckAttempts = try c.decode(Int.self, forKey: .phoneCheckAttempts)
        phoneCheckCoverage = try c.decode(SupervisionDuty.Period.self, forKey: .phoneCheckCoverage)
        reportGraceHours = try c.decode(Int.self, forKey: .reportGraceHours)
        specialPlanDrillYears = try c.decode(Int.self, forKey: .specialPlanDrillYears)
        assessmentBase = try c.decode(Points.self, forKey: .assessmentBase)
        appealWindowWorkingDays = try c.decode(Int.self, forKey: .appealWindowWorkingDays)
        supervisionDuties = try c.decode([SupervisionDuty].self, forKey: .supervisionDuties)
        // A version stored before office hours were a rule takes the standard ones.
        officeHours = try c.decodeIfPresent(OfficeHours.self, forKey: .officeHours) ?? .standard
        // A version stored before video checks had a time of their own takes the initial one.
        videoPointLimit = try c.decodeIfPresent(TimeLimit.self, forKey: .videoPointLimit) ?? RuleSet.initial.videoPointLimit
        // A version stored before these existed takes the initial figures.
        mechanismStart = try c.decodeIfPresent(LocalDate.self, forKey: .mechanismStart) ?? RuleSet.initial.mechanismStart
        futureToleranceHours = try c.decodeIfPresent(Int.self, forKey: .futureToleranceHours) ?? RuleSet.initial.futureToleranceHours
        if let plans = try c.decodeIfPresent(PlanLimits.self, forKey: .plans) {
            self.plans = plans
        } else {
            plans = RuleSet.initial.plans
            for kind in FindingKind.allCases where kind.item.map({ $0 <= .d6 }) == true && defaultPoints[kind.rawValue] == nil {
                defaultPoints[kind.rawValue] = RuleSet.initial.defaultPoints(for: kind)
            }
        }
    }
}


extension RuleSet {
    /// The rules as 丽应急〔2020〕62号 sets them, with the defaults of mechanism.md §5 where the
    /// text is silent.
    public static let initial = RuleSet(
        version: "2020.1",
        effectiveFrom: LocalDate(year: 2020, month: 12, day: 30)!,
        source: "丽应急〔2020〕62号",
        title: "丽水市社会应急联动工作监督检查考核机制（试行）",
        responseLimits: ResponseLimits(
            publicSecurity: .minutes(10), levelOne: .minutes(20), levelTwo: .minutes(30), levelThree: .minutes(30)
        ),
        latenessBands: [
            LatenessBand(upTo: .minutes(10), points: Points(0.5)),
            LatenessBand(upTo: .minutes(20), points: Points(1.0)),
            LatenessBand(upTo: .minutes(30), points: Points(1.5)),
            LatenessBand(upTo: nil, points: Points(2.0)),
        ],
        defaultPoints: [
            .refused: Points(2.0),
            .passedOn: Points(1.5),
            .noArrival: Points(1.0),
            .noReportBack: Points(0.5),
            .phoneUnanswered: Points(1.0),
            .unreportedContactChange: Points(0.5),
            .noDutySystem: Points(2.0),
            .dutiesUnknown: Points(0.5),
            .noVest: Points(0.5),
            .equipmentMissing: Points(0.5),
            .drillNoShow: Points(2.0),
            .supervisionMissed: Points(1.0),
            // D1–D6: the agencies choose a figure within 0.5..2 (mechanism.md §5); 1.0, the middle
            // of the range, is the proposed default until they confirm another.
            .planMissing: Points(1.0),
            .planNotDrilled: Points(1.0),
            .planRevisionOverdue: Points(1.0),
            .planRevisionUnassessed: Points(1.0),
            .planNotPublished: Points(1.0),
            .specialPlanDrillOverdue: Points(1.0),
            .majorEventNotDrilled: Points(1.0),
            .performanceAssessmentMissing: Points(1.0),
        ],
        pointsRange: PointsRange(minimum: Points(0.5), maximum: Points(2.0), step: Points(0.5)),
        provincialMultiplier: 2,
        phoneCheckAttempts: 3,
        phoneCheckCoverage: .quarter,
        reportGraceHours: 24,
        specialPlanDrillYears: 3,
        assessmentBase: Points(100),
        appealWindowWorkingDays: 5,
        supervisionDuties: [
            SupervisionDuty(id: .phoneCheck, title: "日常电话检查", period: .month, minimumCount: 1, agencies: [.psb]),
            SupervisionDuty(id: .jointCheck, title: "实地或视频联合检查", period: .quarter, minimumCount: 1, agencies: [.emb, .psb]),
            SupervisionDuty(id: .consultation, title: "社会应急联动工作会商会", period: .halfYear, minimumCount: 1, agencies: [.plc, .emb, .psb]),
        ],
        plans: PlanLimits(
            publicationWorkingDays: 20,
            publishedKinds: [.special, .department],
            drillsPerYear: 1,
            majorEventDrillWindowDays: 365,
            warningHorizonDays: 30
        ),
        // The text sets no figure (在规定时间内到达视频点位); 30 minutes, the longest of the
        // Annex 1 item 9 limits, holds no unit to less than the notice itself does.
        videoPointLimit: .minutes(30),
        mechanismStart: LocalDate(year: 2020, month: 12, day: 30)!,
        futureToleranceHours: 24
    )
}

/// The versions of the rules over time.
public struct RuleBook: Sendable, Hashable {
    public private(set) var versions: [RuleSet]

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case duplicateVersion(String)
        case duplicateEffectiveDate(LocalDate)
        /// A revision with figures that cannot stand (`RuleSet.validate()`).
        case invalid([RuleSet.Problem])
        /// A revision must take effect after today: it cannot rewrite the past (§四(三)).
        case notInFuture(effectiveFrom: LocalDate, today: LocalDate)
        /// A revision must take effect after the latest version.
        case notAfterLatest(effectiveFrom: LocalDate, latest: String, latestFrom: LocalDate)

        public var description: String {
            switch self {
            case .empty: "规则集为空"
            case .duplicateVersion(let v): "规则版本 \(v) 已存在"
            case .duplicateEffectiveDate(let d): "已有规则版本自 \(d.chinese) 起施行"
            case .invalid(let problems): "规则修订有误：" + problems.map(\.description).joined(separator: "；")
            case .notInFuture(let from, let today):
                "修订施行日期\(from.chinese)须晚于今天（\(today.chinese)）：修订不能改变已经发生的评判"
            case .notAfterLatest(let from, let latest, let latestFrom):
                "修订施行日期\(from.chinese)须晚于现行最新版本 \(latest) 的施行日期\(latestFrom.chinese)"
            }
        }
    }

    public init(_ versions: [RuleSet]) throws(Problem) {
        guard !versions.isEmpty else { throw .empty }
        var seenVersions = Set<String>(), seenDates = Set<LocalDate>()
        for v in versions {
            guard seenVersions.insert(v.version).inserted else { throw .duplicateVersion(v.version) }
            guard seenDates.insert(v.effectiveFrom).inserted else { throw .duplicateEffectiveDate(v.effectiveFrom) }
        }
        self.versions = versions.sorted { $0.effectiveFrom < $1.effectiveFrom }
    }

    public static let standard = try! RuleBook([.initial])

    /// The version in force on a day: the latest one effective on or before it. Days before the
    /// first version are judged by the first.
    public func inForce(on day: LocalDate) -> RuleSet {
        versions.last { $0.effectiveFrom <= day } ?? versions[0]
    }

    public func inForce(at instant: Date) -> RuleSet { inForce(on: LocalDate(instant)) }

    public var latest: RuleSet { versions[versions.count - 1] }

    /// The book with a revision added, refused when its label is taken, its figures do not stand,
    /// or it would take effect on or before today or the latest version's effective date: a
    /// revision changes the future only, so findings already judged keep their version.
    public func adding(_ revision: RuleSet, today: LocalDate) throws(Problem) -> RuleBook {
        guard !versions.contains(where: { $0.version == revision.version }) else { throw .duplicateVersion(revision.version) }
        let problems = revision.validate()
        guard problems.isEmpty else { throw .invalid(problems) }
        guard revision.effectiveFrom > today else { throw .notInFuture(effectiveFrom: revision.effectiveFrom, today: today) }
        guard revision.effectiveFrom > latest.effectiveFrom else {
            throw .notAfterLatest(effectiveFrom: revision.effectiveFrom, latest: latest.version, latestFrom: latest.effectiveFrom)
        }
        return try RuleBook(versions + [revision])
    }

    /// The first day, not before `notBefore`, on which a deadline has passed, each day judged by
    /// the version in force on it: a revision that shortens or lengthens a deadline applies from
    /// its effective date, never before. `firstLateDay` gives the first day a version deems late
    /// (nil when the rule does not apply under it). Returns that day and the version that judges it.
    func firstLateDay(notBefore: LocalDate, _ firstLateDay: (RuleSet) -> LocalDate?) -> (day: LocalDate, rules: RuleSet)? {
        for (index, version) in versions.enumerated() {
            guard var day = firstLateDay(version) else { continue }
            day = max(day, notBefore)
            // Days before the first version are judged by it (`inForce(on:)`).
            if index > 0 { day = max(day, version.effectiveFrom) }
            if index + 1 == versions.count || day < versions[index + 1].effectiveFrom { return (day, version) }
        }
        return nil
    }
}
