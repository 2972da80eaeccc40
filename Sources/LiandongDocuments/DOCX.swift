import Foundation

/// Writes official documents (公文, here mostly 通报) as WordprocessingML
/// packages laid out per GB/T 9704-2012 (党政机关公文格式).
///
/// Layout decisions, all in twentieths of a point (twips) unless named:
/// - A4 portrait; margins top 37 mm, bottom 35 mm, binding (inside) 28 mm,
///   outside 26 mm, mirrored on even pages because 公文 are printed on both
///   sides and the binding edge of a back page is on the right. Text block
///   156 × 225 mm.
/// - A "linesAndChars" document grid of 22 lines × 28 characters at 3号 (16 pt),
///   so Word's page setup shows the standard's 22 × 28. The layout does not
///   depend on snapping to it, though: 28 characters of 16 pt are 448 pt but
///   the text block is 442.25 pt wide. Templates made in Word rely on Word
///   fitting each character into a grid cell narrower than the font, while
///   LibreOffice (7.4, checked) gives each such character two cells: 14 a line. So paragraphs are not snapped to the
///   grid; 3号 text is condensed by 0.5 pt (28 × 15.5 pt = 434 pt fits, 29
///   characters = 449.5 pt do not, with room either way for rounding; 0.25 pt
///   left LibreOffice at 27) and justified to the full line, and set with an
///   exact 28.95 pt line pitch (225 mm / 22, rounded down), which gives
///   22 × 28 in Word, WPS and LibreOffice alike.
/// - Fonts are named as the standard names them (仿宋_GB2312, 方正小标宋简体,
///   黑体, 楷体_GB2312, 宋体 for page numbers); fontTable.xml gives each an
///   alternative name and the GB2312 charset so Word falls back to a Chinese
///   face of the same kind where the official font is missing.
/// - Page numbers "— N —" in 4号 宋体, odd pages right and even pages left, each
///   one character in from the edge of the text block, through two footer
///   parts and `w:evenAndOddHeaders`.
/// - The 版记 is a floating one-column table pinned to the bottom of the text
///   block on the last page, so its last rule coincides with the text
///   block's lower edge, as 7.4 asks.
public enum DOCX {
    /// Builds a complete .docx package in memory.
    ///
    /// The output is deterministic: the same document always gives the same
    /// bytes (fixed ZIP timestamps, no dates or revision ids in the parts).
    public static func write(_ document: OfficialDocument) throws(DOCXError) -> Data {
        guard document.date.isValid else {
            throw DOCXError(message: "成文日期无效：\(document.date.year)-\(document.date.month)-\(document.date.day)")
        }
        if let printedOn = document.printedOn, !printedOn.isValid {
            throw DOCXError(message: "印发日期无效：\(printedOn.year)-\(printedOn.month)-\(printedOn.day)")
        }
        let body = try documentXML(document)
        let entries: [(path: String, data: Data)] = [
            ("[Content_Types].xml", Data(contentTypesXML.utf8)),
            ("_rels/.rels", Data(rootRelsXML.utf8)),
            ("docProps/core.xml", Data(coreXML(title: document.title).utf8)),
            ("docProps/app.xml", Data(XLSX.appXML.utf8)),
            ("word/document.xml", Data(body.utf8)),
            ("word/_rels/document.xml.rels", Data(documentRelsXML.utf8)),
            ("word/styles.xml", Data(stylesXML.utf8)),
            ("word/settings.xml", Data(settingsXML.utf8)),
            ("word/fontTable.xml", Data(fontTableXML.utf8)),
            ("word/footer1.xml", Data(footerXML(odd: true).utf8)),
            ("word/footer2.xml", Data(footerXML(odd: false).utf8)),
        ]
        do {
            return try ZipPackage.build(entries)
        } catch {
            throw DOCXError(message: "生成 DOCX 文件失败：\(error)")
        }
    }

    // MARK: - Page geometry

