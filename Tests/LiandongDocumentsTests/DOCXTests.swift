import Foundation
import Testing
import ZIPFoundation
import LiandongDocuments

/// Sample notices shared by the DOCX tests.
enum NoticeSample {
    static let title = "关于2026年第一季度社会应急联动工作监督检查情况的通报"

    static let notice = OfficialDocument(
        issuerMark: "丽水市社会应急联动工作通报",
        documentNumber: "丽应联通〔2026〕3号",
        title: title,
        addressee: "各县（市、区）应急联动中心，市级各应急联动单位",
        body: [
            .paragraph("2026年第一季度，全市各应急联动单位认真履行职责。现将有关情况通报如下。"),
            .heading1("一、总体情况"),
            .paragraph("本季度共开展电话抽查120次，实地检查15次。"),
            .heading2("（一）电话检查情况"),
            .table(header: ["序号", "单位", "扣分"],
                   rows: [["1", "市供电公司", "0"], ["2", "市自来水公司"]],
                   columnWidthsMM: [20, 100, 36]),
            .pageBreak,
            .heading1("二、下一步工作"),
            .paragraph("各单位要落实值班制度。\n\n确保值班电话畅通。"),
        ],
        signature: "丽水市社会应急联动中心",
        date: OfficialDate(year: 2026, month: 3, day: 4),
        copyTo: "市委政法委，市应急管理局",
        printedBy: "丽水市社会应急联动中心办公室",
        printedOn: OfficialDate(year: 2026, month: 3, day: 5)
    )

    static func writeTemporary(_ document: OfficialDocument, _ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("liandong-docx-\(label)-\(UUID().uuidString).docx")
        try DOCX.write(document).write(to: url)
        return url
    }
}

/// Runs a command through /usr/bin/env with output in files (so a large
/// output cannot block the child) and a time limit (so a hung LibreOffice
/// cannot hang the suite).
struct ToolRun {
    let status: Int32
    let stdout: Data
    let stderr: String

    var text: String { String(decoding: stdout, as: UTF8.self) }

    static func run(_ tool: String, _ arguments: [String], timeout: TimeInterval = 240) throws -> ToolRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            finished.wait()
        }
        try out.close()
        try err.close()
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return ToolRun(status: timedOut ? -1 : process.terminationStatus,
                       stdout: try Data(contentsOf: outURL),
                       stderr: timedOut ? "timed out after \(Int(timeout)) s\n" + stderr : stderr)
    }

    /// The first of `names` found as an executable on PATH.
    static func onPath(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}

/// Checks the DOCX writer with independent readers: python-docx for the
/// structure and LibreOffice for the rendered pages. A missing python-docx is
/// a failure, never a skip, or CI could go green without any check.
@Suite("DOCX")
struct DOCXTests {
    /// Dumps what python-docx sees as JSON, plus whether every XML part of the
    /// package parses on its own.
    private static let script = #"""
    import json, sys, zipfile, xml.dom.minidom
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(sys.argv[1])

    def first(el, path):
        found = el.xpath(path)
        return found[0] if found else None

    paragraphs = []
    for p in d.paragraphs:
        runs = p.runs
        r0 = runs[0] if runs else None
        east = sorted({r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs
                       if r._element.rPr is not None and r._element.rPr.rFonts is not None})
        color = None
        if r0 is not None and r0.font.color is not None and r0.font.color.type is not None:
            color = str(r0.font.color.rgb)
        bottom = first(p._p, "./w:pPr/w:pBdr/w:bottom")
        ind = first(p._p, "./w:pPr/w:ind")
        paragraphs.append({
            "text": p.text,
            "style": p.style.name if p.style is not None else None,
            "size": r0.font.size.pt if r0 is not None and r0.font.size is not None else None,
            "color": color,
            "eastAsia": east,
            "jc": first(p._p, "./w:pPr/w:jc/@w:val"),
            "firstLineChars": ind.get(qn("w:firstLineChars")) if ind is not None else None,
            "rightChars": ind.get(qn("w:rightChars")) if ind is not None else None,
            "bottomBorder": None if bottom is None else {
                "color": bottom.get(qn("w:color")), "sz": bottom.get(qn("w:sz"))},
            "pageBreakBefore": bool(p.paragraph_format.page_break_before),
            "keepNext": bool(p.paragraph_format.keep_with_next),
        })

