import Foundation

/// A linkage unit as the dispatch generator sees it: who it is, and what decides its limit.
public struct GeneratorUnit: Hashable, Sendable {
    public var id: Int
    /// Written into the events' `unit` field, so it must be unique among the generator's units.
    public var name: String
    public var level: UnitLevel
    /// 公安: judged against the police limit.
    public var publicSecurity: Bool

    public init(id: Int, name: String, level: UnitLevel, publicSecurity: Bool = false) {
        self.id = id; self.name = name; self.level = level; self.publicSecurity = publicSecurity
    }

    public init(id: Int, profile: UnitProfile) {
        self.init(id: id, name: profile.name, level: profile.level, publicSecurity: profile.publicSecurity)
    }

    /// The 46 city-level units of Annex 2, numbered 1...46 in the notice's order.
    public static var annex2City: [GeneratorUnit] {
        Annex2.cityUnits.enumerated().map { GeneratorUnit(id: $0.offset + 1, profile: $0.element) }
    }
}

/// Realistic synthetic 110 linkage-dispatch timelines, for benchmarks, load tests and a demo year.
///
/// Every figure of the mechanism (the response limits) comes from the `RuleSet`; the shares,
/// weights and delays in `Profile` are the generator's own assumptions about what live data
/// looks like, not figures of the notice. The output depends only on the units, the rules, the
/// seed, the profile and the calls made: the generator draws from `SplitMix64` with its own
/// arithmetic and never reads the clock or the platform's random source.
///
/// What one dispatch (one unit's part in one incident) looks like:
/// - `instructed` at the incident's time (a second unit `secondUnitDelay` later), carrying
///   `on_site_required`;
/// - `acknowledged` `acknowledgement` seconds after the instruction;
/// - then one of: `refused` (and `closed`), `passed_on` (and `closed`), on-site but never
///   arriving (`closed` only), or the normal course: `arrived` — on time, spread from
///   `earliestArrivalFraction` of the limit up to the limit itself (arriving exactly at the limit
///   happens and is on time), or late by 1 s up to `maxLateness`, mostly by a little —,
///   `arrival_reported` (`arrivalReportDelay` after arrival), `result_reported`
///   (`resultDelay` after arrival) unless the result report is missing, then `closed`
///   (`closeDelay` after the result, or after when it would have come).
///   A dispatch that needs no on-site response has no arrival: its result is reported
///   `resultDelay` after the acknowledgement. A passed-on dispatch never arrives either, so
///   when it needed on-site response the judging code finds both 推诿 and no arrival.
///
/// Incidents are spread over the period with the daily rhythm of `hourlyWeights`, each whole
/// timeline inside the period. Event ids are `G<seed>-<n>`, numbered in time order and never
/// reused by the same generator; incident ids are `110-<yyyyMMdd>-<nnnn>`, the day's counter in
/// order of the incidents' first instruction (continued, not restarted, by a later call that
/// reaches the same day).
public struct DispatchGenerator: Sendable {
    /// The generator's own proportions and delays. The defaults are assumptions chosen to look
    /// like a working linkage system with a few shortfalls a month, not published statistics;
    /// a benchmark or demo that needs other figures sets them.
    public struct Profile: Hashable, Sendable {
        /// Of the arrivals that are judged (on-site dispatches that arrive), the share arriving
        /// after the limit. 8%: late arrival is the shortfall the notice exists for and the
        /// commonest one in practice, but an established mechanism meets its limit in the vast
        /// majority of cases; a demo year gives each busy unit a handful of D9 findings.
        public var lateShare = 0.08
        /// Of all dispatches, the share refused (有警不出). 0.5%: the gravest D10 shortfall
        /// (2 points) and rare — one in two hundred.
        public var refusedShare = 0.005
        /// Of all dispatches, the share the unit passes on (推诿) instead of handling. 1%: twice
        /// as common as refusal, still rare under the first-responsibility rule.
        public var passedOnShare = 0.01
        /// Of on-site dispatches, the share that never arrives or never reports arrival (110
        /// has no arrival on record). 2%.
        public var noArrivalShare = 0.02
        /// Of dispatches that were handled (arrived, or handled without turning out), the share
        /// whose result is never reported. 5%: the closing report is the step most often
        /// forgotten once the work on site is done.
        public var missingResultShare = 0.05
        /// Of level-1 and level-2 units' dispatches, the share needing on-site response. 90%:
        /// their work is turning out; the rest is advice or remote action (a power or network
        /// fault fixed from the control room).
        public var onSiteRequiredShare = 0.9
        /// Of level-3 units' dispatches, the share needing on-site response. 50%: Annex 2 三
        /// asks level-3 units to turn out only "对确需参与现场处置的"; their part is mostly
        /// technical service and funding.
        public var levelThreeOnSiteRequiredShare = 0.5
        /// Of incidents, the share that instructs two units (a burst main: the water company
        /// and 综合执法). 25%.
        public var secondUnitShare = 0.25
        /// Of incidents, the share flagged as exercise. 0: drills are recorded with their drill
        /// and never enter live statistics (mechanism.md §5 "Exercises"), so a live year has none.
        public var exerciseShare = 0.0
        /// How often a unit of each level is chosen, per unit. 6 : 2 : 1 — level-1 units are the
        /// utilities and front-line departments that take the bulk of non-police calls; with
        /// Annex 2's 23 / 14 / 9 units that is about 79% / 16% / 5% of dispatches.
        public var levelWeights: [UnitLevel: Double] = [.one: 6, .two: 2, .three: 1]
        /// Relative incident rate of each hour of the day (China time), 00:00 first. Quietest
        /// 02:00–05:00 at about a fifth of the late-morning peak, busy from 08:00 to 18:00 with
        /// a lunchtime dip, tapering through the evening.
        public var hourlyWeights: [Double] = [
            0.45, 0.35, 0.30, 0.25, 0.25, 0.30, 0.50, 0.80, 1.10, 1.30, 1.40, 1.40,
            1.20, 1.20, 1.30, 1.35, 1.35, 1.30, 1.20, 1.15, 1.05, 0.95, 0.80, 0.60,
        ]
        /// Seconds from instruction to acknowledgement.
        public var acknowledgement: ClosedRange<Int> = 10...180
        /// Seconds from acknowledgement to a refusal or a hand-off.
        public var refusalDelay: ClosedRange<Int> = 60...900
        /// Seconds from the first unit's instruction to the second unit's.
        public var secondUnitDelay: ClosedRange<Int> = 0...600
        /// On-time arrivals come no earlier than this fraction of the unit's limit (travel time).
        public var earliestArrivalFraction = 0.25
        /// Late arrivals are late by 1 second up to this many seconds (the brief's 40 minutes),
        /// with a density falling linearly to zero at the maximum: 44% are late by at most a
        /// quarter of it, 6% by more than three quarters.
        public var maxLateness = 40 * 60
        /// Seconds from arrival to the arrival report.
        public var arrivalReportDelay: ClosedRange<Int> = 0...120
        /// Seconds from arrival (or, without on-site response, from acknowledgement) to the result report.
        public var resultDelay: ClosedRange<Int> = (20 * 60)...(180 * 60)
        /// Seconds from the last step (the result report, refusal or hand-off; without an
        /// arrival, the acknowledgement plus `resultDelay`) to 110 closing the dispatch.
        public var closeDelay: ClosedRange<Int> = 60...(30 * 60)