    /// A4 in twips (Word's own values for 210 × 297 mm).
    static let pageWidth = 11906
    static let pageHeight = 16838
    static let marginTop = twips(mm: 37)      // 2098
    static let marginBottom = twips(mm: 35)   // 1984
    static let marginLeft = twips(mm: 28)     // 1587
    static let marginRight = twips(mm: 26)    // 1474
    /// 156 mm: what is left of the A4 width (8845 twips).
    static let textWidth = pageWidth - marginLeft - marginRight
    /// 225 mm of text block height divided into 22 lines: 579.8 twips, rounded
    /// down so that 22 lines always fit (28.95 pt, the value Chinese 公文
    /// templates use).
    static let linePitch = 579
    /// Character pitch = 16 pt + charSpace/4096 pt. 28 characters in 8845 twips
    /// (442.25 pt) need 15.794 pt, i.e. charSpace = -841.1, rounded away from
    /// zero so the 28th character never wraps.
    static let charSpace = -842
    /// The footer's lower edge 25 mm above the page edge puts the 18 pt
    /// page-number line's dashes about 7 mm below the text block, as the
    /// standard asks ("一字线上距版心下边缘7mm").
    static let footerDistance = twips(mm: 25)

    static func twips(mm: Double) -> Int {
        Int((mm * 1440 / 25.4).rounded())
    }

    // MARK: - Fonts and sizes

    enum Font {
        case fangSong, xiaoBiaoSong, heiTi, kaiTi, songTi

        /// The name the standard uses; Chinese Word and WPS installs have these.
        var name: String {
            switch self {
            case .fangSong: return "仿宋_GB2312"
            case .xiaoBiaoSong: return "方正小标宋简体"
            case .heiTi: return "黑体"
            case .kaiTi: return "楷体_GB2312"
            case .songTi: return "宋体"
            }
        }

        /// What Word tries when `name` is missing. Windows since Vista ships
        /// 仿宋 and 楷体 (FangSong, KaiTi) instead of the _GB2312 versions;
        /// 方正小标宋 is a commercial face that some systems list under its
        /// English family name.
        var altName: String {
            switch self {
            case .fangSong: return "FangSong"
            case .xiaoBiaoSong: return "FZXiaoBiaoSong-B05S"
            case .heiTi: return "SimHei"
            case .kaiTi: return "KaiTi"
            case .songTi: return "SimSun"
            }
        }

        /// Word's font family class, used for fallback matching.
        var family: String {
            switch self {
            case .heiTi: return "modern"
            default: return "roman"
            }
        }
    }

    /// Chinese point sizes in half-points, as w:sz wants them.
    enum Size {
        static let chuHao = 84       // 初号 42 pt
        static let xiaoChu = 72      // 小初 36 pt
        static let yiHao = 52        // 一号 26 pt
        static let xiaoYi = 48       // 小一 24 pt
        static let erHao = 44        // 二号 22 pt
        static let sanHao = 32       // 三号 16 pt
        static let siHao = 28        // 四号 14 pt
    }

    static let red = "FF0000"

    /// The largest of 初号 … 二号 at which the mark fits on one line of the
    /// 156 mm text block (a full-width character is one em wide, as nothing
    /// is snapped to the character grid). A mark too long
    /// even for 二号 stays at 二号 and wraps.
    static func issuerMarkSize(_ mark: String) -> Int {
        // displayWidth counts full-width characters as 2, others as 1.
        let ems = Double(XLSX.displayWidth(mark)) / 2
        let available = Double(textWidth) / 20 - 2   // points, with a little slack
        for size in [Size.chuHao, Size.xiaoChu, Size.yiHao, Size.xiaoYi, Size.erHao]
        where ems * Double(size) / 2 <= available {
            return size
        }
        return Size.erHao
    }

    // MARK: - Runs

    struct RunFormat {
        var font: Font
        var size: Int
        var color: String? = nil
        /// 3号 text is condensed by 0.5 pt so 28 characters fit the 156 mm line.
        var condensed = false

        var xml: String {
            var x = "<w:rPr>" + rFonts(font)
            if let color { x += #"<w:color w:val="\#(color)"/>"# }
            if condensed { x += #"<w:spacing w:val="-10"/>"# }
            x += #"<w:sz w:val="\#(size)"/><w:szCs w:val="\#(size)"/>"#
            x += "</w:rPr>"
            return x
        }
    }

    /// Line separators that start a new line. Vertical tab and form feed are
    /// not among them: like other C0 controls they are illegal in XML 1.0 and
    /// dropped, as the XLSX writer does.
    static func isLineBreak(_ c: Character) -> Bool {
        c == "\n" || c == "\r" || c == "\r\n" || c == "\u{2028}" || c == "\u{2029}" || c == "\u{85}"
    }

    /// One run holding `text`: line breaks become <w:br/>, tabs <w:tab/>, and
    /// characters illegal in XML are dropped. Every <w:t> preserves spaces,
    /// since leading and trailing blanks would otherwise be lost.
    static func run(_ text: String, _ format: RunFormat) -> String {
        var content = ""
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: isLineBreak)
        for (index, line) in lines.enumerated() {
            if index > 0 { content += "<w:br/>" }
            let pieces = line.split(separator: "\t", omittingEmptySubsequences: false)
            for (k, piece) in pieces.enumerated() {
                if k > 0 { content += "<w:tab/>" }
                let escaped = XMLText.text(String(piece))
                if !escaped.isEmpty {
                    content += #"<w:t xml:space="preserve">"# + escaped + "</w:t>"
                }
            }
        }
        if content.isEmpty { return "" }
        return "<w:r>" + format.xml + content + "</w:r>"
    }

