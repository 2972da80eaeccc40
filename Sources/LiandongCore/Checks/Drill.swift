import Foundation

/// An on-site or video check (实地检查 / 视频检查, main text §二): a simulated alert (模拟警情) is
/// sent to units, and each is judged on its arrival, its vest, its equipment and its knowledge
/// of its duties. A drill's findings come only from its drill record (mechanism.md §5
/// "Exercises"), so they never mix with live dispatches.
public struct Drill: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 实地检查: responders come to the scene.
        case onsite
        /// 视频检查: units reach a video point (视频点位) seen from the police command hall.
        case video

        public var source: FindingSource {
            switch self {
            case .onsite: .onsite
            case .video: .video
            }
        }

        /// Where a unit has to arrive, as reasons say it.
        var destination: String {
            switch self {
            case .onsite: "现场"
            case .video: "视频点位"
            }
        }
    }

    public var checkID: String
    public var kind: Kind
    /// When the simulated alert was raised.
    public var alertAt: Date
    public var scenario: String
    public var place: String?
    /// Video checks: the video point units were told to reach.
    public var videoPoint: String?
    /// The officers who ran the check.
    public var officers: [String]
    /// The officers of each agency who took part (main text §二: the EMB and the police check
    /// jointly). nil: the record does not say (drills recorded before participation was kept, and
    /// imported records that leave it out).
    public var teams: [DrillTeam]?
    public var notes: String?
    public var units: [DrillUnit]

    public init(checkID: String, kind: Kind, alertAt: Date, scenario: String, place: String? = nil,
                videoPoint: String? = nil, officers: [String] = [], teams: [DrillTeam]? = nil, notes: String? = nil,
                units: [DrillUnit]) {
        self.checkID = checkID; self.kind = kind; self.alertAt = alertAt; self.scenario = scenario
        self.place = place; self.videoPoint = videoPoint; self.officers = officers; self.teams = teams; self.notes = notes
        self.units = units
    }

    /// The agencies whose officers took part; nil when the record does not say.
    public var participatingAgencies: Set<Agency>? {
        teams.map { Set($0.filter { !$0.officers.isEmpty }.map(\.agency)) }
    }

    /// Whether the check was run by every agency a duty names (the quarterly joint check is the
    /// EMB's and the police's together): one agency alone does not do a joint duty.
    public func isJoint(for duty: SupervisionDuty) -> Bool {
        guard let agencies = participatingAgencies else { return false }
        return Set(duty.agencies).isSubset(of: agencies)
    }

    /// Checks that the record describes a drill that can have happened.
    public func validate() throws(CheckProblem) {
        guard !checkID.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CheckProblem(field: "check_id", message: "检查编号不能为空")
        }
        guard !IdentifierText.hasControlCharacters(checkID) else {
            throw CheckProblem(field: "check_id", message: "检查编号" + IdentifierText.controlCharacterMessage)
        }
        guard !units.isEmpty else { throw CheckProblem(field: "units", message: "至少应有一个参加检查的单位") }
        var agencies = Set<Agency>()
        for team in teams ?? [] {
            let field = "\(team.agency.rawValue)_officers"
            guard Agency.confirming.contains(team.agency) else {
                throw CheckProblem(field: field, message: "实地和视频检查由市应急管理局和市公安局开展，\(team.agency.name)不是检查部门")
            }
            guard agencies.insert(team.agency).inserted else {
                throw CheckProblem(field: field, message: "\(team.agency.name)的检查人员重复登记")
            }
            for name in team.officers {
                guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 40 else {
                    throw CheckProblem(field: field, message: "检查人员姓名应为1至40个字")
                }
                guard !IdentifierText.hasControlCharacters(name) else {
                    throw CheckProblem(field: field, message: "检查人员姓名" + IdentifierText.controlCharacterMessage)
                }
            }
        }
        var seen: [Int: Int] = [:]
        for (index, unit) in units.enumerated() {
            let path = "units[\(index)]"
            if let first = seen[unit.unitID] {
                throw CheckProblem(field: "\(path).unit", message: "与第\(first + 1)个单位重复，同一单位在一次检查中只登记一次")
            }
            seen[unit.unitID] = index
            // A unit cannot be told of an alert before it was raised; told at the same instant is normal.
            guard unit.notifiedAt >= alertAt else {
                throw CheckProblem(field: "\(path).notified_at",
                                   message: "通知时间（\(ClockText.of(unit.notifiedAt))）早于模拟警情发出时间（\(ClockText.of(alertAt))）")
            }
            if let arrived = unit.arrivedAt, arrived < unit.notifiedAt {
                throw CheckProblem(field: "\(path).arrived_at",
                                   message: "到达时间（\(ClockText.of(arrived))）早于通知时间（\(ClockText.of(unit.notifiedAt))）")
            }
            if let seconds = unit.limitSeconds {
                // Only a video check sets its own time (to reach the video point); an on-site
                // check is judged by the Annex 1 item 9 limits, which only a rule version changes.
                guard kind == .video else {
                    throw CheckProblem(field: "\(path).limit_minutes", message: "实地检查按规定时限判定，不能另设到达时限")
                }
                guard seconds > 0 else {
                    throw CheckProblem(field: "\(path).limit_minutes", message: "到达时限应大于0")
                }
            }
            // What is seen on arrival cannot be recorded for a unit that never came.
            if unit.arrivedAt == nil {
                if unit.vestWorn != nil {
                    throw CheckProblem(field: "\(path).vest", message: "单位未到达，不应登记背心穿着情况")
                }
                if unit.equipmentOK != nil {
                    throw CheckProblem(field: "\(path).equipment_ok", message: "单位未到达，不应登记装备情况")
                }
            }
        }
    }

    /// The time limit a unit is judged against: on an on-site check the unit's response limit
    /// (Annex 1 item 9); on a video check the time it set to reach the video point, or, when it
    /// set none, the rule set's (main text §二(三): 在规定时间内到达视频点位).
    public func limit(for unit: DrillUnit, rules: RuleSet) -> TimeLimit {
        if let seconds = unit.limitSeconds { return TimeLimit(seconds: seconds) }
        switch kind {
        case .onsite: return rules.limit(level: unit.level, publicSecurity: unit.publicSecurity)
        case .video: return rules.videoPointLimit
        }
    }

    /// The findings of every unit, in the order the units are listed. Assumes a valid drill.
    /// Level-3 units are judged like the others: a unit summoned to a drill was told that
    /// on-site response is needed (Annex 2 三(二)).
    public func judge(rules: RuleSet) -> [Finding] {
        let name = kind.source.name
        var findings: [Finding] = []
        for unit in units {
            func add(_ kind: FindingKind, at: Date, _ reason: String) {
                findings.append(rules.finding(kind, unitID: unit.unitID, source: self.kind.source, ref: checkID,
                                              at: at, reason: "\(name)：\(reason)"))
            }
            let limit = limit(for: unit, rules: rules)
            if let arrived = unit.arrivedAt {
                // Annex 1 item 9; mechanism.md §5: exactly at the limit is on time.
                let elapsed = RuleSet.elapsedSeconds(from: unit.notifiedAt, to: arrived)
                let judgement = rules.judgeArrival(elapsedSeconds: elapsed, limit: limit)
                if let points = judgement.points {
                    findings.append(Finding(
                        unitID: unit.unitID, item: .d9, kind: .lateArrival, source: kind.source, ref: checkID,
                        occurredAt: arrived, proposedPoints: points,
                        reason: "\(name)：接到通知后\(RuleSet.durationText(seconds: elapsed))到达\(kind.destination)，"
                            + "超过\(limit)时限\(RuleSet.durationText(seconds: judgement.lateBySeconds))",
                        ruleVersion: rules.version))
                }
            } else {
                // mechanism.md §5: a unit that never arrives is a D10 no-show, not a very late D9.
                add(.drillNoShow, at: unit.notifiedAt, "接到通知后未到达\(kind.destination)")
            }
            let seenAt = unit.arrivedAt ?? unit.notifiedAt
            // Annex 2: responders of level-1 and level-2 units wear the 应急联动 vest; units with
            // their own uniform are exempt, and level-3 units have no such duty.
            if unit.vestWorn == false && !unit.uniformExempt && unit.level.wearsVest {
                add(.noVest, at: seenAt, "到场人员未穿着“应急联动”反光背心")
            }
            if unit.equipmentOK == false {
                let missing = (unit.equipmentMissing ?? []).joined(separator: "、")
                add(.equipmentMissing, at: seenAt, missing.isEmpty ? "应急装备不全" : "应急装备不全（缺\(missing)）")
            }
            if unit.knowsDuties == false {
                add(.dutiesUnknown, at: seenAt, "到场人员不熟悉本单位工作职责")
            }
        }
        return findings
    }
}

