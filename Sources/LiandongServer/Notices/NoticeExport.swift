import Foundation
import LiandongCore
import LiandongDocuments

/// A notice as a file: standalone printable HTML, or DOCX in the official layout.
enum NoticeExport {
    static func render(_ notice: NoticeDTO, format: String) throws -> Data {
        switch format {
        case "html": return Data(html(notice).utf8)
        case "docx": return try docx(notice)
        default: throw AppError(.badRequest, "导出格式应为 docx 或 html", field: "format")
        }
    }

    static func escape(_ s: String) -> String { SVGChart.escape(s) }

    static func htmlBlocks(_ blocks: [NoticeDocument.Block]) -> String {
        var body = ""
        for block in blocks {
            switch block {
            case .paragraph(let t): body += "<p>\(escape(t))</p>\n"
            case .heading1(let t): body += "<h2>\(escape(t))</h2>\n"
            case .heading2(let t): body += "<h3>\(escape(t))</h3>\n"
            case .table(let header, let rows, _, let align):
                body += "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
                body += rows.map { row in
                    "<tr>" + row.enumerated().map { i, cell in
                        let a = i < align.count ? align[i] : .left
                        return "<td class=\"\(a.rawValue)\">\(escape(cell))</td>"
                    }.joined() + "</tr>"
                }.joined() + "</tbody></table>\n"
            }
        }
        return body
    }

    /// A self-contained page (inline style, no script) that prints on A4 like the document.
    static func html(_ notice: NoticeDTO) -> String {
        let d = NoticeDocument(notice)
        var annex = ""
        if let a = d.annex {
            annex = "<section class=\"annex\"><p class=\"annex-label\">附件</p><h1>\(escape(a.title))</h1>\n\(htmlBlocks(a.blocks))</section>\n"
        }
        let note = d.annex.map { "<p class=\"attach\">附件：\(escape($0.title))</p>\n" } ?? ""
        return """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>\(escape(d.title))</title><style>
        @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
        body { font-family: "仿宋_GB2312", FangSong, STFangsong, "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; font-size: 16pt; line-height: 28.9pt; }
        .mark { color: #c00000; text-align: center; font-size: 32pt; font-family: "方正小标宋简体", "STZhongsong", serif; letter-spacing: .1em; }
        .number { text-align: center; } hr.red { border: 0; border-top: 2.25pt solid #c00000; }
        h1 { font-size: 22pt; text-align: center; font-family: "方正小标宋简体", "STZhongsong", serif; font-weight: normal; word-break: keep-all; }
        h2 { font-size: 16pt; font-family: "黑体", SimHei, sans-serif; font-weight: normal; text-indent: 2em; margin: 0; }
        h3 { font-size: 16pt; font-family: "楷体_GB2312", KaiTi, serif; font-weight: normal; text-indent: 2em; margin: 0; }
        p { text-indent: 2em; margin: 0; } p.addressee { text-indent: 0; }
        p.attach { margin-top: 28.9pt; padding-left: 5em; text-indent: -3em; }
        table { border-collapse: collapse; width: 100%; font-size: 14pt; } th, td { border: 1px solid #000; padding: 2pt 4pt; text-align: left; }
        th, td.center { text-align: center; } td.right { text-align: right; font-variant-numeric: tabular-nums; }
        .sign { text-align: right; margin-right: 4em; text-indent: 0; }
        .annex { break-before: page; page-break-before: always; }
        .annex p.annex-label { text-indent: 0; font-family: "黑体", SimHei, sans-serif; }
        </style></head><body>
        <div class="mark">\(escape(d.issuerMark))</div>
        <p class="number">\(escape(d.number))</p><hr class="red">
        <h1>\(d.titleLines.map(escape).joined(separator: "<br>"))</h1>
        <p class="addressee">\(escape(d.addressee))：</p>
        \(htmlBlocks(d.blocks))\(note)<p class="sign">\(escape(d.signature))</p><p class="sign">\(escape(d.dateText))</p>
        \(annex)</body></html>
        """
    }
    /// The notice as a Word document in the GB/T 9704 layout (Word and WPS open it).
    static func docx(_ notice: NoticeDTO) throws -> Data {
        try docx(NoticeDocument(notice))
    }

    /// Any document in the notice's layout (the notice itself, the year's assessment report).
    static func docx(_ d: NoticeDocument) throws -> Data {
        func official(_ blocks: [NoticeDocument.Block]) -> [OfficialDocument.Block] {
            blocks.map { block in
                switch block {
                case .paragraph(let t): .paragraph(t)
                case .heading1(let t): .heading1(t)
                case .heading2(let t): .heading2(t)
                case .table(let header, let rows, let widths, let align): .table(header: header, rows: rows, columnWidthsMM: widths, alignments: align.map(\.official))
                }
            }
        }
        // A draft prints its placeholder instead of a date and no 印发日期; `date` is then unused.
        let printed = d.date.map { OfficialDate(year: $0.year, month: $0.month, day: $0.day) }
        let document = OfficialDocument(issuerMark: d.issuerMark, documentNumber: d.number, title: d.titleLines.joined(separator: "\n"), addressee: d.addressee,
                                        body: official(d.blocks), signature: d.signature,
                                        date: printed ?? OfficialDate(year: 2000, month: 1, day: 1),
                                        copyTo: "市应急管理局，市公安局。", printedBy: "中共丽水市委政法委员会办公室", printedOn: printed,
                                        dateText: d.date == nil ? d.dateText : nil,
                                        annexes: d.annex.map { [OfficialDocument.Annex(title: $0.title, body: official($0.blocks))] } ?? [])
        do {
            return try DOCX.write(document)
        } catch {
            throw AppError(.internalServerError, "生成 Word 文件失败：\(error.message)")
        }
    }
}
