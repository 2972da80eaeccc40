import FluentSQLiteDriver
import Foundation
import Testing
import Vapor
@testable import LiandongServer

@Suite("A full disk")
struct StorageFullTests {
    /// A real SQLITE_FULL: an in-memory database capped at a few pages refuses a large row.
    /// (scripts/disk-full shows the same end to end, with the database on a full filesystem.)
    @Test func sqliteFullIsA507WithAMessageForTheUser() async throws {
        let connection = try await SQLiteConnection.open(storage: .memory)
        var caught: (any Error)?
        do {
            try await connection.query("CREATE TABLE t (x BLOB)", []) { _ in }
            try await connection.query("PRAGMA max_page_count = 4", []) { _ in }
            try await connection.query("INSERT INTO t VALUES (zeroblob(1000000))", []) { _ in }
        } catch {
            caught = error
        }
        try await connection.close()
        let error = try #require(caught)
        #expect((error as? SQLiteError)?.reason == .full)
        let (status, message, _) = LiandongErrorMiddleware.describe(error)
        #expect(status == .insufficientStorage)
        #expect(message.contains("磁盘空间不足"))
        #expect(Entrypoint.describe(error) == message)
        // Any other database fault stays a plain 500.
        #expect(LiandongErrorMiddleware.describe(CancellationError()).0 == .internalServerError)
    }
}
