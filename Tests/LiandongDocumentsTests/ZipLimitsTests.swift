import Foundation
import Testing
import ZIPFoundation
@testable import LiandongDocuments

/// Zip bombs and other hostile packages, built in memory with ZIPFoundation.
/// Large parts are streamed through a provider, so a test never holds the
/// inflated bytes itself.
enum Bombs {
    static let workbookXML = #"<workbook xmlns:r="r"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    static let workbookRels = #"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    static let sheetHead = Data(#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>名单</t></is></c></row>"#.utf8)
    static let sheetTail = Data("</sheetData></worksheet>".utf8)
    static let sheetPath = "xl/worksheets/sheet1.xml"

    /// A part of `size` bytes: `head`, `filler` as many whole times as fit,
    /// spaces for the rest, then `tail`.
    struct Part {
        var path: String
        var head = Data()
        var filler: Data
        var tail = Data()
        var size: Int
        var method: CompressionMethod = .deflate

        func bytes(at position: Int, count: Int) -> Data {
            let tailStart = size - tail.count
            let fillerEnd = head.count + (tailStart - head.count) / filler.count * filler.count
            var out = Data()
            var pos = position
            while out.count < count, pos < size {
                let want = count - out.count
                let n: Int
                if pos < head.count {
                    n = min(want, head.count - pos)
                    out += head[pos..<(pos + n)]
                } else if pos < fillerEnd {
                    let offset = (pos - head.count) % filler.count
                    n = min(want, fillerEnd - pos, filler.count - offset)
                    out += filler[offset..<(offset + n)]
                } else if pos < tailStart {
                    n = min(want, tailStart - pos)
                    out += Data(repeating: 0x20, count: n)
                } else {
                    n = min(want, size - pos)
                    out += tail[(pos - tailStart)..<(pos - tailStart + n)]
                }
                pos += n
            }
            return out
        }
    }

    static func text(_ path: String, _ text: String) -> Part {
        Part(path: path, head: Data(text.utf8), filler: Data(" ".utf8), size: text.utf8.count)
    }

    static func zip(_ parts: [Part]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for part in parts {
            try archive.addEntry(with: part.path, type: .file, uncompressedSize: Int64(part.size),
                                 compressionMethod: part.method) { position, size in
                part.bytes(at: Int(position), count: size)
            }
        }
        return try #require(archive.data)
    }

    /// A workbook whose sheet is `size` bytes: a real first row, then `filler`.
    static func workbook(sheetSize size: Int, filler: Data) throws -> Data {
        try zip([
            text("xl/workbook.xml", workbookXML),
            text("xl/_rels/workbook.xml.rels", workbookRels),
            Part(path: sheetPath, head: sheetHead, filler: filler, tail: sheetTail, size: size),
        ])
    }

    /// 200 MiB of spaces in the sheet: about 200 KB on disk, like the upload in the report.
    static let bomb200MiB: Data = {
        // A stored property's initialiser cannot throw; if this fails, the test itself is broken.
        try! workbook(sheetSize: 200 * 1024 * 1024, filler: Data(repeating: 0x20, count: 64 * 1024))
    }()

