import ArgumentParser
import Foundation
import Logging
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport

/// `wrk` against a release build of the server, in this process, on SQLite.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "GET /api/health (and a project read) under wrk; needs `wrk` (apt-get install wrk)."
    )

    @Option(help: "Seconds per scenario.") var duration = 10
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "wrk threads.") var threads = 1

    func run() async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("wrk is not installed: apt-get install wrk")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = StoryboardConfiguration()
        configuration.database = .sqlite(path: "\(directory)/bench.sqlite")
        configuration.dataDirectory = directory
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let metrics = AppMetrics()
        let database = try await Database.connect(configuration: configuration, logger: logger, metrics: metrics.factory)
        try await Migrator(database: database, logger: logger).up()
        let project = try await database.projects.create(Project(name: "bench", description: "a project to read"))

        try await withBenchServer(configuration: configuration, database: database, metrics: metrics, logger: logger) { port in
            var rows: [[String]] = []
            for (name, path) in [
                ("GET /api/health", "/api/health"), ("GET /api/projects/{id}", "/api/projects/\(project.meta.id.uuidString.lowercased())"),
            ] {
                let result = try await ProcessRunner.run(
                    wrk, ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "http://127.0.0.1:\(port)\(path)"]
                )
                let parsed = WrkOutput(result.output)
                rows.append([
                    name, "\(threads)/\(connections)", "\(duration) s", parsed.requestsPerSecond, parsed.p50, parsed.p99, parsed.errors,
                ])
            }
            print("\nrelease build, server and wrk on the same 2-core machine, SQLite\n")
            printTable(["route", "wrk threads/connections", "duration", "requests/s", "p50", "p99", "non-2xx or socket errors"], rows)
            print("\npeak memory of the server process: \(format(peakMemoryMiB())) MiB")
        }
        await database.close()
    }
}

/// The few numbers we report from wrk's text output.
struct WrkOutput {
    var requestsPerSecond = "?"
    var p50 = "?"
    var p99 = "?"
    var errors = "0"

    init(_ text: String) {
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("Requests/sec:"), fields.count >= 2 { requestsPerSecond = fields[1] }
            if line.hasPrefix("50%"), fields.count >= 2 { p50 = fields[1] }
            if line.hasPrefix("99%"), fields.count >= 2 { p99 = fields[1] }
            if line.hasPrefix("Non-2xx") || line.hasPrefix("Socket errors") { errors = line }
        }
    }
}
