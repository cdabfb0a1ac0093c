import Foundation
import Logging
import SQLKit
import StoryboardCore

public struct AppliedMigration: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var checksum: String
    public var appliedAt: String
}

/// Where a database stands against the migrations this binary knows.
public struct MigrationStatus: Sendable {
    public var applied: [AppliedMigration]
    public var pending: [Migration]
    /// Recorded in the database but unknown to this binary (a newer storyboard migrated it).
    public var unknown: [AppliedMigration]
    /// Recorded with a checksum other than this binary's SQL.
    public var altered: [AppliedMigration]

    public var currentVersion: Int { applied.map(\.id).max() ?? 0 }
    public var isUpToDate: Bool { pending.isEmpty && unknown.isEmpty && altered.isEmpty }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case unknownMigrations([Int])
    case alteredMigrations([String])
    case unknownTarget(Int)
    case failed(migration: String, reason: String)

    public var description: String {
        switch self {
        case .unknownMigrations(let ids):
            return
                "the database has migration\(ids.count == 1 ? "" : "s") \(ids.map(String.init).joined(separator: ", ")) that this storyboard binary does not know; it was migrated by a newer version — run that version, or restore a backup"
        case .alteredMigrations(let labels):
            return
                "migration\(labels.count == 1 ? "" : "s") \(labels.joined(separator: ", ")) changed since they were applied (checksum mismatch); refusing to run against a schema this binary did not create"
        case .unknownTarget(let id):
            return "there is no migration \(id); `storyboard migrate status` lists them"
        case .failed(let migration, let reason):
            return "migration \(migration) failed and was rolled back: \(reason)"
        }
    }
}

/// Applies and reverts numbered migrations, each in its own transaction, recorded with a
/// checksum in `schema_migrations`.
public struct Migrator: Sendable {
    public let database: Database
    public let migrations: [Migration]
    let logger: Logger
    /// Where SQLite copies of the database go before `up` changes it; nil turns copies off.
    let backupDirectory: String?

    public init(database: Database, migrations: [Migration] = Migration.all, logger: Logger, backupDirectory: String? = nil) {
        self.database = database
        self.migrations = migrations.sorted { $0.id < $1.id }
        self.logger = logger
        self.backupDirectory = backupDirectory
    }

    public func status() async throws -> MigrationStatus {
        try await withRawConnection { sql in
            try await ensureTable(sql)
            return try await status(sql)
        }
    }

    /// Refuses a database this binary must not touch: unknown or altered migrations.
    public func verify(_ status: MigrationStatus) throws {
        if !status.unknown.isEmpty { throw MigrationError.unknownMigrations(status.unknown.map(\.id)) }
        if !status.altered.isEmpty {
            throw MigrationError.alteredMigrations(status.altered.map { String(format: "%04d_%@", $0.id, $0.name) })
        }
    }

    /// Applies pending migrations up to `target` (all when nil). Returns what it applied.
    @discardableResult
    public func up(to target: Int? = nil) async throws -> [Migration] {
        if let target, target != 0, !migrations.contains(where: { $0.id == target }) { throw MigrationError.unknownTarget(target) }
        let current = try await status()
        try verify(current)
        let pending = current.pending.filter { target == nil || $0.id <= target! }
        guard !pending.isEmpty else { return [] }
        if database.engine == .sqlite, !current.applied.isEmpty, let backupDirectory {
            try await backupSQLite(into: backupDirectory, before: pending[0])
        }
        var applied: [Migration] = []
        for migration in pending {
            let ran = try await inTransaction(migration) { sql in
                // Another process may have applied it meanwhile (PostgreSQL, several servers).
                if try await isApplied(migration.id, sql) { return false }
                for statement in migration.up(database.engine) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.insert(into: "schema_migrations")
                    .columns("id", "name", "checksum", "applied_at")
                    .values(migration.id, migration.name, migration.checksum(for: database.engine), Timestamp.now().description)
                    .run()
                return true
            }
            if ran {
                logger.info("migration applied", metadata: ["migration": "\(migration.label)"])
                applied.append(migration)
            }
        }
        return applied
    }

