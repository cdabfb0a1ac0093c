import Foundation
import StoryboardCore

/// A `ByteSource` over a file on disk, for `MediaProbe.audioInfo` on a stored upload.
///
/// Reads in chunks (64 KiB by default) and keeps the last chunk, so walking an MP3's frame
/// headers costs one read per chunk, not one per frame. The size is taken when the file is
/// opened. Not `Sendable` (it holds an open file handle and a mutable cache): create it, use it
/// and drop it within one task. The file is closed when the object is released, or by `close()`.
public final class FileByteSource: ByteSource {
    public let count: Int
    private let handle: FileHandle
    private let chunkSize: Int
    private var cacheStart = 0
    private var cache: [UInt8] = []
    private var isClosed = false

    public init(path: String, chunkSize: Int = 64 * 1024) throws {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        do {
            let end = try handle.seekToEnd()
            guard let count = Int(exactly: end) else { throw CocoaError(.fileReadTooLarge) }
            self.count = count
        } catch {
            try? handle.close()
            throw error
        }
        self.handle = handle
        self.chunkSize = max(4096, chunkSize)
    }

    deinit {
        if !isClosed { try? handle.close() }
    }

    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        try handle.close()
    }

    public func bytes(at offset: Int, count length: Int) throws -> [UInt8] {
        guard offset >= 0, length > 0, offset < count else { return [] }
        let length = min(length, count - offset)
        if offset >= cacheStart, length <= cache.count - (offset - cacheStart) {
            let start = offset - cacheStart
            return Array(cache[start..<(start + length)])
        }
        guard length <= chunkSize else { return try read(offset, length) }
        cache = try read(offset, min(chunkSize, count - offset))
        cacheStart = offset
        return Array(cache.prefix(length))
    }

    /// Up to `length` bytes at `offset`, straight from the file.
    private func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        guard !isClosed else { throw CocoaError(.fileReadUnknown) }
        try handle.seek(toOffset: UInt64(offset))
        var result: [UInt8] = []
        result.reserveCapacity(length)
        while result.count < length, let data = try handle.read(upToCount: length - result.count), !data.isEmpty {
            result.append(contentsOf: data)
        }
        return result
    }
}
