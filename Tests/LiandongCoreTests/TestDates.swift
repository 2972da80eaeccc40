import Foundation
@testable import LiandongCore

extension FactDates {
    /// The bounds of a parsing test: the mechanism's start and a clock standing at
    /// 2027-01-10 12:00 China time, past every fixed date the tests write.
    static let testing = FactDates(mechanismStart: RuleSet.initial.mechanismStart,
                                   now: ChinaTime.parseTimestamp("2027-01-10T12:00:00+08:00")!, toleranceHours: 24)
}
