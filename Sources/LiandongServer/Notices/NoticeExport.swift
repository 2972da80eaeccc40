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

    /// A self-contained page (inline style, no script) that prints on A4 like the document.
    static func html(_ notice: NoticeDTO) -> String {
        let d = NoticeDocument(notice)
        var body = ""
        for block in d.blocks {
            switch block {
            case .paragraph(let t): body += "<p>\(escape(t))</p>\n"
            case .heading1(let t): body += "<h2>\(escape(t))</h2>\n"
            case .heading2(let t): body += "<h3>\(escape(t))</h3>\n"
            case .table(let header, let rows):
                body += "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
                body += rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>\n"
            }
        }
        return """
        <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>\(escape(d.title))</title><style>
        @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
        body { font-family: "仿宋_GB2312", FangSong, STFangsong, "Noto Serif CJK SC", "WenQuanYi Zen Hei", serif; font-size: 16pt; line-height: 28.9pt; }
        .mark { color: #c00000; text-align: center; font-size: 32pt; font-family: "方正小标宋简体", "STZhongsong", serif; letter-spacing: .1em; }
        .number { text-align: center; } hr.red { border: 0; border-top: 2.25pt solid #c00000; }
        h1 { font-size: 22pt; text-align: center; font-family: "方正小标宋简体", "STZhongsong", serif; font-weight: normal; }
        h2 { font-size: 16pt; font-family: "黑体", SimHei, sans-serif; font-weight: normal; text-indent: 2em; margin: 0; }
        h3 { font-size: 16pt; font-family: "楷体_GB2312", KaiTi, serif; font-weight: normal; text-indent: 2em; margin: 0; }
        p { text-indent: 2em; margin: 0; } p.addressee { text-indent: 0; }
        table { border-collapse: collapse; width: 100%; font-size: 14pt; } th, td { border: 1px solid #000; padding: 2pt 4pt; text-align: center; }
        .sign { text-align: right; margin-right: 4em; text-indent: 0; }
        </style></head><body>
        <div class="mark">\(escape(d.issuerMark))</div>
        <p class="number">\(escape(d.number))</p><hr class="red">
        <h1>\(escape(d.title))</h1>
        <p class="addressee">\(escape(d.addressee))：</p>
        \(body)<p class="sign">\(escape(d.signature))</p><p class="sign">\(escape(d.date.chinese))</p>
        </body></html>
        """
    }
    /// The notice as a Word document in the GB/T 9704 layout (Word and WPS open it).
    static func docx(_ notice: NoticeDTO) throws -> Data {
        try docx(NoticeDocument(notice))
    }

    /// Any document in the notice's layout (the notice itself, the year's assessment report).
    static func docx(_ d: NoticeDocument) throws -> Data {
        let blocks: [OfficialDocument.Block] = d.blocks.map { block in
            switch block {
            case .paragraph(let t): .paragraph(t)
            case .heading1(let t): .heading1(t)
            case .heading2(let t): .heading2(t)
            case .table(let header, let rows): .table(header: header, rows: rows, columnWidthsMM: [16, 80, 30, 30])
            }
        }
        let date = OfficialDate(year: d.date.year, month: d.date.month, day: d.date.day)
        let document = OfficialDocument(issuerMark: d.issuerMark, documentNumber: d.number, title: d.title, addressee: d.addressee,
                                        body: blocks, signature: d.signature, date: date,
                                        copyTo: "市应急管理局，市公安局。", printedBy: "中共丽水市委政法委员会办公室", printedOn: date)
        do {
            return try DOCX.write(document)
        } catch {
            throw AppError(.internalServerError, "生成 Word 文件失败：\(error.message)")
        }
    }
}
