import ArgumentParser
import Logging
import ServiceLifecycle
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase

@main
struct StoryboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storyboard-bench",
        abstract: "Release-mode benchmarks; results go into BENCHMARKS.md. Build with -c release.",
        subcommands: [RepositoryBench.self, HTTPBench.self, ContentBench.self, GenerationBench.self]
    )
}

enum BenchEngine: String, ExpressibleByArgument, CaseIterable {
    case sqlite, postgresql, both

    var engines: [BenchEngine] { self == .both ? [.sqlite, .postgresql] : [self] }
}

/// Runs the server `storyboard serve` builds, on a port the OS picks, around `body`.
func withBenchServer(
    configuration: StoryboardConfiguration, database: Database, metrics: AppMetrics, logger: Logger, _ body: (Int) async throws -> Void
) async throws {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = buildApplication(configuration: configuration, database: database, metrics: metrics, logger: logger) { channel in
        continuation.yield(channel.localAddress?.port ?? 0)
        continuation.finish()
    }
    let group = ServiceGroup(
        configuration: .init(services: [.init(service: TreeChangeService(database: database)), .init(service: app)], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw ValidationError("server did not start") }
        do {
            try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
