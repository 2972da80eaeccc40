import Foundation

/// One daily phone check (日常电话检查, main text §二): the police call a unit's duty phone or
/// its liaison and record whether anyone answered, whether the number is still the unit's, and
/// whether the person who answered knows the first-responsibility rule (首处责任制).
public struct PhoneCheck: Hashable, Sendable, Codable {
    /// Which of the unit's registered numbers was dialled (Annex 1 item 8 names both).
    public enum Dialled: String, Sendable, Codable, CaseIterable {
        case duty
        case liaison

        /// `值班电话` / `联络员电话`, as reasons and forms say it.
        public var chinese: String {
            switch self {
            case .duty: "值班电话"
            case .liaison: "联络员电话"
            }
        }
    }

    /// One call of the check.
    public struct Attempt: Hashable, Sendable, Codable {
        public var at: Date
        public var answered: Bool

        public init(at: Date, answered: Bool) { self.at = at; self.answered = answered }
    }

    public var checkID: String
    public var unitID: Int
    public var dialled: Dialled
    /// The calls in the order made; at most `RuleSet.phoneCheckAttempts`, stopping at the first answer.
    public var attempts: [Attempt]
    /// Who answered (name or post), as the caller noted it.
    public var answeredBy: String?
    /// Whether the dialled number is still the unit's; nil when not established.
    public var numberCurrent: Bool?
    /// Whether a contact-change report (报备) covers the changed number. Only the caller, who
    /// holds the register's history, can know; it matters only when `numberCurrent == false`.
    public var changeReported: Bool
    /// Whether the person who answered knows the first-responsibility rule; nil when not asked.
    public var knowsFirstResponsibility: Bool?
    /// The officers who made the check.
    public var officers: [String]
    public var notes: String?

    public init(checkID: String, unitID: Int, dialled: Dialled, attempts: [Attempt], answeredBy: String? = nil,
                numberCurrent: Bool? = nil, changeReported: Bool = false, knowsFirstResponsibility: Bool? = nil,
                officers: [String] = [], notes: String? = nil) {
        self.checkID = checkID; self.unitID = unitID; self.dialled = dialled; self.attempts = attempts
        self.answeredBy = answeredBy; self.numberCurrent = numberCurrent; self.changeReported = changeReported
        self.knowsFirstResponsibility = knowsFirstResponsibility; self.officers = officers; self.notes = notes
    }

    /// True when some attempt was answered.
    public var answered: Bool { attempts.contains(where: \.answered) }

    /// The moment the check ended: its last call.
    public var lastAttemptAt: Date? { attempts.last?.at }

    /// Checks that the record describes a check that can have happened under the rules.
    public func validate(rules: RuleSet) throws(CheckProblem) {
        guard !checkID.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CheckProblem(field: "check_id", message: "检查编号不能为空")
        }
        guard !IdentifierText.hasControlCharacters(checkID) else {
            throw CheckProblem(field: "check_id", message: "检查编号" + IdentifierText.controlCharacterMessage)
        }
        // mechanism.md §5 "Phone checks": one check makes up to `phoneCheckAttempts` calls.
        guard !attempts.isEmpty else {
            throw CheckProblem(field: "attempts", message: "至少应记录1次拨打")
        }
        guard attempts.count <= rules.phoneCheckAttempts else {
            throw CheckProblem(field: "attempts",
                               message: "一次电话检查最多拨打\(rules.phoneCheckAttempts)次，记录了\(attempts.count)次")
        }
        for index in attempts.indices.dropFirst() where attempts[index].at <= attempts[index - 1].at {
            throw CheckProblem(field: "attempts[\(index)].at",
                               message: "第\(index + 1)次拨打时间应晚于第\(index)次（\(ClockText.of(attempts[index - 1].at))）")
        }
        // Once someone answers, the check has reached the unit: a further call would be a new check.
        if let first = attempts.firstIndex(where: \.answered), first < attempts.count - 1 {
            throw CheckProblem(field: "attempts[\(first + 1)]",
                               message: "第\(first + 1)次拨打已接通，之后不应再有拨打记录")
        }
        // Nobody can be named or questioned on a call nobody answered. (Whether the number is
        // still current can be learnt without an answer, e.g. from the "空号" announcement.)
        if !answered {
            if answeredBy != nil {
                throw CheckProblem(field: "answered_by", message: "电话无人接听，不应填写接听人")
            }
            if knowsFirstResponsibility != nil {
                throw CheckProblem(field: "knows_first_responsibility", message: "电话无人接听，无法询问首处责任制")
            }
        }
    }

    /// Whether every call was made outside office hours (nights, weekends and holidays by the
    /// calendar): a check of the unit's 24-hour duty.
    public func outOfHours(rules: RuleSet, calendar: WorkingCalendar) -> Bool {
        !attempts.isEmpty && attempts.allSatisfy { !rules.officeHours.contains($0.at, calendar: calendar) }
    }

    /// The findings of the check (Annex 1 items 8 and 12). Assumes a valid check. `level` is the
    /// unit's: a level-1 unit's duty phone unanswered outside office hours shows it keeps no
    /// 24-hour duty (Annex 2), which counts instead of the plain unanswered call.
    public func judge(rules: RuleSet, level: UnitLevel? = nil, calendar: WorkingCalendar = .shipped) -> [Finding] {
        guard let at = lastAttemptAt else { return [] }
        var findings: [Finding] = []
        // Annex 1 item 8: 电话三次无人接听. Fewer unanswered calls leave the check incomplete,
        // not failed: the unit has not yet had all its chances.
        if attempts.count == rules.phoneCheckAttempts && !answered {
            let times = attempts.map { ClockText.of($0.at) }.joined(separator: "、")
            if level == .one && dialled == .duty && outOfHours(rules: rules, calendar: calendar) {
                // Annex 1 item 8: 一级应急联动部门未按规定建立24小时值班制度.
                let day = LocalDate(at)
                let when = calendar.isWorkingDay(day) ? "工作日办公时间（\(rules.officeHours.chinese)）以外" : "非工作日"
                findings.append(rules.finding(.noDutySystem, unitID: unitID, source: .phone, ref: checkID, at: at,
                                              reason: "一级联动单位值班电话于\(day.chinese)\(when)连续\(rules.phoneCheckAttempts)次无人接听（\(times)），未落实24小时值班"
                                                  + (calendar.covers(day.year) ? "" : WorkingCalendar.assumptionNote([day.year]) ?? "")))
            } else {
                findings.append(rules.finding(.phoneUnanswered, unitID: unitID, source: .phone, ref: checkID, at: at,
                                              reason: "\(dialled.chinese)连续\(rules.phoneCheckAttempts)次无人接听（\(times)）"))
            }
        }
        // Annex 1 item 8: 值班电话或联络员变更且未主动报备.
        if numberCurrent == false && !changeReported {
            findings.append(rules.finding(.unreportedContactChange, unitID: unitID, source: .phone, ref: checkID, at: at,
                                          reason: "登记的\(dialled.chinese)已不是本单位使用的号码，且未报备变更"))
        }
        // Annex 2 (首处责任制) with Annex 1 item 12, mechanism.md §5 default points.
        if knowsFirstResponsibility == false {
            findings.append(rules.finding(.dutiesUnknown, unitID: unitID, source: .phone, ref: checkID, at: at,
                                          reason: "\(dialled.chinese)接听人不熟悉首处责任制"))
        }
        return findings
    }
}
