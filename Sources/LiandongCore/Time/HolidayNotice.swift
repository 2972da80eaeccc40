import Foundation

/// One year of the State Council's holiday schedule (国务院办公厅关于某年部分节假日安排的通知):
/// the public holidays (放假, weekends inside them are days off anyway) and the make-up working
/// days (调休上班, a Saturday or Sunday worked). It is what an administrator imports for a year and
/// what the database keeps; `WorkingCalendar` is built from the years it holds.
public struct HolidayNotice: Hashable, Sendable, Codable {
    /// A notice the year's schedule comes from: the annual notice first, then any later notice
    /// that changed it (in 2020, the extension of the Spring Festival holiday).
    public struct Document: Hashable, Sendable, Codable {
        /// 文号, e.g. 国办发明电〔2025〕7号.
        public var number: String
        public var title: String
        public var issuedOn: LocalDate?
        /// What the notice changed, in words (for a later notice).
        public var note: String?

        public init(number: String, title: String, issuedOn: LocalDate? = nil, note: String? = nil) {
            self.number = number; self.title = title; self.issuedOn = issuedOn; self.note = note
        }

        enum CodingKeys: String, CodingKey { case number, title, issuedOn = "issued_on", note }
    }

    /// A holiday period, first and last day inclusive.
    public struct Holiday: Hashable, Sendable, Codable {
        /// 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节 (or 中秋节、国庆节 when joined).
        public var name: String
        public var first: LocalDate
        public var last: LocalDate

        public init(_ name: String, _ first: LocalDate, _ last: LocalDate) {
            self.name = name; self.first = first; self.last = last
        }

        public var days: [LocalDate] {
            guard first <= last else { return [] }
            return (first.dayNumber...last.dayNumber).map(LocalDate.init(dayNumber:))
        }
    }

    /// A weekend day worked in exchange for a weekday of a holiday.
    public struct MakeUpDay: Hashable, Sendable, Codable {
        public var date: LocalDate
        /// The holiday it belongs to.
        public var name: String?

        public init(_ date: LocalDate, for name: String? = nil) {
            self.date = date; self.name = name
        }
    }

    public var year: Int
    public var documents: [Document]
    public var holidays: [Holiday]
    public var makeUpDays: [MakeUpDay]

    public init(year: Int, documents: [Document], holidays: [Holiday], makeUpDays: [MakeUpDay]) {
        self.year = year; self.documents = documents
        self.holidays = holidays.sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        self.makeUpDays = makeUpDays.sorted { $0.date < $1.date }
    }

    enum CodingKeys: String, CodingKey { case year, documents, holidays, makeUpDays = "make_up_days" }

    /// The annual notice the year is known by.
    public var notice: Document? { documents.first }

    /// The days a notice for `year` may name: its own year, and the last days of the year before
    /// (元旦 2023 began on 2022-12-31).
    public static func allowedDays(year: Int) -> ClosedRange<LocalDate> {
        LocalDate(year: year - 1, month: 12, day: 1)!...LocalDate(year: year, month: 12, day: 31)!
    }

    /// The longest holiday period a notice may set (the longest so far: 10 days, the extended
    /// Spring Festival of 2020); a longer one is surely a typing error.
    public static let longestHolidayDays = 15
}

extension HolidayNotice {
    static func day(_ text: String) -> LocalDate { LocalDate(text)! }

    static func holiday(_ name: String, _ first: String, _ last: String? = nil) -> Holiday {
        Holiday(name, day(first), day(last ?? first))
    }

    static func workday(_ date: String, _ name: String) -> MakeUpDay { MakeUpDay(day(date), for: name) }

    static func annual(_ year: Int, _ number: String, issued: String) -> Document {
        Document(number: number, title: "国务院办公厅关于\(year)年部分节假日安排的通知", issuedOn: day(issued))
    }

