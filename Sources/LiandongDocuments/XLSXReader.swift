import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

extension XLSX {
    /// Reads the first worksheet of an .xlsx written by Excel, WPS, LibreOffice,
    /// openpyxl or similar.
    ///
    /// "First" is the first `<sheet>` in xl/workbook.xml that is a worksheet
    /// (chartsheets are skipped), resolved through the workbook's relationships,
    /// so files whose first tab is stored as e.g. sheet3.xml are read correctly.
    ///
    /// Cell values are returned as text:
    /// - shared strings (rich-text runs concatenated, phonetic guides ignored),
    ///   inline strings and formula string results (`t="str"`);
    /// - booleans as "TRUE"/"FALSE"; error cells as their text ("#DIV/0!");
    /// - numbers: integral values without decimals and never in exponent form
    ///   (a phone stored as `1.3812345678E10` gives "13812345678"); other values
    ///   in shortest round-trip decimal form ("1.5"). Values are first rounded
    ///   to 15 significant digits, as Excel does for display, so binary noise
    ///   such as `0.30000000000000004` reads as "0.3". Integer literals in the
    ///   file (`<v>123456789012345678</v>`, as openpyxl writes Python ints) are
    ///   returned exactly. Dates are not converted: they come back as Excel
    ///   serial numbers.
    /// - Formulas are ignored; their cached value is used.
    ///
    /// Rows keep their spreadsheet row number; cells are placed by column letter
    /// with gaps filled by "", trailing empty cells are trimmed, and rows with no
    /// non-empty cell are omitted.
    public static func readRows(_ data: Data) throws(XLSXError) -> [XLSXRow] {
        // An OLE2 compound file is either a legacy .xls or an encrypted
        // (password-protected) .xlsx; both need a different answer than "corrupt".
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw XLSXError(message: "不是有效的 XLSX 文件：这是旧版 Excel 97-2003（.xls）文件或设置了打开密码的文件，请在 Excel 中另存为“Excel 工作簿（*.xlsx）”并取消密码后重新上传")
        }
        // Opening checks the entry count and declared sizes against
        // ZipPackage.Limits.upload, so a zip bomb is refused here, before
        // anything is inflated; reading each part enforces them again.
        let zip: ZipPackage.Reader
        do {
            zip = try ZipPackage.Reader(data: data)
        } catch {
            throw XLSXError(message: message(for: error))
        }
        do {
            return try readFirstSheet(zip)
        } catch let error as XLSXError {
            throw error
        } catch let failure as ZipPackage.Failure {
            throw XLSXError(message: message(for: failure))
        } catch {
            throw XLSXError(message: "不是有效的 XLSX 文件（压缩包内容损坏）")
        }
    }

    /// The clerk's message for a package that could not be read.
    static func message(for failure: ZipPackage.Failure) -> String {
        let check = "请检查是否为正常的 Excel 文件"
        let split = "如数据确实很多，请拆分为多个文件分别上传"
        switch failure {
        case .tooManyEntries(let limit):
            return "XLSX 文件内部包含的文件过多（超过 \(limit) 个），\(check)"
        case .totalTooLarge(let limit):
            return "文件解压后过大（超过 \(megabytes(limit))），\(check)；\(split)"
        case .entryTooLarge(let path, let limit):
            return "XLSX 文件中的 \(shown(path)) 解压后过大（超过 \(megabytes(limit))），\(check)；\(split)"
        case .compressionRatioTooHigh(let path, let limit):
            return "XLSX 文件中的 \(shown(path)) 压缩比异常（超过 \(limit) 倍），可能是恶意构造的压缩包，\(check)"
        case .sizeMismatch(let path):
            return "不是有效的 XLSX 文件（\(shown(path)) 解压后的大小与压缩包中登记的不符，文件可能已损坏或被篡改）"
        case .notZip:
            return "不是有效的 XLSX 文件（无法作为 ZIP 压缩包打开）"
        case .corrupt, .writeFailed:
            return "不是有效的 XLSX 文件（压缩包内容损坏）"
        }
    }

    /// "10 MB" for 10,000,000 bytes, "64 MB" for 64 MiB: the limits are
    /// whole megabytes of either kind; anything else is shown in KB.
    private static func megabytes(_ bytes: Int) -> String {
        if bytes % 1_000_000 == 0 { return "\(bytes / 1_000_000) MB" }
        if bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576) MB" }
        return "\(max(1, bytes / 1024)) KB"
    }

    /// A part name from the upload, cut short so a crafted name cannot flood the message.
    private static func shown(_ path: String) -> String {
        path.count <= 60 ? path : String(path.prefix(57)) + "…"
    }

    private static func readFirstSheet(_ zip: ZipPackage.Reader) throws -> [XLSXRow] {
        // _rels/.rels names the main document; "xl/workbook.xml" is only the
        // conventional location, not a guaranteed one.
        var workbookPath = "xl/workbook.xml"
        if let rootRels = try zip.data("_rels/.rels") {
            let rels = try parseRelationships(rootRels, part: "_rels/.rels")
            if let main = rels.first(where: { $0.type.hasSuffix("/officeDocument") }) {
                workbookPath = resolve(main.target, from: "")
            }
        }
        // Each part's bytes are dropped once it is parsed, so that no more
        // than one inflated part is held at a time, next to what was read
        // from the others: the shared strings are read before the sheet.
        let workbook = WorkbookHandler()
        do {
            guard let workbookData = try zip.data(workbookPath) else {
                throw XLSXError(message: "不是有效的 XLSX 文件（缺少工作簿 \(workbookPath)）")
            }
            try runParser(workbook, on: workbookData, part: workbookPath)
        }
        guard workbook.isWorkbook else {
            throw XLSXError(message: "不是有效的 XLSX 文件（可能是 Word 或其他 Office 文档）")
        }

        let workbookDir = directory(of: workbookPath)
        let relsPath = (workbookDir.isEmpty ? "" : workbookDir + "/") + "_rels/" + fileName(of: workbookPath) + ".rels"
        var rels: [Relationship] = []
        if let relsData = try zip.data(relsPath) {
            rels = try parseRelationships(relsData, part: relsPath)
        }
        var relsById: [String: Relationship] = [:]
        for rel in rels where relsById[rel.id] == nil { relsById[rel.id] = rel }

        var sheetPath: String?
        for sheet in workbook.sheets {
            guard let rel = relsById[sheet.relationshipId], rel.type.hasSuffix("/worksheet") else { continue }
            sheetPath = resolve(rel.target, from: workbookDir)
            break
        }
        if sheetPath == nil && rels.isEmpty && zip.contains("xl/worksheets/sheet1.xml") {
            // Broken package without workbook relationships: fall back to the usual name.
            sheetPath = "xl/worksheets/sheet1.xml"
        }
        guard let sheetPath, zip.contains(sheetPath) else {
            throw XLSXError(message: "XLSX 文件中没有可读取的工作表")
        }

        var sharedStrings: [String] = []
        var stringsPath: String? = rels.first(where: { $0.type.hasSuffix("/sharedStrings") }).map { resolve($0.target, from: workbookDir) }
        if stringsPath == nil && zip.contains("xl/sharedStrings.xml") {
            stringsPath = "xl/sharedStrings.xml"
        }
        if let stringsPath, let stringsData = try zip.data(stringsPath) {
            let handler = SharedStringsHandler()
            try runParser(handler, on: stringsData, part: stringsPath)
            sharedStrings = handler.strings
        }

        guard let sheetData = try zip.data(sheetPath) else {
            throw XLSXError(message: "XLSX 文件中没有可读取的工作表")
        }
        let handler = WorksheetHandler(sharedStrings: sharedStrings)
        try runParser(handler, on: sheetData, part: sheetPath)
        return handler.rows
    }

    // MARK: - Paths

    /// Resolves a relationship target against the directory of the source part
    /// (OPC rules: absolute targets start with "/", others are relative and may
    /// use ".."). Targets are URIs, so percent-escapes are decoded.
    static func resolve(_ target: String, from baseDirectory: String) -> String {
        let decoded = target.removingPercentEncoding ?? target
        var components: [String] = []
        if !decoded.hasPrefix("/") {
            components = baseDirectory.split(separator: "/").map(String.init)
        }
        for piece in decoded.split(separator: "/") {
            switch piece {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(String(piece))
            }
        }
        return components.joined(separator: "/")
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    // MARK: - Numbers

    /// Formats a numeric cell's cached value; see `readRows` for the rules.
    static func formatNumber(_ raw: String) -> String {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if isIntegerLiteral(s), let exact = Int64(s) {
            return String(exact)
        }
        guard let value = Double(s), value.isFinite else { return s }
        // Excel keeps 15 significant digits; rounding there hides binary noise.
        let rounded = Double(String(format: "%.15g", value)) ?? value
        return plainDecimal(rounded)
    }

    private static func isIntegerLiteral(_ s: String) -> Bool {
        var u = Substring(s).utf8[...]
        if let first = u.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { u = u.dropFirst() }
        return !u.isEmpty && u.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Shortest round-trip decimal without exponent notation.
    static func plainDecimal(_ value: Double) -> String {
        if value == 0 { return "0" } // also folds -0
        if value == value.rounded(), abs(value) < 9.0e18 {
            return String(Int64(value))
        }
        let description = value.description // shortest round-trip, may use "e"
        guard let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return description.hasSuffix(".0") ? String(description.dropLast(2)) : description
        }
        var mantissa = String(description[..<e])
        let exponent = Int(description[description.index(after: e)...]) ?? 0
        var sign = ""
        if mantissa.hasPrefix("-") {
            sign = "-"
            mantissa.removeFirst()
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        let digits = integerPart + fractionPart
        let point = integerPart.count + exponent // position of the decimal point within `digits`
        var result: String
        if point <= 0 {
            result = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            result = digits + String(repeating: "0", count: point - digits.count)
        } else {
            let index = digits.index(digits.startIndex, offsetBy: point)
            result = String(digits[..<index]) + "." + String(digits[index...])
        }
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        // Strip leading zeros of the integer part ("0012" cannot occur, but "00.5" could).
        while result.count > 1 && result.hasPrefix("0") && !result.hasPrefix("0.") { result.removeFirst() }
        return sign + result
    }

    /// "BC12" → 54 (0-based column index), nil if there are no letters.
    static func columnIndex(fromReference ref: String) -> Int? {
        var index = 0
        var letters = 0
        for scalar in ref.unicodeScalars {
            let v = scalar.value
            if v >= 65 && v <= 90 {
                index = index * 26 + Int(v - 64)
            } else if v >= 97 && v <= 122 {
                index = index * 26 + Int(v - 96)
            } else {
                break
            }
            letters += 1
            if letters > 3 { return nil } // beyond XFD: not a valid reference
        }
        return letters == 0 ? nil : index - 1
    }
}

// MARK: - XML plumbing

struct Relationship {
    let id: String
    let type: String
    let target: String
}

/// Runs a SAX parser and maps parse failures and handler errors to XLSXError.
private func runParser(_ handler: SAXHandler & XMLParserDelegate, on data: Data, part: String) throws {
    let parser = XMLParser(data: data)
    parser.shouldProcessNamespaces = false
    parser.shouldResolveExternalEntities = false
    parser.delegate = handler
    let ok = parser.parse()
    if let error = handler.failure { throw error }
    if !ok {
        throw XLSXError(message: "不是有效的 XLSX 文件（\(part) 不是有效的 XML）")
    }
}

private func parseRelationships(_ data: Data, part: String) throws -> [Relationship] {
    let handler = RelationshipsHandler()
    try runParser(handler, on: data, part: part)
    return handler.relationships
}

/// Element and attribute names without their namespace prefix. Prefixes are
/// not fixed ("x:row" from the OpenXML SDK, "r:id" vs "ns1:id"), so matching
/// is done on local names only.
private func localName(_ qualified: String) -> Substring {
    if let colon = qualified.lastIndex(of: ":") {
        return qualified[qualified.index(after: colon)...]
    }
    return qualified[...]
}

private func attribute(_ attributes: [String: String], _ name: String) -> String? {
    if let direct = attributes[name] { return direct }
    for (key, value) in attributes where localName(key) == name && !key.hasPrefix("xmlns") {
        return value
    }
    return nil
}

/// Base class so `runParser` can read a failure recorded inside a callback
/// (delegate methods cannot throw). It deliberately does not conform to
/// XMLParserDelegate itself: on Linux the protocol's optional methods are
/// default implementations in an extension, and if the base class conformed,
/// its witness table would bind those defaults and the subclasses' callbacks
/// would never be called. Each concrete handler declares the conformance.
class SAXHandler: NSObject {
    var failure: XLSXError?

    func fail(_ parser: XMLParser, _ error: XLSXError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }
}

private final class RelationshipsHandler: SAXHandler, XMLParserDelegate {
    var relationships: [Relationship] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard localName(elementName) == "Relationship" else { return }
        // External targets (hyperlinks etc.) are not package parts.
        if attribute(attributeDict, "TargetMode") == "External" { return }
        guard let id = attribute(attributeDict, "Id"), let target = attribute(attributeDict, "Target") else { return }
        relationships.append(Relationship(id: id, type: attribute(attributeDict, "Type") ?? "", target: target))
    }
}

