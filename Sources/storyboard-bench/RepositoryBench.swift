import ArgumentParser
import Foundation
import Logging
import Metrics
import PostgresNIO
import SQLKit
import SQLiteNIO
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport

/// The base repository beside the same statements run through the raw driver (the floor).
struct RepositoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repository",
        abstract: "Base repository find-by-id, insert and keyset page of 100 against the raw driver, on a table of --rows rows."
    )

    @Option(help: "sqlite, postgresql or both") var engine: BenchEngine = .both
    @Option(help: "Rows in the table before measuring.") var rows = 100_000
    @Option(help: "Timed calls per operation.") var iterations = 5_000
    @Option(help: "Use this PostgreSQL instead of a throwaway cluster.") var postgresURL: String?

    func run() async throws {
        var results: [[String]] = []
        for engine in engine.engines {
            let (configuration, cleanup) = try await prepareBenchDatabase(engine, postgresURL: postgresURL)
            let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
            let database = try await Database.connect(configuration: configuration, logger: logger, metrics: NOOPMetricsHandler.instance)
            try await Migrator(database: database, logger: logger).up()
            let ids = try await seed(database, rows: rows)
            // Statistics, as a live database has them (the throwaway cluster runs without autovacuum).
            try await database.write { try await $0.raw("ANALYZE").run() }
            let raw = try await RawDriver.open(configuration.database)

            let repository = database.projects
            var rng = SystemRandomNumberGenerator()
            let lookups = (0..<(iterations + 200)).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }

            let (findRepo, findRaw) = try await measurePair(iterations) { index in
                guard try await repository.find(id: lookups[index]) != nil else { throw ValidationError("row missing") }
            } _: { index in
                guard try await raw.find(id: lookups[index]) != nil else { throw ValidationError("row missing") }
            }

            // Both walk the same pages, newest first, one page per call each.
            let pageCount = min(iterations / 10, rows / 100 - 1)
            var cursor: String?
            var last: (String, String)?
            let (pageRepo, pageRaw) = try await measurePair(pageCount, warmup: 5) { index in
                if index == 5 { cursor = nil }
                let page = try await repository.findMany(limit: 100, cursor: cursor)
                guard page.items.count == 100 else { throw ValidationError("short page") }
                cursor = page.nextCursor
            } _: { index in
                if index == 5 { last = nil }
                let page = try await raw.page(after: last)
                guard page.count == 100, let tail = page.last else { throw ValidationError("short page") }
                last = (tail.meta.createdAt.description, tail.meta.id.uuidString.lowercased())
            }

            let (insertRepo, insertRaw) = try await measurePair(iterations / 2, warmup: 50) { index in
                try await repository.create(Project(name: "bench insert \(index)"))
            } _: { index in
                try await raw.insert(Project(name: "raw insert \(index)"))
            }

            for (name, repo, floor, target) in [
                ("find by id", findRepo, findRaw, "≤ 1.5×"), ("keyset page of 100", pageRepo, pageRaw, "≤ 1.5×"),
                ("insert", insertRepo, insertRaw, "—"),
            ] {
                results.append([
                    engine.rawValue, name, format(repo.mean), format(repo.percentile(0.99)), format(floor.mean),
                    format(floor.percentile(0.99)),
                    format(repo.mean / floor.mean, digits: 2) + "×", target, format(repo.perSecond, digits: 0),
                ])
            }
            await raw.close()
            await database.close()
            try await cleanup()
        }
        print(
            "\nrows: \(rows), timed calls: \(iterations) (pages: \(min(iterations / 10, rows / 100 - 1)), inserts: \(iterations / 2)), one caller at a time, repository and raw calls interleaved\n"
        )
        printTable(
            [
                "engine", "operation", "repository mean µs", "repository p99 µs", "raw driver mean µs", "raw p99 µs", "ratio", "target",
                "repository ops/s",
            ],
            results
        )
        print("\npeak memory: \(format(peakMemoryMiB())) MiB")
    }

    /// Fills the table with multi-row inserts (setup, not measured).
    private func seed(_ database: Database, rows: Int) async throws -> [UUID] {
        var ids: [UUID] = []
        ids.reserveCapacity(rows)
        let base = Timestamp.now().microseconds - Int64(rows) * 1000
        for batch in stride(from: 0, to: rows, by: 500) {
            let projects = (batch..<min(batch + 500, rows)).map { index in
                Project(
                    meta: RecordMetadata(createdAt: Timestamp(microseconds: base + Int64(index) * 1000)), name: "Project \(index)",
                    description: "seeded row \(index)")
            }
            ids += projects.map(\.meta.id)
            try await database.projects.createAll(projects)
        }
        return ids
    }
}

