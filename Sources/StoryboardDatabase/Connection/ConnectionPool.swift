import Logging
import Metrics
import SQLKit
import StoryboardCore
import Synchronization

/// One open database connection, whichever the engine.
public final class PooledConnection: Sendable {
    public let sql: any SQLDatabase
    let id: Int
    private let isClosedCheck: @Sendable () -> Bool
    private let closeAction: @Sendable () async -> Void

    init(id: Int, sql: any SQLDatabase, isClosed: @escaping @Sendable () -> Bool, close: @escaping @Sendable () async -> Void) {
        self.id = id
        self.sql = sql
        self.isClosedCheck = isClosed
        self.closeAction = close
    }

    var isClosed: Bool { isClosedCheck() }
    func close() async { await closeAction() }
}

/// Why the pool could not hand out a connection; translated to 503 at the repository layer.
enum PoolError: Error, Sendable {
    case closed
    case acquireTimeout(seconds: Double)
}

/// A bounded pool: at most `maxConnections` open; callers beyond that wait in line (bounded by
/// `acquireTimeout`). Broken connections are dropped and replaced on demand, which is how the
/// server recovers by itself when the database comes back.
///
/// A lock, not an actor: taking an idle connection and giving it back never suspends, which
/// halves the cost of a primary-key read on SQLite (BENCHMARKS.md). Only opening a connection
/// and waiting for one suspend.
final class ConnectionPool: Sendable {
    typealias Connector = @Sendable (_ id: Int) async throws -> PooledConnection
    /// Resumed with a connection, or with nil meaning "a slot is free: try again".
    typealias Waiter = CheckedContinuation<PooledConnection?, any Error>

    let name: String
    let maxConnections: Int
    private let connector: Connector
    private let acquireTimeout: Double
    private let logger: Logger

    private struct State {
        var idle: [PooledConnection] = []
        var leased = 0
        var opening = 0
        var nextConnectionID = 1
        var nextWaiterID = 0
        var waiters: [(id: Int, continuation: Waiter)] = []
        /// Waiters that timed out or were cancelled before they were queued.
        var abandoned: [Int: any Error] = [:]
        var isClosed = false
    }

    private let state = Mutex(State())

    private let inUseGauge: Gauge
    private let idleGauge: Gauge
    private let waitersGauge: Gauge
    private let waitTimer: Metrics.Timer
    private let waitCounter: Counter

    init(
        name: String, maxConnections: Int, acquireTimeout: Double, logger: Logger, metrics: any MetricsFactory,
        connector: @escaping Connector
    ) {
        self.name = name
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.connector = connector
        let dimensions = [("pool", name)]
        inUseGauge = Gauge(label: "storyboard_db_pool_in_use", dimensions: dimensions, factory: metrics)
        idleGauge = Gauge(label: "storyboard_db_pool_idle", dimensions: dimensions, factory: metrics)
        waitersGauge = Gauge(label: "storyboard_db_pool_waiters", dimensions: dimensions, factory: metrics)
        waitTimer = Metrics.Timer(label: "storyboard_db_pool_wait_seconds", dimensions: dimensions, factory: metrics)
        // For the SQLite writer this counts the writes that had to queue behind another
        // writer: SQLite's busy waits, served in order instead of answered with SQLITE_BUSY.
        let waitLabel = name == "sqlite_writer" ? "storyboard_sqlite_busy_waits_total" : "storyboard_db_pool_waits_total"
        waitCounter = Counter(label: waitLabel, dimensions: dimensions, factory: metrics)
    }

