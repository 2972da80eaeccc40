import Foundation
import ZIPFoundation
// zlib comes with ZIPFoundation: its system-library module on Linux, the SDK's elsewhere.
#if canImport(CZlib)
import LiandongZlib
#else
import zlib
#endif

/// ZIP packages for OOXML (xlsx now, docx later): written with ZIPFoundation,
/// read from uploads by the bounded `Reader` below.
enum ZipPackage {
    /// Fixed modification time for every entry (2024-01-01T00:00:00Z) so that
    /// the same input always yields byte-identical output (ZIPFoundation
    /// converts it with gmtime, so the host time zone does not matter).
    static let fixedDate = Date(timeIntervalSince1970: 1_704_067_200)

    // MARK: - Limits on uploads

    /// Most entries (files and folders) a package may list. A workbook saved
    /// by Excel, WPS or LibreOffice has 10–30 parts, a few hundred with many
    /// sheets, pictures and comments; thousands of entries are not a register
    /// or a check list, and only cost the server time to index.
    static let maxEntryCount = 1_000

    /// Most bytes all entries together may inflate to, as their sizes are
    /// declared in the central directory and as they are actually inflated.
    /// Every entry counts, read or not (pictures, other sheets), since the
    /// declared sizes are checked before anything is inflated. A register of
    /// 10,000 rows by 20 columns is about 7 MB of sheet XML plus its shared
    /// strings, so 64 MiB leaves room for many sheets and pictures, and it
    /// bounds what one upload can make the server inflate.
    static let maxTotalUncompressedSize = 64 * 1024 * 1024

    /// Most bytes one entry may inflate to: 10,000,000, what the XML parser
    /// accepts. Foundation's XMLParser on Linux hands a whole part to libxml2
    /// at once without XML_PARSE_HUGE, and libxml2 then refuses any document
    /// over 10,000,000 bytes; a larger part could never be read, so it is
    /// refused from its declared size, with a message that says so, instead
    /// of being inflated only to fail as "not valid XML". That is still about
    /// 30,000 rows of 10 filled columns.
    static let maxEntrySize = 10_000_000

    /// Highest uncompressed-to-compressed ratio allowed for an entry larger
    /// than `compressionRatioExemptSize`. Sheet XML written by Excel, WPS or
    /// openpyxl deflates 5–15 to 1 (an empty formatted grid about 10 to 1);
    /// one byte repeated deflates about 1,000 to 1, which is how zip bombs
    /// are made.
    static let maxCompressionRatio = 100

    /// Entries up to this size are not held to `maxCompressionRatio`: small
    /// parts (a styles.xml of repeated defaults) may compress very well and
    /// cost nothing to inflate.
    static let compressionRatioExemptSize = 1024 * 1024

    /// What a package read from an upload may expand to.
    struct Limits: Sendable, Equatable {
        var maxEntryCount: Int
        var maxTotalUncompressedSize: Int
        var maxEntrySize: Int
        var maxCompressionRatio: Int
        var compressionRatioExemptSize: Int

        /// The limits for every upload; see the constants for the reasons.
        static let upload = Limits(
            maxEntryCount: ZipPackage.maxEntryCount,
            maxTotalUncompressedSize: ZipPackage.maxTotalUncompressedSize,
            maxEntrySize: ZipPackage.maxEntrySize,
            maxCompressionRatio: ZipPackage.maxCompressionRatio,
            compressionRatioExemptSize: ZipPackage.compressionRatioExemptSize
        )
    }

    /// Why a package could not be built or read.
    enum Failure: Error, Equatable {
        /// The package lists more entries than `Limits.maxEntryCount`.
        case tooManyEntries(limit: Int)
        /// The entries together declare, or inflate to, more than `Limits.maxTotalUncompressedSize`.
        case totalTooLarge(limit: Int)
        /// One entry declares, or inflates to, more than `Limits.maxEntrySize`.
        case entryTooLarge(path: String, limit: Int)
        /// One entry larger than `Limits.compressionRatioExemptSize` is more
        /// than `Limits.maxCompressionRatio` times its compressed size.
        case compressionRatioTooHigh(path: String, limit: Int)
        /// One entry inflates to more than its declared size, so the sizes the
        /// limits were checked against were false.
        case sizeMismatch(path: String)
        /// No readable end of central directory or central directory.
        case notZip(String)
        /// The directory was read but an entry is damaged or unsupported.
        case corrupt(String)
        /// Building a package failed.
        case writeFailed(String)
    }

