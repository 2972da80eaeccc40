import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import Testing
@testable import LiandongServer

@Suite("Register files: atomic, idempotent import and export that imports back")
struct ImportExportTests {
    static let countyCSV = """
    序号,单位名称,辖区,级别,值班电话,联络员,联络员手机
    1,龙泉市水利局,龙泉市,一级,0578-7123456,李四,13912345678
    2,龙泉市教育局,龙泉市,二级,,,
    3,龙泉市红十字会,龙泉市,3,0578-7654321,,

    """

    func bom(_ text: String) -> Data { Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8) }

    @Test func importingACountyListTwiceChangesNothingTheSecondTime() async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("longquan.csv", contents: bom(Self.countyCSV.replacingOccurrences(of: "\n", with: "\r\n")))
            let first = try await app.run(["units", "import", file.path])
            #expect(first.contains("新增 3 个单位"))
            let units = try await RegisterService.units(UnitFilter(jurisdictionID: "longquan"), on: app.db)
            #expect(units.map(\.name) == ["龙泉市水利局", "龙泉市教育局", "龙泉市红十字会"])
            #expect(units[0].liaisonMobile == "13912345678")
            #expect(units[0].duties == Annex2.duties(for: .one))
            let changes = try await ContactChange.query(on: app.db).count()
            #expect(changes == 2)

            let second = try await app.run(["units", "import", file.path])
            #expect(second.contains("新增 0 个单位，更新 0 个，联系方式变更 0 条，无变化 3 个"))
            #expect(try await LinkageUnit.query(on: app.db).count() == 49)
            #expect(try await ContactChange.query(on: app.db).count() == changes)
        }
    }

    @Test("One bad row fails the whole file, naming row and column", arguments: [
        ("4,龙泉市林业局,龙泉市,四级,,,", 5, "级别"),
        ("4,龙泉市林业局,杭州市,一级,,,", 5, "辖区"),
        ("4,龙泉市林业局,龙泉市,一级,0578-12,,", 5, "值班电话"),
        ("4,龙泉市水利局,龙泉,二级,,,", 5, "单位名称"),
    ])
    func badRow(row: String, line: Int, field: String) async throws {
        try await withTestApp { app in
            let file = try Fixtures.temporaryFile("bad.csv", contents: bom(Self.countyCSV + row + "\n"))
            do {
                _ = try await app.run(["units", "import", file.path])
                Issue.record("the file was accepted")
            } catch let error as ImportError {
                #expect(error.row == line)
                #expect(error.field == field)
                #expect(Entrypoint.describe(error).hasPrefix("第\(line)行「\(field)」"))
            }
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
            #expect(try await ContactChange.query(on: app.db).count() == 0)
        }
    }

    @Test func aProblemFoundAgainstTheDatabaseRollsBackTheRowsBeforeIt() async throws {
        try await withTestApp { app in
            // Row 3 is fine and new; row 4 names an id the register does not have.
            let text = "编号,单位名称,辖区,级别\n,青田县水利局,青田县,1\n9999,青田县教育局,青田县,2\n"
            let file = try Fixtures.temporaryFile("ids.csv", contents: Data(text.utf8))
            await #expect(throws: ImportError(row: 3, field: "编号", message: "登记册中没有编号为 9999 的单位")) {
                _ = try await app.run(["units", "import", file.path])
            }
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
        }
    }

    @Test(arguments: ["csv", "xlsx"])
    func exportImportsBackUnchanged(format: String) async throws {
        try await withTestApp { app in
            let unit = try await RegisterService.unit(3, on: app.db)
            try await RegisterService.reportContactChange(
                unit: unit, to: ContactDetails(dutyPhone: "0578-2123456", liaisonName: "王五", liaisonMobile: "13812345678"),
                reportedAt: Date(), reportedBy: "王五", channel: "web", note: nil, actor: .console(), on: app.db)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("register.\(format)").path
            let out = try await app.run(["units", "export", path])
            #expect(out.contains("已导出 46 个单位"))
            let result = try await app.run(["units", "import", path])
            #expect(result.contains("无变化 46 个"), "\(result)")
            #expect(try await ContactChange.query(on: app.db).count() == 1)

            // Renaming through the id column updates the unit in place.
            let records = try RegisterFiles.read(try Data(contentsOf: URL(fileURLWithPath: path)), filename: "register.\(format)")
            var renamed = try #require(records.first { $0.id == 3 })
            renamed.profile.name = "市自然资源和规划局"
            let summary = try await RegisterService.importUnits([renamed], reportedBy: "测试", actor: .console(), on: app.db)
            #expect(summary.updated == 1 && summary.created == 0)
            #expect(try await RegisterService.unit(3, on: app.db).name == "市自然资源和规划局")
        }
    }

    @Test func xlsxFromASpreadsheetWithATitleRow() async throws {
        try await withTestApp { app in
            let sheet = XLSXSheet(name: "莲都区", title: "莲都区应急联动单位名单",
                                  header: ["单位名称", "辖区", "级别", "联络员", "联络员手机"],
                                  rows: [[.text("莲都区水利局"), .text("莲都区"), .integer(1), .text("赵六"), .integer(13712345678)],
                                         [.text("莲都区民政局"), .text("莲都区"), .text("二级"), .empty, .empty]])
            let file = try Fixtures.temporaryFile("liandu.xlsx", contents: try XLSX.write(sheets: [sheet]))
            let out = try await app.run(["units", "import", file.path])
            #expect(out.contains("新增 2 个单位"))
            let units = try await RegisterService.units(UnitFilter(jurisdictionID: "liandu"), on: app.db)
            #expect(units.first?.liaisonMobile == "13712345678")
            #expect(units.map(\.unitLevel) == [.one, .two])
        }
    }

    @Test func notASpreadsheet() async throws {
        try await withTestApp { app in
            let xlsx = try Fixtures.temporaryFile("broken.xlsx", contents: Data("not a zip".utf8))
            await #expect(throws: ImportError.self) { _ = try await app.run(["units", "import", xlsx.path]) }
            let txt = try Fixtures.temporaryFile("list.txt", contents: Data("x".utf8))
            await #expect(throws: AppError.self) { _ = try await app.run(["units", "import", txt.path]) }
            let gbk = try Fixtures.temporaryFile("gbk.csv", contents: Data([0xB5, 0xA5, 0xCE, 0xBB, 0x0A]))
            await #expect(throws: ImportError.self) { _ = try await app.run(["units", "import", gbk.path]) }
            #expect(try await LinkageUnit.query(on: app.db).count() == 46)
        }
    }
}

