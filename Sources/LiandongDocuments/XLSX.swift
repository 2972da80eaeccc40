import Foundation

/// A cell value for `XLSX.write`.
public enum XLSXCell: Sendable, Equatable {
    /// Text, written as-is (illegal XML control characters are dropped and the
    /// text is cut to Excel's 32,767-character cell limit).
    case text(String)
    /// A number shown with one decimal ("0.0"), e.g. points. NaN and infinity
    /// cannot be stored in a spreadsheet and are written as an empty cell.
    case number(Double)
    /// An integer shown without decimals ("0").
    case integer(Int)
    /// An empty cell that still carries the table's borders.
    case empty
}

/// One worksheet for `XLSX.write`.
public struct XLSXSheet: Sendable, Equatable {
    /// Tab name. Chinese is fine; `[ ] : * ? / \` are replaced by `_`, leading
    /// and trailing apostrophes are removed, the name is cut to 31 characters,
    /// and duplicates (compared case-insensitively, as Excel does) get " (2)",
    /// " (3)"… An empty name becomes "Sheet<n>".
    public var name: String
    /// Optional title in row 1: bold 16pt, merged across all columns. The header
    /// then starts at row 2.
    public var title: String?
    /// Header row: bold, light grey fill, thin borders, wrapped, centred.
    public var header: [String]
    /// Data rows below the header, with thin borders. Short rows are padded with
    /// bordered empty cells up to the table width.
    public var rows: [[XLSXCell]]
    /// Column widths in Excel character units. Columns without an entry get a
    /// width computed from their content (CJK characters count double),
    /// clamped to 6...60.
    public var columnWidths: [Double]
    /// Freeze panes below the header row (row 1, or row 2 when there is a title).
    public var freezeHeader: Bool
    /// Landscape instead of portrait. Regardless of orientation every sheet is
    /// printed on A4, scaled to one page wide, with the title and header rows
    /// repeated on every page (`_xlnm.Print_Titles`).
    public var landscape: Bool

    public init(
        name: String,
        title: String? = nil,
        header: [String],
        rows: [[XLSXCell]],
        columnWidths: [Double] = [],
        freezeHeader: Bool = true,
        landscape: Bool = false
    ) {
        self.name = name
        self.title = title
        self.header = header
        self.rows = rows
        self.columnWidths = columnWidths
        self.freezeHeader = freezeHeader
        self.landscape = landscape
    }
}

/// An XLSX read or write failure; `message` is user-facing Simplified Chinese.
public struct XLSXError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }

    static let invalidFile = XLSXError(message: "不是有效的 XLSX 文件")
}

/// One non-empty row returned by `XLSX.readRows`.
public struct XLSXRow: Sendable, Equatable {
    /// 1-based spreadsheet row number, as shown in Excel's row header.
    public let number: Int
    /// Cell texts by column (index 0 = column A); gaps are "", trailing empty
    /// cells are trimmed.
    public let cells: [String]

    public init(number: Int, cells: [String]) {
        self.number = number
        self.cells = cells
    }
}

public enum XLSX {
    /// Excel's hard limits; files beyond them are "repaired" (truncated) by Excel.
    static let maxRows = 1_048_576
    static let maxColumns = 16_384
    static let maxCellTextLength = 32_767

    /// Builds a complete .xlsx package in memory.
    ///
    /// The output is deterministic: the same sheets always give the same bytes
    /// (fixed ZIP timestamps, no creation date in docProps/core.xml), so exports
    /// can be cached and compared in tests.
    public static func write(sheets: [XLSXSheet]) throws(XLSXError) -> Data {
        guard !sheets.isEmpty else {
            throw XLSXError(message: "XLSX 文件至少需要一个工作表")
        }
        let names = uniqueSheetNames(sheets.map(\.name))
        var strings = SharedStrings()
        var sheetParts: [Data] = []
        for (index, sheet) in sheets.enumerated() {
            let xml = try worksheetXML(sheet, selected: index == 0, strings: &strings)
            sheetParts.append(Data(xml.utf8))
        }

        var entries: [(path: String, data: Data)] = []
        entries.append(("[Content_Types].xml", Data(contentTypesXML(sheetCount: sheets.count, hasStrings: !strings.isEmpty).utf8)))
        entries.append(("_rels/.rels", Data(rootRelsXML.utf8)))
        entries.append(("docProps/core.xml", Data(coreXML.utf8)))
        entries.append(("docProps/app.xml", Data(appXML.utf8)))
        entries.append(("xl/workbook.xml", Data(workbookXML(sheets: sheets, names: names).utf8)))
        entries.append(("xl/_rels/workbook.xml.rels", Data(workbookRelsXML(sheetCount: sheets.count, hasStrings: !strings.isEmpty).utf8)))
        entries.append(("xl/styles.xml", Data(stylesXML.utf8)))
        if !strings.isEmpty {
            entries.append(("xl/sharedStrings.xml", Data(strings.xml().utf8)))
        }
        for (index, part) in sheetParts.enumerated() {
            entries.append(("xl/worksheets/sheet\(index + 1).xml", part))
        }
        do {
            return try ZipPackage.build(entries)
        } catch {
            throw XLSXError(message: "生成 XLSX 文件失败：\(error)")
        }
    }

