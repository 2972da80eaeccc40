import Crypto
import Foundation

/// One-time recovery codes for users who lost their TOTP device.
///
/// - Format: `xxxx-xxxx`, lower case, from a 31-symbol alphabet without
///   the look-alikes 0/O, 1/I/L: 8 symbols ≈ 39.6 bits per code.
/// - Storage: only `hash(_:)` strings are stored, never the codes. Each
///   code gets its own 16-byte random salt; the stored form is
///   `sha256$<salt hex>$<SHA-256(salt ‖ canonical code) hex>`, with
///   canonical code = the 8 symbols, lower case, no dash. A per-code salt
///   (rather than one per user) means equal codes never produce equal
///   hashes, and the hash list needs no companion column.
/// - Verification: `verify(_:against:)` normalises the input (NFKC, so
///   full-width characters typed with a Chinese IME work; case; spaces;
///   dashes), checks every stored hash without early exit, and returns
///   the index of the match. The caller must then remove that hash and
///   persist the shorter list before accepting the login, so the code is
///   single-use.
///
/// Codes are random, not user-chosen, so a fast salted hash is adequate
/// against database leaks of moderate value; online guessing must be
/// rate-limited by the caller like any other login attempt.
public enum RecoveryCodes {
    /// 23456789 + a–z without i, l, o (31 symbols).
    public static let alphabet: [Character] = Array("23456789abcdefghjkmnpqrstuvwxyz")

    /// Symbols per code, excluding the dash.
    public static let symbolCount = 8

    private static let hashPrefix = "sha256$"
    private static let saltByteCount = 16

    /// `count` fresh random codes, formatted `xxxx-xxxx`, all distinct.
    public static func generate(count: Int = 10) -> [String] {
        precondition(count >= 0, "count must not be negative")
        var generator = SystemRandomNumberGenerator()
        var codes: [String] = []
        var seen = Set<String>()
        while codes.count < count {
            var symbols = ""
            for index in 0..<symbolCount {
                if index == symbolCount / 2 { symbols.append("-") }
                symbols.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
            }
            if seen.insert(symbols).inserted {
                codes.append(symbols)
            }
        }
        return codes
    }

    /// `count` fresh codes (to show the user once) and their hashes (to store).
    public static func generateWithHashes(count: Int = 10) -> (codes: [String], hashes: [String]) {
        let codes = generate(count: count)
        // generate() only yields well-formed codes, so hash(_:) cannot fail.
        return (codes, codes.map { hash($0)! })
    }

    /// The canonical form of user input (8 lower-case symbols, no dash),
    /// or `nil` when it cannot be a recovery code.
    public static func normalize(_ input: String) -> String? {
        var output = ""
        for character in input.precomposedStringWithCompatibilityMapping.lowercased() {
            if character.isWhitespace || Self.isDash(character) { continue }
            guard alphabet.contains(character) else { return nil }
            output.append(character)
        }
        return output.count == symbolCount ? output : nil
    }

    /// A storable salted hash of `code` with a fresh random salt, or `nil`
    /// when `code` is not a well-formed recovery code.
    public static func hash(_ code: String) -> String? {
        guard let canonical = normalize(code) else { return nil }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return hashPrefix + hexString(salt) + "$" + hexString(digest(salt: salt, canonical: canonical))
    }

    /// Index in `hashes` of the entry that `code` matches, or `nil`.
    /// Malformed stored entries never match. All entries are checked
    /// whatever the outcome, so timing does not reveal which one matched.
    public static func verify(_ code: String, against hashes: [String]) -> Int? {
        guard let canonical = normalize(code) else { return nil }
        var match: Int?
        for (index, stored) in hashes.enumerated() {
            guard let (salt, expected) = parse(stored) else { continue }
            let actual = digest(salt: salt, canonical: canonical)
            if constantTimeEquals(actual, expected), match == nil {
                match = index
            }
        }
        return match
    }

    // MARK: Private helpers

    private static func isDash(_ character: Character) -> Bool {
        // After NFKC, the full-width hyphen-minus is already "-"; the
        // Unicode dashes and the minus sign stay distinct, so list them.
        switch character {
        case "-", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}", "\u{2212}":
            return true
        default:
            return false
        }
    }

    private static func digest(salt: [UInt8], canonical: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(canonical.utf8))
        return Array(hasher.finalize())
    }

    private static func parse(_ stored: String) -> (salt: [UInt8], digest: [UInt8])? {
        guard stored.hasPrefix(hashPrefix) else { return nil }
        let parts = stored.dropFirst(hashPrefix.count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let salt = bytes(fromHex: parts[0]), salt.count == saltByteCount,
              let digest = bytes(fromHex: parts[1]), digest.count == SHA256.byteCount
        else { return nil }
        return (salt, digest)
    }

    private static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func bytes(fromHex text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