    // MARK: - Paragraphs

    struct Border {
        var side: String      // top, bottom
        var eighths: Int      // w:sz is in eighths of a point
        var space: Int        // distance from the text in points
        var color: String
    }

    /// Paragraph properties, emitted in the order the schema requires
    /// (CT_PPrBase is a sequence; Word rejects elements out of order).
    struct ParagraphFormat {
        var style: String? = nil
        var keepNext = false
        var pageBreakBefore = false
        var borders: [Border] = []
        var rightTab: Int? = nil
        var before = 0
        var after = 0
        /// Exact line height in twips; nil means single spacing that follows the font.
        var exactLine: Int? = linePitch
        var indent = ""
        var alignment = "both"
        var outlineLevel: Int? = nil
        var mark: RunFormat? = nil

        var xml: String {
            var x = "<w:pPr>"
            if let style { x += #"<w:pStyle w:val="\#(style)"/>"# }
            if keepNext { x += "<w:keepNext/>" }
            if pageBreakBefore { x += "<w:pageBreakBefore/>" }
            if !borders.isEmpty {
                x += "<w:pBdr>"
                for side in ["top", "bottom"] {
                    for b in borders where b.side == side {
                        x += #"<w:\#(b.side) w:val="single" w:sz="\#(b.eighths)" w:space="\#(b.space)" w:color="\#(b.color)"/>"#
                    }
                }
                x += "</w:pBdr>"
            }
            if let rightTab {
                x += #"<w:tabs><w:tab w:val="right" w:pos="\#(rightTab)"/></w:tabs>"#
            }
            // Off the character grid: see the type's comment.
            x += #"<w:snapToGrid w:val="0"/>"#
            if let exactLine {
                x += #"<w:spacing w:before="\#(before)" w:after="\#(after)" w:line="\#(exactLine)" w:lineRule="exact"/>"#
            } else {
                x += #"<w:spacing w:before="\#(before)" w:after="\#(after)" w:line="240" w:lineRule="auto"/>"#
            }
            if !indent.isEmpty { x += indent }
            x += #"<w:jc w:val="\#(alignment)"/>"#
            if let outlineLevel { x += #"<w:outlineLvl w:val="\#(outlineLevel)"/>"# }
            if let mark { x += mark.xml }
            x += "</w:pPr>"
            return x
        }
    }

    static func paragraph(_ text: String, _ format: ParagraphFormat, _ run: RunFormat) -> String {
        var pPr = format
        // The paragraph mark carries the run format too, so an empty paragraph
        // has the same height as a filled one.
        pPr.mark = run
        return "<w:p>" + pPr.xml + DOCX.run(text, run) + "</w:p>"
    }

    /// "首行缩进 2 字符": Word uses the Chars value (grid characters); readers
    /// that do not know it (older LibreOffice) use the twips.
    static let firstLineIndent = #"<w:ind w:firstLine="640" w:firstLineChars="200"/>"#

    static func rightIndent(hundredthsOfChar: Int) -> String {
        let twips = hundredthsOfChar * 320 / 100
        return #"<w:ind w:right="\#(twips)" w:rightChars="\#(hundredthsOfChar)"/>"#
    }

    static let bodyRun = RunFormat(font: .fangSong, size: Size.sanHao, condensed: true)

    // MARK: - Document

    static func documentXML(_ doc: OfficialDocument) throws(DOCXError) -> String {
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>"#
        x += header(doc)
        x += try bodyXML(doc)
        x += attachmentNote(doc)
        x += closing(doc)
        x += try annexesXML(doc)
        x += versionRecord(doc)
        x += sectionXML
        x += "</w:body></w:document>"
        return x
    }

    /// 版头: the red issuer mark, the document number two lines below it and
    /// the red separator 4 mm under the number.
    static func header(_ doc: OfficialDocument) -> String {
        // The separator is the bottom border of the last header paragraph:
        // a border spans exactly the text width and moves with the text.
        let separator = Border(side: "bottom", eighths: 18, space: 11, color: red)   // 2.25 pt, 4 mm below
        var x = ""
        let hasNumber = !doc.documentNumber.isEmpty
        if !doc.issuerMark.isEmpty {
            var p = ParagraphFormat()
            // The line height follows the font's size.
            p.exactLine = nil
            p.alignment = "center"
            if !hasNumber { p.borders = [separator] }
            let r = RunFormat(font: .xiaoBiaoSong, size: issuerMarkSize(doc.issuerMark), color: red)
            x += paragraph(doc.issuerMark, p, r)
        }
        if hasNumber {
            var p = ParagraphFormat()
            p.before = doc.issuerMark.isEmpty ? 0 : 2 * linePitch   // "发文机关标志下空二行"
            p.alignment = "center"
            p.borders = [separator]
            x += paragraph(doc.documentNumber, p, bodyRun)
        }
        if !doc.title.isEmpty {
            var p = ParagraphFormat(style: "Title")
            p.before = 2 * linePitch     // "红色分隔线下空二行"
            p.after = linePitch          // "标题下空一行" before the addressee or the body
            p.alignment = "center"
            let r = RunFormat(font: .xiaoBiaoSong, size: Size.erHao)
            x += paragraph(doc.title, p, r)
        }
        if let addressee = doc.addressee, !addressee.trimmingCharacters(in: .whitespaces).isEmpty {
            var p = ParagraphFormat()
            p.alignment = "left"
            x += paragraph(addresseeText(addressee), p, bodyRun)
        }
        return x
    }

    /// "最后一个机关名称后标全角冒号".
    static func addresseeText(_ raw: String) -> String {
        var s = raw.trimmingCharacters(in: .whitespaces)
        while s.hasSuffix(":") || s.hasSuffix("：") { s.removeLast() }
        return s + "："
    }

    /// One piece of the body: a paragraph still open to changes (so the last
    /// one can be kept with the signature), or finished XML.
    enum Piece {
        case paragraph(String, ParagraphFormat, RunFormat)
        case xml(String)
    }

    /// A paragraph that holds only a page break, for breaks that cannot be
    /// expressed as "page break before" of the next paragraph.
    static let pageBreakParagraph = #"<w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="\#(linePitch)" w:lineRule="exact"/></w:pPr><w:r><w:br w:type="page"/></w:r></w:p>"#

    static func bodyXML(_ doc: OfficialDocument) throws(DOCXError) -> String {
        try blocksXML(doc.body, keepLastWithNext: true)
    }

    /// "附件：名称" one line under the body, two characters in; several
    /// attachments are numbered ("附件：1．…"), later names aligned under the first.
    static func attachmentNote(_ doc: OfficialDocument) -> String {
        guard !doc.annexes.isEmpty else { return "" }
        var x = ""
        for (i, annex) in doc.annexes.enumerated() {
            var p = ParagraphFormat()
            p.before = i == 0 ? linePitch : 0
            p.keepNext = true
            p.alignment = "left"
            let title = annex.title.split(whereSeparator: isLineBreak).joined()
            if doc.annexes.count == 1 {
                p.indent = #"<w:ind w:left="1600" w:leftChars="500" w:hanging="960" w:hangingChars="300"/>"#
                x += paragraph("附件：" + title, p, bodyRun)
            } else {
                p.indent = #"<w:ind w:left="2560" w:leftChars="800" w:hanging="1920" w:hangingChars="600"/>"#
                x += paragraph((i == 0 ? "附件：" : "　　　") + "\(i + 1)．" + title, p, bodyRun)
            }
        }
        return x
    }

    /// Each attachment from a new page: "附件" (or "附件1"…) flush left in 黑体,
    /// the title centred on the third line, then its body.
    static func annexesXML(_ doc: OfficialDocument) throws(DOCXError) -> String {
        var x = ""
        for (i, annex) in doc.annexes.enumerated() {
            var label = ParagraphFormat()
            label.pageBreakBefore = true
            label.alignment = "left"
            x += paragraph(doc.annexes.count == 1 ? "附件" : "附件\(i + 1)", label, RunFormat(font: .heiTi, size: Size.sanHao, condensed: true))
            if !annex.title.isEmpty {
                var p = ParagraphFormat()
                p.before = linePitch
                p.after = linePitch
                p.exactLine = nil
                p.alignment = "center"
                p.keepNext = true
                x += paragraph(annex.title, p, RunFormat(font: .xiaoBiaoSong, size: Size.erHao))
            }
            x += try blocksXML(annex.body, keepLastWithNext: false)
        }
        return x
    }

    static func blocksXML(_ blocks: [OfficialDocument.Block], keepLastWithNext: Bool) throws(DOCXError) -> String {
        var pieces: [Piece] = []
        var pendingBreaks = 0
        // A page break becomes "page break before" on the next paragraph, which
        // every reader honours without leaving an empty line at the top of the
        // new page. Extra consecutive breaks (blank pages) and breaks before a
        // table, where pageBreakBefore does not apply, use a paragraph holding
        // a <w:br w:type="page"/> instead.
        func takeBreaks(keepingOne: Bool) -> Bool {
            let explicit = keepingOne ? max(pendingBreaks - 1, 0) : pendingBreaks
            for _ in 0..<explicit { pieces.append(.xml(pageBreakParagraph)) }
            let before = keepingOne && pendingBreaks > 0
            pendingBreaks = 0
            return before
        }
        func add(_ text: String, _ format: ParagraphFormat, _ run: RunFormat) {
            var p = format
            p.pageBreakBefore = takeBreaks(keepingOne: true)
            p.indent = firstLineIndent
            pieces.append(.paragraph(text, p, run))
        }
        for block in blocks {
            switch block {
            case .pageBreak:
                pendingBreaks += 1
            case .paragraph(let text):
                let lines = text.split(whereSeparator: isLineBreak)
                    .map { String($0) }
                    .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                for line in lines {
                    add(line, ParagraphFormat(), bodyRun)
                }
            case .heading1(let text):
                var p = ParagraphFormat(style: "Heading1")
                p.keepNext = true
                p.outlineLevel = 0
                add(text, p, RunFormat(font: .heiTi, size: Size.sanHao, condensed: true))
            case .heading2(let text):
                var p = ParagraphFormat(style: "Heading2")
                p.keepNext = true
                p.outlineLevel = 1
                add(text, p, RunFormat(font: .kaiTi, size: Size.sanHao, condensed: true))
            case .table(let header, let rows, let widths, let alignments):
                let table = try tableXML(header: header, rows: rows, columnWidthsMM: widths, alignments: alignments ?? [])
                if !table.isEmpty {
                    _ = takeBreaks(keepingOne: false)
                    pieces.append(.xml(table))
                }
            }
        }
        // A break after the last block moves the signature and date to a new
        // page, which is what a caller ending the body with one asks for.
        _ = takeBreaks(keepingOne: false)
        // The last body paragraph stays on the page of the signature, so the
        // signature and date never stand alone on a page, which the standard
        // does not allow.
        if keepLastWithNext, case .paragraph(let text, var p, let run)? = pieces.last {
            p.keepNext = true
            pieces[pieces.count - 1] = .paragraph(text, p, run)
        }
        var x = ""
        for piece in pieces {
            switch piece {
            case .paragraph(let text, let p, let run): x += paragraph(text, p, run)
            case .xml(let xml): x += xml
            }
        }
        return x
    }

    /// Word cannot show more than 63 columns.
    static let maxTableColumns = 63

    static func tableXML(header: [String], rows: [[String]], columnWidthsMM: [Double]?,
                         alignments: [OfficialDocument.CellAlignment] = []) throws(DOCXError) -> String {
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        guard columns > 0 else { return "" }
        guard columns <= maxTableColumns else {
            throw DOCXError(message: "表格列数 \(columns) 超过上限 \(maxTableColumns)")
        }
        var widths: [Int]
        if let mm = columnWidthsMM {
            guard mm.count == columns else {
                throw DOCXError(message: "表格列宽有 \(mm.count) 个，但表格有 \(columns) 列")
            }
            guard mm.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw DOCXError(message: "表格列宽必须是正数")
            }
            widths = mm.map { max(twips(mm: $0), 1) }
            let total = widths.reduce(0, +)
            if total > textWidth {
                // Wider than the text block would print past the margin.
                widths = widths.map { max($0 * textWidth / total, 1) }
            }
        } else {
            let each = textWidth / columns
            widths = Array(repeating: each, count: columns)
            widths[columns - 1] += textWidth - each * columns
        }
        let total = widths.reduce(0, +)

        var x = "<w:tbl><w:tblPr>"
        x += #"<w:tblW w:w="\#(total)" w:type="dxa"/><w:jc w:val="center"/>"#
        x += "<w:tblBorders>"
        for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
            x += #"<w:\#(side) w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#
        }
        x += "</w:tblBorders>"
        // Fixed layout: the given widths hold whatever the cell contents.
        x += #"<w:tblLayout w:type="fixed"/>"#
        x += #"<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>"#
        x += #"<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>"#
        x += "</w:tblPr><w:tblGrid>"
        for w in widths { x += #"<w:gridCol w:w="\#(w)"/>"# }
        x += "</w:tblGrid>"

        if !header.isEmpty {
            x += tableRow(header, widths: widths, isHeader: true)
        }
        for row in rows {
            x += tableRow(row, widths: widths, isHeader: false, alignments: alignments)
        }
        x += "</w:tbl>"
        return x
    }