        public init() {}

        /// What is wrong with the profile, in words; empty when it can be used.
        public var problems: [String] {
            var problems: [String] = []
            let shares: [(String, Double)] = [
                ("lateShare", lateShare), ("refusedShare", refusedShare), ("passedOnShare", passedOnShare),
                ("noArrivalShare", noArrivalShare), ("missingResultShare", missingResultShare),
                ("onSiteRequiredShare", onSiteRequiredShare), ("levelThreeOnSiteRequiredShare", levelThreeOnSiteRequiredShare),
                ("secondUnitShare", secondUnitShare), ("exerciseShare", exerciseShare),
                ("earliestArrivalFraction", earliestArrivalFraction),
            ]
            for (name, value) in shares where !(0...1).contains(value) { problems.append("\(name) must be within 0...1") }
            if refusedShare + passedOnShare + noArrivalShare > 1 {
                problems.append("refusedShare + passedOnShare + noArrivalShare must not exceed 1")
            }
            if levelWeights.values.contains(where: { !($0.isFinite && $0 >= 0) }) { problems.append("levelWeights must be finite and not negative") }
            if hourlyWeights.count != 24 { problems.append("hourlyWeights must have 24 entries") }
            if hourlyWeights.contains(where: { !($0.isFinite && $0 >= 0) }) || !(hourlyWeights.reduce(0, +) > 0) {
                problems.append("hourlyWeights must be finite, not negative, and not all zero")
            }
            let delays: [(String, ClosedRange<Int>)] = [
                ("acknowledgement", acknowledgement), ("refusalDelay", refusalDelay), ("secondUnitDelay", secondUnitDelay),
                ("arrivalReportDelay", arrivalReportDelay), ("resultDelay", resultDelay), ("closeDelay", closeDelay),
            ]
            for (name, range) in delays where range.lowerBound < 0 { problems.append("\(name) must not be negative") }
            if maxLateness < 1 { problems.append("maxLateness must be at least 1 second") }
            return problems
        }
    }