extension Project {
    static var allColumnNames: [String] {
        [
            "id", "created_at", "updated_at", "version", "deleted_at", "deleted_by", "deletion_id", "name", "description",
            "music_file_path", "music_duration", "music_media_id",
        ]
    }

    /// Values in `allColumnNames` order, as the drivers bind them.
    var rowValues: [String?] {
        [
            meta.id.uuidString.lowercased(), meta.createdAt.description, meta.updatedAt.description, String(meta.version), nil, nil, nil,
            name,
            description, musicFilePath, musicDuration.map { String($0) }, musicMediaID,
        ]
    }
}

/// The same statements, straight through sqlite-nio or postgres-nio, decoded by hand: the floor.
enum RawDriver {
    case sqlite(SQLiteConnection)
    case postgres(PostgresConnection)

    static let logger = Logger(label: "raw", factory: { _ in SwiftLogNoOpLogHandler() })
    static let select =
        "SELECT id, created_at, updated_at, version, deleted_at, deleted_by, deletion_id, name, description, music_file_path, music_duration, music_media_id FROM projects"

    static func open(_ location: DatabaseLocation) async throws -> RawDriver {
        switch location {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            _ = try await connection.query("PRAGMA busy_timeout = 5000", [])
            // The same durability setting as the server's own connections, or the floor is not a floor.
            _ = try await connection.query("PRAGMA synchronous = NORMAL", [])
            return .sqlite(connection)
        case .postgres(let settings):
            let configuration = PostgresConnection.Configuration(
                host: settings.host, port: settings.port, username: settings.username, password: settings.password,
                database: settings.database, tls: .disable
            )
            return .postgres(try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "raw")))
        }
    }

    func find(id: UUID) async throws -> Project? {
        let key = id.uuidString.lowercased()
        switch self {
        case .sqlite(let connection):
            return try await connection.query(Self.select + " WHERE deleted_at IS NULL AND id = ? LIMIT 1", [.text(key)]).first.map(
                Self.project)
        case .postgres(let connection):
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: Self.select + " WHERE deleted_at IS NULL AND id = $1 LIMIT 1", binds: binds([key])),
                logger: Self.logger)
            for try await row in rows { return try Self.project(row) }
            return nil
        }
    }

    func page(after last: (String, String)?) async throws -> [Project] {
        let order = " ORDER BY created_at DESC, id DESC LIMIT 100"
        switch self {
        case .sqlite(let connection):
            if let (created, id) = last {
                return try await connection.query(
                    Self.select + " WHERE deleted_at IS NULL AND (created_at, id) < (?, ?)" + order,
                    [.text(created), .text(id)]
                ).map(Self.project)
            }
            return try await connection.query(Self.select + " WHERE deleted_at IS NULL" + order, []).map(Self.project)
        case .postgres(let connection):
            let query =
                if let (created, id) = last {
                    PostgresQuery(
                        unsafeSQL: Self.select + " WHERE deleted_at IS NULL AND (created_at, id) < ($1, $2)" + order,
                        binds: binds([created, id])
                    )
                } else {
                    PostgresQuery(unsafeSQL: Self.select + " WHERE deleted_at IS NULL" + order)
                }
            var projects: [Project] = []
            for try await row in try await connection.query(query, logger: Self.logger) { projects.append(try Self.project(row)) }
            return projects
        }
    }

    func insert(_ project: Project) async throws {
        let columns = Project.allColumnNames.joined(separator: ", ")
        switch self {
        case .sqlite(let connection):
            let placeholders = Array(repeating: "?", count: Project.allColumnNames.count).joined(separator: ", ")
            _ = try await connection.query(
                "INSERT INTO projects (\(columns)) VALUES (\(placeholders))",
                project.rowValues.enumerated().map { index, value in
                    index == 3 ? .integer(project.meta.version) : value.map(SQLiteData.text) ?? .null
                }
            )
        case .postgres(let connection):
            let placeholders = (1...Project.allColumnNames.count).map { "$\($0)" }.joined(separator: ", ")
            var bindings = PostgresBindings()
            for (index, value) in project.rowValues.enumerated() {
                if index == 3 { bindings.append(project.meta.version) } else { bindings.append(value) }
            }
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "INSERT INTO projects (\(columns)) VALUES (\(placeholders))", binds: bindings), logger: Self.logger
            )
        }
    }

    func close() async {
        switch self {
        case .sqlite(let connection): try? await connection.close()
        case .postgres(let connection): try? await connection.close()
        }
    }

    private func binds(_ values: [String?]) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    private static func project(_ row: SQLiteRow) throws -> Project {
        func text(_ name: String) -> String? { row.column(name)?.string }
        guard let id = text("id").flatMap(UUID.init(parsing:)), let created = text("created_at").flatMap(Timestamp.init(rfc3339:)),
            let updated = text("updated_at").flatMap(Timestamp.init(rfc3339:)), let name = text("name")
        else { throw ValidationError("bad row") }
        return Project(
            meta: RecordMetadata(
                id: id, createdAt: created, updatedAt: updated, version: row.column("version")?.integer ?? 1,
                deletedAt: text("deleted_at").flatMap(Timestamp.init(rfc3339:)), deletedBy: text("deleted_by"),
                deletionID: text("deletion_id").flatMap(UUID.init(parsing:))
            ),
            name: name, description: text("description"), musicFilePath: text("music_file_path"),
            musicDuration: row.column("music_duration")?.double,
            musicMediaID: text("music_media_id")
        )
    }

    private static func project(_ row: PostgresRow) throws -> Project {
        let (id, created, updated, version, deletedAt, deletedBy, deletionID, name, description, path, duration, media) = try row.decode(
            (String, String, String, Int, String?, String?, String?, String, String?, String?, Double?, String?).self
        )
        guard let uuid = UUID(parsing: id), let createdAt = Timestamp(rfc3339: created), let updatedAt = Timestamp(rfc3339: updated) else {
            throw ValidationError("bad row")
        }
        return Project(
            meta: RecordMetadata(
                id: uuid, createdAt: createdAt, updatedAt: updatedAt, version: version,
                deletedAt: deletedAt.flatMap(Timestamp.init(rfc3339:)),
                deletedBy: deletedBy, deletionID: deletionID.flatMap(UUID.init(parsing:))
            ),
            name: name, description: description, musicFilePath: path, musicDuration: duration, musicMediaID: media
        )
    }
}

/// A configuration for `engine`: a throwaway PostgreSQL cluster (or `postgresURL`), or a
/// SQLite file in a temporary folder; and how to clean it up.
func prepareBenchDatabase(_ engine: BenchEngine, postgresURL: String?) async throws -> (StoryboardConfiguration, () async throws -> Void) {
    var configuration = StoryboardConfiguration()
    configuration.connectRetries = 0
    switch engine {
    case .postgresql:
        if let postgresURL {
            configuration.database = try PostgresCluster.location(postgresURL)
            return (configuration, {})
        }
        let cluster = try await PostgresCluster.start()
        let name = try await cluster.createDatabase(migrated: false)
        configuration.database = try PostgresCluster.location(await cluster.url(database: name))
        return (configuration, { try await cluster.stop() })
    default:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configuration.database = .sqlite(path: "\(directory)/bench.sqlite")
        return (configuration, { try FileManager.default.removeItem(atPath: directory) })
    }
}
