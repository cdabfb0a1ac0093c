import Foundation
import Logging
import Metrics
import SQLKit
import StoryboardCore
import StoryboardDatabase

/// A throwaway PostgreSQL cluster in a temporary folder (initdb + pg_ctl), on a random port,
/// removed when the test process ends — even if it crashes (a watchdog shell sees to that).
public actor PostgresCluster {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// `STORYBOARD_TEST_POSTGRES=required` turns a missing PostgreSQL into a failure.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["STORYBOARD_TEST_POSTGRES"] == "required" }

    /// The folder holding initdb and pg_ctl, if PostgreSQL is installed.
    public static let binDirectory: String? = {
        if let configured = ProcessInfo.processInfo.environment["STORYBOARD_PG_BINDIR"] { return configured }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") {
            return String(directory)
        }
        return nil
    }()

    public static var isAvailable: Bool { binDirectory != nil }

    public let port: Int
    public let dataDirectory: String
    private let binDirectory: String
    // Tasks, not values: the actor is re-entered while they run, and every caller must wait
    // for the same admin connection and the same template.
    private var templateTask: Task<Void, any Error>?
    private var adminTask: Task<Database, any Error>?

    private init(port: Int, dataDirectory: String, binDirectory: String) {
        self.port = port
        self.dataDirectory = dataDirectory
        self.binDirectory = binDirectory
    }

    private static let sharedTask = Task<PostgresCluster, any Error> { try await PostgresCluster.start() }

    /// The cluster every test shares; started on first use.
    public static func shared() async throws -> PostgresCluster {
        try await sharedTask.value
    }

    /// A new cluster of its own (for tests that stop and start the server).
    public static func start() async throws -> PostgresCluster {
        guard let bin = binDirectory else {
            throw Unavailable(description: "PostgreSQL is not installed (no initdb found); apt-get install postgresql")
        }
        let directory = "/tmp/sb-pg-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dataDirectory = "\(directory)/data"
        try await asDatabaseUser(["/bin/chown", "-R", "postgres:postgres", directory], onlyWhenRoot: true, useRunuser: false)
        let initdb = try await asDatabaseUser(
            ["\(bin)/initdb", "-D", dataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]
        )
        guard initdb.status == 0 else { throw Unavailable(description: "initdb failed: \(initdb.output)") }
        var lastError = ""
        for _ in 0..<8 {
            let port = Int.random(in: 20_000...60_000)
            let cluster = PostgresCluster(port: port, dataDirectory: dataDirectory, binDirectory: bin)
            let result = try await cluster.pgctl(["start"])
            if result.status == 0 {
                try cluster.startWatchdog(removing: directory)
                return cluster
            }
            lastError = result.output
        }
        throw Unavailable(description: "PostgreSQL did not start: \(lastError)")
    }

    /// Stops the server (the folder stays until the process ends). Connections of ours go first.
    public func stop() async throws {
        if let adminTask {
            self.adminTask = nil
            await (try? adminTask.value)?.close()
        }
        let result = try await pgctl(["stop", "-m", "fast"])
        guard result.status == 0 else { throw Unavailable(description: "pg_ctl stop failed: \(result.output)") }
    }

    public func startAgain() async throws {
        let result = try await pgctl(["start"])
        guard result.status == 0 else { throw Unavailable(description: "pg_ctl start failed: \(result.output)") }
    }

    public func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// A new, empty database; migrated to the binary's schema when `migrated` (copied from a template).
    public func createDatabase(migrated: Bool) async throws -> String {
        let name = "t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased())"
        let admin = try await adminDatabase()
        if migrated {
            if templateTask == nil {
                let templateURL = url(database: "storyboard_template")
                templateTask = Task {
                    try await admin.write { try await $0.raw("CREATE DATABASE storyboard_template").run() }
                    var configuration = StoryboardConfiguration()
                    configuration.database = try Self.location(templateURL)
                    configuration.poolSize = 1
                    let template = try await Database.connect(
                        configuration: configuration, logger: Logger(label: "template"), metrics: NOOPMetricsHandler.instance)
                    do {
                        try await Migrator(database: template, logger: Logger(label: "template")).up()
                        await template.close()
                    } catch {
                        await template.close()
                        throw error
                    }
                }
            }
            try await templateTask?.value
        }
        let statement = migrated ? "CREATE DATABASE \(name) TEMPLATE storyboard_template" : "CREATE DATABASE \(name)"
        // The template's last connection may still be exiting ("being accessed by other users").
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await admin.write { try await $0.raw(SQLQueryString(statement)).run() }
                return name
            } catch  where attempt < 20 && migrated {
                // Say who holds the template, then end those sessions: a test copy must not wait on them.
                let holders = try await admin.read { sql in
                    try await sql.raw(
                        "SELECT coalesce(application_name, '') || '/' || coalesce(backend_type, '') || '/' || coalesce(state, '') AS who FROM pg_stat_activity WHERE datname = 'storyboard_template'"
                    ).all().map { try $0.decode(column: "who", as: String.self) }
                }
                FileHandle.standardError.write(Data("note: storyboard_template busy (attempt \(attempt)): \(holders)\n".utf8))
                try await admin.write { sql in
                    try await sql.raw(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'storyboard_template' AND pid <> pg_backend_pid()"
                    ).run()
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    public static func location(_ url: String) throws -> DatabaseLocation {
        try StoryboardConfiguration(environment: ["DATABASE_URL": url]).database
    }

    private func adminDatabase() async throws -> Database {
        if let adminTask { return try await adminTask.value }
        let adminURL = url(database: "postgres")
        let task = Task { try await Self.connectAdmin(adminURL) }
        adminTask = task
        return try await task.value
    }

    private static func connectAdmin(_ url: String) async throws -> Database {
        var configuration = StoryboardConfiguration()
        configuration.database = try location(url)
        configuration.poolSize = 1
        configuration.connectRetries = 3
        configuration.connectRetryDelay = 0.5
        // One connection serves every test's CREATE DATABASE in turn; with many suites at once the queue is long.
        configuration.connectTimeout = 120
        return try await Database.connect(
            configuration: configuration, logger: Logger(label: "pg-admin"), metrics: NOOPMetricsHandler.instance)
    }

    private func pgctl(_ command: [String]) async throws -> ProcessRunner.Result {
        let options =
            "-p \(port) -c listen_addresses=127.0.0.1 -k \(dataDirectory) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c autovacuum=off"
        return try await Self.asDatabaseUser(
            ["\(binDirectory)/pg_ctl", "-D", dataDirectory, "-l", "\(dataDirectory)/server.log", "-w", "-t", "60", "-o", options] + command
        )
    }

    /// Stops the cluster and deletes its folder once this test process is gone.
    private nonisolated func startWatchdog(removing directory: String) throws {
        let pid = ProcessInfo.processInfo.processIdentifier
        let stop = Self.commandPrefix + ["\(binDirectory)/pg_ctl", "-D", dataDirectory, "stop", "-m", "immediate"]
        let script =
            "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; \(stop.joined(separator: " ")) >/dev/null 2>&1; rm -rf \(directory)"
        _ = try ProcessRunner.spawn("/bin/sh", ["-c", script])
    }

    /// initdb refuses to run as root: as root, commands run as the `postgres` user.
    private static var commandPrefix: [String] { geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [] }

    @discardableResult
    private static func asDatabaseUser(
        _ command: [String], onlyWhenRoot: Bool = false, useRunuser: Bool = true
    ) async throws -> ProcessRunner.Result {
        if onlyWhenRoot, geteuid() != 0 { return .init(status: 0, output: "") }
        let full = (useRunuser ? commandPrefix : []) + command
        return try await ProcessRunner.run(full[0], Array(full.dropFirst()))
    }
}

extension PostgresCluster {
    /// Sessions connected to `database` right now (for leak checks).
    public func sessions(on database: String) async throws -> Int {
        let admin = try await adminDatabase()
        return try await admin.read { sql in
            try await sql.raw("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = \(bind: database)").first()?.decode(
                column: "n", as: Int.self) ?? -1
        }
    }
}
