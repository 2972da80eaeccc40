import Crypto
import Foundation
import Vapor

/// The codes an authenticator app shows for an account's secret (TOTP, RFC 6238, over HOTP,
/// RFC 4226), computed by Vapor's `TOTP` and `HOTP`. What is the project's own is around them: the
/// check of a typed code against a window of steps that refuses a step already used, and the
/// `otpauth://` URI for the enrolment page's QR code. (Recovery codes are in `RecoveryCodes`.)
///
/// Typical use for a login second factor:
/// ```swift
/// let codes = OneTimeCodes(secret: storedSecret)
/// if let step = codes.verify(code: input, at: Date(), lastUsedCounter: user.totpLastCounter) {
///     user.totpLastCounter = step   // persist before accepting the login
/// }
/// ```
/// The caller must persist the returned counter and pass it back as
/// `lastUsedCounter` next time; that is what refuses a replayed code.
public struct OneTimeCodes: Sendable, Equatable {
    /// The HMAC hash function. Authenticator apps widely support only SHA1,
    /// which is still sound inside HMAC; SHA256/SHA512 exist for RFC 6238.
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"

        var digest: OTPDigest {
            switch self {
            case .sha1: .sha1
            case .sha256: .sha256
            case .sha512: .sha512
            }
        }
    }

    /// The shared secret (raw bytes, not Base32).
    public let secret: [UInt8]
    /// Number of decimal digits in a code, 6...8.
    public let digits: Int
    /// Length of one time step in seconds (> 0).
    public let period: Int
    public let algorithm: Algorithm

    /// - Precondition: `digits` is in 6...8 (what Vapor's `OTPDigits` offers) and `period` is
    ///   positive; these come from the server's own configuration, never from user input.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30, algorithm: Algorithm = .sha1) {
        precondition(OTPDigits(rawValue: digits) != nil, "TOTP digits must be 6...8")
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// From a Base32 secret; `nil` when the secret is not valid Base32 or is empty.
    public init?(base32Secret: String, digits: Int = 6, period: Int = 30, algorithm: Algorithm = .sha1) {
        guard let bytes = Base32Secret.decode(base32Secret), !bytes.isEmpty else { return nil }
        self.init(secret: bytes, digits: digits, period: period, algorithm: algorithm)
    }

    /// The secret as unpadded Base32, as shown to the user for manual entry.
    public var base32Secret: String { Base32Secret.encode(secret) }

    /// 20 random bytes (160 bits, the HMAC-SHA1 output size recommended by
    /// RFC 4226 §4) from the system's cryptographically secure generator.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }
    private var otpDigits: OTPDigits { OTPDigits(rawValue: digits)! }

    // MARK: Codes

    /// The time step containing `date`: floor(unix time / period). (Floor division, so that times
    /// before 1970 do not round toward zero.)
    public func counter(at date: Date) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let period64 = Int64(period)
        var step = seconds / period64
        if seconds % period64 < 0 { step -= 1 }
        return step
    }

    /// The code valid during the time step containing `date`.
    public func code(at date: Date) -> String {
        // Vapor's TOTP counts steps from 1970 on; before that (no clock of a server), the step.
        guard date.timeIntervalSince1970 >= 0 else { return code(forCounter: counter(at: date)) }
        return TOTP(key: key, digest: algorithm.digest, digits: otpDigits, interval: period).generate(time: date)
    }

    /// The code for an explicit time step.
    public func code(forCounter counter: Int64) -> String {
        HOTP(key: key, digest: algorithm.digest, digits: otpDigits).generate(counter: UInt64(bitPattern: counter))
    }

    /// Verifies a user-entered code.
    ///
    /// - Parameters:
    ///   - code: exactly `digits` ASCII digits; leading/trailing whitespace
    ///     is trimmed, anything else (inner spaces, full-width digits,
    ///     signs, wrong length) is refused.
    ///   - date: the current time.
    ///   - lastUsedCounter: the time step of the last code this user had
    ///     accepted, or `nil` if none. Any step `<=` it is refused, so a
    ///     code can never be used twice (RFC 6238 §5.2).
    ///   - window: how many steps of clock drift to accept either side of
    ///     the current step, clamped to 0...10 (RFC 6238 §5.2 recommends
    ///     at most one).
    /// - Returns: the matched time step, to be stored as the new
    ///   `lastUsedCounter`, or `nil` when the code is refused.
    public func verify(code: String, at date: Date, lastUsedCounter: Int64?, window: Int = 1) -> Int64? {
        let candidate = Array(code.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard candidate.count == digits,
              candidate.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }

        let current = counter(at: date)
        let drift = Int64(max(0, min(window, 10)))
        var matched: Int64?
        // Every candidate step is computed and compared (no early exit), so
        // the time taken does not depend on which step, if any, matched.
        for offset in -drift...drift {
            let step = current + offset
            let expected = Array(self.code(forCounter: step).utf8)
            let isMatch = Self.constantTimeEquals(expected, candidate)
            let isFresh = step >= 0 && (lastUsedCounter.map { step > $0 } ?? true)
            // Prefer the earliest acceptable step: it burns the fewest
            // future steps if two steps happen to share a code.
            if isMatch, isFresh, matched == nil {
                matched = step
            }
        }
        return matched
    }

    /// RFC 4226 HOTP, by Vapor's `HOTP`.
    public static func hotp(secret: [UInt8], counter: UInt64, digits: Int = 6, algorithm: Algorithm = .sha1) -> String {
        guard let digits = OTPDigits(rawValue: digits) else { preconditionFailure("HOTP digits must be 6...8") }
        return HOTP(key: SymmetricKey(data: secret), digest: algorithm.digest, digits: digits).generate(counter: counter)
    }

    // MARK: Provisioning

    /// The `otpauth://` URI for a QR code (Key Uri Format):
    /// `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=…&digits=…&period=…`.
    /// Issuer and account are UTF-8 percent-encoded (everything but RFC 3986
    /// unreserved characters), so `联动` and `:`/`@`/spaces are safe.
    public func provisioningURI(issuer: String = "联动", account: String) -> String {
        let encodedIssuer = Self.percentEncode(issuer)
        let label = encodedIssuer + ":" + Self.percentEncode(account)
        return "otpauth://totp/\(label)"
            + "?secret=\(base32Secret)"
            + "&issuer=\(encodedIssuer)"
            + "&algorithm=\(algorithm.rawValue)"
            + "&digits=\(digits)"
            + "&period=\(period)"
    }

    // MARK: Private helpers

    private static func percentEncode(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Compares without an early exit; lengths are not secret here.
    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}