    /// Table text is 4号 (14 pt): 3号 leaves too few characters per cell on a
    /// 156 mm line. Exact 22 pt lines keep rows compact instead of a full
    /// 28.95 pt body line per line of text.
    static func tableRow(_ cells: [String], widths: [Int], isHeader: Bool, alignments: [OfficialDocument.CellAlignment] = []) -> String {
        // tblHeader repeats the row at the top of each page; cantSplit keeps a
        // row together so a record is never torn across pages.
        var x = "<w:tr><w:trPr><w:cantSplit/>" + (isHeader ? "<w:tblHeader/>" : "") + "</w:trPr>"
        for (column, width) in widths.enumerated() {
            let text = column < cells.count ? cells[column] : ""
            x += #"<w:tc><w:tcPr><w:tcW w:w="\#(width)" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>"#
            var p = ParagraphFormat()
            p.exactLine = 440
            let alignment = column < alignments.count ? alignments[column] : .left
            p.alignment = isHeader ? "center" : (alignment == .right ? "right" : alignment == .center ? "center" : "left")
            let r = RunFormat(font: isHeader ? .heiTi : .fangSong, size: Size.siHao)
            x += paragraph(text, p, r)
            x += "</w:tc>"
        }
        x += "</w:tr>"
        return x
    }

