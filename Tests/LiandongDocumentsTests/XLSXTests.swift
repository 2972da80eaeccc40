import Foundation
import Testing
import ZIPFoundation
import LiandongDocuments

/// A deterministic sample workbook shared by the XLSX tests.
enum Sample {
    static let scores = XLSXSheet(
        name: "成绩/汇总[2024]",
        title: "2024 学年成绩单",
        header: ["姓名", "学号", "分数", "备注", "电话"],
        rows: [
            [.text("张三"), .integer(20240001), .number(85.5), .empty, .integer(13812345678)],
            [.text("李四 & <王五> \"引号\" 'x'"), .integer(2), .number(90), .text("备注\n两行"), .number(13912345678)],
            [.text("赵六"), .empty, .empty, .text("x")],
            [.text("控制\u{01}字符\u{0B}"), .number(-0.25), .text(" 空格 "), .text("_x0041_")],
        ],
        columnWidths: [12, 20],
        freezeHeader: true,
        landscape: true
    )

    static let second = XLSXSheet(
        name: "成绩/汇总[2024]",
        header: ["A", "B"],
        rows: [[.text("second"), .integer(1)]],
        freezeHeader: false
    )
}

/// Builds a zip from (path, text) pairs using ZIPFoundation directly, so the
/// reader is tested against files our writer did not produce.
func makeZip(_ files: [(String, String)]) throws -> Data {
    let archive = try Archive(accessMode: .create)
    for (path, text) in files {
        let data = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                             compressionMethod: .deflate) { position, size in
            let start = Int(position)
            return data.subdata(in: start..<min(start + size, data.count))
        }
    }
    return try #require(archive.data)
}

