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

    HealthController(health: HealthService(database: database, timeout: min(configuration.connectTimeout, 5))).register(routes)
    OperationsController(registry: metrics.registry, openAPIDocument: documentBytes).register(routes)
    let media = MediaStore(configuration: configuration)
    let trash = TrashService(database: database, media: media)
    let maxBody = configuration.maxBodyBytes
    let projects = ProjectService(database: database, media: media)
    ProjectController(service: projects, trees: ProjectTreeService(database: database), maxBodyBytes: maxBody).register(routes)
    MediaController(projects: projects, media: media).register(routes)
    SceneController(service: SceneService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    ClipController(service: ClipService(database: database, media: media), trash: trash, maxBodyBytes: maxBody).register(routes)
    CharacterController(service: CharacterService(database: database, media: media), trash: trash, maxBodyBytes: maxBody)
        .register(routes)
    StyleTemplateController(service: StyleTemplateService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    TrashController(trash: trash).register(routes)
    PoolController(service: PoolService(database: database, media: media), trash: trash, maxBodyBytes: maxBody).register(routes)
    let monitor = ServerMonitor(database: database, http: .shared, settings: configuration.generation)
    ServerController(service: ServerService(database: database), monitor: monitor, trash: trash, maxBodyBytes: maxBody).register(routes)
    JobController(service: JobService(database: database, wakeup: wakeup), maxBodyBytes: maxBody).register(routes)
    BatchController(service: BatchService(database: database, wakeup: wakeup), maxBodyBytes: maxBody).register(routes)
    WorkflowController(service: WorkflowService(database: database), trash: trash, maxBodyBytes: maxBody).register(routes)
    WorkerController(
        service: WorkerService(database: database, media: media, settings: configuration.generation), maxBodyBytes: maxBody
    ).register(routes)
    RenderController(service: RenderService(database: database, settings: configuration.render, wakeup: wakeup), maxBodyBytes: maxBody)
        .register(routes)
    StudioController(directory: configuration.studioDirectory).register(routes)
    let feed = JobEventFeed(
        database: database, interval: min(0.25, configuration.generation.pollInterval * 5),
        maxDuration: configuration.generation.eventStreamDuration)
    EventController(feed: feed).register(routes)
    return router
}
