import ArgumentParser
import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, apply or revert database migrations.",
        subcommands: [Status.self, Up.self, Down.self],
        defaultSubcommand: Status.self
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applied and pending migrations.")

        func run() async throws {
            try await withMigrator { migrator in
                let status = try await migrator.status()
                print("engine: \(migrator.database.engine.rawValue)   schema version: \(status.currentVersion)")
                let altered = Set(status.altered.map(\.id))
                for record in status.applied {
                    let mark = altered.contains(record.id) ? "ALTERED" : "applied"
                    print(String(format: "%@  %04d_%@  %@", mark, record.id, record.name, record.appliedAt))
                }
                for migration in status.pending { print("pending  \(migration.label)") }
                for record in status.unknown {
                    print(String(format: "UNKNOWN  %04d_%@  %@  (not in this binary)", record.id, record.name, record.appliedAt))
                }
                if !status.unknown.isEmpty || !status.altered.isEmpty {
                    do { try migrator.verify(status) } catch { Setup.fail("\(error)") }
                }
            }
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations (SQLite: the file is copied aside first).")

        @Option(help: "Stop after this migration id.")
        var to: Int?

        func run() async throws {
            try await withMigrator { migrator in
                let applied = try await migrator.up(to: to)
                if applied.isEmpty { print("nothing to apply") }
                for migration in applied { print("applied  \(migration.label)") }
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revert the latest migration, or every one above --to (`--to 0` reverts all)."
        )

        @Option(help: "Revert every migration above this id (default: only the latest applied one).")
        var to: Int?

        func run() async throws {
            try await withMigrator { migrator in
                let target: Int
                if let to {
                    target = to
                } else {
                    let applied = try await migrator.status().applied.map(\.id).sorted()
                    target = applied.dropLast().last ?? 0
                }
                let reverted = try await migrator.down(to: target)
                if reverted.isEmpty { print("nothing to revert") }
                for migration in reverted { print("reverted  \(migration.label)") }
            }
        }
    }
}

private func withMigrator(_ body: (Migrator) async throws -> Void) async throws {
    let configuration = try Setup.configuration()
    let logger = Setup.logger(configuration)
    let database = try await Setup.database(configuration, logger: logger, metrics: AppMetrics())
    do {
        try await body(Setup.migrator(database, configuration, logger: logger))
        await database.close()
    } catch let error as MigrationError {
        await database.close()
        Setup.fail(error.description)
    }
}
