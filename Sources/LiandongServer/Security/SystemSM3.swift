#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// SM3 from the system's OpenSSL (libcrypto 3 or 1.1.1, which both carry it), loaded when first
/// used with `dlopen`, so that the binary links against no OpenSSL and runs where there is none.
/// Only the digest calls are used: `EVP_MD_fetch` (3.x) or `EVP_get_digestbyname` for the
/// algorithm, then `EVP_MD_CTX_new`, `EVP_DigestInit_ex`, `EVP_DigestUpdate`,
/// `EVP_DigestFinal_ex`, `EVP_MD_CTX_free`. The library is kept only if it hashes the GB/T 32905
/// example ("abc") to the standard's digest.
final class SystemSM3: @unchecked Sendable {
    private typealias MDFetch = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> OpaquePointer?
    private typealias DigestByName = @convention(c) (UnsafePointer<CChar>?) -> OpaquePointer?
    private typealias ContextNew = @convention(c) () -> OpaquePointer?
    private typealias ContextFree = @convention(c) (OpaquePointer?) -> Void
    private typealias DigestInit = @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Int32
    private typealias DigestUpdate = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int) -> Int32
    private typealias DigestFinal = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> Int32
    private typealias VersionText = @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// GB/T 32905-2016, appendix A, example 1: the SM3 digest of "abc".
    static let abcDigest = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"

    /// The libraries tried, in order.
    static let candidates = ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"]

    /// The system's SM3, or nil when no libcrypto loads or none offers SM3.
    static let shared: SystemSM3? = load(candidates)

    /// The file name that was opened (`libcrypto.so.3`) and OpenSSL's own version text.
    let library: String
    let version: String

    // The library stays open, and the algorithm fetched, for the life of the process.
    private let handle: UnsafeMutableRawPointer
    private let digest: OpaquePointer
    private let contextNew: ContextNew
    private let contextFree: ContextFree
    private let digestInit: DigestInit
    private let digestUpdate: DigestUpdate
    private let digestFinal: DigestFinal

    static func load(_ names: [String]) -> SystemSM3? {
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let sm3 = SystemSM3(handle: handle, library: name) { return sm3 }
            dlclose(handle)
        }
        return nil
    }

    private init?(handle: UnsafeMutableRawPointer, library: String) {
        func symbol<T>(_ name: String, _ type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let contextNew = symbol("EVP_MD_CTX_new", ContextNew.self),
              let contextFree = symbol("EVP_MD_CTX_free", ContextFree.self),
              let digestInit = symbol("EVP_DigestInit_ex", DigestInit.self),
              let digestUpdate = symbol("EVP_DigestUpdate", DigestUpdate.self),
              let digestFinal = symbol("EVP_DigestFinal_ex", DigestFinal.self)
        else { return nil }
        // OpenSSL 3 fetches the implementation from its providers; 1.1.1 has it built in.
        var digest = symbol("EVP_MD_fetch", MDFetch.self)?(nil, "SM3", nil)
        if digest == nil { digest = symbol("EVP_get_digestbyname", DigestByName.self)?("SM3") }
        guard let digest else { return nil }
        self.handle = handle
        self.library = library
        self.digest = digest
        self.contextNew = contextNew
        self.contextFree = contextFree
        self.digestInit = digestInit
        self.digestUpdate = digestUpdate
        self.digestFinal = digestFinal
        // OpenSSL_version (1.1.0 and later), else SSLeay_version; 0 is OPENSSL_VERSION.
        let versionText = symbol("OpenSSL_version", VersionText.self) ?? symbol("SSLeay_version", VersionText.self)
        self.version = versionText?(0).map { String(cString: $0) } ?? "OpenSSL"
        guard hash(data: Array("abc".utf8)).map(SM3.hexString) == Self.abcDigest else { return nil }
    }

    /// The SM3 digest of `data` (32 bytes), or nil should OpenSSL report a failure.
    func hash(data: some DataProtocol) -> [UInt8]? {
        if let digest = data.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { hash($0) }
    }

    func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let context = contextNew() else { return nil }
        defer { contextFree(context) }
        var output = [UInt8](repeating: 0, count: SM3.byteCount)
        var length: UInt32 = 0
        guard digestInit(context, digest, nil) == 1,
              digestUpdate(context, bytes.baseAddress, bytes.count) == 1,
              output.withUnsafeMutableBufferPointer({ digestFinal(context, $0.baseAddress, &length) }) == 1,
              length == SM3.byteCount
        else { return nil }
        return output
    }
}

/// The SM3 the audit log chains with: the system's OpenSSL when it offers SM3, otherwise the
/// implementation in Swift (`SM3`). Both give the same digests, so a chain written with one
/// verifies with the other.
enum SM3Digest {
    enum Implementation: Sendable, Equatable {
        /// The system's OpenSSL when present, else Swift.
        case automatic
        case openSSL
        case swift
    }

    /// Tests choose one explicitly; the application always runs `.automatic`.
    @TaskLocal static var implementation: Implementation = .automatic

    /// The implementation `.automatic` resolves to in this process.
    static var inUse: Implementation { SystemSM3.shared == nil ? .swift : .openSSL }

    static func hash(data: some DataProtocol) -> [UInt8] {
        switch implementation {
        case .automatic, .openSSL:
            if let system = SystemSM3.shared, let digest = system.hash(data: data) { return digest }
            precondition(implementation != .openSSL, "SM3 from OpenSSL was asked for, but the system's OpenSSL offers none")
            return SM3.hash(data: data)
        case .swift:
            return SM3.hash(data: data)
        }
    }

    /// For the start-up log.
    static var logDescription: String {
        if let system = SystemSM3.shared { return "system OpenSSL (\(system.library), \(system.version))" }
        return "built-in Swift implementation (no system OpenSSL with SM3; tried \(SystemSM3.candidates.joined(separator: ", ")))"
    }

    /// For `audit verify` (zh-CN).
    static var description: String {
        if let system = SystemSM3.shared { return "系统 OpenSSL（\(system.library)，\(system.version)）" }
        return "内置 Swift 实现（未找到提供 SM3 的系统 OpenSSL：\(SystemSM3.candidates.joined(separator: "、"))）"
    }
}
