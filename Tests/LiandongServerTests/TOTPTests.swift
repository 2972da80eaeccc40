import Foundation
import Testing
@testable import LiandongServer

@Suite("HOTP / TOTP")
struct TOTPTests {
    static let sha1Seed = Array("12345678901234567890".utf8)
    static let sha256Seed = Array("12345678901234567890123456789012".utf8)
    static let sha512Seed = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    // RFC 4226 Appendix D.
    @Test("RFC 4226 Appendix D HOTP vectors", arguments: Array(zip(0..<10, [
        "755224", "287082", "359152", "969429", "338314",
        "254676", "287922", "162583", "399871", "520489",
    ])))
    func hotpVectors(counter: Int, expected: String) {
        #expect(OneTimeCodes.hotp(secret: Self.sha1Seed, counter: UInt64(counter), digits: 6, algorithm: .sha1) == expected)
    }

    // RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8 digits.
    static let rfc6238: [(Int64, String, String, String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ]

    @Test("RFC 6238 Appendix B TOTP vectors", arguments: 0..<6)
    func totpVectors(row: Int) {
        let (time, sha1, sha256, sha512) = Self.rfc6238[row]
        let date = Date(timeIntervalSince1970: TimeInterval(time))
        let t1 = OneTimeCodes(secret: Self.sha1Seed, digits: 8, period: 30, algorithm: .sha1)
        let t256 = OneTimeCodes(secret: Self.sha256Seed, digits: 8, period: 30, algorithm: .sha256)
        let t512 = OneTimeCodes(secret: Self.sha512Seed, digits: 8, period: 30, algorithm: .sha512)
        #expect(t1.code(at: date) == sha1)
        #expect(t256.code(at: date) == sha256)
        #expect(t512.code(at: date) == sha512)
        #expect(t1.counter(at: date) == time / 30)
        // Each vector also verifies, returning its own step.
        #expect(t1.verify(code: sha1, at: date, lastUsedCounter: nil) == time / 30)
        #expect(t256.verify(code: sha256, at: date, lastUsedCounter: nil) == time / 30)
        #expect(t512.verify(code: sha512, at: date, lastUsedCounter: nil) == time / 30)
    }

    @Test func counterUsesFloorDivision() {
        let totp = OneTimeCodes(secret: Self.sha1Seed)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 29.999)) == 0)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(totp.counter(at: Date(timeIntervalSince1970: -1)) == -1)
    }

    @Test func sixDigitCodeIsLastSixOfEight() {
        // Same truncated value, different modulus.
        let six = OneTimeCodes(secret: Self.sha1Seed, digits: 6)
        let eight = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let date = Date(timeIntervalSince1970: 1_111_111_109)
        #expect(six.code(at: date) == String(eight.code(at: date).suffix(6)))
        #expect(six.code(at: date) == "081804")
    }

    @Test func windowBoundaries() {
        let totp = OneTimeCodes(secret: OneTimeCodes.generateSecret())
        let now = Date(timeIntervalSince1970: 1_700_000_015)
        let step = totp.counter(at: now)
        func code(_ offset: Int64) -> String { totp.code(forCounter: step + offset) }

        #expect(totp.verify(code: code(0), at: now, lastUsedCounter: nil) == step)
        #expect(totp.verify(code: code(-1), at: now, lastUsedCounter: nil) == step - 1)
        #expect(totp.verify(code: code(1), at: now, lastUsedCounter: nil) == step + 1)
        // Unless two steps collide by chance (1 in 10^6), ±2 is outside window 1.
        if code(-2) != code(-1), code(-2) != code(0), code(-2) != code(1) {
            #expect(totp.verify(code: code(-2), at: now, lastUsedCounter: nil) == nil)
        }
        if code(2) != code(-1), code(2) != code(0), code(2) != code(1) {
            #expect(totp.verify(code: code(2), at: now, lastUsedCounter: nil) == nil)
        }
        // A wider window accepts them; window 0 only the current step.
        #expect(totp.verify(code: code(-2), at: now, lastUsedCounter: nil, window: 2) != nil)
        if code(-1) != code(0) {
            #expect(totp.verify(code: code(-1), at: now, lastUsedCounter: nil, window: 0) == nil)
        }
        #expect(totp.verify(code: code(0), at: now, lastUsedCounter: nil, window: 0) == step)
    }

    @Test func windowBoundariesWithRFCSeed() {
        // Deterministic: RFC seed, 8 digits, distinct codes at these steps.
        let totp = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let step = totp.counter(at: now)
        let codes = (-2...2).map { totp.code(forCounter: step + Int64($0)) }
        #expect(Set(codes).count == 5)
        #expect(totp.verify(code: codes[1], at: now, lastUsedCounter: nil) == step - 1)
        #expect(totp.verify(code: codes[0], at: now, lastUsedCounter: nil) == nil)
        #expect(totp.verify(code: codes[3], at: now, lastUsedCounter: nil) == step + 1)
        #expect(totp.verify(code: codes[4], at: now, lastUsedCounter: nil) == nil)
    }

    @Test func replayIsRefused() {
        let totp = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let code = totp.code(at: now)
        let step = try! #require(totp.verify(code: code, at: now, lastUsedCounter: nil))
        // Same code again, with the stored counter: refused.
        #expect(totp.verify(code: code, at: now, lastUsedCounter: step) == nil)
        // ... also 20 seconds later while still in the window.
        #expect(totp.verify(code: code, at: now.addingTimeInterval(20), lastUsedCounter: step) == nil)
        // An older code inside the window is refused after a newer one was used.
        let previous = totp.code(forCounter: step - 1)
        #expect(totp.verify(code: previous, at: now, lastUsedCounter: step) == nil)
        // The next step's code is still accepted.
        let next = totp.code(forCounter: step + 1)
        #expect(totp.verify(code: next, at: now.addingTimeInterval(30), lastUsedCounter: step) == step + 1)
        // If the last used step was the previous one, the current code is fine.
        #expect(totp.verify(code: code, at: now, lastUsedCounter: step - 1) == step)
    }

    @Test("Malformed codes are refused", arguments: [
        "", "1234567", "123456789", "1234 5678", "1234-5678", "+1234567", "-1234567",
        "1234567a", "１２３４５６７８", "١٢٣٤٥٦٧٨", "12345678\u{0}",
    ])
    func malformedRefused(input: String) {
        let totp = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let now = Date(timeIntervalSince1970: 59)
        #expect(totp.code(at: now) == "94287082")
        #expect(totp.verify(code: input, at: now, lastUsedCounter: nil) == nil)
    }

    @Test func surroundingWhitespaceIsTrimmed() {
        let totp = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let now = Date(timeIntervalSince1970: 59)
        #expect(totp.verify(code: " 94287082\n", at: now, lastUsedCounter: nil) == 1)
    }

    @Test func wrongCodeIsRefused() {
        let totp = OneTimeCodes(secret: Self.sha1Seed, digits: 8)
        let now = Date(timeIntervalSince1970: 59)
        #expect(totp.verify(code: "94287083", at: now, lastUsedCounter: nil) == nil)
        #expect(totp.verify(code: "00000000", at: now, lastUsedCounter: nil) == nil)
    }

    @Test func generatedSecretsAreRandom20Bytes() {
        let a = OneTimeCodes.generateSecret()
        let b = OneTimeCodes.generateSecret()
        #expect(a.count == 20)
        #expect(b.count == 20)
        #expect(a != b)
        let base32 = Base32Secret.encode(a)
        #expect(base32.count == 32)
        #expect(OneTimeCodes(base32Secret: base32)?.secret == a)
    }

    @Test func provisioningURI() {
        let totp = OneTimeCodes(secret: Array("12345678901234567890".utf8))
        let uri = totp.provisioningURI(issuer: "联动", account: "张三@example.com")
        #expect(uri == "otpauth://totp/%E8%81%94%E5%8A%A8:%E5%BC%A0%E4%B8%89%40example.com"
            + "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=%E8%81%94%E5%8A%A8&algorithm=SHA1&digits=6&period=30")
        // Default issuer, and reserved characters in the account.
        let other = OneTimeCodes(secret: [1, 2, 3], digits: 8, period: 60, algorithm: .sha256)
            .provisioningURI(account: "a b:c&d")
        #expect(other.hasPrefix("otpauth://totp/%E8%81%94%E5%8A%A8:a%20b%3Ac%26d?secret=AEBAG&"))
        #expect(other.hasSuffix("&algorithm=SHA256&digits=8&period=60"))
        #expect(URLComponents(string: other) != nil)
    }
}