private final class WorkbookHandler: SAXHandler, XMLParserDelegate {
    var isWorkbook = false
    var sheets: [(name: String, relationshipId: String)] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        switch localName(elementName) {
        case "workbook":
            isWorkbook = true
        case "sheet":
            // r:id is the only "id"-named attribute on <sheet>; its prefix varies.
            if let rid = attribute(attributeDict, "id") {
                sheets.append((attribute(attributeDict, "name") ?? "", rid))
            }
        default:
            break
        }
    }
}

/// Collects text from <t> elements of one string item (<si> or <is>), i.e. a
/// plain <t> or the <t> of every rich-text run <r>, but not the phonetic
/// guides in <rPh>, which are furigana and not part of the cell text.
private struct StringItemCollector {
    private(set) var text = ""
    private var inT = false
    private var phoneticDepth = 0

    mutating func start(_ name: Substring) {
        if name == "rPh" { phoneticDepth += 1 }
        if name == "t" && phoneticDepth == 0 { inT = true }
    }

    mutating func end(_ name: Substring) {
        if name == "rPh" { phoneticDepth = max(0, phoneticDepth - 1) }
        if name == "t" { inT = false }
    }

    mutating func characters(_ string: String) {
        if inT { text += string }
    }

    mutating func reset() {
        self = StringItemCollector()
    }
}

