import Foundation
import LiandongCore
import LiandongDocuments

/// The notice laid out as an official document (GB/T 9704): the same text for the HTML page,
/// the HTML export and the DOCX file. The body says what was done, sums the deductions up by
/// jurisdiction (the city's notice) or by unit (a county's), gives a few typical cases and what
/// is asked; the full list of deductions follows as the 附件. Sections with nothing to say are
/// left out.
struct NoticeDocument {
    /// How a table column's cells align: numbers right, codes and dates centred, text left.
    enum Align: String, Encodable {
        case left, center, right

        var official: OfficialDocument.CellAlignment {
            switch self {
            case .left: .left
            case .center: .center
            case .right: .right
            }
        }
    }

    enum Block {
        case paragraph(String)
        case heading1(String)
        case heading2(String)
        case table(header: [String], rows: [[String]], widthsMM: [Double], align: [Align])
    }

    /// The 附件: its title and its body (the table of every deduction).
    struct Annex {
        var title: String
        var blocks: [Block]
    }

    var issuerMark: String
    var number: String
    var title: String
    /// The title as printed, broken at phrase boundaries (`OfficialTitle`).
    var titleLines: [String]
    var addressee: String
    var blocks: [Block]
    var annex: Annex?
    var signature: String
    /// 成文日期: the day of publication; nil for a draft.
    var date: LocalDate?
    /// The date as printed, or the draft's placeholder.
    var dateText: String { date?.chinese ?? Self.draftDate }

    static let issuer = "丽水市社会应急联动工作通报"
    static let addressee = "各县（市、区）政法委、应急管理局、公安局，市应急联动成员单位，丽水开发区管委会"
    static let signature = "中共丽水市委政法委员会"
    static let draftDate = "成文日期：发布时填写"
    static let annexTitle = "扣分明细表"
    /// Typical cases the body gives at most: the rest are in the annex.
    static let typicalCases = 6

    static func chineseOrdinal(_ n: Int) -> String {
        let digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
        if n <= 10 { return digits[n] }
        if n < 20 { return "十" + digits[n - 10] }
        return digits[n / 10] + "十" + digits[n % 10]
    }