    /// 发文机关署名 and 成文日期 (GB/T 9704-2012 7.3.5.1, sealed documents):
    /// the date right-aligned four characters in from the right edge, the
    /// signature centred over the date. Three blank lines above leave room
    /// for the seal, whose top should be within a line of the body and whose
    /// lower half covers the signature and date.
    static func closing(_ doc: OfficialDocument) -> String {
        let dateText = doc.dateText ?? doc.date.chinese
        let dateRight = 400
        var x = ""
        if !doc.signature.isEmpty {
            // displayWidth is in half characters; the signature's right indent
            // is the date's plus half the difference of their widths.
            let signatureWidth = doc.signature.split(whereSeparator: isLineBreak)
                .map { XLSX.displayWidth(String($0)) }.max() ?? 0
            let offset = (XLSX.displayWidth(dateText) - signatureWidth) * 25   // hundredths of a character
            var p = ParagraphFormat()
            p.before = 3 * linePitch
            p.keepNext = true
            p.indent = rightIndent(hundredthsOfChar: max(dateRight + offset, 0))
            p.alignment = "right"
            x += paragraph(doc.signature, p, bodyRun)
        }
        var p = ParagraphFormat()
        p.before = doc.signature.isEmpty ? 3 * linePitch : 0
        p.indent = rightIndent(hundredthsOfChar: dateRight)
        p.alignment = "right"
        x += paragraph(dateText, p, bodyRun)
        return x
    }