private final class SharedStringsHandler: SAXHandler, XMLParserDelegate {
    var strings: [String] = []
    private var collector = StringItemCollector()
    private var inItem = false

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let name = localName(elementName)
        if name == "si" {
            inItem = true
            collector.reset()
        } else if inItem {
            collector.start(name)
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        let name = localName(elementName)
        if name == "si" {
            strings.append(XMLText.unescapeOOXML(collector.text))
            inItem = false
        } else if inItem {
            collector.end(name)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inItem { collector.characters(string) }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if inItem { collector.characters(String(decoding: CDATABlock, as: UTF8.self)) }
    }
}

private final class WorksheetHandler: SAXHandler, XMLParserDelegate {
    private let sharedStrings: [String]
    var rows: [XLSXRow] = []

    private var rowNumber = 0
    private var cells: [String] = []
    private var column = -1
    private var cellType: String?
    private var inCell = false
    private var inValue = false
    private var value = ""
    private var inInline = false
    private var inline = StringItemCollector()
    private var sawInline = false

    init(sharedStrings: [String]) {
        self.sharedStrings = sharedStrings
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let name = localName(elementName)
        switch name {
        case "row":
            // r is optional: without it a row follows the previous one.
            if let r = attribute(attributeDict, "r"), let number = Int(r) {
                rowNumber = number
            } else {
                rowNumber += 1
            }
            cells = []
            column = -1
        case "c":
            // r is optional too: without it a cell follows the previous one.
            if let ref = attribute(attributeDict, "r"), let index = XLSX.columnIndex(fromReference: ref) {
                column = index
            } else {
                column += 1
            }
            cellType = attribute(attributeDict, "t")
            inCell = true
            value = ""
            inline.reset()
            sawInline = false
        case "v" where inCell:
            inValue = true
        case "is" where inCell:
            inInline = true
            sawInline = true
        default:
            if inInline { inline.start(name) }
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        let name = localName(elementName)
        switch name {
        case "v":
            inValue = false
        case "is":
            inInline = false
        case "c":
            inCell = false
            let text: String
            do {
                text = try cellText()
            } catch {
                fail(parser, error)
                return
            }
            guard !text.isEmpty, column >= 0, column < XLSX.maxColumns else { return }
            if cells.count <= column {
                cells.append(contentsOf: repeatElement("", count: column + 1 - cells.count))
            }
            cells[column] = text
        case "row":
            // Only non-empty texts were stored, so trailing "" are gaps we can drop.
            while let last = cells.last, last.isEmpty { cells.removeLast() }
            if !cells.isEmpty {
                rows.append(XLSXRow(number: rowNumber, cells: cells))
            }
            cells = []
        default:
            if inInline { inline.end(name) }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue {
            value += string
        } else if inInline {
            inline.characters(string)
        }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        let string = String(decoding: CDATABlock, as: UTF8.self)
        if inValue {
            value += string
        } else if inInline {
            inline.characters(string)
        }
    }

    private func cellText() throws(XLSXError) -> String {
        switch cellType {
        case "s":
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { return "" }
            guard let index = Int(trimmed), index >= 0, index < sharedStrings.count else {
                throw XLSXError(message: "不是有效的 XLSX 文件（第\(rowNumber)行引用了不存在的共享字符串）")
            }
            return sharedStrings[index]
        case "inlineStr":
            return XMLText.unescapeOOXML(sawInline ? inline.text : value)
        case "str":
            return XMLText.unescapeOOXML(value)
        case "b":
            switch value.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "1", "true", "TRUE": return "TRUE"
            case "0", "false", "FALSE": return "FALSE"
            case let other: return other
            }
        case "e", "d":
            return value.trimmingCharacters(in: .whitespacesAndNewlines)
        default:
            // "n" or absent: a number. A cell with only a style has no <v>.
            if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "" }
            return XLSX.formatNumber(value)
        }
    }
}
