import Foundation
import StoryboardCore
import StoryboardDatabase

/// Follows the job event log for one batch or one project, for the event stream routes: what
/// to send, when to send a keep-alive, and when the stream is over. Any process sharing the
/// database serves any stream, since everything is read from the log.
public struct JobEventFeed: Sendable {
    public enum Scope: Sendable {
        case batch(UUID)
        case project(UUID)
    }

    /// One logged event as the stream sends it.
    public struct Event: Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var data: String
    }

    /// What the feed asks its writer to send.
    public enum Message: Sendable {
        case events([Event])
        /// Nothing happened for a while: a comment keeps proxies from closing the stream.
        case keepAlive
    }

    let database: Database
    /// Seconds between looks at the log.
    let interval: Double
    /// A project stream ends after this long (the client reconnects and resumes); a batch
    /// stream ends when the batch has finished and everything was sent.
    let maxDuration: Double
    /// Silence longer than this gets a keep-alive.
    let keepAliveAfter: Duration = .seconds(15)
    /// Events read per look; a full page is followed by another look at once.
    let pageSize = 500

    public init(database: Database, interval: Double, maxDuration: Double) {
        self.database = database
        self.interval = interval
        self.maxDuration = maxDuration
    }

    /// 404 when the batch or project does not exist, before the stream's headers go out.
    public func checkExists(_ scope: Scope) async throws {
        switch scope {
        case .batch(let id): _ = try await database.batches.get(id: id)
        case .project(let id): _ = try await database.projects.get(id: id)
        }
    }

    /// Sends what the log holds after `start`, then what arrives, until the stream is over or the
    /// task is cancelled (the client went away).
    public func follow(_ scope: Scope, after start: Int64, send: (Message) async throws -> Void) async throws {
        let (batchID, projectID): (UUID?, UUID?) =
            switch scope {
            case .batch(let id): (id, nil)
            case .project(let id): (nil, id)
            }
        var position = start
        let clock = ContinuousClock()
        let began = clock.now
        var lastWrite = clock.now
        while !Task.isCancelled {
            let events = try await database.jobEvents.after(position, batchID: batchID, projectID: projectID, limit: pageSize)
            if let last = events.last {
                try await send(.events(events.map { Event(id: $0.id, kind: $0.kind.rawValue, data: $0.data) }))
                position = last.id
                lastWrite = clock.now
                if events.count == pageSize { continue }
            }
            if let batchID, try await batchIsOver(batchID, sentUpTo: position) { break }
            if clock.now - began > .seconds(maxDuration) { break }
            if clock.now - lastWrite > keepAliveAfter {
                try await send(.keepAlive)
                lastWrite = clock.now
            }
            try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
        }
    }

    /// A finished batch whose every event was sent: nothing more will come.
    private func batchIsOver(_ batchID: UUID, sentUpTo position: Int64) async throws -> Bool {
        guard let batch = try await database.batches.find(id: batchID, includeDeleted: true), batch.status.isFinished else {
            return false
        }
        return try await database.jobEvents.after(position, batchID: batchID, limit: 1).isEmpty
    }
}
