import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import StoryboardAPI
import StoryboardTestSupport
import Testing

@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test("a request in flight when shutdown starts still gets its answer, and the server then stops")
    func inFlightRequestFinishes() async throws {
        try await withTestDatabase(.sqlite) { test in
            // The real router, plus one slow route standing in for a long request.
            let router = buildRouter(
                configuration: test.configuration, database: test.database, metrics: AppMetrics(), boundHost: "127.0.0.1")
            let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
            router.get("/api/slow") { _, _ -> String in
                enteredContinuation.yield()
                try await Task.sleep(for: .milliseconds(800))
                return "done"
            }
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in
                    continuation.yield(channel.localAddress?.port ?? 0)
                    continuation.finish()
                },
                logger: Logger(label: "shutdown-test")
            )
            var configuration = ServiceGroupConfiguration(services: [app], logger: Logger(label: "shutdown-test"))
            configuration.maximumGracefulShutdownDuration = .seconds(5)
            let group = ServiceGroup(configuration: configuration)

            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let client = TestClient(host: "127.0.0.1", port: port)
                client.connect()
                let slow = Task {
                    try await client.execute(.init("/api/slow", method: .get, authority: "127.0.0.1:\(port)"))
                }
                // Shut down only once the request is inside its handler.
                var signals = entered.makeAsyncIterator()
                _ = await signals.next()

                await group.triggerGracefulShutdown()
                let result = await slow.result
                try? await client.shutdown()
                try await tasks.waitForAll()
                let response = try result.get()

                #expect(response.status == .ok)
                #expect(response.body.map { String(buffer: $0) } == "done")
            }
        }
    }
}
