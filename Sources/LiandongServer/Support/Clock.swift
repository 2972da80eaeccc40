import Foundation
import NIOConcurrencyHelpers

/// The time as sign-in, sessions, re-authentication and the sign-in limits see it. It runs with
/// the system clock; tests stop it (`freeze`) so that nothing they check depends on how fast the
/// machine is, and move it forward instead of waiting (a TOTP step, the re-authentication window).
final class LiandongClock: Sendable {
    private struct State { var offset: TimeInterval = 0; var frozenAt: Date? }
    private let state = NIOLockedValueBox(State())

    init() {}

    func now() -> Date {
        state.withLockedValue { s in (s.frozenAt ?? Date()).addingTimeInterval(s.offset) }
    }

    /// Stops the clock at this moment: from now on it moves only by `advance` (tests).
    func freeze() { state.withLockedValue { s in if s.frozenAt == nil { s.frozenAt = Date() } } }

    /// Moves the clock forward by `seconds` (tests).
    func advance(by seconds: TimeInterval) { state.withLockedValue { $0.offset += seconds } }
}
