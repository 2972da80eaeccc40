/// A unit with its contacts as one row of a register file (CSV or XLSX).
public struct UnitRecord: Hashable, Sendable {
    /// The row in the file (1-based, as the spreadsheet numbers it).
    public var row: Int
    /// The register's id, when the file carries one (an exported file does): the row then
    /// updates that unit, even under a new name.
    public var id: Int?
    public var profile: UnitProfile
    public var contacts: ContactDetails
    /// The contact fields the file has columns for; the others are left as they are.
    public var contactFields: Set<ContactDetails.Field>
}

/// A problem in an import file, named by row and column so the clerk can fix the cell.
public struct ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    public let row: Int
    public let field: String
    public let message: String

    public init(row: Int, field: String, message: String) {
        self.row = row; self.field = field; self.message = message
    }

    public var description: String {
        field.isEmpty ? "第\(row)行：\(message)" : "第\(row)行「\(field)」：\(message)"
    }
}

/// The layout of the units register as a table, shared by import and export so that an
/// exported file imports back unchanged.
public enum UnitTable {
    public enum Column: String, CaseIterable, Sendable {
        case id, name, jurisdiction, level, kind
        case publicSecurity = "public_security", uniformExempt = "uniform_exempt", ranked
        case dutyPhone = "duty_phone", liaisonName = "liaison_name", liaisonMobile = "liaison_mobile"
        case alternateName = "alternate_name", alternateMobile = "alternate_mobile"
        /// Written on export for the reader; ignored on import (the time of a change is when it is recorded).
        case contactsReportedAt = "contacts_reported_at"

        public var header: String {
            switch self {
            case .id: "编号"
            case .name: "单位名称"
            case .jurisdiction: "辖区"
            case .level: "级别"
            case .kind: "单位类型"
            case .publicSecurity: "公安"
            case .uniformExempt: "统一制服"
            case .ranked: "参与排名"
            case .dutyPhone: "值班电话"
            case .liaisonName: "联络员"
            case .liaisonMobile: "联络员手机"
            case .alternateName: "备用联络人"
            case .alternateMobile: "备用联络人手机"
            case .contactsReportedAt: "最近报备时间"
            }
        }

        /// Other headings that clerks' spreadsheets use for the same column.
        var aliases: [String] {
            switch self {
            case .id: ["id", "单位编号"]
            case .name: ["name", "名称", "单位", "联动单位"]
            case .jurisdiction: ["所属辖区", "区域", "县市区"]
            case .level: ["联动级别", "等级"]
            case .kind: ["类型", "单位性质"]
            case .publicSecurity: ["公安单位", "是否公安"]
            case .uniformExempt: ["有统一制服", "免着背心"]
            case .ranked: ["排名", "是否排名"]
            case .dutyPhone: ["值班室电话", "24小时值班电话"]
            case .liaisonName: ["liaison", "联络员姓名"]
            case .liaisonMobile: ["联络员电话", "联络员手机号"]
            case .alternateName: ["备用联络员"]
            case .alternateMobile: ["备用联络人电话", "备用联络员手机"]
            case .contactsReportedAt: ["报备时间"]
            }
        }

        static func find(_ heading: String) -> Column? {
            let key = heading.trimmingCharacters(in: .whitespaces)
            return allCases.first { $0.rawValue == key.lowercased() || $0.header == key || $0.aliases.contains(key) }
        }
    }

    /// Columns that are read but carry nothing (a running number).
    static let ignoredHeadings: Set<String> = ["序号", "备注"]
    public static let requiredColumns: [Column] = [.name, .jurisdiction, .level]
    public static let exportColumns: [Column] = Column.allCases

