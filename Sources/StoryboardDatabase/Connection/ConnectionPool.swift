import Logging
import Metrics
import SQLKit
import StoryboardCore

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
actor ConnectionPool {
    typealias Connector = @Sendable (_ id: Int) async throws -> PooledConnection

    nonisolated let name: String
    nonisolated let maxConnections: Int
    private let connector: Connector
    private let acquireTimeout: Double
    private let logger: Logger

    private var idle: [PooledConnection] = []
    private var leased = 0
    private var opening = 0
    private var nextConnectionID = 1
    private var nextWaiterID = 0
    /// A waiter is resumed with a connection, or with nil meaning "a slot is free: open one".
    private var waiters: [(id: Int, continuation: CheckedContinuation<PooledConnection?, any Error>)] = []
    private var isClosed = false

    private let inUseGauge: Gauge
    private let idleGauge: Gauge
    private let waitersGauge: Gauge
    private let waitTimer: Metrics.Timer
    private let waitCounter: Counter

    init(name: String, maxConnections: Int, acquireTimeout: Double, logger: Logger, metrics: any MetricsFactory, connector: @escaping Connector) {
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
        // For the SQLite writer pool this counts the writes that had to queue behind another
        // writer: SQLite's busy waits, served in order instead of answered with SQLITE_BUSY.
        waitCounter = Counter(label: "storyboard_db_pool_waits_total", dimensions: dimensions, factory: metrics)
    }

    struct Snapshot: Sendable, Equatable {
        var open: Int
        var idle: Int
        var inUse: Int
        var waiters: Int
    }

    var snapshot: Snapshot {
        Snapshot(open: idle.count + leased, idle: idle.count, inUse: leased, waiters: waiters.count)
    }

    nonisolated func withConnection<T>(_ body: (PooledConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            await release(connection, broken: false)
            return result
        } catch {
            let broken = DatabaseErrorTranslator.isConnectionLost(error)
            await release(connection, broken: broken)
            if broken { await dropIdleConnections() }
            throw error
        }
    }

    func lease() async throws -> PooledConnection {
        let started = ContinuousClock.now
        var waited = false
        defer {
            if waited {
                waitCounter.increment()
                waitTimer.record(duration: ContinuousClock.now - started)
            }
        }
        while true {
            if isClosed { throw PoolError.closed }
            while let connection = idle.popLast() {
                if connection.isClosed {
                    Task { await connection.close() }
                    continue
                }
                leased += 1
                updateGauges()
                return connection
            }
            if leased + opening < maxConnections {
                return try await openConnection()
            }
            waited = true
            if let connection = try await waitForTurn() {
                return connection
            }
        }
    }

    private func openConnection() async throws -> PooledConnection {
        opening += 1
        let id = nextConnectionID
        nextConnectionID += 1
        do {
            let connection = try await connector(id)
            opening -= 1
            if isClosed {
                await connection.close()
                throw PoolError.closed
            }
            leased += 1
            updateGauges()
            return connection
        } catch {
            opening -= 1
            // The slot is free again: let the next waiter try its own connection.
            wakeWaiter(with: nil)
            throw error
        }
    }

    private func waitForTurn() async throws -> PooledConnection? {
        let waiterID = nextWaiterID
        nextWaiterID += 1
        let timeout = acquireTimeout
        let timeoutTask = Task { [weak self] in
            try await Task.sleep(for: .seconds(timeout))
            await self?.expireWaiter(waiterID)
        }
        defer { timeoutTask.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((waiterID, continuation))
            updateGauges()
        }
    }

    private func expireWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        updateGauges()
        waiter.continuation.resume(throwing: PoolError.acquireTimeout(seconds: acquireTimeout))
    }

    private func wakeWaiter(with connection: PooledConnection?) {
        guard !waiters.isEmpty else {
            if let connection { idle.append(connection) }
            updateGauges()
            return
        }
        let waiter = waiters.removeFirst()
        if connection != nil { leased += 1 }
        updateGauges()
        waiter.continuation.resume(returning: connection)
    }

    func release(_ connection: PooledConnection, broken: Bool) async {
        leased -= 1
        if broken || isClosed || connection.isClosed {
            updateGauges()
            Task { await connection.close() }
            wakeWaiter(with: nil)
        } else {
            wakeWaiter(with: connection)
        }
    }

    /// After one connection broke, the idle ones are most likely dead too (the server restarted).
    func dropIdleConnections() async {
        let dropped = idle
        idle.removeAll()
        updateGauges()
        for connection in dropped { await connection.close() }
        if !dropped.isEmpty {
            logger.notice("dropped idle database connections after a connection failure", metadata: ["pool": "\(name)", "count": "\(dropped.count)"])
        }
    }

    func close() async {
        isClosed = true
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.continuation.resume(throwing: PoolError.closed) }
        let connections = idle
        idle.removeAll()
        updateGauges()
        for connection in connections { await connection.close() }
    }

    private func updateGauges() {
        inUseGauge.record(leased)
        idleGauge.record(idle.count)
        waitersGauge.record(waiters.count)
    }
}