/// TOTP secrets as text: RFC 4648 Base32 (`A–Z2–7`), by Vapor's `Base32.canonical`, in the form
/// authenticator apps show and people type.
///
/// - Encoding emits upper-case characters and no `=` padding.
/// - Decoding is case-insensitive, ignores ASCII whitespace (so secrets
///   shown in groups of four can be pasted back), tolerates trailing `=`
///   padding, and is otherwise strict: it returns `nil` for any other
///   character, for `=` anywhere but at the end, for an impossible length
///   (1, 3 or 6 significant characters in the last group) and for
///   non-zero unused trailing bits (non-canonical input, RFC 4648 §3.5).
///   (Vapor's relaxed Base32 would read `0`, `1`, `8` and `-` too; its canonical one wants the
///   padding and upper case, which are given it here.)
public enum Base32Secret {
    /// Encodes bytes as unpadded upper-case Base32.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let encoded = Base32.canonical.encode(Array(bytes))
        return String(decoding: encoded.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
    }

    /// Decodes Base32 text; `nil` when the text is not valid Base32.
    public static func decode(_ string: String) -> [UInt8]? {
        var symbols: [UInt8] = []
        symbols.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                symbols.append(byte - 32)
            default:
                symbols.append(byte)
            }
        }
        while symbols.last == UInt8(ascii: "=") { symbols.removeLast() }
        // Characters in the last (partial) 8-character group: 1, 3 and 6
        // cannot be produced by any byte count.
        switch symbols.count % 8 {
        case 1, 3, 6: return nil
        default: break
        }
        // The padding the canonical form wants; `=` left inside is refused by the decoder.
        symbols += [UInt8](repeating: UInt8(ascii: "="), count: (8 - symbols.count % 8) % 8)
        return Base32.canonical.decode(symbols)
    }
}
