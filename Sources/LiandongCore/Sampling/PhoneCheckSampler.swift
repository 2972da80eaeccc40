/// A unit as the sampler sees it: its stratum is (jurisdiction, level).
public struct SampleUnit: Hashable, Sendable, Codable {
    public var id: Int
    public var jurisdictionID: String
    public var level: UnitLevel

    public init(id: Int, jurisdictionID: String, level: UnitLevel) {
        self.id = id; self.jurisdictionID = jurisdictionID; self.level = level
    }
}

/// The monthly sample of units for the daily phone checks (main text §二: the police check
/// 市本级, 莲都区 and 开发区 units at least once a month, by sampling).
///
/// mechanism.md §5 "Phone checks": the sample is random, stratified by jurisdiction and level,
/// reproducible from a recorded seed, and every in-scope unit is checked at least once in each
/// coverage period (`RuleSet.phoneCheckCoverage`, a quarter by default). The caller passes only
/// in-scope units (`Jurisdiction.phoneCheckScope`).
///
/// How a sample is drawn:
/// 1. The effective size is the requested size, raised to `ceil(uncalled / monthsLeft)` so
///    that the units not yet called this period are spread over the months left; in the
///    period's last month every uncalled unit is in the sample (the coverage guarantee). It is
///    capped at the number of units.
/// 2. The effective size is allocated to the strata in proportion to their sizes, by largest
///    remainder (Hamilton); ties between equal remainders are broken at random from the seed,
///    so no stratum is favoured month after month.
/// 3. Uncalled units are strictly preferred: where a stratum's share would call a unit again
///    while another stratum has uncalled units left out, the fewest slots needed are moved
///    (again by largest remainder, in proportion to the surplus and to the units left out).
///    A unit is called twice in a period only when every uncalled unit is already in the sample.
/// 4. Within a stratum, units are drawn at random, uncalled ones first.
///
/// The result depends only on the arguments: not on the order of `units`, not on the platform.
public enum PhoneCheckSampler {
    struct StratumKey: Hashable, Comparable {
        let jurisdictionID: String
        let level: UnitLevel
        static func < (a: Self, b: Self) -> Bool {
            (a.jurisdictionID, a.level.rawValue) < (b.jurisdictionID, b.level.rawValue)
        }
    }

    /// The least number of units this month's sample must hold for every uncalled unit to be
    /// called by the end of the period. A month index past the period's end counts as its last month.
    public static func requiredSize(uncalled: Int, monthIndexInPeriod: Int, monthsInPeriod: Int) -> Int {
        let monthsLeft = max(1, monthsInPeriod - monthIndexInPeriod + 1)
        return (max(0, uncalled) + monthsLeft - 1) / monthsLeft
    }

