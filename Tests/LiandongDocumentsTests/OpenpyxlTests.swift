import Foundation
import Testing
import LiandongDocuments

/// Checks our XLSX output with an independent, widely used reader (openpyxl).
/// A missing openpyxl is a test failure, never a silent skip: otherwise CI
/// could go green without the output ever being validated.
@Suite("XLSX through openpyxl")
struct OpenpyxlTests {
    private struct Run {
        let status: Int32
        let stdout: Data
        let stderr: String
    }

    private func python(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain the pipes before waiting so a large output cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout,
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    private static let script = #"""
    import json, sys, openpyxl
    wb = openpyxl.load_workbook(sys.argv[1])
    sheets = []
    for ws in wb.worksheets:
        ps = ws.page_setup
        spr = ws.sheet_properties.pageSetUpPr
        header_row = 2 if ws.cell(row=1, column=1).font.sz == 16 else 1
        h = ws.cell(row=header_row, column=1)
        sheets.append({
            "name": ws.title,
            "values": [list(r) for r in ws.iter_rows(values_only=True)],
            "freeze": ws.freeze_panes,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "print_title_rows": ws.print_title_rows,
            "orientation": ps.orientation,
            "paper": str(ps.paperSize),
            "fit_width": ps.fitToWidth,
            "fit_height": ps.fitToHeight,
            "fit_to_page": bool(spr.fitToPage) if spr is not None else False,
            "title_size": ws.cell(row=1, column=1).font.sz,
            "header_bold": bool(h.font.b),
            "header_fill": h.fill.fgColor.rgb,
            "header_border": h.border.left.style,
            "header_wrap": bool(h.alignment.wrap_text),
            "header_center": h.alignment.horizontal,
            "font_name": ws.cell(row=header_row + 1, column=1).font.name,
            "formats": [ws.cell(row=header_row + 1, column=c).number_format for c in range(1, ws.max_column + 1)],
            "body_border": ws.cell(row=header_row + 1, column=1).border.bottom.style,
        })
    print(json.dumps({"sheets": sheets, "active": wb.active.title}, ensure_ascii=False, default=str))
    """#

    @Test func openpyxlReadsWorkbook() throws {
        let check = try python(["-c", "import openpyxl"])
        try #require(check.status == 0, "openpyxl missing: pip install openpyxl")

        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("liandong-openpyxl-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        try XLSX.write(sheets: [Sample.scores, Sample.second]).write(to: url)

        let run = try python(["-c", Self.script, url.path])
        try #require(run.status == 0, "openpyxl failed: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        let sheets = try #require(json["sheets"] as? [[String: Any]])
        try #require(sheets.count == 2)
        #expect(json["active"] as? String == "成绩_汇总_2024_")

        // First sheet: title, header, data, layout and print setup.
        let first = sheets[0]
        #expect(first["name"] as? String == "成绩_汇总_2024_")
        let values = try #require(first["values"] as? [[Any]])
        func cell(_ row: Int, _ column: Int) -> Any { values[row][column] }
        #expect(values.count == 6)
        #expect(cell(0, 0) as? String == "2024 学年成绩单")
        #expect(values[1].map { $0 as? String } == ["姓名", "学号", "分数", "备注", "电话"])
        #expect(cell(2, 0) as? String == "张三")
        #expect((cell(2, 1) as? NSNumber)?.intValue == 20240001)
        #expect((cell(2, 2) as? NSNumber)?.doubleValue == 85.5)
        #expect(cell(2, 3) is NSNull)
        #expect((cell(2, 4) as? NSNumber)?.int64Value == 13812345678)
        #expect(cell(3, 0) as? String == "李四 & <王五> \"引号\" 'x'")
        #expect(cell(3, 3) as? String == "备注\n两行")
        #expect((cell(3, 4) as? NSNumber)?.int64Value == 13912345678)
        #expect(cell(5, 0) as? String == "控制字符")
        #expect(cell(5, 2) as? String == " 空格 ")
        // openpyxl does not decode _xHHHH_, so an escaped literal shows its escape;
        // Excel shows "_x0041_". What matters is that it is not "A".
        #expect((cell(5, 3) as? String).map { $0 != "A" && $0.contains("x0041_") } == true)

        #expect(first["freeze"] as? String == "A3")
        #expect(first["merged"] as? [String] == ["A1:E1"])
        #expect(first["print_title_rows"] as? String == "$1:$2")
        #expect(first["orientation"] as? String == "landscape")
        #expect(first["paper"] as? String == "9")
        #expect((first["fit_width"] as? NSNumber)?.intValue == 1)
        #expect((first["fit_height"] as? NSNumber)?.intValue == 0)
        #expect(first["fit_to_page"] as? Bool == true)
        #expect((first["title_size"] as? NSNumber)?.doubleValue == 16)
        #expect(first["header_bold"] as? Bool == true)
        #expect(first["header_fill"] as? String == "FFD9D9D9")
        #expect(first["header_border"] as? String == "thin")
        #expect(first["header_wrap"] as? Bool == true)
        #expect(first["header_center"] as? String == "center")
        #expect(first["font_name"] as? String == "宋体")
        #expect(first["body_border"] as? String == "thin")
        #expect(first["formats"] as? [String] == ["General", "0", "0.0", "General", "0"])

        let widths = try #require(first["widths"] as? [String: Any])
        func width(_ letter: String) -> Double? { (widths[letter] as? NSNumber)?.doubleValue }
        #expect(width("A") == 12)
        #expect(width("B") == 20)
        // Widest is " 空格 " (1 + 2 + 2 + 1 = 6; the header "分数" counts 4 + 1 for bold) + 2 padding.
        #expect(width("C") == 8)
        // Longest is "_x0041_" (7); "备注\n两行" counts its longest line (4). Padding 2 → 9.
        #expect(width("D") == 9)
        // .number(13912345678) is shown as "13912345678.0" (13) + 2 padding.
        #expect(width("E") == 15)

        // Second sheet: duplicate name made unique, no title, no freeze, portrait.
        let second = sheets[1]
        #expect(second["name"] as? String == "成绩_汇总_2024_ (2)")
        let secondValues = try #require(second["values"] as? [[Any]])
        #expect(secondValues.count == 2)
        #expect(secondValues[1].first as? String == "second")
        #expect(second["freeze"] is NSNull)
        #expect(second["merged"] as? [String] == [])
        #expect(second["print_title_rows"] as? String == "$1:$1")
        #expect(second["orientation"] as? String == "portrait")
    }
    /// The reverse direction: a workbook written by openpyxl (another real
    /// writer) whose first tab was inserted last, read by `XLSX.readRows`.
    @Test func readRowsReadsOpenpyxlWorkbook() throws {
        let check = try python(["-c", "import openpyxl"])
        try #require(check.status == 0, "openpyxl missing: pip install openpyxl")

        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("liandong-openpyxl-in-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        let script = """
        import sys, openpyxl
        wb = openpyxl.Workbook()
        wb.active.title = "Other"
        wb.active["A1"] = "not me"
        ws = wb.create_sheet("名单", 0)
        ws.append(["姓名", 13812345678, 1.5, True, None, "x"])
        ws["A3"] = 0.1 + 0.2
        ws["C3"] = "=1+1"
        ws["D4"] = -7
        wb.save(sys.argv[1])
        """
        let run = try python(["-c", script, url.path])
        try #require(run.status == 0, "openpyxl failed: \(run.stderr)")

        let rows = try XLSX.readRows(try Data(contentsOf: url))
        #expect(rows == [
            XLSXRow(number: 1, cells: ["姓名", "13812345678", "1.5", "TRUE", "", "x"]),
            // openpyxl stores no cached value for formulas, so C3 is empty.
            XLSXRow(number: 3, cells: ["0.3"]),
            XLSXRow(number: 4, cells: ["", "", "", "-7"]),
        ])
    }
}
