import Fluent
import Vapor
import Foundation
import NIOConcurrencyHelpers

/// One writer at a time in this process, in the order they came: a FIFO queue in front of an
/// SQLite file's write lock. SQLite lets one connection write at a time; without the queue two
/// transactions of this process race for the lock and the loser is refused or left waiting on a
/// pooled connection until the pool gives up. With it, a writer waits its turn holding no
/// connection, and reads go on on their own connections meanwhile (WAL).
///
/// A writer that waits longer than its patience (`WriteGate.$patience`, set for HTTP requests
/// by `WritePatienceMiddleware`) gives up with `WriteGate.Busy` before anything of it is
/// written; the commands and the scheduler wait as long as it takes.
final class WriteGate: Sendable {
    /// A writer gave up waiting for its turn; nothing of it was written.
    struct Busy: Error, CustomStringConvertible {
        var waited: Duration
        var description: String { "waited \(waited) for the write turn" }
    }

    /// How long a writer of the current task waits for its turn; nil: as long as it takes.
    @TaskLocal static var patience: Duration? = nil
    /// The gate the current task holds, so that a write inside a write (another handle on the
    /// same file, in the same task) joins the turn instead of waiting for itself.
    @TaskLocal static var held: ObjectIdentifier? = nil
    /// The write transaction the current task runs in that turn.
    @TaskLocal static var transaction: (any Database)? = nil

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var busy = false
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        /// Waiters that gave up (deadline or cancellation) before they were queued, and why.
        var abandoned: [UInt64: any Error] = [:]
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Runs `body` in this gate's turn.
    func withTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if Self.held == ObjectIdentifier(self) { return try await body() }
        try await acquire(patience: Self.patience)
        defer { release() }
        return try await Self.$held.withValue(ObjectIdentifier(self)) { try await body() }
    }

    /// Writers waiting now (not counting the one writing).
    var waiting: Int { state.withLockedValue { $0.waiters.count } }

    private func acquire(patience: Duration?) async throws {
        let id: UInt64? = state.withLockedValue { s in
            if !s.busy { s.busy = true; return nil }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        let started = ContinuousClock.now
        var timer: Task<Void, Never>?
        if let patience {
            timer = Task { [weak self] in
                try? await Task.sleep(for: patience)
                if !Task.isCancelled { self?.abandon(id, with: Busy(waited: ContinuousClock.now - started)) }
            }
        }
        defer {
            timer?.cancel()
            // A deadline that fired as the turn came is forgotten with the waiter.
            _ = state.withLockedValue { $0.abandoned.removeValue(forKey: id) }
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLockedValue { s in
                    if let error = s.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if !s.busy { s.busy = true; return .success(()) }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            abandon(id, with: CancellationError())
        }
    }

    /// Takes a waiter out of the queue with `error`; one not queued yet is refused when it comes.
    private func abandon(_ id: UInt64, with error: any Error) {
        let waiter: Waiter? = state.withLockedValue { s in
            if let index = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: index) }
            s.abandoned[id] = error
            return nil
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Hands the turn to the next waiter, or frees the gate.
    private func release() {
        let next: Waiter? = state.withLockedValue { s in
            if s.waiters.isEmpty { s.busy = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}

/// An SQLite configuration that carries the write gate of its file and the project's writing
/// connection to it (`SQLiteWriter`): every `Database` made from it finds both in
/// `context.configuration`, so that `writeTransaction` queues on the right file (tests run many
/// files side by side in one process) and writes on that connection while reads keep the pool's.
struct GatedDatabaseConfiguration: DatabaseConfiguration {
    var base: any DatabaseConfiguration
    let gate: WriteGate
    let writer: SQLiteWriter

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        GatedDriver(base: base.makeDriver(for: databases), writer: writer)
    }
}

/// The SQLite driver's, closing the writing connection when the application shuts down.
private struct GatedDriver: DatabaseDriver {
    let base: any DatabaseDriver
    let writer: SQLiteWriter

    func makeDatabase(with context: DatabaseContext) -> any Database { base.makeDatabase(with: context) }

    func shutdown() {
        writer.close()
        base.shutdown()
    }

    func shutdownAsync() async {
        writer.close()
        await base.shutdownAsync()
    }
}

extension Databases {
    /// An SQLite file as the default database: SQLiteNIO's pool reads it, and `writer` (the
    /// project's own connection to the same file) writes it, one transaction at a time.
    func useGatedSQLite(writer: SQLiteWriter, _ make: () -> DatabaseConfigurationFactory) {
        use(GatedDatabaseConfiguration(base: make().make(), gate: WriteGate(), writer: writer), as: .sqlite, isDefault: true)
    }
}

extension Database {
    /// The write gate of this database's file (SQLite); nil on PostgreSQL, which has its own
    /// row locks and lets writers run side by side.
    var writeGate: WriteGate? { (context.configuration as? GatedDatabaseConfiguration)?.gate }

    /// The writing connection of this database's file (SQLite); nil on PostgreSQL.
    var sqliteWriter: SQLiteWriter? { (context.configuration as? GatedDatabaseConfiguration)?.writer }
}

/// A request waits at most `LiandongState.writePatience` (`DatabasePool.writeWaitSeconds`) for
/// its turn to write; past that it is answered 503 with `Retry-After` and nothing of it is stored.
struct WritePatienceMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await WriteGate.$patience.withValue(request.application.liandong.writePatience) { try await next.respond(to: request) }
    }
}