    /// Parses a header row and data rows (each with its row number) into records. Any problem
    /// fails the whole table: the error names the first bad row and column.
    public static func parse(header: (row: Int, cells: [String]), rows: [(row: Int, cells: [String])]) throws(ImportError) -> [UnitRecord] {
        var columns: [Int: Column] = [:]
        for (index, heading) in header.cells.enumerated() {
            let trimmed = heading.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || ignoredHeadings.contains(trimmed) { continue }
            guard let column = Column.find(trimmed) else {
                throw ImportError(row: header.row, field: trimmed,
                                  message: "无法识别的列名；可用的列名为：\(exportColumns.map(\.header).joined(separator: "、"))")
            }
            if columns.values.contains(column) {
                throw ImportError(row: header.row, field: trimmed, message: "列重复")
            }
            columns[index] = column
        }
        for required in requiredColumns where !columns.values.contains(required) {
            throw ImportError(row: header.row, field: required.header, message: "缺少必填列")
        }
        guard !rows.isEmpty else { throw ImportError(row: header.row + 1, field: "", message: "文件中没有单位数据") }

        let contactFields = Set(columns.values.compactMap { ContactDetails.Field(rawValue: $0.rawValue) })
        var records: [UnitRecord] = []
        var seen: [String: Int] = [:]
        var seenIDs: [Int: Int] = [:]
        for (rowNumber, cells) in rows {
            var values: [Column: String] = [:]
            for (index, column) in columns where index < cells.count {
                let value = cells[index].trimmingCharacters(in: .whitespacesAndNewlines)
                if !value.isEmpty { values[column] = value }
            }
            func fail(_ column: Column, _ message: String) -> ImportError {
                ImportError(row: rowNumber, field: column.header, message: message)
            }
            var id: Int?
            if let raw = values[.id] {
                guard let n = Int(raw), n > 0 else { throw fail(.id, "“\(raw)”不是有效的编号") }
                if let first = seenIDs[n] { throw fail(.id, "编号 \(n) 与第\(first)行重复") }
                seenIDs[n] = rowNumber
                id = n
            }
            guard let name = values[.name] else { throw fail(.name, "单位名称不能为空") }
            guard name.count <= 60 else { throw fail(.name, "单位名称不能超过60个字") }
            guard let jurisdictionText = values[.jurisdiction] else { throw fail(.jurisdiction, "辖区不能为空") }
            guard let jurisdiction = Jurisdictions.find(jurisdictionText) else {
                throw fail(.jurisdiction, "未知辖区“\(jurisdictionText)”；应为 \(Jurisdictions.all.map(\.name).joined(separator: "、")) 之一")
            }
            guard let levelText = values[.level] else { throw fail(.level, "级别不能为空") }
            guard let level = UnitLevel(parsing: levelText) else {
                throw fail(.level, "未知级别“\(levelText)”；应为 1、2、3 或 一级、二级、三级")
            }
            var kind = UnitKind.department
            if let raw = values[.kind] {
                guard let parsed = UnitKind(parsing: raw) else {
                    throw fail(.kind, "未知单位类型“\(raw)”；应为 \(UnitKind.allCases.map(\.name).joined(separator: "、")) 之一")
                }
                kind = parsed
            }
            func flag(_ column: Column) throws(ImportError) -> Bool? {
                guard let raw = values[column] else { return nil }
                switch raw.lowercased() {
                case "是", "y", "yes", "true", "1", "√", "✓": return true
                case "否", "n", "no", "false", "0", "×", "✗": return false
                default: throw fail(column, "“\(raw)”应为“是”或“否”")
                }
            }
            let profile = UnitProfile(
                name: name, jurisdictionID: jurisdiction.id, level: level, kind: kind,
                publicSecurity: try flag(.publicSecurity) ?? false,
                uniformExempt: try flag(.uniformExempt) ?? false,
                ranked: try flag(.ranked))
            let key = "\(jurisdiction.id)\u{1}\(name)"
            if let first = seen[key] {
                throw fail(.name, "“\(name)”在\(jurisdiction.name)中与第\(first)行重名")
            }
            seen[key] = rowNumber
            let contacts: ContactDetails
            do {
                contacts = try ContactDetails.validated(
                    dutyPhone: values[.dutyPhone], liaisonName: values[.liaisonName], liaisonMobile: values[.liaisonMobile],
                    alternateName: values[.alternateName], alternateMobile: values[.alternateMobile])
            } catch {
                throw ImportError(row: rowNumber, field: error.field.label, message: error.message)
            }
            records.append(UnitRecord(row: rowNumber, id: id, profile: profile, contacts: contacts, contactFields: contactFields))
        }
        return records
    }

    /// Yes/no as the file writes it.
    public static func flagText(_ value: Bool) -> String { value ? "是" : "否" }
}
