import Foundation
import NIOCore
import Synchronization

/// Rendered project trees by their revision stamp. The stamp changes with every change to
/// the project or anything under it (it is the tree's ETag), so an entry can only be served
/// for exactly the state it was rendered from; older stamps simply stop being asked for.
/// Bounded by total bytes, least recently used first out.
final class TreeCache: Sendable {
    private struct Entry {
        var bytes: ByteBuffer
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    let maxBytes: Int

    init(maxBytes: Int = 64 << 20) {
        self.maxBytes = maxBytes
    }

    func get(_ key: String) -> ByteBuffer? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.tick += 1
            entry.lastUsed = state.tick
            state.entries[key] = entry
            return entry.bytes
        }
    }

    func put(_ key: String, _ bytes: ByteBuffer) {
        guard bytes.readableBytes <= maxBytes / 4 else { return }
        state.withLock { state in
            state.tick += 1
            if let old = state.entries[key] { state.totalBytes -= old.bytes.readableBytes }
            state.entries[key] = Entry(bytes: bytes, lastUsed: state.tick)
            state.totalBytes += bytes.readableBytes
            while state.totalBytes > maxBytes, let oldest = state.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                state.totalBytes -= oldest.value.bytes.readableBytes
                state.entries[oldest.key] = nil
            }
        }
    }
}