    /// Filler that deflates only about 2 to 1, well under the ratio limit:
    /// XML comments of pseudo-random letters (a fixed seed, so every run is the same).
    static let plainFiller: Data = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8]()
        bytes.reserveCapacity(40_000)
        bytes += Array("<!--".utf8)
        for _ in 0..<39_993 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(ascii: "a") + UInt8((state >> 33) % 16))
        }
        bytes += Array("-->".utf8)
        bytes.append(UInt8(ascii: "\n"))
        return Data(bytes)
    }()

    /// Overwrites the sizes the local header and the central directory
    /// record of `path` declare, as a forger would.
    static func declare(in data: inout Data, path: String, compressed: UInt32? = nil, uncompressed: UInt32) {
        let name = Data(path.utf8)
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * $1) } }
        func put(_ value: UInt32, at: Int) { for i in 0..<4 { data[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
        var patched = 0
        var from = 0
        // The name follows a local header's 30 bytes and a directory record's 46.
        while let found = data.range(of: name, in: from..<data.count) {
            let at = found.lowerBound
            if at >= 30, u32(at - 30) == 0x0403_4B50 {
                if let compressed { put(compressed, at: at - 30 + 18) }
                put(uncompressed, at: at - 30 + 22)
                patched += 1
            } else if at >= 46, u32(at - 46) == 0x0201_4B50 {
                if let compressed { put(compressed, at: at - 46 + 20) }
                put(uncompressed, at: at - 46 + 24)
                patched += 1
            }
            from = found.upperBound
        }
        #expect(patched == 2, "local header and central directory record of \(path)")
    }

    static func message(_ data: Data) -> String? {
        do {
            _ = try XLSX.readRows(data)
            return nil
        } catch {
            return error.message
        }
    }
}

@Suite("ZIP limits")
struct ZipLimitsTests {
    @Test func limitsAreTheDocumentedOnes() {
        #expect(ZipPackage.Limits.upload == ZipPackage.Limits(
            maxEntryCount: 1_000, maxTotalUncompressedSize: 64 * 1024 * 1024, maxEntrySize: 10_000_000,
            maxCompressionRatio: 100, compressionRatioExemptSize: 1024 * 1024))
    }

    /// The report's case: a ~200 KB upload whose sheet inflates to 200 MiB is
    /// refused from its central directory, before a byte is inflated.
    @Test func bombOf200MiBIsRefusedWhenOpened() throws {
        let bomb = Bombs.bomb200MiB
        #expect(bomb.count < 300_000)
        // Opening reads only the directory, and already fails.
        #expect(throws: ZipPackage.Failure.entryTooLarge(path: Bombs.sheetPath, limit: ZipPackage.maxEntrySize)) {
            try ZipPackage.Reader(data: bomb)
        }
        let message = try #require(Bombs.message(bomb))
        #expect(message == "XLSX 文件中的 xl/worksheets/sheet1.xml 解压后过大（超过 10 MB），请检查是否为正常的 Excel 文件；如数据确实很多，请拆分为多个文件分别上传")
    }

    /// The same bomb declaring 500 KB for its sheet: the declared sizes pass,
    /// and inflating stops as soon as the part outgrows what it declared.
    @Test func bombThatUnderstatesItsSizeIsStoppedWhileInflating() throws {
        var bomb = Bombs.bomb200MiB
        Bombs.declare(in: &bomb, path: Bombs.sheetPath, uncompressed: 500_000)
        let reader = try ZipPackage.Reader(data: bomb)
        #expect(throws: ZipPackage.Failure.sizeMismatch(path: Bombs.sheetPath)) {
            try reader.data(Bombs.sheetPath)
        }
        #expect(reader.inflatedSize == 0)
        #expect(try reader.data("xl/workbook.xml") == Data(Bombs.workbookXML.utf8))

        let message = try #require(Bombs.message(bomb))
        #expect(message == "不是有效的 XLSX 文件（xl/worksheets/sheet1.xml 解压后的大小与压缩包中登记的不符，文件可能已损坏或被篡改）")
    }

    /// Under the size limit but 1,000 to 1: refused for its ratio.
    @Test func highlyCompressedPartIsRefused() throws {
        let data = try Bombs.workbook(sheetSize: 8_000_000, filler: Data(repeating: 0x20, count: 64 * 1024))
        #expect(throws: ZipPackage.Failure.compressionRatioTooHigh(path: Bombs.sheetPath, limit: 100)) {
            try ZipPackage.Reader(data: data)
        }
        let message = try #require(Bombs.message(data))
        #expect(message == "XLSX 文件中的 xl/worksheets/sheet1.xml 压缩比异常（超过 100 倍），可能是恶意构造的压缩包，请检查是否为正常的 Excel 文件")
    }

    /// Seven parts that each look reasonable but together declare 70 MB.
    @Test func partsThatTogetherDeclareTooMuchAreRefused() throws {
        var parts = [
            Bombs.text("xl/workbook.xml", Bombs.workbookXML),
            Bombs.text("xl/_rels/workbook.xml.rels", Bombs.workbookRels),
            Bombs.text(Bombs.sheetPath, "<worksheet><sheetData/></worksheet>"),
            // Real compressed bytes for the forged parts below to point at.
            Bombs.Part(path: "xl/media/image1.bin", filler: Bombs.plainFiller, size: 200_000, method: .none),
        ]
        for i in 1...7 { parts.append(Bombs.text("xl/media/part\(i).xml", "<x/>")) }
        var data = try Bombs.zip(parts)
        for i in 1...7 {
            Bombs.declare(in: &data, path: "xl/media/part\(i).xml", compressed: 150_000, uncompressed: 9_990_000)
        }
        #expect(throws: ZipPackage.Failure.totalTooLarge(limit: 64 * 1024 * 1024)) {
            try ZipPackage.Reader(data: data)
        }
        let message = try #require(Bombs.message(data))
        #expect(message == "文件解压后过大（超过 64 MB），请检查是否为正常的 Excel 文件；如数据确实很多，请拆分为多个文件分别上传")
    }

    @Test func tooManyEntriesAreRefused() throws {
        var parts = [
            Bombs.text("xl/workbook.xml", Bombs.workbookXML),
            Bombs.text("xl/_rels/workbook.xml.rels", Bombs.workbookRels),
            Bombs.text(Bombs.sheetPath, #"<worksheet><sheetData><row r="1"><c r="A1"><v>7</v></c></row></sheetData></worksheet>"#),
        ]
        for i in 1...(ZipPackage.maxEntryCount - parts.count) {
            parts.append(Bombs.text("customXml/item\(i).xml", "<x/>"))
        }
        // At the limit the workbook reads.
        let atLimit = try Bombs.zip(parts)
        #expect(try XLSX.readRows(atLimit) == [XLSXRow(number: 1, cells: ["7"])])

        parts.append(Bombs.text("customXml/one-too-many.xml", "<x/>"))
        let overLimit = try Bombs.zip(parts)
        #expect(throws: ZipPackage.Failure.tooManyEntries(limit: 1_000)) {
            try ZipPackage.Reader(data: overLimit)
        }
        let message = try #require(Bombs.message(overLimit))
        #expect(message == "XLSX 文件内部包含的文件过多（超过 1000 个），请检查是否为正常的 Excel 文件")
    }

    /// A sheet of exactly maxEntrySize bytes, the most the XML parser takes,
    /// reads; one byte more is refused from its declared size.
    @Test func sheetAtTheSizeLimitStillReads() throws {
        let limit = ZipPackage.maxEntrySize
        let atLimit = try Bombs.workbook(sheetSize: limit, filler: Bombs.plainFiller)
        let rows = try XLSX.readRows(atLimit)
        #expect(rows == [XLSXRow(number: 1, cells: ["名单"])])

        let overLimit = try Bombs.workbook(sheetSize: limit + 1, filler: Bombs.plainFiller)
        #expect(throws: ZipPackage.Failure.entryTooLarge(path: Bombs.sheetPath, limit: limit)) {
            try ZipPackage.Reader(data: overLimit)
        }
        #expect(Bombs.message(overLimit)?.contains("解压后过大（超过 10 MB）") == true)
    }

    /// ZIPFoundation's own reader never returned on this: a deflate stream
    /// that opens a 65,535-byte stored block and then the file ends.
    @Test(.timeLimit(.minutes(1)))
    func deflateStreamCutShortFailsInsteadOfHanging() throws {
        var data = try makeZip([
            (Bombs.sheetPath, "<worksheet><sheetData></sheetData></worksheet>"),
            ("xl/workbook.xml", Bombs.workbookXML),
            ("xl/_rels/workbook.xml.rels", Bombs.workbookRels),
        ])
        let nameLength = Int(data[26]) | Int(data[27]) << 8
        let extraLength = Int(data[28]) | Int(data[29]) << 8
        let start = 30 + nameLength + extraLength
        data.replaceSubrange(start..<(start + 5), with: [0x00, 0xFF, 0xFF, 0x00, 0x00])
        let reader = try ZipPackage.Reader(data: data)
        #expect(throws: ZipPackage.Failure.self) { try reader.data(Bombs.sheetPath) }
        #expect(Bombs.message(data) == "不是有效的 XLSX 文件（压缩包内容损坏）")
    }

    @Test func compressedSizeBeyondTheFileIsRefused() throws {
        var data = try makeZip([("xl/workbook.xml", Bombs.workbookXML)])
        Bombs.declare(in: &data, path: "xl/workbook.xml", compressed: 5_000_000, uncompressed: 100)
        #expect(Bombs.message(data) == "不是有效的 XLSX 文件（压缩包内容损坏）")
    }

    /// The limits also hold with other values: exactly at a limit passes,
    /// one over fails, from the declared sizes and again while inflating.
    @Test func customLimitsAreExact() throws {
        let limits = ZipPackage.Limits(maxEntryCount: 3, maxTotalUncompressedSize: 120_000, maxEntrySize: 60_000,
                                       maxCompressionRatio: 100, compressionRatioExemptSize: 1024 * 1024)
        func part(_ name: String, _ size: Int) -> Bombs.Part {
            Bombs.Part(path: name, filler: Bombs.plainFiller, size: size)
        }
        let fits = try Bombs.zip([part("a", 60_000), part("b", 60_000)])
        let reader = try ZipPackage.Reader(data: fits, limits: limits)
        #expect(try reader.data("a")?.count == 60_000)
        #expect(try reader.data("b")?.count == 60_000)
        #expect(reader.inflatedSize == 120_000)
        // Reading a part again counts again: the total holds for what is inflated.
        #expect(throws: ZipPackage.Failure.totalTooLarge(limit: 120_000)) { try reader.data("a") }

        #expect(throws: ZipPackage.Failure.entryTooLarge(path: "a", limit: 60_000)) {
            try ZipPackage.Reader(data: try Bombs.zip([part("a", 60_001)]), limits: limits)
        }
        #expect(throws: ZipPackage.Failure.totalTooLarge(limit: 120_000)) {
            try ZipPackage.Reader(data: try Bombs.zip([part("a", 60_000), part("b", 60_000), part("c", 1)]), limits: limits)
        }
        #expect(throws: ZipPackage.Failure.tooManyEntries(limit: 3)) {
            try ZipPackage.Reader(data: try Bombs.zip([part("a", 1), part("b", 1), part("c", 1), part("d", 1)]), limits: limits)
        }
    }

    @Test func storedPartsRead() throws {
        var parts = [
            Bombs.text("xl/workbook.xml", Bombs.workbookXML),
            Bombs.text("xl/_rels/workbook.xml.rels", Bombs.workbookRels),
            Bombs.text(Bombs.sheetPath, #"<worksheet><sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>张三</t></is></c></row></sheetData></worksheet>"#),
        ]
        parts[2].method = .none
        #expect(try XLSX.readRows(try Bombs.zip(parts)) == [XLSXRow(number: 2, cells: ["", "张三"])])
    }

    /// What a streaming writer produces: ZIP64 end records and extra fields,
    /// sizes only in the central directory and in ZIP64 data descriptors
    /// (bit 3), the local headers' sizes unknown. Written by hand and checked
    /// with Python's zipfile; ZIPFoundation 0.9.20 crashed the process on it.
    @Test func zip64StreamedPackageReads() throws {
        let data = try #require(Data(base64Encoded: """
        UEsDBC0ACAgIAAAAIQAAAAAA//////////8PABQAeGwvd29ya2Jvb2sueG1sAQAQAAAAAAAAAAAAAAAAAAAAAACzKc8vyk7K
        z89WqMjNySu2KrJVKlKysynOSE0tKYbSCnmJuam2SolKCmCuZ4qtkqGSQpFVJpBR5JliqKRvZ6MP06EPM9AOAFBLBwgFXV41
        RwAAAAAAAABbAAAAAAAAAFBLAwQtAAgICAAAACEAAAAAAP//////////GgAUAHhsL19yZWxzL3dvcmtib29rLnhtbC5yZWxz
        AQAQAAAAAAAAAAAAAAAAAAAAAABVjjEOwjAQBL8S+QG5hIIC2alo0qJ8wHLOsUXss3yHgN9jUaBQrWaL2dU33K1Eyhxi4Ukf
        sZtXo+q8jqpb3gWNCiLlAsAuYLLcU8H8Srunmqw0rBuQ99HhldwjYRY4DcMZ6nEBnlTvHBClSW3dUIz6VQzfGPtmVTBp+D/3
        AVBLBwiYIlAdfQAAAAAAAACsAAAAAAAAAFBLAwQtAAgICAAAACEAAAAAAP//////////GAAUAHhsL3dvcmtzaGVldHMvc2hl
        ZXQxLnhtbAEAEAAAAAAAAAAAAAAAAAAAAAAAsynPL8ouzkhNLbGzAVMuiSWJdjZF+eUKRbZKxkp2NskghrOxkkKJrVJmXk5m
        XmpwSRFQPLPYzqbE7tncvqezZ9voA7Xrg0T0k4EYqBtIIhmnj7AFAFBLBwiX8SLmVQAAAAAAAABxAAAAAAAAAFBLAQIeAy0A
        CAgIAAAAIQAFXV41//////////8PABwAAAAAAAAAAACkgf////94bC93b3JrYm9vay54bWwBABgAWwAAAAAAAABHAAAAAAAA
        AAAAAAAAAAAAUEsBAh4DLQAICAgAAAAhAJgiUB3//////////xoAHAAAAAAAAAAAAKSB/////3hsL19yZWxzL3dvcmtib29r
        LnhtbC5yZWxzAQAYAKwAAAAAAAAAfQAAAAAAAACgAAAAAAAAAFBLAQIeAy0ACAgIAAAAIQCX8SLm//////////8YABwAAAAA
        AAAAAACkgf////94bC93b3Jrc2hlZXRzL3NoZWV0MS54bWwBABgAcQAAAAAAAABVAAAAAAAAAIEBAAAAAAAAUEsGBiwAAAAA
        AAAALQAtAAAAAAAAAAAAAwAAAAAAAAADAAAAAAAAAB8BAAAAAAAAOAIAAAAAAABQSwYHAAAAAFcDAAAAAAAAAQAAAFBLBQb/
        ////////////////////AAA=
        """, options: .ignoreUnknownCharacters))
        #expect(try XLSX.readRows(data) == [XLSXRow(number: 3, cells: ["", "", "李四"])])
    }

    /// A local header offset past the end of the file: refused, where
    /// ZIPFoundation 0.9.20 trapped and took the whole server down.
    @Test func offsetBeyondTheFileIsRefused() throws {
        var data = try makeZip([("xl/workbook.xml", Bombs.workbookXML)])
        let record = try #require(data.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        let beyond = UInt32(data.count + 1000)
        for i in 0..<4 { data[record + 42 + i] = UInt8(truncatingIfNeeded: beyond >> (8 * i)) }
        #expect(Bombs.message(data) == "不是有效的 XLSX 文件（无法作为 ZIP 压缩包打开）")
    }
}
