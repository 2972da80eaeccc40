import Foundation

/// One logical CSV record.
public struct CSVRecord: Sendable, Equatable {
    /// 1-based physical line on which the record starts. A record whose quoted
    /// fields contain line breaks spans several physical lines, so the next
    /// record's `line` is larger than this one's plus one.
    public let line: Int
    public let fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// A CSV parse failure. `message` is complete, user-facing Simplified Chinese
/// text that already names the line (e.g. "第3行：引号未闭合"), so it can be
/// shown to the uploader unchanged.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// Builds the standard "第N行：…" message.
    static func at(_ line: Int, _ detail: String) -> CSVError {
        CSVError(line: line, message: "第\(line)行：\(detail)")
    }

    public var description: String { message }
}

public enum CSV {
    /// Parses RFC 4180 CSV.
    ///
    /// - A leading UTF-8 BOM is stripped (Excel's "CSV UTF-8" adds one).
    /// - Line ends may be CRLF, LF or a lone CR (old Mac Excel); they may be mixed.
    /// - Quoted fields may contain commas, doubled quotes (`""` → `"`) and line breaks.
    ///   Line breaks inside quoted fields are returned exactly as they appear in the file.
    /// - Like Excel, text after a closing quote (`"ab"cd`) is appended literally and a
    ///   quote inside an unquoted field (`ab"cd`) is an ordinary character; only an
    ///   unterminated quoted field is an error, because it would silently swallow the
    ///   rest of the file.
    /// - Records whose fields are all empty are skipped: blank lines, and also the
    ///   `,,,` rows Excel writes for formatted-but-empty rows at the end of a sheet.
    /// - The final line break is optional.
    /// - Input that is not valid UTF-8 (typically GBK/GB18030 from "CSV (逗号分隔)")
    ///   is rejected instead of guessed at: a wrong guess corrupts names silently,
    ///   while the error tells the user exactly how to re-save the file.
    public static func parse(_ data: Data) throws(CSVError) -> [CSVRecord] {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
        }
        try validateUTF8(bytes)

        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
            cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1            // current physical line
        var recordLine = 1      // physical line where the current record started
        var recordHasContent = false
        // A quote only opens a quoted field as the field's first byte; after a
        // closed `""` the field is still empty but a further quote is literal.
        var atFieldStart = true
        var i = 0
        let n = bytes.count

        func endField() {
            // Safe: the whole input was validated as UTF-8 and we only split at ASCII bytes.
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            if fields.contains(where: { !$0.isEmpty }) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
            recordHasContent = false
        }

        while i < n {
            let b = bytes[i]
            if b == quote && atFieldStart {
                atFieldStart = false
                // Quoted field: read until the closing quote.
                let quoteLine = line
                i += 1
                var closed = false
                while i < n {
                    let c = bytes[i]
                    if c == quote {
                        if i + 1 < n && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    if c == cr {
                        line += 1
                        field.append(c)
                        if i + 1 < n && bytes[i + 1] == lf {
                            field.append(lf)
                            i += 1
                        }
                        i += 1
                        continue
                    }
                    if c == lf { line += 1 }
                    field.append(c)
                    i += 1
                }
                if !closed {
                    throw CSVError.at(quoteLine, "引号未闭合（从该行开始的带引号字段没有结束引号）")
                }
                recordHasContent = true
                continue
            }
            if b == comma {
                endField()
                recordHasContent = true
                atFieldStart = true
                i += 1
                continue
            }
            if b == cr || b == lf {
                endRecord()
                i += (b == cr && i + 1 < n && bytes[i + 1] == lf) ? 2 : 1
                line += 1
                recordLine = line
                atFieldStart = true
                continue
            }
            field.append(b)
            recordHasContent = true
            atFieldStart = false
            i += 1
        }
        if recordHasContent || !field.isEmpty || !fields.isEmpty {
            endRecord()
        }
        return records
    }

    /// Validates UTF-8 and reports the physical line of the first bad byte, so a
    /// mostly-ASCII file with one GBK name points the user at the right row.
    private static func validateUTF8(_ bytes: [UInt8]) throws(CSVError) {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var line = 1
        var previousWasCR = false
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 {
                    let b = encoded.first!
                    if b == UInt8(ascii: "\n") {
                        if !previousWasCR { line += 1 }
                    } else if b == UInt8(ascii: "\r") {
                        line += 1
                    }
                    previousWasCR = b == UInt8(ascii: "\r")
                } else {
                    previousWasCR = false
                }
            case .emptyInput:
                return
            case .error:
                throw CSVError.at(line, "文件不是 UTF-8 编码（可能是 GBK）。请在 Excel 中选择“另存为”→“CSV UTF-8（逗号分隔）（*.csv）”后重新上传")
            }
        }
    }

    /// Serialises rows as CSV with CRLF line ends (what Excel writes and expects).
    ///
    /// A field is quoted when it contains a comma, quote, CR or LF, or starts or
    /// ends with a space (some readers trim unquoted spaces).
    ///
    /// Formula-injection guard (OWASP "CSV Injection"): a field whose first
    /// character is `=`, `+`, `-`, `@`, TAB or CR would be evaluated as a formula
    /// by Excel/WPS when the file is opened, so it is prefixed with a single quote
    /// `'`, which makes spreadsheets treat it as text. The exception is a field
    /// that is entirely a plain negative decimal number such as `-1.5` or `-3`,
    /// which is harmless and must stay numeric. A leading `+` is never treated as
    /// a number: `+8613800000000` is a phone number and `+1+cmd|...` an attack, so
    /// both get the prefix. Consequently `write` is not an exact inverse of
    /// `parse` for such fields: parsing gives back the prefixed text.
    ///
    /// - Parameter bom: prepend the UTF-8 BOM; without it Excel on Windows
    ///   decodes the file as the ANSI code page and Chinese text becomes mojibake.
    public static func write(_ rows: [[String]], bom: Bool = true) -> Data {
        var out = ""
        for row in rows {
            var first = true
            for raw in row {
                if !first { out += "," }
                first = false
                out += encodeField(raw)
            }
            out += "\r\n"
        }
        var data = Data()
        if bom { data.append(contentsOf: [0xEF, 0xBB, 0xBF]) }
        data.append(contentsOf: Array(out.utf8))
        return data
    }

    static func encodeField(_ raw: String) -> String {
        var field = raw
        if let first = field.unicodeScalars.first,
           "=+-@\t\r".unicodeScalars.contains(first),
           !isPlainNegativeNumber(field) {
            field = "'" + field
        }
        let needsQuotes = field.unicodeScalars.contains { "\",\r\n".unicodeScalars.contains($0) }
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `-` followed by digits with at most one decimal point and at least one
    /// digit (`-1`, `-1.5`, `-.5`, `-2.`). Exponents are deliberately excluded to
    /// keep the exception as narrow as possible.
    static func isPlainNegativeNumber(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "-") else { return false }
        var digits = 0, dots = 0
        for b in u.dropFirst() {
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                digits += 1
            } else if b == UInt8(ascii: ".") {
                dots += 1
            } else {
                return false
            }
        }
        return digits > 0 && dots <= 1
    }
}
