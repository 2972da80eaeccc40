import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The reverse proxies whose `X-Forwarded-For` is believed (`LIANDONG_TRUSTED_PROXIES`: a comma-
/// separated list of addresses and CIDR networks, IPv4 or IPv6; empty by default). A client's
/// address is the socket's peer, unless that peer is a trusted proxy: then it is the right-most
/// address of `X-Forwarded-For` that is not itself a trusted proxy, since each proxy appends the
/// address it received the request from and anything to the left of the first trusted one is
/// whatever the client chose to send. Sign-in limits and the audit log rest on this address.
struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var bits = prefix
            for (a, b) in zip(address, bytes) {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    var networks: [Network] = []

    static let none = TrustedProxies()

    /// Parses the setting; a bad entry stops the start with a message naming it.
    static func parse(_ raw: String?) throws -> TrustedProxies {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return .none }
        var networks: [Network] = []
        for entry in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = address(parts[0]) else {
                throw ConfigurationError(variable: "LIANDONG_TRUSTED_PROXIES", message: "“\(entry)”不是有效的 IP 地址或网段（如 10.0.0.5、10.0.0.0/8、fd00::/8）")
            }
            let maximum = bytes.count * 8
            // An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is kept as IPv4.
            let mapped = bytes.count == 4 && parts[0].contains(":")
            let prefix = parts.count == 2 ? Int(parts[1]).map { mapped ? $0 - 96 : $0 } : maximum
            guard let prefix, (0...maximum).contains(prefix) else {
                throw ConfigurationError(variable: "LIANDONG_TRUSTED_PROXIES", message: "“\(entry)”的前缀长度应为 0 到 \(maximum)")
            }
            networks.append(Network(bytes: bytes, prefix: prefix))
        }
        return TrustedProxies(networks: networks)
    }

    /// An address's bytes: 4 for IPv4 (also when written as IPv4-mapped IPv6), 16 for IPv6.
    static func address(_ text: String) -> [UInt8]? {
        var text = text
        // Some proxies add the port: `203.0.113.7:51234`, `[2001:db8::1]:443`.
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    func contains(_ text: String) -> Bool {
        guard !networks.isEmpty, let bytes = Self.address(text) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client: `peer`, or, when `peer` is trusted, the right-most untrusted entry of the
    /// `X-Forwarded-For` values (all of its headers, in order).
    func client(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        guard contains(peer) else { return peer }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for entry in chain.reversed() where !contains(entry) {
            // Only an address is an address: anything else in the header is the client's invention.
            return Self.address(entry) != nil ? entry : peer
        }
        return chain.first ?? peer
    }
}
