import Foundation
import Testing
@testable import LiandongServer

@Suite("Audit hash algorithm")
struct AuditHashTests {
    @Test func knownDigests() {
        let data = Data("abc".utf8)
        #expect(AuditHashAlgorithm.sha256.hexDigest(data)
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(AuditHashAlgorithm.sm3.hexDigest(data)
            == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        let json = Data(#"{"seq":1}"#.utf8)
        #expect(AuditHashAlgorithm.sha256.hexDigest(json)
            == "b41e95c43f388d561b146326d84e3a6b9e31c4ef32ab97c04774c31aada3246a")
        #expect(AuditHashAlgorithm.sm3.hexDigest(json)
            == "fb61eff3f166133e2c7874bcb902503d3fdff51a82773c0189830a52533ce90b")
        #expect(AuditHashAlgorithm.sha256.hexDigest(Data())
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func parsesConfigValues() {
        #expect(AuditHashAlgorithm(configValue: "sha256") == .sha256)
        #expect(AuditHashAlgorithm(configValue: "SHA-256") == .sha256)
        #expect(AuditHashAlgorithm(configValue: " sha_256\n") == .sha256)
        #expect(AuditHashAlgorithm(configValue: "sm3") == .sm3)
        #expect(AuditHashAlgorithm(configValue: "SM3") == .sm3)
        for bad in ["", "md5", "sha1", "sha-512", "sm4", "sha 256"] {
            #expect(AuditHashAlgorithm(configValue: bad) == nil)
        }
    }

    @Test func parseThrowsChineseError() {
        #expect(throws: AuditHashAlgorithm.ConfigError.unsupported("md5")) {
            try AuditHashAlgorithm.parse(configValue: "md5")
        }
        #expect(AuditHashAlgorithm.ConfigError.unsupported("md5").description.contains("不支持的审计哈希算法"))
        #expect((try? AuditHashAlgorithm.parse(configValue: "SM3")) == .sm3)
    }

    @Test func codableAndCases() throws {
        #expect(AuditHashAlgorithm.allCases == [.sha256, .sm3])
        let encoded = try JSONEncoder().encode([AuditHashAlgorithm.sm3, .sha256])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["sm3","sha256"]"#)
        #expect(try JSONDecoder().decode([AuditHashAlgorithm].self, from: encoded) == [.sm3, .sha256])
        #expect(AuditHashAlgorithm.sm3.displayName == "SM3")
    }
}