    /// Dropped without `close()` (a start-up that failed, a test that timed out): the idle
    /// connections are still closed rather than left to their drivers' deinit assertions.
    deinit {
        let idle = state.withLock { state in
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { Task { await connection.close() } }
    }

    func withConnection<T>(_ body: (PooledConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            release(connection, broken: false)
            return result
        } catch {
            let broken = DatabaseErrorTranslator.isConnectionLost(error)
            release(connection, broken: broken)
            if broken { await dropIdleConnections() }
            throw error
        }
    }

    private enum Step {
        case leased(PooledConnection)
        case open(id: Int)
        case wait
        case closed
    }

    func lease() async throws -> PooledConnection {
        // One deadline for the whole lease, however often a wake-up sends this caller round again.
        let deadline = ContinuousClock.now + .seconds(acquireTimeout)
        var waitStarted: ContinuousClock.Instant?
        defer {
            if let waitStarted {
                waitCounter.increment()
                waitTimer.record(duration: ContinuousClock.now - waitStarted)
            }
        }
        while true {
            var dead: [PooledConnection] = []
            let step = state.withLock { state -> Step in
                if state.isClosed { return .closed }
                while let connection = state.idle.popLast() {
                    if connection.isClosed {
                        dead.append(connection)
                        continue
                    }
                    state.leased += 1
                    return .leased(connection)
                }
                if state.leased + state.opening < maxConnections {
                    state.opening += 1
                    state.nextConnectionID += 1
                    return .open(id: state.nextConnectionID - 1)
                }
                return .wait
            }
            closeInBackground(dead)
            switch step {
            case .closed:
                throw PoolError.closed
            case .leased(let connection):
                updateGauges()
                return connection
            case .open(let id):
                return try await openConnection(id: id)
            case .wait:
                if waitStarted == nil { waitStarted = .now }
                if let connection = try await waitForTurn(until: deadline) { return connection }
            }
        }
    }

    private func openConnection(id: Int) async throws -> PooledConnection {
        let connection: PooledConnection
        do {
            connection = try await connector(id)
        } catch {
            let waiter = state.withLock { state -> Waiter? in
                state.opening -= 1
                // The slot is free again: let the next waiter try its own connection.
                return state.waiters.isEmpty ? nil : state.waiters.removeFirst().continuation
            }
            waiter?.resume(returning: nil)
            updateGauges()
            throw error
        }
        let closed = state.withLock { state -> Bool in
            state.opening -= 1
            if state.isClosed { return true }
            state.leased += 1
            return false
        }
        if closed {
            await connection.close()
            throw PoolError.closed
        }
        updateGauges()
        return connection
    }

    private func waitForTurn(until deadline: ContinuousClock.Instant) async throws -> PooledConnection? {
        let waiterID = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = PoolError.acquireTimeout(seconds: acquireTimeout)
        let timeoutTask = Task { [weak self] in
            try await Task.sleep(until: deadline, clock: .continuous)
            self?.abandonWaiter(waiterID, with: timeout)
        }
        defer {
            timeoutTask.cancel()
            state.withLock { _ = $0.abandoned.removeValue(forKey: waiterID) }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                enum Outcome {
                    case queued, retry
                    case failed(any Error)
                }
                let outcome = state.withLock { state -> Outcome in
                    if let error = state.abandoned.removeValue(forKey: waiterID) { return .failed(error) }
                    if state.isClosed { return .failed(PoolError.closed) }
                    // Something was released between deciding to wait and getting here.
                    if !state.idle.isEmpty || state.leased + state.opening < maxConnections { return .retry }
                    state.waiters.append((waiterID, continuation))
                    return .queued
                }
                switch outcome {
                case .queued: updateGauges()
                case .retry: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            abandonWaiter(waiterID, with: CancellationError())
        }
    }

    /// Ends a wait (timeout or cancellation). A waiter not queued yet is remembered, so that it
    /// fails as soon as it would queue instead of waiting with nobody to wake it.
    private func abandonWaiter(_ id: Int, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.abandoned[id] = error
                return nil
            }
            return state.waiters.remove(at: index).continuation
        }
        updateGauges()
        waiter?.resume(throwing: error)
    }

    func release(_ connection: PooledConnection, broken: Bool) {
        let (waiter, handOver, close) = state.withLock { state -> (Waiter?, PooledConnection?, Bool) in
            state.leased -= 1
            let next = state.waiters.isEmpty ? nil : state.waiters.removeFirst().continuation
            if broken || state.isClosed || connection.isClosed {
                return (next, nil, true)
            }
            if next != nil {
                state.leased += 1
                return (next, connection, false)
            }
            state.idle.append(connection)
            return (nil, nil, false)
        }
        if close { closeInBackground([connection]) }
        waiter?.resume(returning: handOver)
        updateGauges()
    }

    /// After one connection broke, the idle ones are most likely dead too (the server restarted).
    func dropIdleConnections() async {
        let dropped = state.withLock { state in
            defer { state.idle.removeAll() }
            return state.idle
        }
        updateGauges()
        for connection in dropped { await connection.close() }
        if !dropped.isEmpty {
            logger.notice(
                "dropped idle database connections after a connection failure", metadata: ["pool": "\(name)", "count": "\(dropped.count)"])
        }
    }

    func close() async {
        let (waiters, idle) = state.withLock { state in
            state.isClosed = true
            defer {
                state.waiters.removeAll()
                state.idle.removeAll()
            }
            return (state.waiters.map(\.continuation), state.idle)
        }
        for waiter in waiters { waiter.resume(throwing: PoolError.closed) }
        for connection in idle { await connection.close() }
        updateGauges()
    }

    private func closeInBackground(_ connections: [PooledConnection]) {
        for connection in connections { Task { await connection.close() } }
    }

    private func updateGauges() {
        let (leased, idle, waiting) = state.withLock { ($0.leased, $0.idle.count, $0.waiters.count) }
        inUseGauge.record(leased)
        idleGauge.record(idle)
        waitersGauge.record(waiting)
    }
}
