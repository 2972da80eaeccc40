import Fluent
import Foundation
import Testing
@testable import LiandongServer

@Suite("SM3")
struct SM3Tests {
    @Test func standardVectorABC() {
        #expect(SM3.hexDigest(data: Array("abc".utf8)) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        #expect(SM3.hash(data: Data("abc".utf8)).count == 32)
    }

    @Test func standardVector64Bytes() {
        let input = Data(String(repeating: "abcd", count: 16).utf8)
        #expect(input.count == 64)
        #expect(SM3.hexDigest(data: input) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    }

    @Test func emptyInput() {
        #expect(SM3.hexDigest(data: Data()) == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
    }

    @Test func multiBlockInputs() {
        // 135 bytes: three blocks after padding. Reference values from OpenSSL.
        let fox = Data(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 3).utf8)
        #expect(fox.count == 135)
        #expect(SM3.hexDigest(data: fox) == "654aa1e2ab022e39381628251eaac0cd90aa36223d58757fcbe88e41ebb3c6a9")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SM3.hexDigest(data: million) == "c8aaf89429554029e231941a2acc0ad61ff2a5acd8fadd25847a3a732b3b02c3")
        #expect(SM3.hexDigest(data: Data("联动".utf8)) == "d3aecead95e8db2cd071f5bbedbd3b3d1b620d0cf0fb3ceb30041b0260b2007e")
    }

    @Test func incrementalMatchesOneShot() {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<1000).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let expected = SM3.hash(data: input)
        for chunk in [1, 7, 63, 64, 65, 200] {
            var hasher = SM3.Hasher()
            var index = 0
            while index < input.count {
                let end = min(index + chunk, input.count)
                hasher.update(bytes: Array(input[index..<end]))
                index = end
            }
            #expect(hasher.finalize() == expected, "chunk size \(chunk)")
        }
        // A non-contiguous DataProtocol (DispatchData-like regions) via a slice chain.
        let sliced = input[3..<900]
        #expect(SM3.hash(data: sliced) == SM3.hash(data: Array(sliced)))
    }

    @Test func paddingBoundaries() {
        // Lengths around 55/56/64 bytes change the number of final blocks;
        // check they all differ and are stable.
        var seen = Set<String>()
        for length in [54, 55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let hex = SM3.hexDigest(data: Data(repeating: 0x61, count: length))
            #expect(hex.count == 64)
            #expect(seen.insert(hex).inserted)
        }
    }

    @Test("Matches OpenSSL on random inputs", .enabled(if: OpenSSLSM3.isAvailable))
    func matchesOpenSSL() throws {
        var generator = SystemRandomNumberGenerator()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sm3-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var inputs: [[UInt8]] = []
        var paths: [String] = []
        for index in 0..<50 {
            let length = Int.random(in: 0...300, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let url = directory.appendingPathComponent("input-\(index).bin")
            try Data(bytes).write(to: url)
            inputs.append(bytes)
            paths.append(url.path)
        }

        // One process for all files; `-r` prints "<hex> *<path>" per line.
        let output = try #require(OpenSSLSM3.run(arguments: ["dgst", "-sm3", "-r"] + paths))
        let lines = output.split(whereSeparator: \.isNewline)
        try #require(lines.count == inputs.count)
        for (index, line) in lines.enumerated() {
            let expected = String(line.prefix { $0 != " " }).lowercased()
            #expect(SM3.hexDigest(data: inputs[index]) == expected,
                    "length \(inputs[index].count), input \(SM3.hexString(inputs[index]))")
        }
    }
}

/// Finds `openssl` on PATH and checks that it supports SM3.
enum OpenSSLSM3 {
    static let executable: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("openssl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }()

    /// True when the binary exists and hashes "abc" to the SM3 reference.
    static let isAvailable: Bool = {
        guard executable != nil else { return false }
        let directory = FileManager.default.temporaryDirectory
        let url = directory.appendingPathComponent("sm3-probe-\(UUID().uuidString).txt")
        guard (try? Data("abc".utf8).write(to: url)) != nil else { return false }
        defer { try? FileManager.default.removeItem(at: url) }
        guard let output = run(arguments: ["dgst", "-sm3", "-r", url.path]) else { return false }
        return output.hasPrefix("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    }()

    /// Standard output, or nil when the process could not run or failed.
    static func run(arguments: [String]) -> String? {
        guard let executable else { return nil }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
