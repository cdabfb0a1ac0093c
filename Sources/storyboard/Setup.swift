import ArgumentParser
import Foundation
import Logging
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase

/// What every subcommand does first: read the environment, set up logging, open the database.
/// Each failure prints one line naming the problem and exits non-zero.
enum Setup {
    static func configuration() throws -> StoryboardConfiguration {
        do {
            return try StoryboardConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            fail(error.description, code: 2)
        }
    }

    static func logger(_ configuration: StoryboardConfiguration) -> Logger {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "storyboard")
    }

    static func database(_ configuration: StoryboardConfiguration, logger: Logger, metrics: AppMetrics) async throws -> Database {
        do {
            return try await Database.connect(configuration: configuration, logger: logger, metrics: metrics.factory)
        } catch let error as DatabaseStartupError {
            fail(error.description)
        }
    }

    static func migrator(_ database: Database, _ configuration: StoryboardConfiguration, logger: Logger) -> Migrator {
        Migrator(
            database: database, logger: logger,
            backupDirectory: (configuration.dataDirectory as NSString).appendingPathComponent("backups")
        )
    }

    /// One line on standard error, then exit.
    static func fail(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("storyboard: \(message)\n".utf8))
        Foundation.exit(code)
    }
}