    /// 版记 (7.4): 抄送 and 印发机关/印发日期 in 4号 仿宋 between rules, thick
    /// (1 pt ≈ 0.35 mm) above the first item and below the last, thin (0.75 pt
    /// ≈ 0.25 mm) between them, at the foot of the last page.
    ///
    /// A floating table anchored to the bottom of the text block carries it:
    /// paragraph frames (w:framePr) would do in Word, but LibreOffice 7.4
    /// drops the frame of bordered paragraphs, and table borders give the
    /// three rules directly. The table is centred on the page rather than on
    /// the margins: LibreOffice floats a margin-relative table only if text
    /// could fit beside it, and otherwise puts it inline right after the
    /// date. With mirrored margins the text block's centre is 1 mm off the
    /// page's (28 vs 26 mm), so the rules sit 1 mm towards the binding edge,
    /// within the standard's ±1 mm for margins.
    static func versionRecord(_ doc: OfficialDocument) -> String {
        let copyTo = doc.copyTo.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        let printedBy = doc.printedBy.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        let printedLine = printedBy != nil || doc.printedOn != nil
        guard copyTo != nil || printedLine else { return "" }

        let oneChar = 280   // one 4号 character; indents here are in twips, not grid characters
        let width = textWidth
        let run = RunFormat(font: .fangSong, size: Size.siHao)
        var x = "<w:tbl><w:tblPr>"
        x += #"<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0" w:vertAnchor="margin" w:horzAnchor="page" w:tblpXSpec="center" w:tblpYSpec="bottom"/>"#
        x += #"<w:tblW w:w="\#(width)" w:type="dxa"/>"#
        x += #"<w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/><w:left w:val="nil"/><w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/><w:right w:val="nil"/><w:insideH w:val="single" w:sz="6" w:space="0" w:color="000000"/><w:insideV w:val="nil"/></w:tblBorders>"#
        x += #"<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>"#
        x += #"<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>"#
        x += #"</w:tblPr><w:tblGrid><w:gridCol w:w="\#(width)"/></w:tblGrid>"#
        func row(_ text: String, _ format: ParagraphFormat) -> String {
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                + #"<w:tc><w:tcPr><w:tcW w:w="\#(width)" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>"#
                + paragraph(text, format, run) + "</w:tc></w:tr>"
        }
        if let copyTo {
            var text = "抄送：" + copyTo
            if !text.hasSuffix("。") { text += "。" }   // "最后一个抄送机关名称后标句号"
            var p = ParagraphFormat()
            // "左右各空一字", and wrapped lines align after "抄送：" (3 characters).
            p.indent = #"<w:ind w:left="\#(oneChar * 4)" w:right="\#(oneChar)" w:hanging="\#(oneChar * 3)"/>"#
            p.alignment = "left"
            x += row(text, p)
        }
        if printedLine {
            var p = ParagraphFormat()
            // 印发机关 one character in from the left, the date one character in
            // from the right through a right tab at the right indent (tab
            // positions count from the cell's left edge).
            p.indent = #"<w:ind w:left="\#(oneChar)" w:right="\#(oneChar)"/>"#
            p.rightTab = width - oneChar
            p.alignment = "left"
            var text = printedBy ?? ""
            if let on = doc.printedOn { text += "\t" + on.chinese + "印发" }
            x += row(text, p)
        }
        x += "</w:tbl>"
        // A document cannot end with a table, and a floating table is anchored
        // to the paragraph after it: a 1 pt empty paragraph serves both without
        // adding a visible line.
        x += #"<w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>"#
        return x
    }

