import Foundation
import Logging
import Metrics
import SQLKit
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Migrator", .timeLimit(.minutes(2)))
struct MigratorTests {
    let logger = Logger(label: "test")

    @Test("up, down to zero, up again gives the same schema", arguments: TestEngine.available)
    func roundTrip(engine: TestEngine) async throws {
        try await withTestDatabase(engine, migrated: false) { test in
            let migrator = Migrator(database: test.database, migrations: Migration.all + [.testWidgets], logger: logger)

            let applied = try await migrator.up()
            let first = try await schemaCatalog(test.database)
            let reverted = try await migrator.down(to: 0)
            let empty = try await schemaCatalog(test.database)
            try await migrator.up()
            let second = try await schemaCatalog(test.database)

            #expect(applied.map(\.id) == Migration.all.map(\.id) + [9001])
            #expect(reverted.map(\.id) == applied.map(\.id).reversed())
            #expect(empty.allSatisfy { $0.hasPrefix("schema_migrations") }, "down to 0 leaves only the bookkeeping table: \(empty)")
            #expect(first == second)
            #expect(first.contains { $0.hasPrefix("projects") })
            let status = try await migrator.status()
            #expect(status.isUpToDate)
            #expect(status.currentVersion == 9001)
        }
    }

    @Test("up --to and down --to stop where asked; unknown targets are refused", arguments: TestEngine.available)
    func targets(engine: TestEngine) async throws {
        try await withTestDatabase(engine, migrated: false) { test in
            let migrator = Migrator(database: test.database, migrations: Migration.all + [.testWidgets], logger: logger)

            let first = try await migrator.up(to: 1)
            let rest = try await migrator.up()
            let down = try await migrator.down(to: 1)

            #expect(first.map(\.id) == [1])
            #expect(rest.map(\.id) == Array(Migration.all.map(\.id).dropFirst()) + [9001])
            #expect(down.first?.id == 9001)
            #expect(try await migrator.status().currentVersion == 1)
            await #expect(throws: MigrationError.unknownTarget(4242)) { try await migrator.up(to: 4242) }
        }
    }

    @Test("a failing migration leaves the database as it was", arguments: TestEngine.available)
    func failingMigration(engine: TestEngine) async throws {
        try await withTestDatabase(engine, migrated: false) { test in
            try await Migrator(database: test.database, migrations: Migration.all + [.testWidgets], logger: logger).up()
            let before = try await schemaCatalog(test.database)
            let migrator = Migrator(database: test.database, migrations: Migration.all + [.testWidgets, .failing], logger: logger)

            var failure: MigrationError?
            do { try await migrator.up() } catch let error as MigrationError { failure = error }

            guard case .failed(let label, _)? = failure else {
                Issue.record("expected the migration to fail, got \(String(describing: failure))")
                return
            }
            #expect(label == "9002_failing")
            #expect(try await schemaCatalog(test.database) == before, "half_done must not exist")
            #expect(try await migrator.status().pending.map(\.id) == [9002])
        }
    }

    @Test("a database with a migration this binary does not know is refused", arguments: TestEngine.available)
    func unknownMigration(engine: TestEngine) async throws {
        try await withTestDatabase(engine, migrated: false) { test in
            // A newer binary applied 9001; this one only knows the shipped migrations.
            try await Migrator(database: test.database, migrations: Migration.all + [.testWidgets], logger: logger).up()
            let older = Migrator(database: test.database, migrations: Migration.all, logger: logger)

            let status = try await older.status()

            #expect(status.unknown.map(\.id) == [9001])
            #expect(throws: MigrationError.unknownMigrations([9001])) { try older.verify(status) }
            await #expect(throws: MigrationError.unknownMigrations([9001])) { try await older.up() }
            await #expect(throws: MigrationError.unknownMigrations([9001])) { try await older.down(to: 0) }
            #expect(MigrationError.unknownMigrations([9001]).description.contains("does not know"))
        }
    }

    @Test("a migration changed after it was applied is refused (checksum)", arguments: TestEngine.available)
    func alteredMigration(engine: TestEngine) async throws {
        try await withTestDatabase(engine, migrated: false) { test in
            try await Migrator(database: test.database, migrations: Migration.all + [.testWidgets], logger: logger).up()
            let edited = Migration(
                id: 9001, name: "test_widgets",
                up: { engine in Migration.testWidgets.up(engine) + ["CREATE INDEX sneaky ON test_widgets (kind)"] },
                down: { engine in Migration.testWidgets.down(engine) }
            )
            let migrator = Migrator(database: test.database, migrations: Migration.all + [edited], logger: logger)

            let status = try await migrator.status()

            #expect(status.altered.map(\.id) == [9001])
            await #expect(throws: MigrationError.alteredMigrations(["9001_test_widgets"])) { try await migrator.up() }
        }
    }

    @Test("on SQLite, up copies the database file aside first (VACUUM INTO)")
    func sqliteBackup() async throws {
        try await withTestDatabase(.sqlite, migrated: false) { test in
            let backups = "\(test.configuration.dataDirectory)/backups"
            try await Migrator(database: test.database, logger: logger, backupDirectory: backups).up()
            try await test.database.projects.create(Project(name: "before the upgrade"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []).isEmpty, "nothing to copy on a new database")

            try await Migrator(
                database: test.database, migrations: Migration.all + [.testWidgets], logger: logger, backupDirectory: backups
            ).up()

            let files = try FileManager.default.contentsOfDirectory(atPath: backups)
            #expect(files.count == 1)
            let file = try #require(files.first)
            #expect(file.contains("before-9001_test_widgets"))
            // The copy is a complete database holding the data from before the migration.
            var configuration = test.configuration
            configuration.database = .sqlite(path: "\(backups)/\(file)")
            let copy = try await Database.connect(configuration: configuration, logger: logger, metrics: NOOPMetricsHandler.instance)
            #expect(try await copy.projects.findMany().items.map(\.name) == ["before the upgrade"])
            #expect(try await Migrator(database: copy, logger: logger).status().currentVersion == Migration.all.map(\.id).max())
            await copy.close()
        }
    }

    /// Tables, columns and indexes, as sorted text, to compare schemas.
    func schemaCatalog(_ database: Database) async throws -> [String] {
        try await database.read { sql in
            switch database.engine {
            case .sqlite:
                let rows = try await sql.raw(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
                ).all()
                return try rows.map { row in
                    "\(try row.decode(column: "name", as: String.self)) \(try row.decode(column: "type", as: String.self)) \(try row.decode(column: "sql", as: String?.self) ?? "")"
                }
            case .postgresql:
                let columns = try await sql.raw(
                    """
                    SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS entry
                    FROM information_schema.columns WHERE table_schema = 'public'
                    """
                ).all()
                let indexes = try await sql.raw("SELECT tablename || ' ' || indexdef AS entry FROM pg_indexes WHERE schemaname = 'public'")
                    .all()
                return try (columns + indexes).map { try $0.decode(column: "entry", as: String.self) }.sorted()
            }
        }
    }
}
