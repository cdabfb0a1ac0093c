import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Closes the database after the HTTP server has drained (services stop in reverse order).
public struct DatabaseService: Service {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await database.close()
    }
}