    /// Text typed over several lines: one paragraph a line.
    static func paragraphs(_ text: String) -> [Block] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.map { .paragraph($0) }
    }

    /// A typical case as the body words it: 「市水利局：2026年3月1日，首批处置力量…，扣0.5分。」
    static func typicalCase(unit: String, _ e: NoticeContent.Entry) -> String {
        var reason = e.facts.trimmingCharacters(in: .whitespaces)
        // Most findings begin with the unit's name; it is said once, before the date.
        if !unit.isEmpty, reason.hasPrefix(unit) {
            reason = String(reason.dropFirst(unit.count)).trimmingCharacters(in: CharacterSet(charactersIn: "：:，, "))
        }
        while let last = reason.last, "。；，、,;. ".contains(last) { reason.removeLast() }
        if reason.isEmpty { reason = e.itemTitle }
        // The date and the points once each: many findings already say them.
        let when = e.occurredOn.isEmpty || reason.contains(e.occurredOn) ? "" : "\(e.occurredOn)，"
        let points = "扣\(Points(e.points).wording)分"
        // A finding that says its points as the tables do (「扣2.0分」) says them as prose does.
        let tabular = "扣\(Points(e.points))分"
        if tabular != points, reason.hasSuffix(tabular) { reason = String(reason.dropLast(tabular.count)) + points }
        return "\(unit.isEmpty ? "" : "\(unit)：")\(when)\(reason)\(reason.hasSuffix(points) ? "" : "，\(points)")。"
    }

    init(_ notice: NoticeDTO) {
        let c = notice.content
        // Each PLC's own mark and name (issue 15); the city's as before.
        let city = notice.publisherId == Agency.plc.rawValue
        issuerMark = city ? Self.issuer : notice.issuerMark
        number = notice.number ?? "（草稿，发布时编号）"
        title = notice.title
        titleLines = OfficialTitle.lines(notice.title)
        addressee = city ? Self.addressee : "\(notice.jurisdiction)应急联动成员单位"
        signature = city ? Self.signature : notice.signature
        // Dated when published: a draft has no 成文日期 yet.
        date = notice.status == "published" ? notice.publishedAt.flatMap(ChinaTime.parseTimestamp).map(LocalDate.init) : nil
        var blocks = Self.paragraphs(notice.intro)
        if let corrects = notice.correctsId {
            blocks.append(.paragraph("本通报是对第\(corrects)号通报的更正，以本通报为准。"))
        }
        var headings: [String] = []
        func heading(_ text: String) {
            headings.append(Self.chineseOrdinal(headings.count + 1))
            blocks.append(.heading1("\(headings.last!)、\(text)"))
        }
        let checkers = city ? "市应急管理局、市公安局" : "\(notice.embName)、\(notice.psbName)"
        // 一、what was done; 「0次」 never: only what happened is said.
        var work: [String] = []
        if city {
            work = [
                c.work.phoneChecks > 0 ? "市公安局开展日常电话检查\(c.work.phoneChecks)次，抽查联动单位\(c.work.unitsCalled)家" : nil,
                c.work.drills > 0 ? "市应急管理局、市公安局联合开展实地或视频检查\(c.work.drills)次" : nil,
                c.work.meetings > 0 ? "召开会商会\(c.work.meetings)次" : nil,
                c.work.dispatches > 0 ? "市应急联动指挥中心（110）共向联动单位下达联动指令\(c.work.dispatches)起" : nil,
            ].compactMap { $0 }
        }
        let workText = city
            ? (work.isEmpty ? nil : "\(c.periodLabel)，" + work.joined(separator: "；") + "。")
            : "\(c.periodLabel)，\(checkers)对\(notice.jurisdiction)社会应急联动单位开展了监督检查。"
        if let workText {
            heading("监督检查工作开展情况")
            blocks.append(.paragraph(workText))
            if c.count == 0 { blocks.append(.paragraph("经检查，本期未发现需扣分的问题。")) }
        } else if c.count == 0 {
            blocks.append(.paragraph("经检查，本期未发现需扣分的问题。"))
        }
        // 二、the deductions: an overview, the summary table, typical cases.
        let units = c.groups.flatMap { g in g.units.map { (jurisdiction: g.jurisdiction, unit: $0) } }
        if c.count > 0 {
            heading("扣分情况")
            var overview = "经\(checkers)共同确认，本期共扣分\(c.count)项，合计\(Points(c.total).wording)分，涉及\(units.count)家单位。"
            let top = units.map(\.unit).sorted { ($1.total, $0.unit) < ($0.total, $1.unit) }.prefix(3)
            if city, units.count > 3 {
                overview += "扣分较多的单位是" + top.map { "\($0.unit)（\(Points($0.total).wording)分）" }.joined(separator: "、") + "。"
            }
            overview += city && c.groups.count > 1 ? "各地扣分情况如下（明细见附件）：" : "各单位扣分情况如下（明细见附件）："
            blocks.append(.paragraph(overview))
            // The city's by jurisdiction; a county's, or the city's when one jurisdiction has them all, by unit.
            if city, c.groups.count > 1 {
                let rows = c.groups.enumerated().map { i, g in
                    [String(i + 1), g.jurisdiction, String(g.units.count), String(g.units.reduce(0) { $0 + $1.entries.count }),
                     g.units.reduce(Points.zero) { $0 + Points($1.total) }.description]
                }
                blocks.append(.table(header: ["序号", "地区", "涉及单位", "扣分项数", "扣分"],
                                     rows: rows + [["", "合计", String(units.count), String(c.count), Points(c.total).description]],
                                     widthsMM: [16, 56, 28, 28, 28], align: [.center, .left, .right, .right, .right]))
            } else {
                let rows = units.enumerated().map { i, u in
                    [String(i + 1), u.unit.unit, String(u.unit.entries.count), Points(u.unit.total).description]
                }
                blocks.append(.table(header: ["序号", "单位", "扣分项数", "扣分"],
                                     rows: rows + [["", "合计", String(c.count), Points(c.total).description]],
                                     widthsMM: [16, 84, 28, 28], align: [.center, .left, .right, .right]))
            }
            // For each deduction item present, its most serious case (the earliest of equals).
            var worst: [String: (unit: String, entry: NoticeContent.Entry)] = [:]
            for u in units {
                for e in u.unit.entries {
                    if let w = worst[e.item], (w.entry.points, -w.entry.deductionId) >= (e.points, -e.deductionId) { continue }
                    worst[e.item] = (u.unit.unit, e)
                }
            }
            let cases = worst.values.sorted { ($1.entry.points, $0.entry.item) < ($0.entry.points, $1.entry.item) }.prefix(Self.typicalCases)
            if !cases.isEmpty {
                blocks.append(.heading2("（一）典型问题"))
                for (i, k) in cases.enumerated() {
                    blocks.append(.paragraph("\(i + 1)．" + Self.typicalCase(unit: k.unit, k.entry)))
                }
            }
        }
        // Changes on appeal to deductions earlier notices carried, citing them (issue 15).
        if let changes = c.changes, !changes.isEmpty {
            heading("申诉后变更的扣分")
            for ch in changes {
                let outcome = ch.status == DeductionStatus.withdrawn.rawValue ? "撤销扣分" : "改为扣\(Points(ch.points).wording)分"
                blocks.append(.paragraph("\(ch.subject)：\(ch.citesNumber)通报扣\(Points(ch.beforePoints).wording)分，经申诉\(outcome)。"))
            }
        }
        let asked = Self.paragraphs(notice.requirements)
        if !asked.isEmpty {
            heading("有关要求")
            blocks += asked
        }
        self.blocks = blocks
        // The 附件: every deduction the notice carries.
        var rows: [[String]] = []
        for u in units {
            for e in u.unit.entries {
                rows.append([String(rows.count + 1), u.unit.unit, e.occurredOn, e.facts.isEmpty ? e.itemTitle : e.facts, Points(e.points).description])
            }
        }
        annex = rows.isEmpty ? nil : Annex(title: Self.annexTitle, blocks: [
            .table(header: ["序号", "单位", "发生日期", "问题", "扣分"], rows: rows + [["", "合计", "", "", Points(c.total).description]],
                   widthsMM: [12, 32, 36, 60, 16], align: [.center, .left, .center, .left, .right]),
        ])
    }
}

extension NoticeDocument {
    /// A document in the notice's layout made from other content (the year's assessment report).
    init(issuerMark: String, number: String, title: String, addressee: String, blocks: [Block], signature: String, date: LocalDate?) {
        self.issuerMark = issuerMark; self.number = number; self.title = title; self.titleLines = OfficialTitle.lines(title)
        self.addressee = addressee; self.blocks = blocks; self.annex = nil; self.signature = signature; self.date = date
    }
}
