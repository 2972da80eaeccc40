import Fluent
import Foundation
import LiandongCore
import SQLKit

/// The working calendar (issue #20: holidays and make-up working days by year) in the database,
/// seeded with the State Council's notices of 2020–2026 as the system ships them
/// (`HolidayNotice.shipped`); administrators import the years after.
struct CreateWorkingCalendar: AsyncMigration {
    /// The years this migration seeds. A year shipped later, or a correction to one of these,
    /// reaches databases already migrated by an import (or a migration of its own), not by
    /// editing this one.
    static let seed = HolidayNotice.shipped.filter { (2020...2026).contains($0.year) }

    func prepare(on database: any Database) async throws {
        try await database.schema(WorkingCalendarStore.table)
            .field("year", .int, .identifier(auto: false))
            .field("body", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
        // The shipped data, like the register's seed (migration 002), is the starting state
        // rather than anyone's change: the migration log records it; what administrators change
        // later is audited.
        try await WorkingCalendarStore.insert(Self.seed, by: "system", at: Date(), on: database as! any SQLDatabase)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(WorkingCalendarStore.table).delete()
    }
}
