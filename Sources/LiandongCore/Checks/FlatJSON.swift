import Foundation

/// A JSON value as an import reads it: the plain values a flat record carries, and `other` for
/// arrays and objects (which no field of a record accepts).
public enum JSONScalar: Hashable, Sendable {
    case string(String)
    /// The number as written (`12`, `1.5`).
    case number(String)
    case bool(Bool)
    case null
    case other

    /// A value from `JSONSerialization`.
    public init(any value: Any) {
        switch value {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber too, of the type `c` (char).
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) } else { self = .number(n.stringValue) }
        default: self = .other
        }
    }
}

/// Scans one flat JSON object (`{"k": "v", "n": 1, "b": true, "z": null}`) straight from its
/// bytes. Returns nil for anything else — nested values, escapes it does not handle, or bad
/// syntax — and the caller falls back to `JSONSerialization`, which also words the errors.
/// Bulk imports read hundreds of thousands of such lines; this keeps them off the generic parser.
public enum FlatJSON {
    public static func object(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: JSONScalar]? {
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace() {
            while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
        }
        /// A string at `i` (which is a quote); handles the common escapes.
        func string() -> String? {
            i += 1
            let start = i
            var plain = true
            while i < end, bytes[i] != 0x22 {
                if bytes[i] == 0x5C { plain = false; i += 2; continue }
                if bytes[i] < 0x20 { return nil }
                i += 1
            }
            guard i < end else { return nil }
            defer { i += 1 }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if plain { return String(validating: raw, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var j = raw.startIndex
            while j < raw.endIndex {
                let b = raw[j]
                guard b == 0x5C else { out.append(b); j += 1; continue }
                guard j + 1 < raw.endIndex else { return nil }
                switch raw[j + 1] {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x2F: out.append(0x2F)
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                default: return nil // \u, \b, \f: leave them to the full parser
                }
                j += 2
            }
            return String(validating: out, as: UTF8.self)
        }
        func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard end - i >= n else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }
        skipSpace()
        guard i < end, bytes[i] == 0x7B else { return nil }
        i += 1
        var result: [String: JSONScalar] = [:]
        skipSpace()
        if i < end, bytes[i] == 0x7D {
            i += 1
            skipSpace()
            return i == end ? result : nil
        }
        while true {
            skipSpace()
            guard i < end, bytes[i] == 0x22, let key = string() else { return nil }
            skipSpace()
            guard i < end, bytes[i] == 0x3A else { return nil }
            i += 1
            skipSpace()
            guard i < end else { return nil }
            let value: JSONScalar
            switch bytes[i] {
            case 0x22:
                guard let s = string() else { return nil }
                value = .string(s)
            case 0x74:
                guard literal("true") else { return nil }
                value = .bool(true)
            case 0x66:
                guard literal("false") else { return nil }
                value = .bool(false)
            case 0x6E:
                guard literal("null") else { return nil }
                value = .null
            case 0x2D, 0x30...0x39:
                // Integers only (`-?(0|[1-9][0-9]*)`); fractions and exponents, whose text the
                // full parser normalises, go to it.
                let start = i
                if bytes[i] == 0x2D { i += 1 }
                let first = i
                while i < end, (0x30...0x39).contains(bytes[i]) { i += 1 }
                guard i > first, bytes[first] != 0x30 || i == first + 1 else { return nil }
                guard i == end || !(bytes[i] == 0x2E || bytes[i] == 0x65 || bytes[i] == 0x45) else { return nil }
                value = .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            default:
                return nil
            }
            // A repeated key: JSONSerialization's choice decides.
            guard result.updateValue(value, forKey: key) == nil else { return nil }
            skipSpace()
            guard i < end else { return nil }
            if bytes[i] == 0x2C { i += 1; continue }
            guard bytes[i] == 0x7D else { return nil }
            i += 1
            skipSpace()
            return i == end ? result : nil
        }
    }
}

extension UInt8 {
    var isASCIIBlank: Bool { self == 0x20 || self == 0x09 }
}