/// The officers of one agency who took part in a drill.
public struct DrillTeam: Hashable, Sendable, Codable {
    public var agency: Agency
    public var officers: [String]

    public init(agency: Agency, officers: [String]) { self.agency = agency; self.officers = officers }
}

/// One unit summoned in a drill, with what was observed.
public struct DrillUnit: Hashable, Sendable, Codable {
    public var unitID: Int
    public var level: UnitLevel
    /// 公安: the police limit applies (Annex 1 item 9).
    public var publicSecurity: Bool
    /// Has its own uniform: the vest rule does not apply.
    public var uniformExempt: Bool
    /// When the simulated alert reached the unit; the limit runs from here.
    public var notifiedAt: Date
    /// When its first responders arrived; nil when they never did.
    public var arrivedAt: Date?
    /// A video check's own time to reach the video point; nil: the unit's response limit.
    public var limitSeconds: Int?
    public var vestWorn: Bool?
    public var equipmentOK: Bool?
    /// The checklist items found missing, when a checklist was used (names the finding's reason).
    public var equipmentMissing: [String]?
    public var knowsDuties: Bool?
    public var notes: String?

    public init(unitID: Int, level: UnitLevel, publicSecurity: Bool = false, uniformExempt: Bool = false,
                notifiedAt: Date, arrivedAt: Date?, limitSeconds: Int? = nil, vestWorn: Bool? = nil,
                equipmentOK: Bool? = nil, knowsDuties: Bool? = nil, notes: String? = nil) {
        self.unitID = unitID; self.level = level; self.publicSecurity = publicSecurity
        self.uniformExempt = uniformExempt; self.notifiedAt = notifiedAt; self.arrivedAt = arrivedAt
        self.limitSeconds = limitSeconds; self.vestWorn = vestWorn; self.equipmentOK = equipmentOK
        self.knowsDuties = knowsDuties; self.notes = notes
    }

    /// The unit as the register describes it.
    public init(unitID: Int, profile: UnitProfile, notifiedAt: Date, arrivedAt: Date?, limitSeconds: Int? = nil,
                vestWorn: Bool? = nil, equipmentOK: Bool? = nil, knowsDuties: Bool? = nil, notes: String? = nil) {
        self.init(unitID: unitID, level: profile.level, publicSecurity: profile.publicSecurity,
                  uniformExempt: profile.uniformExempt, notifiedAt: notifiedAt, arrivedAt: arrivedAt,
                  limitSeconds: limitSeconds, vestWorn: vestWorn, equipmentOK: equipmentOK,
                  knowsDuties: knowsDuties, notes: notes)
    }
}