    /// The notices of 2020 to 2026 as the State Council published them, shipped with the system
    /// and seeded into the database by migration 019. Later years are imported by an
    /// administrator (`liandong calendar import`, `/admin/calendar`).
    ///
    /// 2020 includes the extension of the Spring Festival holiday to 2 February (国办发明电〔2020〕1号,
    /// 2020-01-26): it is a notice of the State Council, binding nationwide, and it changed which
    /// days were worked: Friday 31 January became a day off, and Saturday 1 February, a make-up
    /// working day in the annual notice, was no longer worked. Provincial measures that followed
    /// (Zhejiang's delayed return to work) were not public holidays and are left out.
    public static let shipped: [HolidayNotice] = [
        HolidayNotice(
            year: 2020,
            documents: [
                annual(2020, "国办发明电〔2019〕16号", issued: "2019-11-21"),
                Document(number: "国办发明电〔2020〕1号", title: "国务院办公厅关于延长2020年春节假期的通知", issuedOn: day("2020-01-26"),
                         note: "春节假期延长至2月2日（星期日），2月3日起正常上班；原定2月1日（星期六）上班不再执行。"),
            ],
            holidays: [
                holiday("元旦", "2020-01-01"),
                holiday("春节", "2020-01-24", "2020-02-02"),
                holiday("清明节", "2020-04-04", "2020-04-06"),
                holiday("劳动节", "2020-05-01", "2020-05-05"),
                holiday("端午节", "2020-06-25", "2020-06-27"),
                holiday("国庆节、中秋节", "2020-10-01", "2020-10-08"),
            ],
            makeUpDays: [
                workday("2020-01-19", "春节"),
                workday("2020-04-26", "劳动节"), workday("2020-05-09", "劳动节"),
                workday("2020-06-28", "端午节"),
                workday("2020-09-27", "国庆节、中秋节"), workday("2020-10-10", "国庆节、中秋节"),
            ]),
        HolidayNotice(
            year: 2021,
            documents: [annual(2021, "国办发明电〔2020〕27号", issued: "2020-11-25")],
            holidays: [
                holiday("元旦", "2021-01-01", "2021-01-03"),
                holiday("春节", "2021-02-11", "2021-02-17"),
                holiday("清明节", "2021-04-03", "2021-04-05"),
                holiday("劳动节", "2021-05-01", "2021-05-05"),
                holiday("端午节", "2021-06-12", "2021-06-14"),
                holiday("中秋节", "2021-09-19", "2021-09-21"),
                holiday("国庆节", "2021-10-01", "2021-10-07"),
            ],
            makeUpDays: [
                workday("2021-02-07", "春节"), workday("2021-02-20", "春节"),
                workday("2021-04-25", "劳动节"), workday("2021-05-08", "劳动节"),
                workday("2021-09-18", "中秋节"),
                workday("2021-09-26", "国庆节"), workday("2021-10-09", "国庆节"),
            ]),
        HolidayNotice(
            year: 2022,
            documents: [annual(2022, "国办发明电〔2021〕11号", issued: "2021-10-25")],
            holidays: [
                holiday("元旦", "2022-01-01", "2022-01-03"),
                holiday("春节", "2022-01-31", "2022-02-06"),
                holiday("清明节", "2022-04-03", "2022-04-05"),
                holiday("劳动节", "2022-04-30", "2022-05-04"),
                holiday("端午节", "2022-06-03", "2022-06-05"),
                holiday("中秋节", "2022-09-10", "2022-09-12"),
                holiday("国庆节", "2022-10-01", "2022-10-07"),
            ],
            makeUpDays: [
                workday("2022-01-29", "春节"), workday("2022-01-30", "春节"),
                workday("2022-04-02", "清明节"),
                workday("2022-04-24", "劳动节"), workday("2022-05-07", "劳动节"),
                workday("2022-10-08", "国庆节"), workday("2022-10-09", "国庆节"),
            ]),
        HolidayNotice(
            year: 2023,
            documents: [annual(2023, "国办发明电〔2022〕16号", issued: "2022-12-08")],
            holidays: [
                holiday("元旦", "2022-12-31", "2023-01-02"),
                holiday("春节", "2023-01-21", "2023-01-27"),
                holiday("清明节", "2023-04-05"),
                holiday("劳动节", "2023-04-29", "2023-05-03"),
                holiday("端午节", "2023-06-22", "2023-06-24"),
                holiday("中秋节、国庆节", "2023-09-29", "2023-10-06"),
            ],
            makeUpDays: [
                workday("2023-01-28", "春节"), workday("2023-01-29", "春节"),
                workday("2023-04-23", "劳动节"), workday("2023-05-06", "劳动节"),
                workday("2023-06-25", "端午节"),
                workday("2023-10-07", "中秋节、国庆节"), workday("2023-10-08", "中秋节、国庆节"),
            ]),
        HolidayNotice(
            year: 2024,
            documents: [annual(2024, "国办发明电〔2023〕7号", issued: "2023-10-25")],
            holidays: [
                holiday("元旦", "2024-01-01"),
                holiday("春节", "2024-02-10", "2024-02-17"),
                holiday("清明节", "2024-04-04", "2024-04-06"),
                holiday("劳动节", "2024-05-01", "2024-05-05"),
                holiday("端午节", "2024-06-10"),
                holiday("中秋节", "2024-09-15", "2024-09-17"),
                holiday("国庆节", "2024-10-01", "2024-10-07"),
            ],
            makeUpDays: [
                workday("2024-02-04", "春节"), workday("2024-02-18", "春节"),
                workday("2024-04-07", "清明节"),
                workday("2024-04-28", "劳动节"), workday("2024-05-11", "劳动节"),
                workday("2024-09-14", "中秋节"),
                workday("2024-09-29", "国庆节"), workday("2024-10-12", "国庆节"),
            ]),
        HolidayNotice(
            year: 2025,
            documents: [annual(2025, "国办发明电〔2024〕12号", issued: "2024-11-12")],
            holidays: [
                holiday("元旦", "2025-01-01"),
                holiday("春节", "2025-01-28", "2025-02-04"),
                holiday("清明节", "2025-04-04", "2025-04-06"),
                holiday("劳动节", "2025-05-01", "2025-05-05"),
                holiday("端午节", "2025-05-31", "2025-06-02"),
                holiday("国庆节、中秋节", "2025-10-01", "2025-10-08"),
            ],
            makeUpDays: [
                workday("2025-01-26", "春节"), workday("2025-02-08", "春节"),
                workday("2025-04-27", "劳动节"),
                workday("2025-09-28", "国庆节、中秋节"), workday("2025-10-11", "国庆节、中秋节"),
            ]),
        HolidayNotice(
            year: 2026,
            documents: [annual(2026, "国办发明电〔2025〕7号", issued: "2025-11-04")],
            holidays: [
                holiday("元旦", "2026-01-01", "2026-01-03"),
                holiday("春节", "2026-02-15", "2026-02-23"),
                holiday("清明节", "2026-04-04", "2026-04-06"),
                holiday("劳动节", "2026-05-01", "2026-05-05"),
                holiday("端午节", "2026-06-19", "2026-06-21"),
                holiday("中秋节", "2026-09-25", "2026-09-27"),
                holiday("国庆节", "2026-10-01", "2026-10-07"),
            ],
            makeUpDays: [
                workday("2026-01-04", "元旦"),
                workday("2026-02-14", "春节"), workday("2026-02-28", "春节"),
                workday("2026-05-09", "劳动节"),
                workday("2026-09-20", "国庆节"), workday("2026-10-10", "国庆节"),
            ]),
    ]
}
