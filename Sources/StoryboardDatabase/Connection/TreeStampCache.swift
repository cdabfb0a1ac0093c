import Foundation
import Synchronization

/// Project tree stamps held in memory on PostgreSQL, so that a conditional GET of an unchanged
/// tree is answered without a round trip (the PostgreSQL backend shares the machine's cores).
///
/// It is only used while this process listens on `storyboard_tree` (migration 0011): another
/// process's change then evicts its project as soon as the notification arrives, which may be
/// a few milliseconds after that change committed. This process's own writes evict
/// everything synchronously after they end, so a client always sees its own changes.
///
/// A read that raced a change must not store the stamp it read before the change: every
/// eviction moves `generation` on, and a stamp is only stored if no eviction happened since
/// the read began.
final class TreeStampCache: Sendable {
    private struct State {
        var stamps: [UUID: String] = [:]
        var generation: UInt64 = 0
        var listening = false
    }

    /// Beyond this many projects the cache starts over rather than tracking recency.
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    enum Lookup: Equatable {
        case hit(String)
        /// Read the stamp, then offer it back with this generation.
        case miss(generation: UInt64)
        /// Not listening: read the stamp and keep nothing.
        case unavailable
    }

    func lookup(_ id: UUID) -> Lookup {
        state.withLock { state in
            guard state.listening else { return .unavailable }
            if let stamp = state.stamps[id] { return .hit(stamp) }
            return .miss(generation: state.generation)
        }
    }

    /// Keeps `stamp` unless something was evicted since `generation` was handed out.
    func store(_ stamp: String, for id: UUID, readAt generation: UInt64) {
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.stamps.count >= capacity { state.stamps.removeAll(keepingCapacity: true) }
            state.stamps[id] = stamp
        }
    }

    /// A notification: that project's stamp changed somewhere.
    func evict(_ id: UUID) {
        state.withLock { state in
            state.generation &+= 1
            state.stamps[id] = nil
        }
    }

    /// A write of this process ended: whatever it touched is read again.
    func evictAll() {
        state.withLock { state in
            state.generation &+= 1
            if !state.stamps.isEmpty { state.stamps.removeAll(keepingCapacity: true) }
        }
    }

    /// Listening started (everything missed before is forgotten) or stopped (nothing is kept
    /// until it starts again, since notifications may be missed meanwhile).
    func setListening(_ listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.listening = listening
            state.stamps.removeAll()
        }
    }

    var isListening: Bool { state.withLock { $0.listening } }
}
