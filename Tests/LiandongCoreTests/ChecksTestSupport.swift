import Foundation
@testable import LiandongCore

/// An instant written as the import files write it; `09:10` alone means that time on 2026-03-04
/// in China time.
func cst(_ text: String) -> Date {
    let full = text.count <= 8 ? "2026-03-04T\(text)+08:00" : text
    guard let date = ChinaTime.parseTimestamp(full) else { fatalError("bad test timestamp \(text)") }
    return date
}