    /// Reverts applied migrations above `target`, newest first. `down(to: 0)` reverts all.
    @discardableResult
    public func down(to target: Int) async throws -> [Migration] {
        if target != 0, !migrations.contains(where: { $0.id == target }) { throw MigrationError.unknownTarget(target) }
        let current = try await status()
        try verify(current)
        let appliedIDs = Set(current.applied.map(\.id))
        let toRevert = migrations.filter { $0.id > target && appliedIDs.contains($0.id) }.reversed()
        var reverted: [Migration] = []
        for migration in toRevert {
            let ran = try await inTransaction(migration) { sql in
                guard try await isApplied(migration.id, sql) else { return false }
                for statement in migration.down(database.engine) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.delete(from: "schema_migrations").where("id", .equal, migration.id).run()
                return true
            }
            if ran {
                logger.info("migration reverted", metadata: ["migration": "\(migration.label)"])
                reverted.append(migration)
            }
        }
        return reverted
    }

    // MARK: - Internals

    /// Migrations talk to the connection directly so that a failure keeps the driver's own
    /// message: the operator running `migrate` needs it, and it never goes to an HTTP client.
    private func withRawConnection<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await database.writers.withConnection { try await body($0.sql) }
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError.failed(migration: "bookkeeping", reason: DatabaseErrorTranslator.describe(error))
        }
    }

    private func inTransaction(_ migration: Migration, _ body: (any SQLDatabase) async throws -> Bool) async throws -> Bool {
        do {
            return try await database.writers.withConnection { connection in
                let sql = connection.sql
                try await sql.raw(database.engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
                do {
                    if database.engine == .postgresql {
                        // Serialises migrators of several processes; released at COMMIT/ROLLBACK.
                        try await sql.raw("SELECT pg_advisory_xact_lock(7271001)").run()
                    }
                    let result = try await body(sql)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        } catch {
            throw MigrationError.failed(migration: migration.label, reason: DatabaseErrorTranslator.describe(error))
        }
    }

    private func ensureTable(_ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id INTEGER PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """
        ).run()
    }

    private func isApplied(_ id: Int, _ sql: any SQLDatabase) async throws -> Bool {
        try await sql.select().column("id").from("schema_migrations").where("id", .equal, id).first() != nil
    }

    private func status(_ sql: any SQLDatabase) async throws -> MigrationStatus {
        let rows = try await sql.select().columns("id", "name", "checksum", "applied_at").from("schema_migrations").orderBy("id").all()
        let applied = try rows.map { row in
            AppliedMigration(
                id: try row.decode(column: "id", as: Int.self),
                name: try row.decode(column: "name", as: String.self),
                checksum: try row.decode(column: "checksum", as: String.self),
                appliedAt: try row.decode(column: "applied_at", as: String.self)
            )
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.id, $0) })
        let appliedIDs = Set(applied.map(\.id))
        return MigrationStatus(
            applied: applied.filter { known[$0.id] != nil },
            pending: migrations.filter { !appliedIDs.contains($0.id) },
            unknown: applied.filter { known[$0.id] == nil },
            altered: applied.filter { record in
                guard let migration = known[record.id] else { return false }
                return migration.checksum(for: database.engine) != record.checksum
            }
        )
    }

    /// A consistent copy of the live database file (`VACUUM INTO`), taken before changing it.
    private func backupSQLite(into directory: String, before migration: Migration) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stamp = Timestamp.now().description.filter { $0.isNumber }
        let path = (directory as NSString).appendingPathComponent("storyboard-before-\(migration.label)-\(stamp).sqlite")
        let literal = "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
        try await withRawConnection { sql in
            try await sql.raw(SQLQueryString("VACUUM INTO \(unsafeRaw: literal)")).run()
        }
        logger.notice("database copied before migrating", metadata: ["backup": "\(path)"])
    }
}
