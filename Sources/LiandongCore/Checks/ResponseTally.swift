import Foundation

/// The nearest-rank percentile: the ⌈p·n/100⌉-th smallest of n values (1-based), the one
/// definition the compliance figures use whether they come from the facts or from a read model.
public enum NearestRank {
    public static func rank(percent: Int, of count: Int) -> Int {
        precondition((1...100).contains(percent) && count > 0)
        return (percent * count + 99) / 100
    }

    /// The percentile of values already sorted ascending; nil when there are none.
    public static func of(sorted values: [Int], percent: Int) -> Int? {
        values.isEmpty ? nil : values[rank(percent: percent, of: values.count) - 1]
    }
}

/// How many times each whole number of seconds occurred: a distribution kept at one-second
/// resolution, so its percentiles equal those of the values themselves.
public struct SecondsHistogram: Equatable, Sendable {
    public private(set) var counts: [Int: Int] = [:]

    public init() {}

    public init(_ values: some Sequence<Int>) {
        for v in values { add(v) }
    }

    public var total: Int { counts.values.reduce(0, +) }
    public var isEmpty: Bool { counts.isEmpty }

    public mutating func add(_ value: Int, times: Int = 1) {
        let c = (counts[value] ?? 0) + times
        counts[value] = c == 0 ? nil : c
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) another distribution.
    public mutating func add(_ other: SecondsHistogram, sign: Int = 1) {
        for (v, c) in other.counts { add(v, times: sign * c) }
    }

    /// A count below zero means a distribution was taken away that was never added.
    public var isValid: Bool { counts.values.allSatisfy { $0 > 0 } }

    public func percentile(_ percent: Int) -> Int? {
        let n = total
        guard n > 0 else { return nil }
        let rank = NearestRank.rank(percent: percent, of: n)
        var seen = 0
        for v in counts.keys.sorted() {
            seen += counts[v]!
            if seen >= rank { return v }
        }
        return nil
    }

    /// Counts by whole minutes of the values (`minute` 0 = under one minute), in order.
    public var byMinute: [(minute: Int, count: Int)] {
        var minutes: [Int: Int] = [:]
        for (v, c) in counts { minutes[v / 60, default: 0] += c }
        return minutes.keys.sorted().map { ($0, minutes[$0]!) }
    }

    // MARK: Bytes

    /// Values ascending, each as the LEB128 gap from the previous one (zig-zag, so negative
    /// seconds survive) followed by its count: a few bytes per distinct value.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(counts.count * 3)
        var previous = 0
        for v in counts.keys.sorted() {
            Self.write(zigzag(v - previous), to: &out)
            Self.write(UInt64(counts[v]!), to: &out)
            previous = v
        }
        return out
    }

    public init?(bytes: some Collection<UInt8>) {
        var it = bytes.makeIterator()
        var previous = 0
        while true {
            guard let gap = Self.read(&it) else { break }
            guard let count = Self.read(&it), count > 0, count <= UInt64(Int.max) else { return nil }
            previous += Int(Int64(bitPattern: (gap >> 1) ^ (0 &- (gap & 1))))
            counts[previous] = Int(count)
        }
    }

    private func zigzag(_ v: Int) -> UInt64 { UInt64(bitPattern: Int64((v << 1) ^ (v >> 63))) }

    private static func write(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    /// nil at the end of the bytes or on a truncated number.
    private static func read<I: IteratorProtocol<UInt8>>(_ it: inout I) -> UInt64? {
        var value: UInt64 = 0, shift: UInt64 = 0
        while let byte = it.next() {
            guard shift < 64 else { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}

/// What the compliance figures of a group of dispatches are made of: counts, and the
/// distributions of judged arrival times and of acknowledgement times. Tallies add up, and a
/// tally can be taken away from a sum it was added to, so a period's figures are kept by
/// adding what changed.
public struct ResponseTally: Equatable, Sendable {
    public var dispatches = 0
    /// Arrivals judged against the limit.
    public var judged = 0
    public var onTime = 0
    /// Both the arrival and the result reported.
    public var complete = 0
    public var refusals = 0
    public var passedOn = 0
    /// Elapsed seconds to arrival, of the judged arrivals.
    public var arrivals = SecondsHistogram()
    /// Seconds from the instruction to its acknowledgement.
    public var acknowledgements = SecondsHistogram()

    public init() {}

    /// One dispatch as stored after judging.
    public mutating func add(onTime: Bool?, elapsedSeconds: Int?, ackSeconds: Int?, complete: Bool, refused: Bool, passedOn: Bool) {
        dispatches += 1
        if let onTime {
            judged += 1
            if onTime { self.onTime += 1 }
            if let elapsedSeconds { arrivals.add(elapsedSeconds) }
        }
        if let ackSeconds { acknowledgements.add(ackSeconds) }
        if complete { self.complete += 1 }
        if refused { refusals += 1 }
        if passedOn { self.passedOn += 1 }
    }

    public mutating func add(_ other: ResponseTally, sign: Int = 1) {
        dispatches += sign * other.dispatches
        judged += sign * other.judged
        onTime += sign * other.onTime
        complete += sign * other.complete
        refusals += sign * other.refusals
        passedOn += sign * other.passedOn
        arrivals.add(other.arrivals, sign: sign)
        acknowledgements.add(other.acknowledgements, sign: sign)
    }

    public var isEmpty: Bool { self == ResponseTally() }

    /// No count below zero: nothing was taken away that had not been added.
    public var isValid: Bool {
        [dispatches, judged, onTime, complete, refusals, passedOn].allSatisfy { $0 >= 0 } && arrivals.isValid && acknowledgements.isValid
    }

    public var onTimeRate: Double? { judged == 0 ? nil : Double(onTime) / Double(judged) }
    public var completeReportRate: Double? { dispatches == 0 ? nil : Double(complete) / Double(dispatches) }
    public var p50Arrival: Int? { arrivals.percentile(50) }
    public var p90Arrival: Int? { arrivals.percentile(90) }
    public var p50Acknowledgement: Int? { acknowledgements.percentile(50) }
}