    public let units: [GeneratorUnit]
    public let rules: RuleSet
    public let seed: UInt64
    public let profile: Profile

    private var rng: SplitMix64
    /// The last event number used (`G<seed>-<n>`).
    private var eventCount = 0
    /// Incidents numbered so far on each China-time day (days since 1970-01-01).
    private var incidentsPerDay: [Int: Int] = [:]
    /// Running totals of the unit weights, for a binary search.
    private let cumulativeWeights: [Double]
    private let limits: [Int]
    /// Units that can be chosen at all (weight above 0).
    private let weightedUnits: Int

    public init(units: [GeneratorUnit], rules: RuleSet, seed: UInt64, profile: Profile = .init()) {
        let problems = profile.problems
        precondition(problems.isEmpty, "DispatchGenerator.Profile: \(problems.joined(separator: "; "))")
        precondition(!units.isEmpty, "DispatchGenerator needs at least one unit")
        precondition(Set(units.map(\.name)).count == units.count, "DispatchGenerator: unit names must be unique")
        self.units = units
        self.rules = rules
        self.seed = seed
        self.profile = profile
        self.rng = SplitMix64(seed: seed)
        var total = 0.0
        cumulativeWeights = units.map { total += profile.levelWeights[$0.level] ?? 0; return total }
        precondition(total > 0, "DispatchGenerator: every unit has weight 0 (Profile.levelWeights)")
        weightedUnits = units.count { (profile.levelWeights[$0.level] ?? 0) > 0 }
        limits = units.map { rules.limit(level: $0.level, publicSecurity: $0.publicSecurity).seconds }
    }

    // MARK: Generating

    /// `dispatches` dispatches (instructions of one unit), incidents spread over the period in
    /// China time, every event inside it, sorted by time (ties in the order the steps happen).
    public mutating func events(in period: Period, dispatches: Int) -> [DispatchEventInput] {
        precondition(dispatches >= 0, "dispatches must not be negative")
        let periodStart = Self.epochSeconds(period.startInstant)
        let periodEnd = Self.epochSeconds(period.endInstant)

        // 1. Plan the incidents: units, courses and times.
        var incidents: [Incident] = []
        incidents.reserveCapacity(dispatches)
        var plans: [Plan] = []
        plans.reserveCapacity(dispatches + 1)
        var planned = 0
        while planned < dispatches {
            let exercise = chance(profile.exerciseShare)
            let first = pickUnit(excluding: nil)
            var incident = Incident(time: 0, order: incidents.count, exercise: exercise, plans: plans.count..<plans.count)
            plans.append(plan(unit: first, delay: 0))
            if dispatches - planned >= 2 && weightedUnits > 1 && chance(profile.secondUnitShare) {
                let delay = uniform(profile.secondUnitDelay)
                plans.append(plan(unit: pickUnit(excluding: first), delay: delay))
            }
            incident.plans = incident.plans.lowerBound..<plans.count
            planned += incident.plans.count
            let span = plans[incident.plans].map(\.span).max()!
            // The whole timeline lies in [periodStart, periodEnd).
            let latestStart = periodEnd - 1 - span
            precondition(latestStart >= periodStart, "period \(period) is too short for a dispatch timeline of \(span) s")
            incident.time = incidentTime(from: periodStart, through: latestStart)
            incidents.append(incident)
        }

        // 2. Number the incidents in time order within each day.
        incidents.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        var incidentIDs: [String] = []
        incidentIDs.reserveCapacity(incidents.count)
        var dayDigits: (day: Int, text: String) = (.min, "")
        for incident in incidents {
            let day = Self.dayNumber(incident.time)
            if day != dayDigits.day {
                let (y, m, d) = Self.civil(day)
                dayDigits = (day, Self.digits(y, 4) + Self.digits(m, 2) + Self.digits(d, 2))
            }
            let n = (incidentsPerDay[day] ?? 0) + 1
            incidentsPerDay[day] = n
            incidentIDs.append("110-" + dayDigits.text + "-" + Self.digits(n, 4))
        }

        // 3. Lay out the events and sort them by time.
        var records: [Record] = []
        records.reserveCapacity(dispatches * 6)
        for (index, incident) in incidents.enumerated() {
            for plan in plans[incident.plans] {
                let t0 = incident.time + plan.delay
                for step in plan.steps {
                    records.append(Record(time: t0 + step.offset, seq: records.count, incident: index, unit: plan.unit,
                                          type: step.type, onSite: plan.onSite, exercise: incident.exercise))
                }
            }
        }
        records.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }

