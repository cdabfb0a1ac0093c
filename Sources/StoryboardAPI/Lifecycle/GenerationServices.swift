import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

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