@Suite("XLSX")
struct XLSXTests {
    @Test func writeThenReadRoundTrip() throws {
        let data = try XLSX.write(sheets: [Sample.scores, Sample.second])
        #expect(data.starts(with: [0x50, 0x4B, 0x03, 0x04]))
        let rows = try XLSX.readRows(data)
        #expect(rows == [
            XLSXRow(number: 1, cells: ["2024 学年成绩单"]),
            XLSXRow(number: 2, cells: ["姓名", "学号", "分数", "备注", "电话"]),
            XLSXRow(number: 3, cells: ["张三", "20240001", "85.5", "", "13812345678"]),
            XLSXRow(number: 4, cells: ["李四 & <王五> \"引号\" 'x'", "2", "90", "备注\n两行", "13912345678"]),
            XLSXRow(number: 5, cells: ["赵六", "", "", "x"]),
            XLSXRow(number: 6, cells: ["控制字符", "-0.25", " 空格 ", "_x0041_"]),
        ])
    }

    @Test func outputIsDeterministic() throws {
        let a = try XLSX.write(sheets: [Sample.scores, Sample.second])
        let b = try XLSX.write(sheets: [Sample.scores, Sample.second])
        #expect(a == b)
    }

    @Test func entriesAreDeflatedAndPartsPresent() throws {
        let data = try XLSX.write(sheets: [Sample.scores])
        let archive = try Archive(data: data, accessMode: .read)
        let paths = Set(archive.map(\.path))
        #expect(paths == [
            "[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
            "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
        ])
        for entry in archive {
            #expect(entry.isCompressed, "\(entry.path) should be deflated")
        }
    }

    @Test func emptySheetListIsAnError() {
        #expect(throws: XLSXError.self) { try XLSX.write(sheets: []) }
    }

    @Test func nonFiniteNumbersBecomeEmptyCells() throws {
        let sheet = XLSXSheet(name: "n", header: ["v", "w"],
                              rows: [[.number(.nan), .text("a")], [.number(.infinity), .number(1.25)]])
        let rows = try XLSX.readRows(try XLSX.write(sheets: [sheet]))
        #expect(rows == [
            XLSXRow(number: 1, cells: ["v", "w"]),
            XLSXRow(number: 2, cells: ["", "a"]),
            XLSXRow(number: 3, cells: ["", "1.25"]),
        ])
    }

    @Test func readsHandBuiltWorkbook() throws {
        let files: [(String, String)] = [
            ("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
            <Default Extension="xml" ContentType="application/xml"/>
            </Types>
            """),
            ("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/xl/workbook.xml"/>
            </Relationships>
            """),
            ("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
            <sheets>
            <sheet name="成绩" sheetId="5" r:id="rId7"/>
            <sheet name="Sheet1" sheetId="1" r:id="rId1"/>
            </sheets>
            </workbook>
            """),
            ("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
            <Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/>
            <Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
            </Relationships>
            """),
            ("xl/sharedStrings.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">
            <si><r><rPr><b/><sz val="11"/></rPr><t>张</t></r><r><t xml:space="preserve">三 </t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh></si>
            <si><t>Hello &amp; &lt;world&gt;</t></si>
            <si><t>A_x000D_B</t></si>
            <si><t>WRONG SHEET</t></si>
            </sst>
            """),
            ("xl/worksheets/sheet1.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
            <sheetData><row r="1"><c r="A1" t="s"><v>3</v></c></row></sheetData>
            </worksheet>
            """),
            ("xl/worksheets/data.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
            <sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
            <row r="3"><c r="A3"><v>1.3812345678E10</v></c><c r="B3" t="b"><v>1</v></c><c r="C3" t="b"><v>0</v></c><c r="D3" t="e"><v>#DIV/0!</v></c></row>
            <row r="4"><c r="B4" t="str"><f>A3&amp;""</f><v>13812345678</v></c><c r="C4" t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r></is></c><c r="D4" s="1"/></row>
            <row r="5"><c r="A5" s="3"/><c r="B5" t="s"><v>2</v></c></row>
            <row r="6"><c r="A6" s="2"/></row>
            <row r="7"><c r="A7"><v>0.30000000000000004</v></c><c r="B7"><v>85.5</v></c><c r="C7"><f>SUM(1,2)</f><v>3</v></c><c r="D7"><v>1E+20</v></c><c r="E7"><v>1.5E-5</v></c><c r="F7"><v>123456789012345678</v></c></row>
            </sheetData>
            </worksheet>
            """),
        ]
        let rows = try XLSX.readRows(try makeZip(files))
        #expect(rows == [
            XLSXRow(number: 1, cells: ["张三 ", "", "Hello & <world>"]),
            XLSXRow(number: 3, cells: ["13812345678", "TRUE", "FALSE", "#DIV/0!"]),
            XLSXRow(number: 4, cells: ["", "13812345678", "内联"]),
            XLSXRow(number: 5, cells: ["", "A\rB"]),
            XLSXRow(number: 7, cells: ["0.3", "85.5", "3", "100000000000000000000", "0.000015", "123456789012345678"]),
        ])
    }

    /// Files produced with the OpenXML SDK use a prefixed namespace and may omit
    /// the optional r attributes on rows and cells.
    @Test func readsPrefixedXMLWithoutReferences() throws {
        let files: [(String, String)] = [
            ("xl/workbook.xml", """
            <x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:rel="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
            <x:sheets><x:sheet name="S" sheetId="1" rel:id="R1"/></x:sheets></x:workbook>
            """),
            ("xl/_rels/workbook.xml.rels", """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="R1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/s.xml"/>
            </Relationships>
            """),
            ("xl/worksheets/s.xml", """
            <x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
            <x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c></x:row>
            <x:row><x:c t="str"><x:v>b</x:v></x:c></x:row>
            </x:sheetData></x:worksheet>
            """),
        ]
        let rows = try XLSX.readRows(try makeZip(files))
        #expect(rows == [XLSXRow(number: 1, cells: ["a", "2"]), XLSXRow(number: 2, cells: ["b"])])
    }

    @Test func garbageIsRejected() {
        let garbage = Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        #expect(throws: XLSXError.invalidFileForTests) { try XLSX.readRows(garbage) }
        #expect(throws: XLSXError.self) { try XLSX.readRows(Data()) }
        #expect(throws: XLSXError.self) { try XLSX.readRows(Data("姓名,分数\r\n".utf8)) }
    }

    @Test func legacyXLSGetsSpecificMessage() {
        let ole2 = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + Data(count: 504)
        do {
            _ = try XLSX.readRows(ole2)
            Issue.record("OLE2 file was accepted")
        } catch {
            #expect(error.message.contains(".xls"))
        }
    }

    @Test func zipWithoutWorkbookIsRejected() throws {
        let zip = try makeZip([("word/document.xml", "<w:document xmlns:w=\"x\"/>"), ("readme.txt", "hi")])
        do {
            _ = try XLSX.readRows(zip)
            Issue.record("zip without a workbook was accepted")
        } catch {
            #expect(error.message.hasPrefix("不是有效的 XLSX 文件"))
        }
    }

    @Test func brokenSharedStringIndexIsRejected() throws {
        let zip = try makeZip([
            ("xl/workbook.xml", #"<workbook xmlns:r="r"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", #"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
            ("xl/worksheets/sheet1.xml", #"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>"#),
        ])
        #expect(throws: XLSXError.self) { try XLSX.readRows(zip) }
    }
}

extension XLSXError {
    static let invalidFileForTests = XLSXError(message: "不是有效的 XLSX 文件（无法作为 ZIP 压缩包打开）")
}
