import Foundation
import LiandongCore

/// The notice laid out as an official document (GB/T 9704): the same text for the HTML page and
/// the DOCX file.
struct NoticeDocument {
    enum Block {
        case paragraph(String)
        case heading1(String)
        case heading2(String)
        case table(header: [String], rows: [[String]])
    }

    var issuerMark: String
    var number: String
    var title: String
    var addressee: String
    var blocks: [Block]
    var signature: String
    var date: LocalDate

    static let issuer = "丽水市社会应急联动工作通报"
    static let addressee = "各县（市、区）政法委、应急管理局、公安局，市应急联动成员单位，丽水开发区管委会"
    static let signature = "中共丽水市委政法委员会"

    static func chineseOrdinal(_ n: Int) -> String {
        let digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
        if n <= 10 { return digits[n] }
        if n < 20 { return "十" + digits[n - 10] }
        return digits[n / 10] + "十" + digits[n % 10]
    }

    init(_ notice: NoticeDTO) {
        let c = notice.content
        // Each PLC's own mark and name (issue 15); the city's as before.
        let city = notice.publisherId == Agency.plc.rawValue
        issuerMark = city ? Self.issuer : notice.issuerMark
        number = notice.number ?? "（草稿，发布时编号）"
        title = notice.title
        addressee = city ? Self.addressee : "\(notice.jurisdiction)应急联动成员单位"
        signature = city ? Self.signature : notice.signature
        date = notice.publishedAt.flatMap(ChinaTime.parseTimestamp).map(LocalDate.init) ?? LocalDate(Date())
        var blocks: [Block] = [.paragraph(notice.intro)]
        if let corrects = notice.correctsId {
            blocks.append(.paragraph("本通报是对第\(corrects)号通报的更正，以本通报为准。"))
        }
        blocks.append(.heading1("一、监督检查工作开展情况"))
        if city {
            let work = [
                c.work.phoneChecks > 0 ? "市公安局开展日常电话检查\(c.work.phoneChecks)次，抽查联动单位\(c.work.unitsCalled)家" : nil,
                c.work.drills > 0 ? "市应急管理局、市公安局联合开展实地或视频检查\(c.work.drills)次" : nil,
                c.work.meetings > 0 ? "召开会商会\(c.work.meetings)次" : nil,
                c.work.dispatches > 0 ? "市应急联动指挥中心（110）共向联动单位下达联动指令\(c.work.dispatches)起" : nil,
            ].compactMap { $0 }
            if !work.isEmpty { blocks.append(.paragraph("\(c.periodLabel)，" + work.joined(separator: "；") + "。")) }
        } else {
            blocks.append(.paragraph("\(c.periodLabel)，\(notice.embName)、\(notice.psbName)对\(notice.jurisdiction)社会应急联动单位开展了监督检查。"))
        }
        var headings = ["一"]
        func next() -> String {
            headings.append(Self.chineseOrdinal(headings.count + 1))
            return headings.last!
        }
        blocks.append(.heading1("\(next())、扣分情况"))
        if c.groups.isEmpty {
            blocks.append(.paragraph("本期未发现需扣分的问题。"))
        } else {
            blocks.append(.paragraph(city ? "经市应急管理局、市公安局共同确认，本期共扣分\(c.count)项，合计\(Points(c.total))分。具体如下："
                                          : "经\(notice.embName)、\(notice.psbName)共同确认，本期共扣分\(c.count)项，合计\(Points(c.total))分。具体如下："))
            for (i, group) in c.groups.enumerated() {
                blocks.append(.heading2("（\(Self.chineseOrdinal(i + 1))）\(group.jurisdiction)"))
                for unit in group.units {
                    let items = unit.entries.map { "\($0.occurredOn)，\($0.facts)，扣\(Points($0.points))分" }.joined(separator: "；")
                    blocks.append(.paragraph("\(unit.unit)：\(items)。合计扣\(Points(unit.total))分。"))
                }
            }
        }
        // Changes on appeal to deductions earlier notices carried, citing them (issue 15).
        if let changes = c.changes, !changes.isEmpty {
            blocks.append(.heading1("\(next())、申诉后变更的扣分"))
            for ch in changes {
                let outcome = ch.status == DeductionStatus.withdrawn.rawValue ? "撤销扣分" : "改为扣\(Points(ch.points))分"
                blocks.append(.paragraph("\(ch.subject)：\(ch.citesNumber)通报扣\(Points(ch.beforePoints))分，经申诉\(outcome)。"))
            }
        }
        blocks.append(.heading1("\(next())、扣分汇总"))
        blocks.append(.table(header: ["序号", "单位", "扣分项数", "扣分"],
                             rows: c.summary.enumerated().map { [String($0.offset + 1), $0.element.entity, String($0.element.count), Points($0.element.points).description] }
                                 + [["", "合计", String(c.count), Points(c.total).description]]))
        blocks.append(.heading1("\(next())、有关要求"))
        blocks.append(.paragraph("请被扣分单位认真查找原因，落实整改，并于收到本通报之日起按要求反馈整改情况。对扣分有异议的，可在规定期限内提出申诉。检查结果将纳入年度综合考核平安综治项目。"))
        self.blocks = blocks
    }
}

extension NoticeDocument {
    /// A document in the notice's layout made from other content (the year's assessment report).
    init(issuerMark: String, number: String, title: String, addressee: String, blocks: [Block], signature: String, date: LocalDate) {
        self.issuerMark = issuerMark; self.number = number; self.title = title; self.addressee = addressee
        self.blocks = blocks; self.signature = signature; self.date = date
    }
}
