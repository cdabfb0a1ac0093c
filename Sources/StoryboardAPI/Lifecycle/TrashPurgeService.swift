import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Purges what has been in the trash longer than the retention, on a schedule.
public struct TrashPurgeService: Service {
    let trash: TrashService
    let database: Database
    let retention: Double
    let interval: Double
    let logger: Logger

    public init(configuration: StoryboardConfiguration, database: Database, logger: Logger) {
        self.trash = TrashService(database: database, media: MediaStore(configuration: configuration), logger: logger)
        self.database = database
        self.retention = configuration.trashRetentionDays * 86400
        self.interval = configuration.trashPurgeInterval
        self.logger = logger
    }

    public func run() async throws {
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled {
            do {
                let purged = try await trash.purge(deletedBefore: Timestamp(Date().addingTimeInterval(-retention)))
                // The event log is for resuming streams, not history: a day is plenty.
                try await database.jobEvents.removeOlder(than: Timestamp(Date().addingTimeInterval(-86400)))
                if purged > 0 { logger.info("trash purged", metadata: ["deletes": "\(purged)", "retention_days": "\(retention / 86400)"]) }
            } catch {
                logger.warning("scheduled trash purge failed; trying again later", metadata: ["error": "\(error)"])
            }
            // Stops at once on shutdown.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            } catch {
                return
            }
        }
    }
}