    /// The ids of the units to call this month, sorted.
    /// - Parameters:
    ///   - calledThisPeriod: units already checked in the current coverage period.
    ///   - monthIndexInPeriod: 1 for the period's first month.
    ///   - monthsInPeriod: `rules.phoneCheckCoverage.months`.
    ///   - size: the sample size the police ask for; raised when the coverage guarantee needs more.
    ///   - seed: recorded with the sample so that it can be drawn again.
    public static func sample(units: [SampleUnit], calledThisPeriod: Set<Int>, monthIndexInPeriod: Int,
                              monthsInPeriod: Int, size: Int, seed: UInt64) -> [Int] {
        // One entry per id, whatever order or repetition the caller used.
        var byID: [Int: SampleUnit] = [:]
        for unit in units where byID[unit.id] == nil { byID[unit.id] = unit }
        let all = byID.values.sorted { $0.id < $1.id }
        let uncalledCount = all.count { !calledThisPeriod.contains($0.id) }
        let required = requiredSize(uncalled: uncalledCount, monthIndexInPeriod: monthIndexInPeriod,
                                    monthsInPeriod: monthsInPeriod)
        let effective = min(all.count, max(size, required))
        guard effective > 0 else { return [] }
        guard effective < all.count else { return all.map(\.id) }

        var rng = SplitMix64(seed: seed)
        let strata = Dictionary(grouping: all) { StratumKey(jurisdictionID: $0.jurisdictionID, level: $0.level) }
        let keys = strata.keys.sorted()
        let members = keys.map { strata[$0]! }
        let uncalled = members.map { $0.count { !calledThisPeriod.contains($0.id) } }

        // Step 2: proportional allocation.
        var allocation = largestRemainder(total: effective, weights: members.map(\.count), rng: &rng)

        // Step 3: strict preference for uncalled units.
        let reachable = keys.indices.reduce(0) { $0 + min(allocation[$1], uncalled[$1]) }
        let deficit = min(uncalledCount, effective) - reachable
        if deficit > 0 {
            let surplus = keys.indices.map { max(0, allocation[$0] - uncalled[$0]) }
            let leftOut = keys.indices.map { max(0, uncalled[$0] - allocation[$0]) }
            let taken = largestRemainder(total: deficit, weights: surplus, rng: &rng)
            let given = largestRemainder(total: deficit, weights: leftOut, rng: &rng)
            for i in keys.indices { allocation[i] += given[i] - taken[i] }
        }

        // Step 4: random within strata, uncalled first.
        var chosen: [Int] = []
        for (i, stratum) in members.enumerated() {
            var fresh = stratum.filter { !calledThisPeriod.contains($0.id) }.map(\.id)
            var again = stratum.filter { calledThisPeriod.contains($0.id) }.map(\.id)
            rng.shuffle(&fresh)
            rng.shuffle(&again)
            chosen += (fresh + again).prefix(allocation[i])
        }
        return chosen.sorted()
    }

    /// The level-1 units whose duty phone this month's campaign calls outside office hours, so
    /// that each is called so `perPeriod` times in the coverage period (`OfficeHours`, the
    /// 24-hour duty of Annex 2): the calls still owed are spread over the months left, all of
    /// them in the period's last month, at most one per unit and month; the units owed most
    /// come first, ties drawn at random from the seed. Sorted ids.
    /// - Parameter calledOutOfHours: out-of-hours calls each unit has had in the period so far.
    public static func outOfHours(levelOne ids: [Int], calledOutOfHours: [Int: Int], perPeriod: Int,
                                  monthIndexInPeriod: Int, monthsInPeriod: Int, seed: UInt64) -> [Int] {
        guard perPeriod > 0 else { return [] }
        let units = Array(Set(ids)).sorted()
        let owed = Dictionary(uniqueKeysWithValues: units.map { ($0, max(0, perPeriod - (calledOutOfHours[$0] ?? 0))) })
        let monthsLeft = max(1, monthsInPeriod - monthIndexInPeriod + 1)
        // Each unit can take one call a month: a unit owing k calls must be in this month's
        // list once k reaches the months left.
        let total = owed.values.reduce(0, +)
        let forced = units.filter { owed[$0]! >= monthsLeft }
        let count = min(units.count { owed[$0]! > 0 }, max(forced.count, (total + monthsLeft - 1) / monthsLeft))
        var rng = SplitMix64(seed: seed ^ 0x6F75_745F_686F_7572)  // a stream of its own: "out_hour"
        var order = units.filter { owed[$0]! > 0 }
        rng.shuffle(&order)
        let drawn = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        order.sort { owed[$0]! != owed[$1]! ? owed[$0]! > owed[$1]! : drawn[$0]! < drawn[$1]! }
        return order.prefix(count).sorted()
    }

    /// Splits `total` in proportion to `weights` by largest remainder, in exact integer
    /// arithmetic. No share exceeds its weight when `total` does not exceed their sum.
    static func largestRemainder(total: Int, weights: [Int], rng: inout SplitMix64) -> [Int] {
        let sum = weights.reduce(0, +)
        // Drawn whether or not needed, so that the generator advances the same way every time.
        let tieBreak = weights.map { _ in rng.next() }
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        var shares = weights.map { total * $0 / sum }
        let remainders = weights.map { total * $0 % sum }
        let order = weights.indices.sorted {
            remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : tieBreak[$0] < tieBreak[$1]
        }
        for i in order.prefix(total - shares.reduce(0, +)) { shares[i] += 1 }
        return shares
    }
}
