import Foundation
import ZIPFoundation

/// Thin wrapper over ZIPFoundation for OOXML packages (xlsx now, docx later).
enum ZipPackage {
    /// Fixed modification time for every entry (2024-01-01T00:00:00Z) so that
    /// the same input always yields byte-identical output (ZIPFoundation
    /// converts it with gmtime, so the host time zone does not matter).
    static let fixedDate = Date(timeIntervalSince1970: 1_704_067_200)

    /// Largest uncompressed part we are willing to inflate. Guards the server
    /// against zip bombs: a 100 KB upload must not expand into gigabytes.
    static let maxEntrySize = 256 * 1024 * 1024

    struct Failure: Error {
        let reason: String
    }

    /// Builds a deflate-compressed ZIP in memory, entries in the given order.
    static func build(_ entries: [(path: String, data: Data)]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for entry in entries {
            let data = entry.data
            try archive.addEntry(
                with: entry.path,
                type: .file,
                uncompressedSize: Int64(data.count),
                modificationDate: fixedDate,
                permissions: 0o644,
                compressionMethod: .deflate,
                provider: { position, size in
                    let start = data.startIndex + Int(position)
                    let end = min(start + size, data.endIndex)
                    return data.subdata(in: start..<end)
                }
            )
        }
        guard let output = archive.data else {
            throw Failure(reason: "in-memory archive has no data")
        }
        return output
    }

    /// Read access to a ZIP held in memory. Part names in OPC packages are
    /// case-insensitive and some writers store a leading "/" or backslashes,
    /// so lookups go through a normalised index.
    final class Reader {
        private let archive: Archive
        private var index: [String: Entry] = [:]

        init(data: Data) throws {
            archive = try Archive(data: data, accessMode: .read)
            for entry in archive where entry.type == .file {
                let key = Reader.normalise(entry.path)
                if index[key] == nil { index[key] = entry }
            }
        }

        static func normalise(_ path: String) -> String {
            var p = path.replacingOccurrences(of: "\\", with: "/")
            while p.hasPrefix("/") { p.removeFirst() }
            return p.lowercased()
        }

        func contains(_ path: String) -> Bool {
            index[Reader.normalise(path)] != nil
        }

        /// Returns the uncompressed part, or nil if the package has no such part.
        func data(_ path: String) throws -> Data? {
            guard let entry = index[Reader.normalise(path)] else { return nil }
            if entry.uncompressedSize > UInt64(ZipPackage.maxEntrySize) {
                throw Failure(reason: "entry too large: \(path)")
            }
            var result = Data()
            result.reserveCapacity(Int(entry.uncompressedSize))
            // The declared size can lie, so the limit is enforced while inflating too.
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if result.count + chunk.count > ZipPackage.maxEntrySize {
                    throw Failure(reason: "entry too large: \(path)")
                }
                result.append(chunk)
            }
            return result
        }
    }
}
