import Foundation
import Logging
import Metrics
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Connection lifecycle", .timeLimit(.minutes(6)))
struct ConnectionLifecycleTests {
    @Test("closing the database closes every connection it opened", .enabled(if: PostgresCluster.isAvailable || PostgresCluster.isRequired))
    func closeLeavesNoSession() async throws {
        let cluster = try await PostgresCluster.shared()
        for round in 0..<5 {
            let name = try await cluster.createDatabase(migrated: false)
            var configuration = StoryboardConfiguration()
            configuration.database = try PostgresCluster.location(await cluster.url(database: name))
            configuration.poolSize = round % 2 == 0 ? 1 : 4
            let database = try await Database.connect(
                configuration: configuration, logger: Logger(label: "t"), metrics: NOOPMetricsHandler.instance)
            try await Migrator(database: database, logger: Logger(label: "t")).up()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await database.projects.count() } }
                try await group.waitForAll()
            }
            #expect(try await cluster.sessions(on: name) >= 1)

            await database.close()

            var open = try await cluster.sessions(on: name)
            // A backend leaves pg_stat_activity a moment after its client closed; on a machine
            // busy with the rest of the suite that has taken over 15 s.
            for _ in 0..<1200 where open > 0 {
                try await Task.sleep(for: .milliseconds(50))
                open = try await cluster.sessions(on: name)
            }
            #expect(open == 0, "round \(round): \(open) session(s) left open after close")
        }
    }
}