@Suite("CLI: units list, rules list")
struct CommandTests {
    @Test func unitsListAsJSON() async throws {
        try await withTestApp { app in
            let out = try await app.run(["units", "list", "--format", "json"])
            let units = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
            #expect(units.count == 46)
            #expect(units.filter { $0["level"] as? Int == 1 }.count == 23)
            #expect(units.filter { $0["level"] as? Int == 3 }.count == 9)
            #expect(units.allSatisfy { $0.keys.contains("duty_phone") && $0.keys.contains("liaison") })
            #expect(units.first { $0["name"] as? String == "浙江高速交警丽水支队" }?["public_security"] as? Bool == true)
        }
    }

    @Test func unitsListFiltersAndFormats() async throws {
        try await withTestApp { app in
            let table = try await app.run(["units", "list", "--jurisdiction", "市本级", "--level", "3"])
            #expect(table.contains("人行丽水市中心支行"))
            #expect(table.contains("共 9 个单位"))
            let csv = try await app.run(["units", "list", "--format", "csv"])
            #expect(csv.split(separator: "\r\n").count == 47)
            #expect(csv.hasPrefix("编号,单位名称,辖区,级别"))
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["units", "list", "--format", "xml"]) }
            await #expect(throws: CommandFailure.self) { _ = try await app.run(["units", "list", "--jurisdiction", "杭州"]) }
        }
    }

    @Test func rulesListAsJSON() async throws {
        try await withTestApp { app in
            let out = try await app.run(["rules", "list", "--format", "json"])
            let items = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [[String: Any]]
            #expect(items.map { $0["id"] as? String } == (1...12).map { "D\($0)" })
            let d10 = try #require(items.first { $0["id"] as? String == "D10" })
            #expect((d10["text"] as? String)?.contains("有警不出") == true)
            let figures = d10["default_points"] as! [[String: Any]]
            #expect(figures.first { $0["finding"] as? String == "refused" }?["points"] as? Double == 2.0)
            let table = try await app.run(["rules", "list"])
            #expect(table.contains("D9"))
            #expect(table.contains("迟到超过30分钟 2.0"))
        }
    }
}
