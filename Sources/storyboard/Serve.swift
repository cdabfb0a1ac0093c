import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (and the web studio).")

    @Option(help: "Address to listen on (default: HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: PORT or 8080).")
    var port: Int?

    @Flag(name: .customLong("no-migrate"), help: "Do not apply pending migrations on start.")
    var noMigrate = false

    @Flag(
        name: .customLong("allow-insecure-bind"),
        help: "Listen on a non-loopback address without STORYBOARD_API_TOKEN (anyone on the network gets full access)."
    )
    var allowInsecureBind = false

    func run() async throws {
        var configuration = try Setup.configuration()
        if let host { configuration.host = host }
        if let port {
            guard (0...65535).contains(port) else { Setup.fail("--port \(port) is not a port number (0–65535)", code: 2) }
            configuration.port = port
        }
        if let refusal = BindPolicy.refusal(for: configuration, allowInsecure: allowInsecureBind) {
            Setup.fail(refusal, code: 2)
        }
        let logger = Setup.logger(configuration)
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            Setup.fail("STORYBOARD_DATA_DIR \(configuration.dataDirectory) cannot be created: \(error.localizedDescription)")
        }
        let metrics = AppMetrics()
        let database = try await Setup.database(configuration, logger: logger, metrics: metrics)
        let migrator = Setup.migrator(database, configuration, logger: logger)
        do {
            if noMigrate {
                let status = try await migrator.status()
                try migrator.verify(status)
                if !status.pending.isEmpty {
                    logger.warning("pending migrations not applied (--no-migrate)", metadata: ["pending": "\(status.pending.map(\.label))"])
                }
            } else {
                try await migrator.up()
            }
        } catch let error as MigrationError {
            await database.close()
            Setup.fail(error.description)
        } catch {
            // Say what went wrong and close the connections, rather than unwinding past them.
            await database.close()
            Setup.fail("the schema could not be checked or migrated: \(error)")
        }

        let wakeup = JobWakeup()
        let app = buildApplication(configuration: configuration, database: database, metrics: metrics, logger: logger, wakeup: wakeup) {
            channel in
            logger.info(
                "storyboard listening",
                metadata: ["address": "\(channel.localAddress?.description ?? "?")", "engine": "\(database.engine.rawValue)"])
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: DatabaseService(database: database), serviceName: "database"),
                .init(service: TreeChangeService(database: database), serviceName: "tree-changes"),
                .init(
                    service: TrashPurgeService(configuration: configuration, database: database, logger: logger), serviceName: "trash-purge"
                ),
            ] + generationServices(configuration: configuration, database: database, wakeup: wakeup, metrics: metrics, logger: logger) + [
                .init(service: app, serviceName: "http")
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // In-flight requests get this long to finish; then they are cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeout)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            // A service that could not start (the port is taken): one line, and the database closed.
            await database.close()
            Setup.fail("\(error)")
        }
        logger.info("storyboard stopped")
    }
}