    static let sectionXML =
        #"<w:sectPr><w:footerReference w:type="default" r:id="rId4"/><w:footerReference w:type="even" r:id="rId5"/>"#
        + #"<w:pgSz w:w="\#(pageWidth)" w:h="\#(pageHeight)"/>"#
        + #"<w:pgMar w:top="\#(marginTop)" w:right="\#(marginRight)" w:bottom="\#(marginBottom)" w:left="\#(marginLeft)" w:header="851" w:footer="\#(footerDistance)" w:gutter="0"/>"#
        + #"<w:cols w:space="425"/>"#
        + #"<w:docGrid w:type="linesAndChars" w:linePitch="\#(linePitch)" w:charSpace="\#(charSpace)"/></w:sectPr>"#

    // MARK: - Footers

    /// "— N —": 4号 宋体 half-width digits between full-width dashes (一字线),
    /// odd pages right ("单页码居右空一字"), even pages left ("双页码居左空一字").
    static func footerXML(odd: Bool) -> String {
        let r = RunFormat(font: .songTi, size: Size.siHao)
        var p = ParagraphFormat(style: "Footer")
        p.exactLine = 360
        p.alignment = odd ? "right" : "left"
        p.indent = odd ? #"<w:ind w:right="280"/>"# : #"<w:ind w:left="280"/>"#
        p.mark = r
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:p>"#
        x += p.xml
        x += run("— ", r)
        // A complex field (begin, instruction, separate, result, end), the form
        // Word itself writes; the cached result is what a reader that does not
        // evaluate fields shows.
        x += "<w:r>" + r.xml + #"<w:fldChar w:fldCharType="begin"/></w:r>"#
        x += "<w:r>" + r.xml + #"<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>"#
        x += "<w:r>" + r.xml + #"<w:fldChar w:fldCharType="separate"/></w:r>"#
        x += run(odd ? "1" : "2", r)
        x += "<w:r>" + r.xml + #"<w:fldChar w:fldCharType="end"/></w:r>"#
        x += run(" —", r)
        x += "</w:p></w:ftr>"
        return x
    }

