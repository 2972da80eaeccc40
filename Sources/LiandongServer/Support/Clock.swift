import Foundation
import NIOConcurrencyHelpers

/// The time as sign-in, sessions and re-authentication see it. It runs with the system clock;
/// tests move it forward instead of waiting (a TOTP step, the re-authentication window).
final class LiandongClock: Sendable {
    private let offset = NIOLockedValueBox<TimeInterval>(0)

    init() {}

    func now() -> Date { Date().addingTimeInterval(offset.withLockedValue { $0 }) }

    /// Moves the clock forward by `seconds` (tests).
    func advance(by seconds: TimeInterval) { offset.withLockedValue { $0 += seconds } }
}
