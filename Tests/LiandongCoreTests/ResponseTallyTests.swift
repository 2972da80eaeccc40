import Foundation
import LiandongCore
import Testing

@Suite("Response tallies and their distributions")
struct ResponseTallyTests {
    @Test func nearestRankAtItsBoundaries() {
        // ⌈p·n/100⌉: the median of 4 values is the 2nd, of 5 the 3rd; P90 of 10 is the 9th, of 11 the 10th.
        #expect(NearestRank.rank(percent: 50, of: 1) == 1)
        #expect(NearestRank.rank(percent: 50, of: 4) == 2)
        #expect(NearestRank.rank(percent: 50, of: 5) == 3)
        #expect(NearestRank.rank(percent: 90, of: 10) == 9)
        #expect(NearestRank.rank(percent: 90, of: 11) == 10)
        #expect(NearestRank.rank(percent: 100, of: 7) == 7)
        #expect(NearestRank.of(sorted: [], percent: 50) == nil)
        #expect(NearestRank.of(sorted: [10, 20, 30, 40], percent: 50) == 20)
    }

    @Test func aHistogramsPercentilesAreThoseOfItsValues() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let values = (0..<Int.random(in: 1...300, using: &rng)).map { _ in Int.random(in: 0...3_600, using: &rng) }
            let h = SecondsHistogram(values)
            let sorted = values.sorted()
            for p in [1, 50, 90, 99, 100] {
                #expect(h.percentile(p) == NearestRank.of(sorted: sorted, percent: p))
            }
            #expect(h.total == values.count)
        }
        #expect(SecondsHistogram().percentile(50) == nil)
    }

    @Test func bytesRoundTripAndRefuseATruncatedCount() {
        let h = SecondsHistogram([0, 0, 1, 59, 60, 1_200, 1_200, 1_201, 86_399, 1_000_000, -5])
        let bytes = h.bytes
        #expect(SecondsHistogram(bytes: bytes) == h)
        #expect(SecondsHistogram(bytes: []) == SecondsHistogram())
        // A value without its count.
        #expect(SecondsHistogram(bytes: [0x02]) == nil)
        // A count of zero is never written.
        #expect(SecondsHistogram(bytes: [0x02, 0x00]) == nil)
    }

    @Test func minutesCountWholeMinutes() {
        let h = SecondsHistogram([0, 59, 60, 1_199, 1_200, 1_200])
        #expect(h.byMinute.map(\.minute) == [0, 1, 19, 20])
        #expect(h.byMinute.map(\.count) == [2, 1, 1, 2])
    }

    @Test func talliesAddUpAndTakeAwayExactly() {
        var a = ResponseTally(), b = ResponseTally()
        a.add(onTime: true, elapsedSeconds: 1_200, ackSeconds: 30, complete: true, refused: false, passedOn: false)
        a.add(onTime: false, elapsedSeconds: 1_201, ackSeconds: nil, complete: false, refused: false, passedOn: true)
        b.add(onTime: nil, elapsedSeconds: nil, ackSeconds: 60, complete: false, refused: true, passedOn: false)
        var sum = a
        sum.add(b)
        #expect(sum.dispatches == 3 && sum.judged == 2 && sum.onTime == 1 && sum.complete == 1 && sum.refusals == 1 && sum.passedOn == 1)
        #expect(sum.p50Arrival == 1_200 && sum.p90Arrival == 1_201 && sum.p50Acknowledgement == 30)
        #expect(sum.onTimeRate == 0.5)
        sum.add(b, sign: -1)
        #expect(sum == a && sum.isValid)
        sum.add(a, sign: -1)
        #expect(sum.isEmpty)
        sum.add(b, sign: -1)
        #expect(!sum.isValid)
        // An arrival not judged (no on-time verdict) is not among the judged arrival times.
        var unjudged = ResponseTally()
        unjudged.add(onTime: nil, elapsedSeconds: 900, ackSeconds: nil, complete: false, refused: false, passedOn: false)
        #expect(unjudged.arrivals.isEmpty && unjudged.judged == 0)
    }
}