    // MARK: - Package parts

    /// The same face for every script, so digits and Latin letters match the
    /// Chinese text; hint="eastAsia" makes ambiguous-width characters such as
    /// "—" and "“" take the Chinese font (full width), as Chinese typesetting wants.
    static func rFonts(_ font: Font) -> String {
        let n = XMLText.attribute(font.name)
        return #"<w:rFonts w:ascii="\#(n)" w:eastAsia="\#(n)" w:hAnsi="\#(n)" w:cs="\#(n)" w:hint="eastAsia"/>"#
    }

    /// Styles mirror the direct formatting so that a user who edits the
    /// notice in Word gets the right font from the style gallery too;
    /// "heading 1/2" carry outline levels for the navigation pane.
    static let stylesXML: String = {
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#
        x += "<w:docDefaults><w:rPrDefault><w:rPr>" + rFonts(.fangSong)
        x += #"<w:kern w:val="2"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>"#
        // No widow/orphan control: it would move single lines and break the
        // 22-lines-a-page count. No automatic space between Chinese and Latin
        // text, which would make "2026年" wider than its characters. Off the
        // character grid (see the type's comment) also for paragraphs a user adds.
        x += #"<w:pPrDefault><w:pPr><w:widowControl w:val="0"/><w:autoSpaceDE w:val="0"/><w:autoSpaceDN w:val="0"/><w:snapToGrid w:val="0"/><w:spacing w:line="\#(linePitch)" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault>"#
        x += "</w:docDefaults>"
        x += #"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:rPr><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>"#
        x += #"<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#
        x += #"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#
        x += #"<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr>"# + rFonts(.xiaoBiaoSong) + #"<w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>"#
        x += #"<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:ind w:firstLine="640" w:firstLineChars="200"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr>"# + rFonts(.heiTi) + "</w:rPr></w:style>"
        x += #"<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:ind w:firstLine="640" w:firstLineChars="200"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr>"# + rFonts(.kaiTi) + "</w:rPr></w:style>"
        x += #"<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr>"# + rFonts(.songTi) + #"<w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>"#
        x += "</w:styles>"
        return x
    }()

    /// charset 86 is GB2312 (hex, as Word writes it): where neither the font
    /// nor its altName is installed, Word picks another GB2312 font of the same
    /// family rather than a Western one.
    static let fontTableXML: String = {
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#
        for font in [Font.fangSong, .xiaoBiaoSong, .heiTi, .kaiTi, .songTi] {
            x += #"<w:font w:name="\#(XMLText.attribute(font.name))"><w:altName w:val="\#(XMLText.attribute(font.altName))"/>"#
            x += #"<w:charset w:val="86"/><w:family w:val="\#(font.family)"/><w:pitch w:val="variable"/></w:font>"#
        }
        x += "</w:fonts>"
        return x
    }()

    /// mirrorMargins: the 28 mm binding margin is on the left of odd pages and
    /// the right of even ones. doNotCompress keeps full-width punctuation full
    /// width, so lines keep 28 characters.
    static let settingsXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:zoom w:percent="100"/><w:mirrorMargins/><w:defaultTabStop w:val="420"/><w:evenAndOddHeaders/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat><w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/><w:decimalSymbol w:val="."/><w:listSeparator w:val=","/></w:settings>
    """#

    static let contentTypesXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>
    """#

    static let rootRelsXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>
    """#

    static let documentRelsXML = #"""
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer2.xml"/></Relationships>
    """#

    /// The title goes into File > Properties; as in XLSX, no created/modified
    /// dates, which would make the output depend on the clock.
    static func coreXML(title: String) -> String {
        var x = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        x += #"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
        let flat = title.split(whereSeparator: isLineBreak).joined(separator: " ")
        if !flat.isEmpty { x += "<dc:title>" + XMLText.text(flat) + "</dc:title>" }
        x += "<dc:creator>Liandong</dc:creator></cp:coreProperties>"
        return x
    }
}