    // MARK: - Sheet names

    static func sanitizeSheetName(_ raw: String, position: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            if "[]:*?/\\".unicodeScalars.contains(scalar) {
                scalars.append("_")
            } else if scalar.value >= 0x20 && XMLText.isLegal(scalar) {
                scalars.append(scalar)
            }
        }
        var name = String(scalars).trimmingCharacters(in: .whitespaces)
        // Excel rejects names that begin or end with an apostrophe.
        while name.hasPrefix("'") { name.removeFirst() }
        while name.hasSuffix("'") { name.removeLast() }
        name = truncateUTF16(name, to: 31)
        if name.isEmpty { name = "Sheet\(position + 1)" }
        // "History" is reserved by Excel for change tracking.
        if name.lowercased() == "history" { name += "_" }
        return name
    }

    static func uniqueSheetNames(_ raw: [String]) -> [String] {
        var used = Set<String>()
        var result: [String] = []
        for (position, name) in raw.enumerated() {
            let base = sanitizeSheetName(name, position: position)
            var candidate = base
            var counter = 2
            while used.contains(candidate.lowercased()) {
                let suffix = " (\(counter))"
                candidate = truncateUTF16(base, to: 31 - suffix.utf16.count) + suffix
                counter += 1
            }
            used.insert(candidate.lowercased())
            result.append(candidate)
        }
        return result
    }

    /// Cuts to at most `limit` UTF-16 code units (Excel's unit for its length
    /// limits) without splitting a character.
    static func truncateUTF16(_ s: String, to limit: Int) -> String {
        guard s.utf16.count > limit else { return s }
        var out = ""
        var count = 0
        for ch in s {
            let n = ch.utf16.count
            if count + n > limit { break }
            out.append(ch)
            count += n
        }
        return out
    }

    // MARK: - Cells

    /// Column letters for a 0-based index: 0 → A, 25 → Z, 26 → AA.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var letters: [Character] = []
        while n > 0 {
            let r = (n - 1) % 26
            letters.append(Character(Unicode.Scalar(UInt8(65 + r))))
            n = (n - 1) / 26
        }
        return String(letters.reversed())
    }

    /// Style indexes into cellXfs in `stylesXML`.
    enum Style: Int {
        case normal = 0, title, header, text, number, integer, wrappedText
    }

    /// Text as it will be stored: legal XML only, within Excel's cell limit.
    static func cellText(_ s: String) -> String {
        truncateUTF16(XMLText.stripIllegal(s), to: maxCellTextLength)
    }

    /// The text a user sees, used for automatic column widths.
    static func displayText(_ cell: XLSXCell) -> String {
        switch cell {
        case .text(let s): return s
        case .number(let d): return d.isFinite ? String(format: "%.1f", d) : ""
        case .integer(let i): return String(i)
        case .empty: return ""
        }
    }

    /// Width in Excel character units: East Asian wide characters take two
    /// columns, everything else one; multi-line text counts its longest line.
    static func displayWidth(_ s: String) -> Int {
        var best = 0
        for line in s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            var width = 0
            for scalar in line.unicodeScalars {
                if scalar.properties.generalCategory == .nonspacingMark { continue }
                width += isWide(scalar) ? 2 : 1
            }
            best = max(best, width)
        }
        return best
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
             0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
             0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Deterministic, compact number text for attributes and <v>.
    static func numberText(_ d: Double) -> String {
        // Swift's description is the shortest round-trip form; Excel expects an
        // upper-case exponent marker in the files it writes, so match that.
        d.description.uppercased()
    }

    // MARK: - Parts

    static func worksheetXML(_ sheet: XLSXSheet, selected: Bool, strings: inout SharedStrings) throws(XLSXError) -> String {
        let titleRows = sheet.title == nil ? 0 : 1
        let headerRows = sheet.header.isEmpty ? 0 : 1
        let topRows = titleRows + headerRows
        let columnCount = max(sheet.header.count, sheet.rows.map(\.count).max() ?? 0, titleRows)
        let rowCount = topRows + sheet.rows.count
        guard columnCount <= maxColumns else {
            throw XLSXError(message: "工作表“\(sheet.name)”的列数超过 Excel 上限 \(maxColumns)")
        }
        guard rowCount <= maxRows else {
            throw XLSXError(message: "工作表“\(sheet.name)”的行数超过 Excel 上限 \(maxRows)")
        }

        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
        // fitToPage makes the pageSetup fitToWidth/fitToHeight attributes take effect.
        xml += #"<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>"#
        let lastCell = columnCount > 0 && rowCount > 0 ? "\(columnName(columnCount - 1))\(rowCount)" : "A1"
        xml += #"<dimension ref="\#(lastCell == "A1" ? "A1" : "A1:" + lastCell)"/>"#

        xml += #"<sheetViews><sheetView "# + (selected ? #"tabSelected="1" "# : "") + #"workbookViewId="0">"#
        if sheet.freezeHeader && topRows > 0 {
            let topLeft = "A\(topRows + 1)"
            xml += #"<pane ySplit="\#(topRows)" topLeftCell="\#(topLeft)" activePane="bottomLeft" state="frozen"/>"#
            xml += #"<selection pane="bottomLeft" activeCell="\#(topLeft)" sqref="\#(topLeft)"/>"#
        }
        xml += "</sheetView></sheetViews>"
        xml += #"<sheetFormatPr defaultRowHeight="14.25"/>"#

        if columnCount > 0 {
            xml += "<cols>"
            for column in 0..<columnCount {
                let width: Double
                if column < sheet.columnWidths.count, sheet.columnWidths[column] > 0 {
                    width = min(sheet.columnWidths[column], 255)
                } else {
                    width = automaticWidth(sheet, column: column)
                }
                xml += #"<col min="\#(column + 1)" max="\#(column + 1)" width="\#(numberText(width))" customWidth="1"/>"#
            }
            xml += "</cols>"
        }

        xml += "<sheetData>"
        var rowNumber = 0
        if let title = sheet.title {
            rowNumber += 1
            xml += #"<row r="\#(rowNumber)" ht="28" customHeight="1">"#
            xml += stringCell(title, column: 0, row: rowNumber, style: .title, strings: &strings)
            xml += "</row>"
        }
        if !sheet.header.isEmpty {
            rowNumber += 1
            xml += #"<row r="\#(rowNumber)">"#
            for column in 0..<columnCount {
                let text = column < sheet.header.count ? sheet.header[column] : ""
                xml += stringCell(text, column: column, row: rowNumber, style: .header, strings: &strings)
            }
            xml += "</row>"
        }
        for row in sheet.rows {
            rowNumber += 1
            xml += #"<row r="\#(rowNumber)">"#
            for column in 0..<columnCount {
                let cell = column < row.count ? row[column] : .empty
                let ref = "\(columnName(column))\(rowNumber)"
                switch cell {
                case .text(let s):
                    let style: Style = s.contains("\n") || s.contains("\r") ? .wrappedText : .text
                    xml += stringCell(s, column: column, row: rowNumber, style: style, strings: &strings)
                case .number(let d):
                    if d.isFinite {
                        xml += #"<c r="\#(ref)" s="\#(Style.number.rawValue)"><v>\#(numberText(d))</v></c>"#
                    } else {
                        xml += #"<c r="\#(ref)" s="\#(Style.number.rawValue)"/>"#
                    }
                case .integer(let i):
                    xml += #"<c r="\#(ref)" s="\#(Style.integer.rawValue)"><v>\#(i)</v></c>"#
                case .empty:
                    xml += #"<c r="\#(ref)" s="\#(Style.text.rawValue)"/>"#
                }
            }
            xml += "</row>"
        }
        xml += "</sheetData>"

        if sheet.title != nil && columnCount > 1 {
            xml += #"<mergeCells count="1"><mergeCell ref="A1:\#(columnName(columnCount - 1))1"/></mergeCells>"#
        }
        xml += #"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>"#
        // fitToHeight="0" means "as many pages tall as needed": only the width is fitted.
        let orientation = sheet.landscape ? "landscape" : "portrait"
        xml += #"<pageSetup paperSize="9" orientation="\#(orientation)" fitToWidth="1" fitToHeight="0"/>"#
        xml += "</worksheet>"
        return xml
    }

    /// A string cell through the shared-string table; empty text becomes a
    /// styled cell without a value so borders and fills stay continuous.
    static func stringCell(_ raw: String, column: Int, row: Int, style: Style, strings: inout SharedStrings) -> String {
        let ref = "\(columnName(column))\(row)"
        let text = cellText(raw)
        if text.isEmpty {
            return #"<c r="\#(ref)" s="\#(style.rawValue)"/>"#
        }
        let index = strings.index(of: text)
        return #"<c r="\#(ref)" s="\#(style.rawValue)" t="s"><v>\#(index)</v></c>"#
    }

    static func automaticWidth(_ sheet: XLSXSheet, column: Int) -> Double {
        var widest = 0
        if column < sheet.header.count {
            // Bold header text is slightly wider than body text.
            widest = displayWidth(sheet.header[column]) + 1
        }
        for row in sheet.rows where column < row.count {
            widest = max(widest, displayWidth(displayText(row[column])))
        }
        // Two characters of padding so text does not touch the cell borders.
        return Double(min(max(widest + 2, 6), 60))
    }

    static func workbookXML(sheets: [XLSXSheet], names: [String]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
        xml += "<workbookPr/>"
        xml += #"<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300" activeTab="0"/></bookViews>"#
        xml += "<sheets>"
        for (index, name) in names.enumerated() {
            xml += #"<sheet name="\#(XMLText.attribute(name))" sheetId="\#(index + 1)" r:id="rId\#(index + 1)"/>"#
        }
        xml += "</sheets>"
        var defined = ""
        for (index, sheet) in sheets.enumerated() {
            let topRows = (sheet.title == nil ? 0 : 1) + (sheet.header.isEmpty ? 0 : 1)
            guard topRows > 0 else { continue }
            // Sheet names are always quoted in references; an embedded apostrophe is doubled.
            let quoted = "'" + names[index].replacingOccurrences(of: "'", with: "''") + "'"
            defined += #"<definedName name="_xlnm.Print_Titles" localSheetId="\#(index)">"#
            defined += XMLText.text("\(quoted)!$1:$\(topRows)")
            defined += "</definedName>"
        }
        if !defined.isEmpty {
            xml += "<definedNames>" + defined + "</definedNames>"
        }
        xml += #"<calcPr calcId="191029"/>"#
        xml += "</workbook>"
        return xml
    }

    static func workbookRelsXML(sheetCount: Int, hasStrings: Bool) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        for index in 1...sheetCount {
            xml += #"<Relationship Id="rId\#(index)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet\#(index).xml"/>"#
        }
        xml += #"<Relationship Id="rId\#(sheetCount + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
        if hasStrings {
            xml += #"<Relationship Id="rId\#(sheetCount + 2)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
        }
        xml += "</Relationships>"
        return xml
    }

    static func contentTypesXML(sheetCount: Int, hasStrings: Bool) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        xml += #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        xml += #"<Default Extension="xml" ContentType="application/xml"/>"#
        xml += #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        for index in 1...sheetCount {
            xml += #"<Override PartName="/xl/worksheets/sheet\#(index).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        }
        xml += #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        if hasStrings {
            xml += #"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#
        }
        xml += #"<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>"#
        xml += #"<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#
        xml += "</Types>"
        return xml
    }

    static let rootRelsXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>
    """#

    // No dcterms:created/modified: a real timestamp would break determinism and
    // a fixed fake one would mislead whoever opens File > Info.
    static let coreXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Liandong</dc:creator></cp:coreProperties>
    """#

    static let appXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Liandong</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop></Properties>
    """#

    // cellXfs order must match `Style`: normal, title, header, text, number, integer, wrappedText.
    // Fonts use 宋体 with charset 134 (GB2312) so Chinese Excel/WPS pick the
    // intended face instead of a Western fallback.
    static let stylesXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0"/></numFmts><fonts count="3"><font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font><font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font><font><b/><sz val="16"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"><color indexed="64"/></left><right style="thin"><color indexed="64"/></right><top style="thin"><color indexed="64"/></top><bottom style="thin"><color indexed="64"/></bottom><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf><xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf><xf numFmtId="164" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf><xf numFmtId="1" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/></styleSheet>
    """#
}

/// The workbook's shared-string table, in first-use order (deterministic).
struct SharedStrings {
    private var indexes: [String: Int] = [:]
    private var values: [String] = []
    private var references = 0

    var isEmpty: Bool { values.isEmpty }

    mutating func index(of text: String) -> Int {
        references += 1
        if let existing = indexes[text] { return existing }
        let index = values.count
        indexes[text] = index
        values.append(text)
        return index
    }

    func xml() -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="\#(references)" uniqueCount="\#(values.count)">"#
        for value in values {
            let escaped = XMLText.text(XMLText.escapeOOXML(value))
            // Without xml:space="preserve" readers may drop leading/trailing whitespace.
            let needsPreserve = value.first.map { $0.isWhitespace } == true || value.last.map { $0.isWhitespace } == true
            xml += needsPreserve ? #"<si><t xml:space="preserve">"# + escaped + "</t></si>" : "<si><t>" + escaped + "</t></si>"
        }
        xml += "</sst>"
        return xml
    }
}
