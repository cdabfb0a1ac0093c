import ArgumentParser
import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check configuration, database reachability, schema version, the data directory and ffmpeg. Exit 0 only when all is well (ffmpeg is optional)."
    )

    func run() async throws {
        var healthy = true
        func report(_ ok: Bool, _ check: String, _ detail: String) {
            print("\(ok ? "ok  " : "FAIL")  \(check): \(detail)")
            if !ok { healthy = false }
        }

        var configuration: StoryboardConfiguration
        do {
            configuration = try StoryboardConfiguration(environment: ProcessInfo.processInfo.environment)
            report(true, "configuration", "read from the environment")
        } catch {
            report(false, "configuration", error.description)
            throw ExitCode(1)
        }
        // The doctor answers now rather than waiting through the server's start-up retries.
        configuration.connectRetries = 0
        configuration.logLevel = "critical"
        let logger = Setup.logger(configuration)

        let directory = configuration.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let probe = (directory as NSString).appendingPathComponent(".doctor-\(UUID().uuidString)")
            try Data("ok".utf8).write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
            report(true, "data directory", "\(directory) is writable")
        } catch {
            report(false, "data directory", "\(directory) is not writable: \(error.localizedDescription)")
        }

        // Optional: only animatic renders need it, so its absence is a note, not a failure.
        if let ffmpeg = FFmpegLocator.resolve(configuration.render.ffmpeg) {
            report(true, "ffmpeg", "\(ffmpeg) (animatic renders)")
        } else {
            print(
                "note  ffmpeg: \(configuration.render.ffmpeg) not found; animatic renders answer 503 until it is installed (or STORYBOARD_FFMPEG names it)"
            )
        }

        let target: String
        switch configuration.database {
        case .sqlite(let path): target = "sqlite \(path)"
        case .postgres(let settings): target = settings.redactedURL
        }
        let database: Database
        do {
            database = try await Database.connect(configuration: configuration, logger: logger, metrics: AppMetrics().factory)
            let latency = try await database.ping()
            report(true, "database", "\(target) answers in \(String(format: "%.2f", latency.milliseconds)) ms")
        } catch {
            report(false, "database", "\(target): \((error as? DatabaseStartupError)?.reason ?? "\(error)")")
            throw ExitCode(1)
        }
        do {
            let migrator = Setup.migrator(database, configuration, logger: logger)
            let status = try await migrator.status()
            let known = Migration.all.map(\.id).max() ?? 0
            if !status.unknown.isEmpty || !status.altered.isEmpty {
                do { try migrator.verify(status) } catch { report(false, "schema", "\(error)") }
            } else if !status.pending.isEmpty {
                report(
                    false, "schema",
                    "version \(status.currentVersion) of \(known): \(status.pending.count) pending (`storyboard migrate up`, or start the server)"
                )
            } else {
                report(true, "schema", "version \(status.currentVersion), up to date")
            }
        } catch {
            report(false, "schema", "\(error)")
        }
        await database.close()
        if !healthy { throw ExitCode(1) }
    }
}
