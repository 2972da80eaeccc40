import Foundation
import Testing
@testable import LiandongServer

@Suite("Recovery codes")
struct RecoveryCodesTests {
    @Test func alphabetHasNoAmbiguousCharacters() {
        #expect(RecoveryCodes.alphabet.count == 31)
        for banned in "0o1il" {
            #expect(!RecoveryCodes.alphabet.contains(banned))
        }
        #expect(Set(RecoveryCodes.alphabet).count == RecoveryCodes.alphabet.count)
    }

    @Test func generatesWellFormedDistinctCodes() throws {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10)
        #expect(Set(codes).count == 10)
        let allowed = Set(RecoveryCodes.alphabet)
        for code in codes {
            #expect(code.count == 9)
            let parts = code.split(separator: "-", omittingEmptySubsequences: false)
            #expect(parts.count == 2)
            #expect(parts.allSatisfy { $0.count == 4 && $0.allSatisfy(allowed.contains) })
        }
        #expect(RecoveryCodes.generate(count: 3).count == 3)
        #expect(RecoveryCodes.generate(count: 0).isEmpty)
    }

    @Test func hashesAreSaltedPerCode() throws {
        let code = "abcd-efgh"
        let first = try #require(RecoveryCodes.hash(code))
        let second = try #require(RecoveryCodes.hash(code))
        #expect(first != second)
        #expect(first.hasPrefix("sha256$"))
        let parts = first.split(separator: "$")
        #expect(parts.count == 3)
        #expect(parts[1].count == 32)
        #expect(parts[2].count == 64)
        #expect(!first.contains("abcd"))
        #expect(RecoveryCodes.verify(code, against: [first]) == 0)
        #expect(RecoveryCodes.verify(code, against: [second]) == 0)
    }

    @Test func verifyFindsIndexWithNormalisation() throws {
        let (codes, hashes) = RecoveryCodes.generateWithHashes()
        #expect(hashes.count == codes.count)
        for (index, code) in codes.enumerated() {
            #expect(RecoveryCodes.verify(code, against: hashes) == index)
            #expect(RecoveryCodes.verify(code.uppercased(), against: hashes) == index)
            #expect(RecoveryCodes.verify(code.replacingOccurrences(of: "-", with: ""), against: hashes) == index)
            #expect(RecoveryCodes.verify(" " + code.replacingOccurrences(of: "-", with: " ") + " ", against: hashes) == index)
        }
    }

    @Test func verifyAcceptsFullWidthAndUnicodeDashes() throws {
        let hash = try #require(RecoveryCodes.hash("k7m2-x9pq"))
        #expect(RecoveryCodes.verify("Ｋ７Ｍ２－Ｘ９ＰＱ", against: [hash]) == 0) // IME full-width
        #expect(RecoveryCodes.verify("k7m2\u{2014}x9pq", against: [hash]) == 0) // em dash
        #expect(RecoveryCodes.verify("k7m2\u{3000}x9pq", against: [hash]) == 0) // ideographic space
        #expect(RecoveryCodes.verify("K7M2-X9PQ", against: [hash]) == 0)
    }

    @Test func usedCodeRemovedByCallerNoLongerVerifies() {
        var (codes, hashes) = RecoveryCodes.generateWithHashes(count: 5)
        let index = RecoveryCodes.verify(codes[2], against: hashes)
        #expect(index == 2)
        hashes.remove(at: 2)
        #expect(RecoveryCodes.verify(codes[2], against: hashes) == nil)
        #expect(RecoveryCodes.verify(codes[3], against: hashes) == 2)
        codes.remove(at: 2)
        #expect(codes.count == hashes.count)
    }

    @Test("Malformed input is refused", arguments: [
        "", "abcd-efg", "abcd-efghj", "abcd_efgh", "abc0-efgh", "abcO-efgh", "abc1-efgh", "abcl-efgh", "abci-efgh",
    ])
    func malformedRefused(input: String) throws {
        #expect(RecoveryCodes.normalize(input) == nil)
        #expect(RecoveryCodes.hash(input) == nil)
        let hash = try #require(RecoveryCodes.hash("abcd-efgh"))
        #expect(RecoveryCodes.verify(input, against: [hash]) == nil)
    }

    @Test func wrongCodeAndCorruptHashesDoNotMatch() throws {
        let hash = try #require(RecoveryCodes.hash("abcd-efgh"))
        #expect(RecoveryCodes.verify("abcd-efgj", against: [hash]) == nil)
        #expect(RecoveryCodes.verify("abcd-efgh", against: []) == nil)
        let corrupt = ["", "sha256$", "sha256$zz$00", "md5$" + hash.dropFirst(7), String(hash.dropLast())]
        #expect(RecoveryCodes.verify("abcd-efgh", against: corrupt) == nil)
        #expect(RecoveryCodes.verify("abcd-efgh", against: corrupt + [hash]) == corrupt.count)
    }

    @Test func normalizeIsCanonical() {
        #expect(RecoveryCodes.normalize("ABCD-EFGH") == "abcdefgh")
        #expect(RecoveryCodes.normalize(" ab cd ef gh ") == "abcdefgh")
    }
}