    tables = []
    for t in d.tables:
        rows = [[c.text for c in row.cells] for row in t.rows]
        tables.append({
            "rows": rows,
            "headerRepeat": [bool(r._tr.xpath("./w:trPr/w:tblHeader")) for r in t.rows],
            "grid": [int(w) for w in t._tbl.xpath("./w:tblGrid/w:gridCol/@w:w")],
            "floating": first(t._tbl, "./w:tblPr/w:tblpPr/@w:tblpYSpec"),
            "cellSizes": sorted({r.font.size.pt for row in t.rows for c in row.cells
                                 for p in c.paragraphs for r in p.runs if r.font.size is not None}),
        })

    s = d.sections[0]
    grid = first(s._sectPr, "./w:docGrid")
    with zipfile.ZipFile(sys.argv[1]) as z:
        parts = [n for n in z.namelist() if n.endswith(".xml") or n.endswith(".rels")]
        broken = []
        for n in parts:
            try:
                xml.dom.minidom.parseString(z.read(n))
            except Exception as e:
                broken.append(n + ": " + str(e))
        fonts = xml.dom.minidom.parseString(z.read("word/fontTable.xml"))
        alt = {}
        for f in fonts.getElementsByTagName("w:font"):
            names = [a.getAttribute("w:val") for a in f.getElementsByTagName("w:altName")]
            alt[f.getAttribute("w:name")] = names[0] if names else None
        core = z.read("docProps/core.xml").decode()

