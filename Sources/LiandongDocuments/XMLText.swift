import Foundation

/// XML escaping helpers shared by the OOXML writers and readers.
enum XMLText {
    /// XML 1.0 allows only TAB, LF, CR and scalars from U+0020 upwards, minus
    /// U+FFFE/U+FFFF. One stray control character (common in text pasted from
    /// Word or legacy systems) would make Excel refuse the whole file, so such
    /// characters are dropped rather than escaped.
    static func isLegal(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 { return v == 0x09 || v == 0x0A || v == 0x0D }
        return v != 0xFFFE && v != 0xFFFF
    }

    static func stripIllegal(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { !isLegal($0) }) else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s.unicodeScalars.filter(isLegal))
        return String(out)
    }

    /// Escapes character data. CR is written as a character reference because
    /// XML parsers normalise a literal CR (and CRLF) to LF, which would change
    /// the text on the way back.
    static func text(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            default:
                if isLegal(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Escapes an attribute value. Whitespace other than the space character is
    /// written as character references because attribute-value normalisation
    /// would otherwise turn it into spaces.
    static func attribute(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                if isLegal(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// SpreadsheetML string values (ST_Xstring) use `_xHHHH_` as an escape for
    /// arbitrary UTF-16 code units; Excel decodes it when reading. A literal
    /// `_x0041_` typed by a user must therefore be written with its underscore
    /// escaped (`_x005F_x0041_`), or Excel would show "A".
    static func escapeOOXML(_ s: String) -> String {
        guard s.contains("_x") else { return s }
        let u = Array(s.utf16)
        var out: [UInt16] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if isEscapeSequence(u, at: i) {
                out.append(contentsOf: Array("_x005F".utf16))
            }
            out.append(u[i])
            i += 1
        }
        return String(decoding: out, as: UTF16.self)
    }

    /// Decodes `_xHHHH_` escapes (Excel writes e.g. `_x000D_` for CR).
    static func unescapeOOXML(_ s: String) -> String {
        guard s.contains("_x") else { return s }
        let u = Array(s.utf16)
        var out: [UInt16] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if isEscapeSequence(u, at: i),
               let value = UInt16(String(decoding: u[(i + 2)..<(i + 6)], as: UTF16.self), radix: 16) {
                out.append(value)
                i += 7
            } else {
                out.append(u[i])
                i += 1
            }
        }
        // Lone surrogates from malformed escapes become U+FFFD here.
        return String(decoding: out, as: UTF16.self)
    }

    private static func isEscapeSequence(_ u: [UInt16], at i: Int) -> Bool {
        guard i + 6 < u.count, u[i] == 0x5F, u[i + 1] == 0x78, u[i + 6] == 0x5F else { return false }
        for k in (i + 2)..<(i + 6) {
            let c = u[k]
            let isHex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
            if !isHex { return false }
        }
        return true
    }
}
