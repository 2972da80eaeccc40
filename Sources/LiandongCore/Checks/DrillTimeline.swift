import Foundation

/// One unit of a drill as the 110 system recorded it (the exercise events linked to the drill by
/// `drill_id`), set beside what the inspectors recorded, with the differences named. The 110
/// timeline is for comparison only: a drill is judged on the inspectors' record alone.
public struct DrillCrossCheck: Sendable, Equatable {
    /// Two records of the same moment agree when they are at most this far apart (inspectors
    /// note times by hand, to the minute).
    public static let toleranceSeconds = 60

    public var unitID: Int
    /// Whether any linked event of the unit was received.
    public var hasEvents: Bool
    /// The 110 system's instruction and arrival (an arrival report stands for an arrival).
    public var instructedAt: Date?
    public var arrivedAt: Date?
    /// The limit the unit is judged against in this drill.
    public var limit: TimeLimit
    /// Instruction to arrival, by the 110 system.
    public var elapsedSeconds: Int?
    /// Notification to arrival, as the inspectors recorded it.
    public var recordedElapsedSeconds: Int?
    /// What differs, in the words shown to officers; empty when the records agree.
    public var discrepancies: [String]

    public var onTime: Bool? { elapsedSeconds.map { $0 <= limit.seconds } }
    public var recordedOnTime: Bool? { recordedElapsedSeconds.map { $0 <= limit.seconds } }

    /// The units in the drill's order. `events`: the linked events of each unit id. `finished`:
    /// the drill is over, so a unit the inspectors never saw arrive did not arrive.
    public static func compare(_ drill: Drill, events: [Int: [DispatchTimeline.Event]], finished: Bool, rules: RuleSet) -> [DrillCrossCheck] {
        drill.units.map { unit in
            let timeline = (events[unit.unitID] ?? []).sorted { $0.at < $1.at }
            let instructed = timeline.first { $0.type == .instructed }?.at
            let arrived = (timeline.first { $0.type == .arrived } ?? timeline.first { $0.type == .arrivalReported })?.at
            let limit = drill.limit(for: unit, rules: rules)
            var check = DrillCrossCheck(
                unitID: unit.unitID, hasEvents: !timeline.isEmpty, instructedAt: instructed, arrivedAt: arrived, limit: limit,
                elapsedSeconds: instructed.flatMap { i in arrived.map { RuleSet.elapsedSeconds(from: i, to: $0) } },
                recordedElapsedSeconds: unit.arrivedAt.map { RuleSet.elapsedSeconds(from: unit.notifiedAt, to: $0) },
                discrepancies: [])
            guard !timeline.isEmpty else {
                check.discrepancies = ["110系统没有该单位的演练事件"]
                return check
            }
            func apart(_ a: Date, _ b: Date) -> Int { Int(abs(a.timeIntervalSince(b)).rounded(.down)) }
            if let instructed {
                let gap = apart(instructed, unit.notifiedAt)
                if gap > toleranceSeconds {
                    check.discrepancies.append("下达指令时间与检查记录的通知时间相差\(RuleSet.durationText(seconds: gap))")
                }
            } else {
                check.discrepancies.append("110系统没有下达指令事件")
            }
            switch (arrived, unit.arrivedAt) {
            case let (a?, r?):
                let gap = apart(a, r)
                if gap > toleranceSeconds {
                    check.discrepancies.append("到达时间与检查记录相差\(RuleSet.durationText(seconds: gap))")
                }
            case (_?, nil):
                check.discrepancies.append(finished ? "110系统记录到达，检查记录为未到达" : "110系统记录到达，检查人员尚未登记到达")
            case (nil, _?):
                check.discrepancies.append("检查记录已到达，110系统没有到达事件")
            case (nil, nil):
                break
            }
            if let onTime = check.onTime, let recorded = check.recordedOnTime, onTime != recorded {
                check.discrepancies.append(onTime ? "按110系统记录未超时，按检查记录超时" : "按110系统记录超时，按检查记录未超时")
            }
            return check
        }
    }
}
