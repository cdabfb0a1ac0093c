import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// The metrics of one server instance: its own registry, so tests never share counters.
public struct AppMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }
}

/// The router with every middleware and controller. The executable and the tests use this
/// same function, so tests run the very server users run.
public func buildRouter(
    configuration: StoryboardConfiguration,
    database: Database,
    metrics: AppMetrics,
    boundHost: String? = nil,
    wakeup: JobWakeup = JobWakeup()
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    let table = RouteTable()
    // Outermost first: metrics see the final status; security headers go on error responses
    // too; the error middleware turns everything below it into the envelope.
    router.add(middleware: RequestMetricsMiddleware(factory: metrics.factory))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware(routes: table))
    router.add(
        middleware: CrossSiteMiddleware(
            allowedHosts: AllowedHosts(bindHost: boundHost ?? configuration.host, publicHosts: configuration.publicHosts)))
    if let token = configuration.apiToken {
        router.add(middleware: AuthMiddleware(token: token))
    }
    router.add(middleware: JSONContentTypeMiddleware(routes: table))

    let routes = Routes(router: router, table: table)
    let document = OpenAPIDocument.build(operations: Operations.all)
    let documentBytes = (try? JSONCoding.encoder.encode(document)).map { ByteBuffer(bytes: $0) } ?? ByteBuffer()

    HealthController(database: database, timeout: min(configuration.connectTimeout, 5)).register(routes)
    OperationsController(registry: metrics.registry, openAPIDocument: documentBytes).register(routes)
    let media = MediaStore(configuration: configuration)
    let trash = TrashService(database: database, media: media)
    let maxBody = configuration.maxBodyBytes
    let projects = ProjectService(database: database)
    ProjectController(service: projects, trees: ProjectTreeService(database: database), maxBodyBytes: maxBody).register(routes)
    MediaController(projects: projects, media: media).register(routes)
    SceneController(service: SceneService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    ClipController(service: ClipService(database: database), trash: trash, media: media, maxBodyBytes: maxBody).register(routes)
    CharacterController(service: CharacterService(database: database, media: media), trash: trash, media: media, maxBodyBytes: maxBody)
        .register(routes)
    StyleTemplateController(service: StyleTemplateService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    TrashController(trash: trash).register(routes)
    PoolController(service: PoolService(database: database), trash: trash, media: media, maxBodyBytes: maxBody).register(routes)
    let monitor = ServerMonitor(database: database, http: .shared, settings: configuration.generation)
    ServerController(service: ServerService(database: database), monitor: monitor, trash: trash, maxBodyBytes: maxBody).register(routes)
    JobController(service: JobService(database: database, wakeup: wakeup), maxBodyBytes: maxBody).register(routes)
    BatchController(service: BatchService(database: database, wakeup: wakeup), maxBodyBytes: maxBody).register(routes)
    WorkflowController(service: WorkflowService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    WorkerController(
        service: WorkerService(database: database, media: media, settings: configuration.generation), media: media, maxBodyBytes: maxBody
    ).register(routes)
    RenderController(service: RenderService(database: database, settings: configuration.render, wakeup: wakeup), maxBodyBytes: maxBody)
        .register(routes)
    StudioController(directory: configuration.studioDirectory).register(routes)
    EventController(
        database: database, interval: min(0.25, configuration.generation.pollInterval * 5),
        maxDuration: configuration.generation.eventStreamDuration
    ).register(routes)
    return router
}

/// The HTTP server for `configuration`, listening on its host and port.
public func buildApplication(
    configuration: StoryboardConfiguration,
    database: Database,
    metrics: AppMetrics,
    logger: Logger,
    wakeup: JobWakeup = JobWakeup(),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, database: database, metrics: metrics, wakeup: wakeup)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        onServerRunning: onServerRunning,
        logger: logger
    )
}

extension MediaStore {
    convenience init(configuration: StoryboardConfiguration) {
        self.init(
            root: configuration.mediaDirectory, maxUploadBytes: configuration.maxUploadBytes,
            minimumFreeBytes: configuration.minimumFreeBytes,
            orphanGraceSeconds: configuration.mediaOrphanGrace, logger: Logger(label: "storyboard.media")
        )
    }
}

/// Purges what has been in the trash longer than the retention, on a schedule.
public struct TrashPurgeService: Service {
    let trash: TrashService
    let database: Database
    let retention: Double
    let interval: Double
    let logger: Logger

    public init(configuration: StoryboardConfiguration, database: Database, logger: Logger) {
        self.trash = TrashService(database: database, media: MediaStore(configuration: configuration), logger: logger)
        self.database = database
        self.retention = configuration.trashRetentionDays * 86400
        self.interval = configuration.trashPurgeInterval
        self.logger = logger
    }

    public func run() async throws {
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled {
            do {
                let purged = try await trash.purge(deletedBefore: Timestamp(Date().addingTimeInterval(-retention)))
                // The event log is for resuming streams, not history: a day is plenty.
                try await database.jobEvents.removeOlder(than: Timestamp(Date().addingTimeInterval(-86400)))
                if purged > 0 { logger.info("trash purged", metadata: ["deletes": "\(purged)", "retention_days": "\(retention / 86400)"]) }
            } catch {
                logger.warning("scheduled trash purge failed; trying again later", metadata: ["error": "\(error)"])
            }
            // Stops at once on shutdown.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
            } catch {
                return
            }
        }
    }
}

/// The long-running parts of generation for a server process: the dispatcher (unless
/// STORYBOARD_DISPATCHER=off), the scheduled server checks and the animatic renderer (unless
/// STORYBOARD_RENDERER=off). `wakeup` is the one the
/// router was built with, so queued jobs start at once.
public func generationServices(
    configuration: StoryboardConfiguration, database: Database, wakeup: JobWakeup, metrics: AppMetrics, logger: Logger
) -> [ServiceGroupConfiguration.ServiceConfiguration] {
    let settings = configuration.generation
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
        .init(
            service: ServerCheckService(
                monitor: ServerMonitor(database: database, http: .shared, settings: settings, logger: logger),
                interval: settings.checkInterval), serviceName: "server-checks")
    ]
    if settings.dispatcherEnabled {
        let dispatcher = GenerationDispatcher(
            database: database, media: MediaStore(configuration: configuration), http: .shared, settings: settings, wakeup: wakeup,
            metrics: metrics.factory, logger: logger
        )
        services.append(.init(service: dispatcher, serviceName: "dispatcher"))
    }
    if configuration.render.enabled {
        let renderer = RenderWorker(
            database: database, media: MediaStore(configuration: configuration), settings: configuration.render, wakeup: wakeup,
            logger: logger)
        services.append(.init(service: renderer, serviceName: "renderer"))
    }
    return services
}

/// Checks the generation servers on a schedule (an open circuit waits out its pause).
public struct ServerCheckService: Service {
    let monitor: ServerMonitor
    let interval: Double

    public func run() async throws {
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled {
            await monitor.checkDue()
            do {
                // Short ticks: only due servers are called, and an open circuit's pause may be short.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(min(interval, 1))) }
            } catch {
                return
            }
        }
    }
}

/// Closes the database after the HTTP server has drained (services stop in reverse order).
/// Follows other processes' project changes on PostgreSQL, so that unchanged trees are
/// recognised without a round trip (`Database.followTreeChanges`); nothing to do on SQLite.
public struct TreeChangeService: Service {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await database.followTreeChanges() }
        // A service that returns early ends the group: on SQLite there is nothing to follow.
        try? await gracefulShutdown()
    }
}

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
