import Foundation
import Testing
import LiandongDocuments

@Suite("CSV")
struct CSVTests {
    private func parse(_ text: String) throws -> [CSVRecord] {
        try CSV.parse(Data(text.utf8))
    }

    @Test func stripsUTF8BOM() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Data("姓名,分数\r\n张三,90\r\n".utf8)
        let records = try CSV.parse(data)
        #expect(records == [
            CSVRecord(line: 1, fields: ["姓名", "分数"]),
            CSVRecord(line: 2, fields: ["张三", "90"]),
        ])
    }

    @Test(arguments: ["\r\n", "\n", "\r"])
    func acceptsLineEnding(_ end: String) throws {
        let records = try parse("a,b\(end)c,d\(end)e,f")
        #expect(records == [
            CSVRecord(line: 1, fields: ["a", "b"]),
            CSVRecord(line: 2, fields: ["c", "d"]),
            CSVRecord(line: 3, fields: ["e", "f"]),
        ])
    }

    @Test func mixedLineEndingsAndTrailingNewline() throws {
        let records = try parse("a\r\nb\nc\rd\r\n")
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(records.map(\.fields) == [["a"], ["b"], ["c"], ["d"]])
    }

    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\",\"line1\nline2\"\nnext,row\r\n\"x\r\ny\r\nz\",1\nlast"
        let records = try parse(text)
        #expect(records == [
            CSVRecord(line: 1, fields: ["a", "b,c", "say \"hi\"", "line1\nline2"]),
            // The first record spans lines 1-2, so the next one starts on line 3.
            CSVRecord(line: 3, fields: ["next", "row"]),
            CSVRecord(line: 4, fields: ["x\r\ny\r\nz", "1"]),
            // "x\r\ny\r\nz" spans lines 4-6.
            CSVRecord(line: 7, fields: ["last"]),
        ])
    }

    @Test func emptyFieldsAndQuotedEmpty() throws {
        let records = try parse("a,,\"\",b\n,x\n")
        #expect(records.map(\.fields) == [["a", "", "", "b"], ["", "x"]])
    }

    @Test func skipsBlankRecordsButKeepsLineNumbers() throws {
        let records = try parse("a\n\n\r\nb\n,,\n\"\"\nc")
        #expect(records == [
            CSVRecord(line: 1, fields: ["a"]),
            CSVRecord(line: 4, fields: ["b"]),
            CSVRecord(line: 7, fields: ["c"]),
        ])
        #expect(try parse("").isEmpty)
        #expect(try parse("\r\n\r\n").isEmpty)
    }

    @Test func unterminatedQuoteNamesTheLine() {
        let text = "姓名,备注\n张三,\"没有结束\n李四,ok\n"
        #expect {
            try CSV.parse(Data(text.utf8))
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.line == 2 && error.message.hasPrefix("第2行：") && error.message.contains("引号未闭合")
        }
    }

    @Test func invalidUTF8IsRejectedWithSaveAsHint() {
        // "张三" in GBK, as Excel's plain "CSV (逗号分隔)" would save it.
        var data = Data("name,score\r\n".utf8)
        data.append(contentsOf: [0xD5, 0xC5, 0xC8, 0xFD])
        data.append(contentsOf: Array(",90\r\n".utf8))
        do {
            _ = try CSV.parse(data)
            Issue.record("GBK input was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("UTF-8"))
            #expect(error.message.contains("CSV UTF-8"))
            #expect(error.description == error.message)
        }
    }

    @Test func writeThenParseRoundTrip() throws {
        let rows: [[String]] = [
            ["姓名", "备注", "数字"],
            ["逗号,分隔", "引号\"在中间\"", "12"],
            ["换行\n第二行", "回车\r换行\r\n混合", ""],
            [" 前后空格 ", "", "'已有单引号"],
            ["中文：测试《书名》", "emoji 👍🏽", "a\"\"b"],
        ]
        let data = CSV.write(rows)
        #expect(data.starts(with: [0xEF, 0xBB, 0xBF]))
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        #expect(text.hasPrefix("姓名,备注,数字\r\n"))
        #expect(text.contains("\" 前后空格 \""))
        #expect(text.contains("\"逗号,分隔\",\"引号\"\"在中间\"\"\",12\r\n"))
        let parsed = try CSV.parse(data)
        #expect(parsed.map(\.fields) == rows)
        // Row 3 holds one LF, one CR and one CRLF inside quotes: it covers lines 3-6.
        #expect(parsed.map(\.line) == [1, 2, 3, 7, 8])
    }

    @Test func writeWithoutBOM() {
        let data = CSV.write([["a", "b"]], bom: false)
        #expect(data == Data("a,b\r\n".utf8))
    }

    @Test func formulaInjectionIsNeutralised() throws {
        let fields = ["=SUM(A1:A9)", "+8613800000000", "-1.5", "-3", "@cmd", "\tx", "\rx",
                      "-", "-1e5", "--1", "+1", "=1+1", "正常", "1+1", "3.5"]
        let data = CSV.write([fields], bom: false)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("'=SUM(A1:A9),'+8613800000000,-1.5,-3,'@cmd,'\tx,\"'\rx\",'-,'-1e5,'--1,'+1,'=1+1,正常,1+1,3.5\r\n"))
        let parsed = try CSV.parse(data)
        #expect(parsed.first?.fields == ["'=SUM(A1:A9)", "'+8613800000000", "-1.5", "-3", "'@cmd", "'\tx", "'\rx",
                                         "'-", "'-1e5", "'--1", "'+1", "'=1+1", "正常", "1+1", "3.5"])
    }
}
