import Foundation

/// A calendar date as printed in an official document ("2026年3月4日").
///
/// A struct rather than a `(year:month:day:)` tuple because tuples cannot be
/// `Equatable`, and `OfficialDocument` must be. `DOCX.write` rejects dates that
/// do not exist in the Gregorian calendar (month 13, 30 February…), since a
/// wrong date on a signed notice is worse than no notice.
public struct OfficialDate: Sendable, Equatable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date with Arabic numerals and no leading zeros, as GB/T 9704-2012
    /// 7.3.5.1 requires for 成文日期: "2026年3月4日".
    public var chinese: String { "\(year)年\(month)月\(day)日" }

    var isValid: Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}

/// A notice (通报) or similar document laid out per GB/T 9704-2012
/// (党政机关公文格式), written by `DOCX.write`.
public struct OfficialDocument: Sendable, Equatable {
    /// How a table column's body cells align: numbers right, text left, short codes centred.
    public enum CellAlignment: Sendable, Equatable {
        case left, center, right
    }

    public enum Block: Sendable, Equatable {
        /// Body text, 3号 仿宋, first line indented two characters. A line break
        /// in the text starts a new paragraph (each with its own indent), because
        /// every natural paragraph of a 公文 is indented; empty lines are dropped.
        case paragraph(String)
        /// 一级标题 ("一、…"): 3号 黑体, indented two characters like the body.
        case heading1(String)
        /// 二级标题 ("（一）…"): 3号 楷体, indented two characters like the body.
        case heading2(String)
        /// A ruled table. The header row (黑体, centred) repeats on every page;
        /// cells are 4号 (14 pt) 仿宋. Short rows are padded with empty cells.
        /// `columnWidthsMM`, if given, needs one positive width per column;
        /// widths that add up to more than the 156 mm text block are scaled down
        /// proportionally. Without it the columns share the text width equally.
        /// A table with no header and no rows is left out. `alignments`, if
        /// given, sets each column's body cells (header cells stay centred);
        /// columns past its end, or all without it, align left.
        case table(header: [String], rows: [[String]], columnWidthsMM: [Double]?, alignments: [CellAlignment]? = nil)
        /// Starts the next block on a new page.
        case pageBreak
    }

    /// An attachment (附件, GB/T 9704-2012 7.3.4 and 7.5): named under the
    /// body ("附件：名称"), then after the signature and date on a new page,
    /// "附件" flush left in 3号 黑体, its title centred in 2号 小标宋 on the
    /// third line, and its body; the 版记 follows the last attachment.
    public struct Annex: Sendable, Equatable {
        public var title: String
        public var body: [Block]

        public init(title: String, body: [Block]) {
            self.title = title
            self.body = body
        }
    }

    /// 发文机关标志, e.g. "丽水市社会应急联动工作通报": red 小标宋, centred, sized
    /// to fit one line (初号, 小初, 一号, 小一 or 二号; longer marks wrap at 二号).
    public var issuerMark: String
    /// 发文字号, e.g. "丽应联通〔2026〕3号": 3号 仿宋, centred, two lines under
    /// the mark, with the red separator line 4 mm below it.
    public var documentNumber: String
    /// 标题: 2号 小标宋, centred, two lines under the separator; may wrap (a
    /// line break in the text forces one).
    public var title: String
    /// 主送机关, flush left one line under the title. A full-width colon "："
    /// is appended (an ASCII or full-width colon already at the end is replaced).
    public var addressee: String?
    public var body: [Block]
    /// 发文机关署名, centred over the date (both right of the text block).
    public var signature: String
    /// 成文日期, printed "2026年3月4日".
    public var date: OfficialDate
    /// Printed in place of the date when set: a draft's "成文日期：发布时填写".
    public var dateText: String?
    /// 附件, each on a page of its own after the signature and date.
    public var annexes: [Annex]
    /// 抄送 in the 版记. "抄送：" is put in front and a "。" after the last name
    /// unless it is already there.
    public var copyTo: String?
    /// 印发机关 in the 版记.
    public var printedBy: String?
    /// 印发日期 in the 版记, printed "2026年3月4日印发".
    public var printedOn: OfficialDate?

    public init(
        issuerMark: String,
        documentNumber: String,
        title: String,
        addressee: String? = nil,
        body: [Block],
        signature: String,
        date: OfficialDate,
        copyTo: String? = nil,
        printedBy: String? = nil,
        printedOn: OfficialDate? = nil,
        dateText: String? = nil,
        annexes: [Annex] = []
    ) {
        self.issuerMark = issuerMark
        self.documentNumber = documentNumber
        self.title = title
        self.addressee = addressee
        self.body = body
        self.signature = signature
        self.date = date
        self.copyTo = copyTo
        self.printedBy = printedBy
        self.printedOn = printedOn
        self.dateText = dateText
        self.annexes = annexes
    }
}

/// A DOCX write failure; `message` is user-facing Simplified Chinese, like
/// `XLSXError`.
public struct DOCXError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
