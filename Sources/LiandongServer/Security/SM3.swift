import Foundation

/// SM3, the Chinese national cryptographic hash (GB/T 32905-2016,
/// also ISO/IEC 10118-3:2018): 512-bit blocks, 256-bit digest, a
/// Merkle–Damgård construction with SHA-256-style padding.
///
/// Pure Swift, no dependency. One-shot:
/// ```swift
/// let digest = SM3.hash(data: Data("abc".utf8))   // 32 bytes
/// let hex = SM3.hexDigest(data: Data("abc".utf8))  // "66c7f0f4…"
/// ```
/// or incremental with `SM3.Hasher` (`update` repeatedly, then `finalize`).
public enum SM3 {
    /// Digest size in bytes.
    public static let byteCount = 32
    /// Block size in bytes.
    public static let blockByteCount = 64

    /// The SM3 digest of `data`.
    public static func hash(data: some DataProtocol) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(data: data)
        return hasher.finalize()
    }

    /// The SM3 digest of `data` as 64 lower-case hex characters.
    public static func hexDigest(data: some DataProtocol) -> String {
        hexString(hash(data: data))
    }

    /// Lower-case hex of any bytes (e.g. a digest from `hash(data:)`).
    public static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Incremental SM3.
    public struct Hasher: Sendable {
        private static let initialState: [UInt32] = [
            0x7380_166F, 0x4914_B2B9, 0x1724_42D7, 0xDA8A_0600,
            0xA96F_30BC, 0x1631_38AA, 0xE38D_EE4D, 0xB0FB_0E4E,
        ]

        private var state: [UInt32] = Hasher.initialState
        /// Bytes not yet compressed (always fewer than 64 between calls).
        private var pending: [UInt8] = []
        /// Total message length in bytes.
        private var length: UInt64 = 0

        public init() {
            pending.reserveCapacity(SM3.blockByteCount)
        }

        public mutating func update(data: some DataProtocol) {
            for region in data.regions {
                region.withUnsafeBytes { update(buffer: $0) }
            }
        }

        public mutating func update(bytes: [UInt8]) {
            bytes.withUnsafeBytes { update(buffer: $0) }
        }

        private mutating func update(buffer: UnsafeRawBufferPointer) {
            guard !buffer.isEmpty else { return }
            length &+= UInt64(buffer.count)
            var index = 0
            // Complete a partly filled block first.
            if !pending.isEmpty {
                let take = min(SM3.blockByteCount - pending.count, buffer.count)
                pending.append(contentsOf: buffer[0..<take])
                index = take
                if pending.count == SM3.blockByteCount {
                    pending.withUnsafeBytes { compress(block: $0) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            // Whole blocks straight from the input.
            while buffer.count - index >= SM3.blockByteCount {
                compress(block: UnsafeRawBufferPointer(rebasing: buffer[index..<(index + SM3.blockByteCount)]))
                index += SM3.blockByteCount
            }
            if index < buffer.count {
                pending.append(contentsOf: buffer[index...])
            }
        }

        /// Pads, compresses the final block(s) and returns the 32-byte digest.
        public consuming func finalize() -> [UInt8] {
            let bitLength = length &* 8
            var tail = pending
            tail.append(0x80)
            while tail.count % SM3.blockByteCount != 56 {
                tail.append(0)
            }
            withUnsafeBytes(of: bitLength.bigEndian) { tail.append(contentsOf: $0) }
            tail.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    compress(block: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + SM3.blockByteCount)]))
                    offset += SM3.blockByteCount
                }
            }
            var digest: [UInt8] = []
            digest.reserveCapacity(SM3.byteCount)
            for word in state {
                digest.append(UInt8(truncatingIfNeeded: word >> 24))
                digest.append(UInt8(truncatingIfNeeded: word >> 16))
                digest.append(UInt8(truncatingIfNeeded: word >> 8))
                digest.append(UInt8(truncatingIfNeeded: word))
            }
            return digest
        }

        // MARK: Compression function CF (GB/T 32905-2016 §5.3)

        @inline(__always)
        private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
            (x &<< n) | (x &>> (32 &- n))
        }

        @inline(__always)
        private static func p0(_ x: UInt32) -> UInt32 { x ^ rotl(x, 9) ^ rotl(x, 17) }

        @inline(__always)
        private static func p1(_ x: UInt32) -> UInt32 { x ^ rotl(x, 15) ^ rotl(x, 23) }

        private mutating func compress(block: UnsafeRawBufferPointer) {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 68) { w in
                // Message expansion: W0...W67 (W'j = Wj ^ Wj+4 is taken inline).
                for j in 0..<16 {
                    let base = j * 4
                    w[j] = (UInt32(block[base]) << 24) | (UInt32(block[base + 1]) << 16)
                        | (UInt32(block[base + 2]) << 8) | UInt32(block[base + 3])
                }
                for j in 16..<68 {
                    w[j] = Self.p1(w[j - 16] ^ w[j - 9] ^ Self.rotl(w[j - 3], 15))
                        ^ Self.rotl(w[j - 13], 7) ^ w[j - 6]
                }

                var a = state[0], b = state[1], c = state[2], d = state[3]
                var e = state[4], f = state[5], g = state[6], h = state[7]
                for j in 0..<64 {
                    let t: UInt32 = j < 16 ? 0x79CC_4519 : 0x7A87_9D8A
                    let a12 = Self.rotl(a, 12)
                    let ss1 = Self.rotl(a12 &+ e &+ Self.rotl(t, UInt32(j % 32)), 7)
                    let ss2 = ss1 ^ a12
                    let ff: UInt32, gg: UInt32
                    if j < 16 {
                        ff = a ^ b ^ c
                        gg = e ^ f ^ g
                    } else {
                        ff = (a & b) | (a & c) | (b & c)
                        gg = (e & f) | (~e & g)
                    }
                    let tt1 = ff &+ d &+ ss2 &+ (w[j] ^ w[j + 4])
                    let tt2 = gg &+ h &+ ss1 &+ w[j]
                    d = c
                    c = Self.rotl(b, 9)
                    b = a
                    a = tt1
                    h = g
                    g = Self.rotl(f, 19)
                    f = e
                    e = Self.p0(tt2)
                }
                state[0] ^= a; state[1] ^= b; state[2] ^= c; state[3] ^= d
                state[4] ^= e; state[5] ^= f; state[6] ^= g; state[7] ^= h
            }
        }
    }
}
