import Synchronization

/// Something a task waits for happened: `notify` wakes every task waiting in `wait` at once.
/// A wait ends at the first notification after the count it was given, after its timeout,
/// or when its task is cancelled, whichever comes first.
///
/// Not an `AsyncStream`: a stream whose waiting task is cancelled (a lost race against a
/// timer) is finished for good, and every later wait on it returns at once (a busy loop).
public final class WakeSignal: Sendable {
    private struct State {
        var count = 0
        var nextWaiter: UInt64 = 0
        /// Every wait under way; nil until its continuation is stored. A wait that is no
        /// longer here has ended (notified, timed out or cancelled).
        var waiters: [UInt64: CheckedContinuation<Void, Never>?] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many notifications there were: pass it to `wait` to wait for the next one.
    public var current: Int { state.withLock { $0.count } }

    public func notify() {
        let woken = state.withLock { state in
            state.count &+= 1
            defer { state.waiters = [:] }
            return state.waiters.values.compactMap { $0 }
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at once when there was a notification since `seen`.
    public func wait(after seen: Int, timeout: Duration) async {
        let id = state.withLock { state -> UInt64? in
            guard state.count == seen else { return nil }
            state.nextWaiter &+= 1
            state.waiters[state.nextWaiter] = .some(nil)
            return state.nextWaiter
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        guard state.count == seen, state.waiters[id] != nil else { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            release(id)
        }
    }

    /// Ends a wait whose timer ran out (or whose task was cancelled).
    private func release(_ id: UInt64) {
        let waiter = state.withLock { state in state.waiters.removeValue(forKey: id) ?? nil }
        waiter?.resume()
    }
}
