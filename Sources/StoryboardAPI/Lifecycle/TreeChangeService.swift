import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Follows other processes' project changes on PostgreSQL, so that unchanged trees are
/// recognised without a round trip (`Database.followTreeChanges`); nothing to do on SQLite.
public struct TreeChangeService: Service {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await database.followTreeChanges() }
        // A service that returns early ends the group: on SQLite there is nothing to follow.
        try? await gracefulShutdown()
    }
}