    // MARK: - Writing

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
            throw Failure.writeFailed("in-memory archive has no data")
        }
        return output
    }

    // MARK: - Reading

    /// Read access to a ZIP held in memory. Part names in OPC packages are
    /// case-insensitive and some writers store a leading "/" or backslashes,
    /// so lookups go through a normalised index.
    ///
    /// The package is an upload, so `limits` are checked twice: when it is
    /// opened, against the entry count and sizes its central directory
    /// declares, so that a zip bomb is refused before anything is inflated;
    /// and while a part is inflated, since declared sizes can lie. No part is
    /// inflated past its declared size, nor past the limits.
    ///
    /// The directory is parsed here and parts are inflated with zlib directly,
    /// reading only the part's own compressed bytes: ZIPFoundation's reader
    /// (0.9.20, Linux) inflates past the end of an entry and never returns
    /// when a deflate stream is cut short, so a few hundred crafted bytes
    /// would keep a core busy for ever. ZIPFoundation still writes packages.
    final class Reader {
        struct Entry {
            let path: String
            let flags: UInt16
            let method: UInt16
            let compressedSize: Int
            let uncompressedSize: Int
            let localHeaderOffset: Int
        }

        private let bytes: Data
        private let limits: Limits
        private var index: [String: Entry] = [:]
        /// Bytes inflated so far by `data(_:)`, over all parts.
        private(set) var inflatedSize = 0

        init(data: Data, limits: Limits = .upload) throws(Failure) {
            bytes = data.startIndex == 0 ? data : Data(data)
            self.limits = limits
            try Reader.failing {
                let directory = try self.endOfCentralDirectory()
                if directory.count > UInt64(limits.maxEntryCount) {
                    throw Failure.tooManyEntries(limit: limits.maxEntryCount)
                }
                var offset = directory.offset
                var total = 0
                for _ in 0..<Int(directory.count) {
                    let (entry, isFile) = try self.centralDirectoryRecord(at: &offset)
                    // Each term is at most maxEntrySize, so the sum cannot overflow.
                    total += entry.uncompressedSize
                    if total > limits.maxTotalUncompressedSize {
                        throw Failure.totalTooLarge(limit: limits.maxTotalUncompressedSize)
                    }
                    if isFile {
                        let key = Reader.normalise(entry.path)
                        if self.index[key] == nil { self.index[key] = entry }
                    }
                }
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
        func data(_ path: String) throws(Failure) -> Data? {
            guard let entry = index[Reader.normalise(path)] else { return nil }
            let result = try Reader.failing { try self.extract(entry) }
            inflatedSize += result.count
            return result
        }

        // MARK: Directory

        private static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
        private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
        private static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4B50
        private static let centralDirectorySignature: UInt32 = 0x0201_4B50
        private static let localHeaderSignature: UInt32 = 0x0403_4B50

        /// The entry count and the offset of the first central directory record.
        private func endOfCentralDirectory() throws -> (count: UInt64, offset: Int) {
            let recordSize = 22
            guard bytes.count >= recordSize else { throw Failure.notZip("too short for a ZIP") }
            // The record ends the file, followed only by a comment of at most 64 KiB.
            var position = bytes.count - recordSize
            let lowest = max(0, position - 0xFFFF)
            while position >= lowest, try u32(position) != Reader.endOfCentralDirectorySignature {
                position -= 1
            }
            guard position >= lowest else { throw Failure.notZip("no end of central directory") }
            var count = UInt64(try u16(position + 10))
            var size = UInt64(try u32(position + 12))
            var offset = UInt64(try u32(position + 16))
            if position >= 20, try u32(position - 20) == Reader.zip64LocatorSignature {
                let zip64 = try checkedOffset(try u64(position - 20 + 8))
                guard try u32(zip64) == Reader.zip64EndOfCentralDirectorySignature else {
                    throw Failure.notZip("no ZIP64 end of central directory")
                }
                count = try u64(zip64 + 32)
                size = try u64(zip64 + 40)
                offset = try u64(zip64 + 48)
            }
            guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                throw Failure.notZip("central directory outside the file")
            }
            // Too many entries is refused by the caller with its own message;
            // otherwise every record takes at least 46 bytes.
            if count > UInt64(limits.maxEntryCount) { return (count, Int(offset)) }
            guard count * 46 <= size else { throw Failure.notZip("central directory too small for its entries") }
            return (count, Int(offset))
        }

        /// Reads the record at `offset`, moves `offset` past it, and checks the
        /// sizes it declares against the limits for one entry.
        private func centralDirectoryRecord(at offset: inout Int) throws -> (Entry, isFile: Bool) {
            let o = offset
            guard try u32(o) == Reader.centralDirectorySignature else {
                throw Failure.notZip("bad central directory record")
            }
            let madeBy = try u16(o + 4)
            let flags = try u16(o + 8)
            let method = try u16(o + 10)
            var compressed = UInt64(try u32(o + 20))
            var uncompressed = UInt64(try u32(o + 24))
            let nameLength = Int(try u16(o + 28))
            let extraLength = Int(try u16(o + 30))
            let commentLength = Int(try u16(o + 32))
            let externalAttributes = try u32(o + 38)
            var localHeader = UInt64(try u32(o + 42))
            let nameStart = o + 46
            let extraStart = nameStart + nameLength
            let end = extraStart + extraLength + commentLength
            guard end <= bytes.count else { throw Failure.notZip("central directory record outside the file") }
            let path = String(decoding: bytes[nameStart..<extraStart], as: UTF8.self)

            // ZIP64 extended information: 64-bit values for the fields saturated above, in this order.
            var extra = extraStart
            while extra + 4 <= extraStart + extraLength {
                let id = try u16(extra)
                let length = Int(try u16(extra + 2))
                var field = extra + 4
                let fieldEnd = field + length
                guard fieldEnd <= extraStart + extraLength else { break }
                if id == 0x0001 {
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= fieldEnd { uncompressed = try u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= fieldEnd { compressed = try u64(field); field += 8 }
                    if localHeader == 0xFFFF_FFFF, field + 8 <= fieldEnd { localHeader = try u64(field) }
                    break
                }
                extra = fieldEnd
            }
            offset = end

            // A part's compressed bytes lie inside the upload; its size is
            // checked before the ratio so that the product cannot overflow.
            guard compressed <= UInt64(bytes.count) else {
                throw Failure.corrupt("\(path): compressed size \(compressed) beyond the file")
            }
            if uncompressed > UInt64(limits.maxEntrySize) {
                throw Failure.entryTooLarge(path: path, limit: limits.maxEntrySize)
            }
            try checkRatio(path: path, uncompressed: Int(uncompressed), compressed: Int(compressed))
            let entry = Entry(path: path, flags: flags, method: method, compressedSize: Int(compressed),
                              uncompressedSize: Int(uncompressed), localHeaderOffset: try checkedOffset(localHeader))
            // Folders end in "/"; symbolic links (Unix mode 0o120000) are not parts either.
            let isSymlink = madeBy >> 8 == 3 && (externalAttributes >> 16) & 0o170000 == 0o120000
            return (entry, !path.hasSuffix("/") && !isSymlink)
        }

        private func checkRatio(path: String, uncompressed: Int, compressed: Int) throws {
            if uncompressed > limits.compressionRatioExemptSize,
               uncompressed > limits.maxCompressionRatio * compressed {
                throw Failure.compressionRatioTooHigh(path: path, limit: limits.maxCompressionRatio)
            }
        }

        // MARK: Inflating

        private func extract(_ entry: Entry) throws -> Data {
            let header = entry.localHeaderOffset
            guard header <= bytes.count - 30, try u32(header) == Reader.localHeaderSignature else {
                throw Failure.corrupt("\(entry.path): bad local header")
            }
            let start = header + 30 + Int(try u16(header + 26)) + Int(try u16(header + 28))
            guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
                throw Failure.corrupt("\(entry.path): data beyond the file")
            }
            if entry.flags & 1 != 0 { throw Failure.corrupt("\(entry.path): encrypted") }

            let limits = self.limits
            let alreadyInflated = inflatedSize
            var result = Data()
            // Declared sizes were checked against the limits, so this reserves at most maxEntrySize.
            result.reserveCapacity(entry.uncompressedSize)
            // Checks each piece before it is kept: the limits first, then the declared size.
            func keep(_ piece: UnsafeRawBufferPointer) throws {
                let size = result.count + piece.count
                if size > limits.maxEntrySize {
                    throw Failure.entryTooLarge(path: entry.path, limit: limits.maxEntrySize)
                }
                if alreadyInflated + size > limits.maxTotalUncompressedSize {
                    throw Failure.totalTooLarge(limit: limits.maxTotalUncompressedSize)
                }
                try checkRatio(path: entry.path, uncompressed: size, compressed: entry.compressedSize)
                if size > entry.uncompressedSize {
                    throw Failure.sizeMismatch(path: entry.path)
                }
                if let base = piece.baseAddress, !piece.isEmpty {
                    result.append(base.assumingMemoryBound(to: UInt8.self), count: piece.count)
                }
            }

            try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let input = UnsafeRawBufferPointer(rebasing: raw[start..<(start + entry.compressedSize)])
                switch entry.method {
                case 0: // stored
                    try keep(input)
                case 8: // deflate
                    try Reader.inflate(input, path: entry.path, into: keep)
                default:
                    throw Failure.corrupt("\(entry.path): compression method \(entry.method)")
                }
            }
            return result
        }

        /// Inflates one raw deflate stream that must end within `input`,
        /// handing each piece of output to `consume` (which may throw to stop).
        private static func inflate(_ input: UnsafeRawBufferPointer, path: String,
                                    into consume: (UnsafeRawBufferPointer) throws -> Void) throws {
            guard input.count <= Int(UInt32.max) else { throw Failure.corrupt("\(path): too large") }
            var stream = z_stream()
            guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw Failure.corrupt("\(path): inflateInit2 failed")
            }
            defer { inflateEnd(&stream) }
            let outputSize = 64 * 1024
            let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 1)
            defer { output.deallocate() }
            guard let base = input.baseAddress else { throw Failure.corrupt("\(path): no compressed data") }
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            while true {
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(outputSize)
                let status = zlibInflate(&stream)
                let produced = outputSize - Int(stream.avail_out)
                if produced > 0 {
                    try consume(UnsafeRawBufferPointer(rebasing: output[0..<produced]))
                }
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: the input ended before the stream did.
                    throw Failure.corrupt("\(path): deflate stream cut short")
                default:
                    throw Failure.corrupt("\(path): invalid deflate data (\(status))")
                }
            }
        }

        // MARK: Bytes

        private func checkedOffset(_ value: UInt64) throws -> Int {
            guard value <= UInt64(bytes.count) else { throw Failure.notZip("offset beyond the file") }
            return Int(value)
        }

        private func u16(_ at: Int) throws -> UInt16 {
            guard at >= 0, at <= bytes.count - 2 else { throw Failure.notZip("read beyond the file") }
            return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        }

        private func u32(_ at: Int) throws -> UInt32 {
            guard at >= 0, at <= bytes.count - 4 else { throw Failure.notZip("read beyond the file") }
            return UInt32(try u16(at)) | UInt32(try u16(at + 2)) << 16
        }

        private func u64(_ at: Int) throws -> UInt64 {
            guard at >= 0, at <= bytes.count - 8 else { throw Failure.notZip("read beyond the file") }
            return UInt64(try u32(at)) | UInt64(try u32(at + 4)) << 32
        }

        /// Runs `body`, passing `Failure`s through and wrapping anything else.
        private static func failing<T>(_ body: () throws -> T) throws(Failure) -> T {
            do {
                return try body()
            } catch let failure as Failure {
                throw failure
            } catch {
                throw .corrupt("\(error)")
            }
        }
    }
}

/// zlib's `inflate`, out of the reach of `Reader.inflate`'s name.
private func zlibInflate(_ stream: inout z_stream) -> Int32 {
    inflate(&stream, Z_NO_FLUSH)
}
