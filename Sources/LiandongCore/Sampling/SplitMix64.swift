/// SplitMix64 (Steele, Lea & Flood, 2014): a small seeded generator whose output depends only
/// on the seed, with nothing taken from the platform. The monthly phone-check sample must be
/// reproducible from its recorded seed (mechanism.md §5 "Phone checks") on any machine and any
/// Swift version, so the sampler also draws bounded numbers and shuffles with its own code
/// below rather than the standard library's `random(in:using:)` and `shuffled(using:)`, whose
/// algorithms are not promised to stay the same.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    // The constants are those of the published algorithm (the golden-ratio increment and the
    // two multipliers of the output mix); they are part of the generator, not of the mechanism.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound`, by rejection (no modulo bias).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let n = UInt64(bound)
        // 2^64 mod n: values below it would make the low residues more likely.
        let threshold = (0 &- n) % n
        while true {
            let r = next()
            if r >= threshold { return Int(r % n) }
        }
    }

    /// Fisher–Yates, from the last element down.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = next(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }

    /// A seed of its own for each draw derived from one recorded seed (e.g. one per month).
    public static func derive(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var g = SplitMix64(seed: seed ^ (index &* 0x9E37_79B9_7F4A_7C15))
        return g.next()
    }
}