        // 4. The events, numbered in time order.
        let prefix = "G\(seed)-"
        var events: [DispatchEventInput] = []
        events.reserveCapacity(records.count)
        for record in records {
            eventCount += 1
            events.append(DispatchEventInput(
                eventID: prefix + String(eventCount), incidentID: incidentIDs[record.incident], unit: units[record.unit].name,
                type: record.type, at: Date(timeIntervalSince1970: Double(record.time)),
                onSiteRequired: record.type == .instructed ? record.onSite : nil, exercise: record.exercise))
        }
        return events
    }

    /// The same events as `events(in:dispatches:)`, written as JSON Lines.
    public mutating func jsonLines(in period: Period, dispatches: Int) -> Data {
        Self.jsonLines(events(in: period, dispatches: dispatches))
    }

    /// Events as JSON Lines in the import format `DispatchEventParser.parseJSONLines` reads: one
    /// object a line with `event_id`, `incident_id`, `unit`, `type`, `at` (ISO 8601 in China time
    /// with `+08:00`, to the second, as `ChinaTime.isoString` writes it), `on_site_required`
    /// (instructed events that carry it), `exercise` (only when true), `note` and `drill_id` (when present).
    public static func jsonLines(_ events: [DispatchEventInput]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 190)
        for event in events {
            append(&out, "{\"event_id\":"); appendString(&out, event.eventID)
            append(&out, ",\"incident_id\":"); appendString(&out, event.incidentID)
            append(&out, ",\"unit\":"); appendString(&out, event.unit)
            append(&out, ",\"type\":"); appendString(&out, event.type.rawValue)
            append(&out, ",\"at\":\""); appendTimestamp(&out, epochSeconds(event.at)); out.append(0x22)
            if event.type == .instructed, let onSite = event.onSiteRequired {
                append(&out, ",\"on_site_required\":"); append(&out, onSite ? "true" : "false")
            }
            if event.exercise { append(&out, ",\"exercise\":true") }
            if let note = event.note { append(&out, ",\"note\":"); appendString(&out, note) }
            if let drill = event.drillID { append(&out, ",\"drill_id\":"); appendString(&out, drill) }
            append(&out, "}\n")
        }
        return Data(out)
    }

    // MARK: Planning one dispatch

    private struct Step {
        var type: DispatchEventType
        /// Seconds after the dispatch's instruction.
        var offset: Int
    }

    private struct Plan {
        var unit: Int
        /// Seconds after the incident's first instruction.
        var delay: Int
        var onSite: Bool
        var steps: [Step]
        /// Seconds from the incident's first instruction to this dispatch's last event.
        var span: Int { delay + (steps.last?.offset ?? 0) }
    }

    private struct Incident {
        var time: Int
        var order: Int
        var exercise: Bool
        var plans: Range<Int>
    }

    private struct Record {
        var time: Int
        var seq: Int
        var incident: Int
        var unit: Int
        var type: DispatchEventType
        var onSite: Bool
        var exercise: Bool
    }

    private mutating func plan(unit: Int, delay: Int) -> Plan {
        let onSiteShare = units[unit].level == .three ? profile.levelThreeOnSiteRequiredShare : profile.onSiteRequiredShare
        let onSite = chance(onSiteShare)
        var ack = uniform(profile.acknowledgement)
        var steps = [Step(type: .instructed, offset: 0)]
        steps.reserveCapacity(6)
        let course = unitInterval()
        if course < profile.refusedShare + profile.passedOnShare {
            // Refused or passed on some minutes after acknowledging; then 110 closes the unit's part.
            let type: DispatchEventType = course < profile.refusedShare ? .refused : .passedOn
            let at = ack + uniform(profile.refusalDelay)
            steps += [Step(type: .acknowledged, offset: ack), Step(type: type, offset: at),
                      Step(type: .closed, offset: at + uniform(profile.closeDelay))]
        } else if onSite && course < profile.refusedShare + profile.passedOnShare + profile.noArrivalShare {
            // Needed on site, never arrived (or never told 110): closed when a result would have come.
            steps += [Step(type: .acknowledged, offset: ack),
                      Step(type: .closed, offset: ack + uniform(profile.resultDelay) + uniform(profile.closeDelay))]
        } else {
            var from = ack
            if onSite {
                let limit = limits[unit]
                let arrival: Int
                if chance(profile.lateShare) {
                    // A falling triangular distribution over 1...maxLateness: most late arrivals
                    // are late by a few minutes, few by nearly the maximum.
                    let u = unitInterval()
                    let lateBy = 1 + Int(Double(profile.maxLateness - 1) * (1 - (1 - u).squareRoot()))
                    arrival = limit + min(lateBy, profile.maxLateness)
                } else {
                    let earliest = min(limit, Int(Double(limit) * profile.earliestArrivalFraction))
                    arrival = uniform(max(earliest, min(ack + 1, limit))...limit)
                }
                ack = min(ack, arrival)
                steps += [Step(type: .acknowledged, offset: ack), Step(type: .arrived, offset: arrival),
                          Step(type: .arrivalReported, offset: arrival + uniform(profile.arrivalReportDelay))]
                from = arrival
            } else {
                steps.append(Step(type: .acknowledged, offset: ack))
            }
            let result = max(from + uniform(profile.resultDelay), steps.last!.offset)
            if !chance(profile.missingResultShare) { steps.append(Step(type: .resultReported, offset: result)) }
            steps.append(Step(type: .closed, offset: result + uniform(profile.closeDelay)))
        }
        return Plan(unit: unit, delay: delay, onSite: onSite, steps: steps)
    }

    /// A unit drawn by weight; `excluding` one already instructed in the incident (the caller
    /// makes sure another unit has weight).
    private mutating func pickUnit(excluding excluded: Int?) -> Int {
        let total = cumulativeWeights[cumulativeWeights.count - 1]
        while true {
            let x = unitInterval() * total
            // The first unit whose running total exceeds x (units of weight 0 are never chosen).
            var low = 0, high = cumulativeWeights.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulativeWeights[mid] > x { high = mid } else { low = mid + 1 }
            }
            if low != excluded { return low }
        }
    }

    /// A whole second in `from...through`, following the daily rhythm (rejection sampling).
    private mutating func incidentTime(from start: Int, through end: Int) -> Int {
        let peak = profile.hourlyWeights.max()!
        for _ in 0..<1000 {
            let t = start + rng.next(below: end - start + 1)
            let hour = (t - Self.dayNumber(t) * 86_400 + ChinaTime.secondsFromGMT) / 3600
            if unitInterval() * peak < profile.hourlyWeights[hour] { return t }
        }
        // A window falling only in hours of weight 0: take any second of it.
        return start + rng.next(below: end - start + 1)
    }

    // MARK: Drawing

    private mutating func unitInterval() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
    private mutating func chance(_ p: Double) -> Bool { unitInterval() < p }
    private mutating func uniform(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + rng.next(below: range.upperBound - range.lowerBound + 1)
    }

    // MARK: China-time calendar arithmetic (fixed +08:00, no daylight saving)

    static func epochSeconds(_ date: Date) -> Int { Int(date.timeIntervalSince1970.rounded(.down)) }

    /// Days since 1970-01-01 of the China-time day holding the instant.
    static func dayNumber(_ epochSeconds: Int) -> Int {
        let local = epochSeconds + ChinaTime.secondsFromGMT
        return local >= 0 ? local / 86_400 : -((-local + 86_399) / 86_400)
    }

    /// Year, month, day of a day number (proleptic Gregorian).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let c = ChinaTime.civilFromDays(days)
        return (c.year, c.month, c.day)
    }

    static func digits(_ n: Int, _ width: Int) -> String {
        let text = String(n)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // MARK: Writing bytes

    private static func append(_ out: inout [UInt8], _ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func appendDigits(_ out: inout [UInt8], _ n: Int, _ width: Int) {
        precondition(n >= 0)
        var divisor = 1, count = 1
        while divisor <= n / 10 { divisor *= 10; count += 1 }
        for _ in count..<max(width, count) { out.append(0x30) }
        while divisor > 0 { out.append(UInt8(0x30 + n / divisor % 10)); divisor /= 10 }
    }

    /// `2026-03-01T08:15:00+08:00`
    private static func appendTimestamp(_ out: inout [UInt8], _ t: Int) {
        let day = dayNumber(t)
        let (y, m, d) = civil(day)
        let second = t + ChinaTime.secondsFromGMT - day * 86_400
        appendDigits(&out, y, 4); out.append(0x2D); appendDigits(&out, m, 2); out.append(0x2D); appendDigits(&out, d, 2)
        out.append(0x54)
        appendDigits(&out, second / 3600, 2); out.append(0x3A)
        appendDigits(&out, second / 60 % 60, 2); out.append(0x3A)
        appendDigits(&out, second % 60, 2)
        append(&out, "+08:00")
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
    private static func appendString(_ out: inout [UInt8], _ text: String) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0..<0x20:
                append(&out, "\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(hex[Int(byte >> 4)]); out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