    print(json.dumps({
        "paragraphs": paragraphs,
        "tables": tables,
        "section": {
            "width": s.page_width.mm, "height": s.page_height.mm,
            "top": s.top_margin.mm, "bottom": s.bottom_margin.mm,
            "left": s.left_margin.mm, "right": s.right_margin.mm,
            "gridType": grid.get(qn("w:type")), "linePitch": grid.get(qn("w:linePitch")),
            "charSpace": grid.get(qn("w:charSpace")),
        },
        "oddEven": bool(d.settings.odd_and_even_pages_header_footer),
        "footer": s.footer.paragraphs[0].text,
        "footerJc": first(s.footer.paragraphs[0]._p, "./w:pPr/w:jc/@w:val"),
        "footerField": "".join(s.footer._element.xpath(".//w:instrText/text()")),
        "evenFooter": s.even_page_footer.paragraphs[0].text,
        "evenFooterJc": first(s.even_page_footer.paragraphs[0]._p, "./w:pPr/w:jc/@w:val"),
        "evenFooterField": "".join(s.even_page_footer._element.xpath(".//w:instrText/text()")),
        "altNames": alt,
        "broken": broken,
        "coreHasDates": "dcterms:created" in core or "dcterms:modified" in core,
    }, ensure_ascii=False))
    """#

    /// Writes `document`, reads it back with python-docx and returns the JSON.
    private func inspect(_ document: OfficialDocument) throws -> [String: Any] {
        let check = try ToolRun.run("python3", ["-c", "import docx"])
        try #require(check.status == 0, "python-docx missing: pip install python-docx")
        let url = try NoticeSample.writeTemporary(document, "python")
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try ToolRun.run("python3", ["-c", Self.script, url.path])
        try #require(run.status == 0, "python-docx failed: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect(json["broken"] as? [String] == [], "XML parts that do not parse")
        return json
    }

    private func paragraphs(_ json: [String: Any]) throws -> [[String: Any]] {
        let all = try #require(json["paragraphs"] as? [[String: Any]])
        // The 1 pt paragraph that ends the document (anchor of the 版记) is empty.
        return all.filter { ($0["text"] as? String)?.isEmpty == false }
    }

    @Test func pythonDocxReadsNotice() throws {
        let json = try inspect(NoticeSample.notice)
        let paras = try paragraphs(json)
        let texts = paras.map { $0["text"] as? String ?? "" }
        #expect(texts == [
            "丽水市社会应急联动工作通报",
            "丽应联通〔2026〕3号",
            NoticeSample.title,
            "各县（市、区）应急联动中心，市级各应急联动单位：",
            "2026年第一季度，全市各应急联动单位认真履行职责。现将有关情况通报如下。",
            "一、总体情况",
            "本季度共开展电话抽查120次，实地检查15次。",
            "（一）电话检查情况",
            "二、下一步工作",
            "各单位要落实值班制度。",
            "确保值班电话畅通。",
            "丽水市社会应急联动中心",
            "2026年3月4日",
        ])
        guard texts.count == 13 else { return }
        func p(_ i: Int) -> [String: Any] { paras[i] }
        func size(_ i: Int) -> Double? { (p(i)["size"] as? NSNumber)?.doubleValue }
        func east(_ i: Int) -> [String]? { p(i)["eastAsia"] as? [String] }

        // 版头: red mark in 小标宋 (13 characters fit at 一号, 26 pt), number 3号
        // 仿宋 with the red 2.25 pt separator under it.
        #expect(p(0)["color"] as? String == "FF0000")
        #expect(size(0) == 26)
        #expect(east(0) == ["方正小标宋简体"])
        #expect(p(0)["jc"] as? String == "center")
        #expect(size(1) == 16)
        #expect(east(1) == ["仿宋_GB2312"])
        #expect(p(1)["jc"] as? String == "center")
        let separator = p(1)["bottomBorder"] as? [String: Any]
        #expect(separator?["color"] as? String == "FF0000")
        #expect(separator?["sz"] as? String == "18")

        // Title 2号 小标宋 centred; addressee flush left; body 3号 仿宋 indented.
        #expect(size(2) == 22)
        #expect(east(2) == ["方正小标宋简体"])
        #expect(p(2)["jc"] as? String == "center")
        #expect(p(2)["style"] as? String == "Title")
        #expect(p(3)["jc"] as? String == "left")
        #expect(p(3)["firstLineChars"] is NSNull)
        #expect(size(4) == 16)
        #expect(east(4) == ["仿宋_GB2312"])
        #expect(p(4)["firstLineChars"] as? String == "200")
        #expect(p(4)["color"] is NSNull)

        // Headings: 黑体 and 楷体 at 3号, outline styles, kept with the next paragraph.
        #expect(east(5) == ["黑体"])
        #expect(size(5) == 16)
        #expect(p(5)["style"] as? String == "Heading 1")
        #expect(p(5)["keepNext"] as? Bool == true)
        #expect(east(7) == ["楷体_GB2312"])
        #expect(p(7)["style"] as? String == "Heading 2")
        // The page break became "page break before" of the next heading.
        #expect(p(8)["pageBreakBefore"] as? Bool == true)
        #expect(p(9)["pageBreakBefore"] as? Bool == false)
        // The last body paragraph stays with the signature.
        #expect(p(10)["keepNext"] as? Bool == true)

        // Signature centred over the date: 11 characters against 6, so 4 − 2.5
        // characters from the right; the date four characters in.
        #expect(p(11)["jc"] as? String == "right")
        #expect(p(11)["rightChars"] as? String == "150")
        #expect(p(12)["jc"] as? String == "right")
        #expect(p(12)["rightChars"] as? String == "400")

        // The content table and the 版记 table.
        let tables = try #require(json["tables"] as? [[String: Any]])
        try #require(tables.count == 2)
        #expect(tables[0]["rows"] as? [[String]] == [
            ["序号", "单位", "扣分"], ["1", "市供电公司", "0"], ["2", "市自来水公司", ""],
        ])
        #expect(tables[0]["headerRepeat"] as? [Bool] == [true, false, false])
        #expect(tables[0]["grid"] as? [Int] == [1134, 5669, 2041])
        #expect(tables[0]["cellSizes"] as? [Double] == [14])
        #expect(tables[0]["floating"] is NSNull)
        #expect(tables[1]["rows"] as? [[String]] == [
            ["抄送：市委政法委，市应急管理局。"],
            ["丽水市社会应急联动中心办公室\t2026年3月5日印发"],
        ])
        #expect(tables[1]["floating"] as? String == "bottom")
        #expect(tables[1]["cellSizes"] as? [Double] == [14])

        // A4, GB/T 9704 margins, the 22 × 28 grid.
        let section = try #require(json["section"] as? [String: Any])
        func mm(_ key: String) -> Double { (section[key] as? NSNumber)?.doubleValue ?? -1 }
        #expect(abs(mm("width") - 210) < 0.5)
        #expect(abs(mm("height") - 297) < 0.5)
        #expect(abs(mm("top") - 37) <= 1)
        #expect(abs(mm("bottom") - 35) <= 1)
        #expect(abs(mm("left") - 28) <= 1)
        #expect(abs(mm("right") - 26) <= 1)
        #expect(section["gridType"] as? String == "linesAndChars")
        #expect(section["linePitch"] as? String == "579")
        #expect(section["charSpace"] as? String == "-842")

        // Page numbers: a PAGE field between 一字线, odd right and even left.
        #expect(json["oddEven"] as? Bool == true)
        #expect(json["footer"] as? String == "— 1 —")
        #expect(json["footerJc"] as? String == "right")
        #expect((json["footerField"] as? String)?.trimmingCharacters(in: .whitespaces) == "PAGE")
        #expect(json["evenFooterJc"] as? String == "left")
        #expect((json["evenFooterField"] as? String)?.trimmingCharacters(in: .whitespaces) == "PAGE")

        // Official fonts with their fallbacks.
        let alt = try #require(json["altNames"] as? [String: Any])
        #expect(alt["仿宋_GB2312"] as? String == "FangSong")
        #expect(alt["黑体"] as? String == "SimHei")
        #expect(alt["楷体_GB2312"] as? String == "KaiTi")
        #expect(alt["方正小标宋简体"] as? String != nil)
        #expect(json["coreHasDates"] as? Bool == false)
    }

    @Test func specialCharactersAndLongTitleRoundTrip() throws {
        let longTitle = String(repeating: "关于进一步加强社会应急联动单位值班值守工作的", count: 6) + "通报"
        let tricky = "A&B <c> \"引号\" 'x' ]]> \u{01}控制\u{0B}字符\u{FFFE} 𠀀 😀 _x0041_"
        var doc = NoticeSample.notice
        doc.title = longTitle
        doc.issuerMark = "丽水市<应急>&联动"
        doc.addressee = "各单位 & \"部门\":"
        doc.body = [
            .paragraph(tricky),
            .heading1("一、<标题> & 'x'"),
            .table(header: ["<th>", "&"], rows: [["a\tb", "第一行\n第二行"]], columnWidthsMM: nil),
        ]
        doc.signature = "机关 & 单位"
        doc.copyTo = "A & B。"
        doc.printedBy = nil
        doc.printedOn = nil

        let json = try inspect(doc)
        let texts = try paragraphs(json).map { $0["text"] as? String ?? "" }
        let stripped = "A&B <c> \"引号\" 'x' ]]> 控制字符 𠀀 😀 _x0041_"
        #expect(texts == [
            "丽水市<应急>&联动",
            "丽应联通〔2026〕3号",
            longTitle,
            "各单位 & \"部门\"：",
            stripped,
            "一、<标题> & 'x'",
            "机关 & 单位",
            "2026年3月4日",
        ])
        let tables = try #require(json["tables"] as? [[String: Any]])
        try #require(tables.count == 2)
        #expect(tables[0]["rows"] as? [[String]] == [["<th>", "&"], ["a\tb", "第一行\n第二行"]])
        // Equal columns by default: 8845 twips over two.
        #expect(tables[0]["grid"] as? [Int] == [4422, 4423])
        // Only 抄送, so one row, and its "。" is not doubled.
        #expect(tables[1]["rows"] as? [[String]] == [["抄送：A & B。"]])
    }

    @Test func tableWithManyRows() throws {
        let rows = (1...400).map { ["\($0)", "单位\($0)", "\($0 % 5)", "备注 \($0) & <x>"] }
        var doc = NoticeSample.notice
        doc.body = [.table(header: ["序号", "单位", "扣分", "备注"], rows: rows, columnWidthsMM: [20, 80, 30, 60])]
        let json = try inspect(doc)
        let tables = try #require(json["tables"] as? [[String: Any]])
        try #require(tables.count == 2)
        let read = try #require(tables[0]["rows"] as? [[String]])
        #expect(read.count == 401)
        #expect(read.first == ["序号", "单位", "扣分", "备注"])
        #expect(read.last == ["400", "单位400", "0", "备注 400 & <x>"])
        #expect(Array(read.dropFirst()) == rows)
        let repeatFlags = try #require(tables[0]["headerRepeat"] as? [Bool])
        #expect(repeatFlags.first == true)
        #expect(repeatFlags.dropFirst().allSatisfy { !$0 })
        // 190 mm is wider than the 156 mm text block: scaled down to fit.
        let grid = try #require(tables[0]["grid"] as? [Int])
        #expect(grid.reduce(0, +) <= 8845)
        #expect(grid.reduce(0, +) > 8800)
        #expect(grid[1] == 4 * grid[0] || abs(grid[1] - 4 * grid[0]) <= 4)
    }

    @Test func outputIsDeterministic() throws {
        let first = try DOCX.write(NoticeSample.notice)
        let second = try DOCX.write(NoticeSample.notice)
        #expect(first == second)
        #expect(first.starts(with: [0x50, 0x4B, 0x03, 0x04]))
        var changed = NoticeSample.notice
        changed.date = OfficialDate(year: 2026, month: 3, day: 5)
        #expect(try DOCX.write(changed) != first)

        // Every entry carries the same fixed timestamp, and no part carries a date.
        let archive = try Archive(data: first, accessMode: .read)
        let dates = Set(archive.map { $0.fileAttributes[.modificationDate] as? Date })
        #expect(dates.count == 1)
        let paths = archive.map(\.path)
        #expect(paths.contains("word/document.xml"))
        #expect(paths.contains("word/footer1.xml") && paths.contains("word/footer2.xml"))
        #expect(paths.contains("word/fontTable.xml"))
    }

    @Test func issuerMarkSizeFitsTheLine() throws {
        // 9 characters fit at 初号 (42 pt), 13 at 一号 (26 pt), 25 only at 二号.
        let cases: [(String, Int)] = [
            ("丽水市应急联动文件", 84),
            ("丽水市社会应急联动工作通报", 52),
            (String(repeating: "联", count: 25), 44),
        ]
        for (mark, halfPoints) in cases {
            var doc = NoticeSample.notice
            doc.issuerMark = mark
            let xml = try documentXML(DOCX.write(doc))
            let firstParagraph = try #require(xml.range(of: "<w:p>").flatMap { start in
                xml.range(of: "</w:p>", range: start.upperBound..<xml.endIndex).map { xml[start.lowerBound..<$0.upperBound] }
            })
            #expect(firstParagraph.contains(#"<w:sz w:val="\#(halfPoints)"/>"#), "\(mark)")
            #expect(firstParagraph.contains(#"<w:color w:val="FF0000"/>"#))
        }
    }

    @Test func invalidInputIsRejected() {
        var doc = NoticeSample.notice
        doc.date = OfficialDate(year: 2026, month: 2, day: 29)
        #expect(throws: DOCXError.self) { try DOCX.write(doc) }
        doc.date = OfficialDate(year: 2024, month: 2, day: 29)   // leap year
        #expect(throws: Never.self) { try DOCX.write(doc) }
        doc.date = OfficialDate(year: 2026, month: 13, day: 1)
        #expect(throws: DOCXError.self) { try DOCX.write(doc) }

        doc = NoticeSample.notice
        doc.printedOn = OfficialDate(year: 2026, month: 4, day: 31)
        #expect(throws: DOCXError.self) { try DOCX.write(doc) }

        doc = NoticeSample.notice
        doc.body = [.table(header: ["a", "b"], rows: [], columnWidthsMM: [10])]
        #expect(throws: DOCXError(message: "表格列宽有 1 个，但表格有 2 列")) { try DOCX.write(doc) }
        doc.body = [.table(header: ["a"], rows: [], columnWidthsMM: [-1])]
        #expect(throws: DOCXError.self) { try DOCX.write(doc) }
        doc.body = [.table(header: Array(repeating: "x", count: 64), rows: [], columnWidthsMM: nil)]
        #expect(throws: DOCXError.self) { try DOCX.write(doc) }
        // An empty table is left out rather than written as an invalid <w:tbl>.
        doc.body = [.table(header: [], rows: [], columnWidthsMM: nil)]
        #expect(throws: Never.self) { try DOCX.write(doc) }
    }

    /// Issue 18: numbers right-aligned, a draft's placeholder for the date, and an annex after
    /// the signature, on a page of its own, named under the body, before the 版记.
    @Test func alignedCellsDatePlaceholderAndAnnex() throws {
        var doc = NoticeSample.notice
        doc.body = [.table(header: ["序号", "单位", "扣分"], rows: [["1", "市水利局", "0.5"]], columnWidthsMM: [20, 80, 30], alignments: [.center, .left, .right])]
        doc.dateText = "成文日期：发布时填写"
        doc.annexes = [.init(title: "扣分明细表", body: [.table(header: ["序号", "扣分"], rows: [["1", "2"]], columnWidthsMM: nil, alignments: [.center, .right])])]
        let xml = try documentXML(DOCX.write(doc))
        func cell(_ text: String) -> Substring? {
            guard let t = xml.range(of: #"<w:t xml:space="preserve">\#(text)</w:t>"#), let start = xml.range(of: "<w:tc>", options: .backwards, range: xml.startIndex..<t.lowerBound) else { return nil }
            return xml[start.lowerBound..<t.lowerBound]
        }
        #expect(cell("0.5")?.contains(#"<w:jc w:val="right"/>"#) == true)
        #expect(cell("2")?.contains(#"<w:jc w:val="right"/>"#) == true)
        #expect(cell("市水利局")?.contains(#"<w:jc w:val="left"/>"#) == true)
        #expect(cell("扣分")?.contains(#"<w:jc w:val="center"/>"#) == true)
        #expect(xml.contains("成文日期：发布时填写") && !xml.contains(doc.date.chinese + "</w:t>"))
        let note = try #require(xml.range(of: "附件：扣分明细表"))
        let sign = try #require(xml.range(of: doc.signature))
        let label = try #require(xml.range(of: #"<w:t xml:space="preserve">附件</w:t>"#))
        let record = try #require(xml.range(of: "抄送："))
        #expect(note.lowerBound < sign.lowerBound && sign.lowerBound < label.lowerBound && label.lowerBound < record.lowerBound)
        let labelParagraph = xml[try #require(xml.range(of: "<w:p>", options: .backwards, range: xml.startIndex..<label.lowerBound)).lowerBound..<label.lowerBound]
        #expect(labelParagraph.contains("<w:pageBreakBefore/>") && labelParagraph.contains("黑体") && labelParagraph.contains(#"<w:jc w:val="left"/>"#))
    }

    @Test func dateIsPrintedWithoutLeadingZeros() {
        #expect(OfficialDate(year: 2026, month: 3, day: 4).chinese == "2026年3月4日")
        #expect(OfficialDate(year: 2026, month: 12, day: 31).chinese == "2026年12月31日")
    }

    private func documentXML(_ data: Data) throws -> String {
        let archive = try Archive(data: data, accessMode: .read)
        let entry = try #require(archive["word/document.xml"])
        var xml = Data()
        _ = try archive.extract(entry) { xml.append($0) }
        return String(decoding: xml, as: UTF8.self)
    }

    // MARK: - LibreOffice

    /// Renders a multi-page notice to PDF with LibreOffice and reads the text
    /// back with pdftotext. Without LibreOffice the test passes with a note,
    /// unless LIANDONG_REQUIRE_LIBREOFFICE is set (to anything non-empty, e.g.
    /// 1), in which case it fails, so CI that installs LibreOffice cannot
    /// silently lose the check.
    @Test func libreOfficeRendersPDF() throws {
        let required = !(ProcessInfo.processInfo.environment["LIANDONG_REQUIRE_LIBREOFFICE"] ?? "").isEmpty
        guard let soffice = ToolRun.onPath(["soffice", "libreoffice"]) else {
            if required {
                Issue.record("LibreOffice missing (LIANDONG_REQUIRE_LIBREOFFICE is set): apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils")
            } else {
                print("note: LibreOffice not on PATH; PDF rendering of the DOCX writer not checked")
            }
            return
        }
        try #require(ToolRun.onPath(["pdftotext"]) != nil, "pdftotext missing: apt-get install poppler-utils")

        // 26 + 28 + 28 + 2 characters: one full line of 28 if the grid holds.
        let longParagraph = String(repeating: "测", count: 84)
        var body: [OfficialDocument.Block] = [.paragraph(longParagraph)]
        body += (1...60).map { .paragraph("第\($0)段。") }
        body.append(.pageBreak)
        body.append(.table(header: ["序号", "单位名称", "扣分"],
                           rows: (1...80).map { ["\($0)", "表格行\($0)", "1"] },
                           columnWidthsMM: nil))
        var doc = NoticeSample.notice
        doc.body = body

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liandong-lo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let docx = dir.appendingPathComponent("notice.docx")
        try DOCX.write(doc).write(to: docx)

        // A private profile: tests run in parallel and a shared LibreOffice
        // profile is locked by the first instance.
        let profile = dir.appendingPathComponent("profile").absoluteString
        let convert = try ToolRun.run(soffice, ["-env:UserInstallation=\(profile)", "--headless",
                                                "--convert-to", "pdf", "--outdir", dir.path, docx.path])
        let pdf = dir.appendingPathComponent("notice.pdf")
        try #require(convert.status == 0 && FileManager.default.fileExists(atPath: pdf.path),
                     "LibreOffice conversion failed: \(convert.stderr)")

        // -raw keeps the spaces around the page number that layout mode drops.
        let text = try ToolRun.run("pdftotext", ["-raw", pdf.path, "-"])
        try #require(text.status == 0, "pdftotext failed: \(text.stderr)")
        let pages = text.text.components(separatedBy: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        try #require(pages.count >= 4, "expected several pages, got \(pages.count)")
        func squeezed(_ s: String) -> String { s.filter { !$0.isWhitespace } }

        #expect(squeezed(pages[0]).contains(squeezed(NoticeSample.title)))
        #expect(pages[0].contains("丽水市社会应急联动工作通报"))
        #expect(pages[0].contains("— 1 —"))
        #expect(pages[1].contains("— 2 —"))

        let lines = text.text.components(separatedBy: .newlines)
        // 28 characters a line.
        #expect(lines.contains(String(repeating: "测", count: 28)), "no line of 28 characters")
        // 22 lines a page: page 2 holds nothing but one-line body paragraphs.
        let bodyLines = pages[1].components(separatedBy: .newlines)
            .filter { $0.hasPrefix("第") && $0.hasSuffix("段。") }
        #expect(bodyLines.count == 22, "page 2 has \(bodyLines.count) body lines")

        // The header row repeats on every page the table runs over.
        let tablePages = pages.filter { $0.contains("表格行") }
        #expect(tablePages.count >= 2)
        #expect(tablePages.allSatisfy { $0.contains("单位名称") })

        // Signature, date and 版记 end the document.
        let last = try #require(pages.last)
        #expect(last.contains("2026年3月4日") || squeezed(last).contains("2026年3月4日"))
        #expect(squeezed(last).contains("抄送：市委政法委，市应急管理局。"))
        #expect(squeezed(last).contains("2026年3月5日印发"))
    }
}