@Suite("Base32")
struct Base32Tests {
    // RFC 4648 §10, padding stripped for the encoder.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]

    @Test("RFC 4648 vectors", arguments: 0..<7)
    func rfcVectors(index: Int) {
        let (plain, padded) = Self.vectors[index]
        let unpadded = String(padded.prefix { $0 != "=" })
        #expect(Base32Secret.encode(Array(plain.utf8)) == unpadded)
        #expect(Base32Secret.decode(unpadded) == Array(plain.utf8))
        #expect(Base32Secret.decode(padded) == Array(plain.utf8))
        #expect(Base32Secret.decode(unpadded.lowercased()) == Array(plain.utf8))
    }

    @Test func roundTripsRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let encoded = Base32Secret.encode(bytes)
            #expect(encoded.count == (length * 8 + 4) / 5)
            #expect(!encoded.contains("="))
            #expect(Base32Secret.decode(encoded) == bytes)
            #expect(Base32Secret.decode(encoded.lowercased()) == bytes)
        }
    }

    @Test func ignoresSpacesAndCase() {
        #expect(Base32Secret.decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == Array("12345678901234567890".utf8))
        #expect(Base32Secret.decode(" MzXw6yTbOi \n") == Array("foobar".utf8))
    }

    @Test("Invalid Base32 is refused", arguments: [
        "M", "MZX", "MZXW6Y", // impossible lengths
        "MZ1Q", "MZ0Q", "MZ8Q", "MZ-Q", "MZXQ!", "ＭＺＸＱ", // characters outside the alphabet
        "MZ=XQ", // data after padding
        "MZ", "MZXR", // MZ is canonical for "f" only with zero trailing bits: MY
    ])
    func invalidRefused(input: String) {
        #expect(Base32Secret.decode(input) == nil)
    }
}
