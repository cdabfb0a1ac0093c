import Foundation
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Database outage", .timeLimit(.minutes(2)))
struct OutageTests {
    @Test(
        "PostgreSQL stopped while serving: 503 with the envelope; started again: served again without a restart",
        .enabled(if: PostgresCluster.isAvailable || PostgresCluster.isRequired)
    )
    func postgresRestart() async throws {
        // A cluster of its own, since this test stops it.
        let cluster = try await PostgresCluster.start()
        let testDatabase = try await TestDatabase.make(.postgresql, cluster: cluster) { $0.connectTimeout = 3 }
        do {
            try await outage(testDatabase, cluster)
        } catch {
            await testDatabase.close()
            try? await cluster.stop()
            throw error
        }
        await testDatabase.close()
        try await cluster.stop()
    }

    private func outage(_ testDatabase: TestDatabase, _ cluster: PostgresCluster) async throws {
        try await withTestServer(database: testDatabase) { server in
            #expect(try await server.request(.get, "/api/health").status == 200)
            #expect(try await server.request(.post, "/api/projects", body: "{\"name\": \"before\"}").status == 201)

            try await cluster.stop()

            let health = try await server.request(.get, "/api/health")
            let list = try await server.request(.get, "/api/projects")
            let create = try await server.request(.post, "/api/projects", body: "{\"name\": \"during\"}")
            #expect(health.status == 503)
            #expect(health.json?["status"] == "unavailable")
            #expect(health.json?["database"]?["status"] == "unavailable")
            #expect(health.json?["error"]?["code"] == "DATABASE_UNAVAILABLE")
            #expect(health.header("Retry-After") != nil)
            for reply in [list, create] {
                #expect(reply.status == 503)
                #expect(reply.errorCode == "DATABASE_UNAVAILABLE")
                #expect(reply.header("Retry-After") != nil)
                #expect(reply.json?["error"]?["request_id"]?.stringValue == reply.header("X-Request-ID"))
            }

            try await cluster.startAgain()

            let healthAgain = try await server.request(.get, "/api/health")
            let listAgain = try await server.request(.get, "/api/projects")
            let createAgain = try await server.request(.post, "/api/projects", body: "{\"name\": \"after\"}")
            #expect(healthAgain.status == 200)
            #expect(listAgain.status == 200)
            #expect(listAgain.json?["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["before"])
            #expect(createAgain.status == 201)
        }
    }
}
