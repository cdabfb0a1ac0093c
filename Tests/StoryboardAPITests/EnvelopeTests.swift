import Foundation
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

/// Every error, from every layer, comes back in the one envelope with the request id.
@Suite("Error envelope", .timeLimit(.minutes(2)))
struct EnvelopeTests {
    @Test("unknown route: 404 envelope whose request_id matches the header", arguments: TestEngine.available)
    func unknownRoute(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let reply = try await server.request(.get, "/api/nothing-here")

            #expect(reply.status == 404)
            #expect(reply.errorCode == "RESOURCE_NOT_FOUND")
            #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true)
            let id = try #require(reply.header("X-Request-ID"))
            #expect(reply.json?["error"]?["request_id"]?.stringValue == id)
        }
    }

    @Test("a known path with another method: 405 with Allow")
    func methodNotAllowed() async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(.put, "/api/projects")
            let onItem = try await server.request(.post, "/api/projects/\(UUID())")

            #expect(reply.status == 405)
            #expect(reply.errorCode == "METHOD_NOT_ALLOWED")
            #expect(reply.header("Allow") == "GET, POST")
            #expect(onItem.status == 405)
            #expect(onItem.header("Allow") == "DELETE, GET, PATCH")
        }
    }

    @Test(
        "bad bodies and parameters: 400 naming the field",
        arguments: [
            ("POST", "/api/projects", "{\"name\": ", "body"),
            ("POST", "/api/projects", "[1, 2]", "body"),
            ("POST", "/api/projects", "{\"name\": \"x\", \"colour\": \"red\"}", "colour"),
            ("POST", "/api/projects", "{\"name\": 42}", "name"),
            ("POST", "/api/projects", "{}", "name"),
            ("POST", "/api/projects", "{\"name\": \"   \"}", "name"),
            ("POST", "/api/projects", "{\"name\": \"\(String(repeating: "n", count: 201))\"}", "name"),
            ("POST", "/api/projects", "{\"name\": \"x\", \"description\": \"\(String(repeating: "d", count: 2001))\"}", "description"),
        ]
    )
    func badBodies(method: String, path: String, body: String, field: String) async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(.init(method)!, path, body: body)

            #expect(reply.status == 400)
            #expect(reply.errorCode == "VALIDATION_ERROR")
            #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "details name \(field): \(reply.body)")
            #expect(try await server.database.projects.count() == 0, "nothing was stored")
        }
    }

    @Test(
        "bad ids and query parameters: 400 INVALID_PARAMETER, not 404 or 500",
        arguments: [
            "/api/projects/not-a-uuid", "/api/projects/1", "/api/projects?limit=0", "/api/projects?limit=501", "/api/projects?limit=ten",
            "/api/projects?cursor=bogus", "/api/projects?include_deleted=maybe",
        ]
    )
    func badParameters(path: String) async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(.get, path)
            #expect(reply.status == 400)
            #expect(reply.errorCode == "INVALID_PARAMETER")
        }
    }

    @Test("a body over the limit: 413, checked while reading")
    func tooLarge() async throws {
        try await withTestServer(.sqlite, configure: { $0.maxBodyBytes = 1024 }) { server in
            let big = "{\"name\": \"x\", \"description\": \"\(String(repeating: "a", count: 4096))\"}"

            let reply = try await server.request(.post, "/api/projects", body: big)

            #expect(reply.status == 413)
            #expect(reply.errorCode == "FILE_TOO_LARGE")
            #expect(try await server.database.projects.count() == 0)
        }
    }

    @Test(
        "JSON routes refuse other content types with 415",
        arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]
    )
    func unsupportedMediaType(contentType: String) async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(
                .post, "/api/projects", headers: ["Content-Type": contentType], body: "{\"name\": \"x\"}", json: false)

            #expect(reply.status == 415)
            #expect(reply.errorCode == "UNSUPPORTED_MEDIA_TYPE")
            #expect(try await server.database.projects.count() == 0)
        }
    }

    @Test("a body without any Content-Type is refused too; charset is fine")
    func missingContentType() async throws {
        try await withTestServer(.sqlite) { server in
            let missing = try await server.request(.post, "/api/projects", body: "{\"name\": \"x\"}", json: false)
            let charset = try await server.request(
                .post, "/api/projects", headers: ["Content-Type": "application/json; charset=utf-8"], body: "{\"name\": \"x\"}", json: false
            )

            #expect(missing.status == 415)
            #expect(charset.status == 201)
        }
    }

    @Test("a database failure is a 500 DATABASE_ERROR without SQL text, logged with the request id", arguments: TestEngine.available)
    func databaseError(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            // Break the schema under the running server.
            try await server.database.write { try await $0.raw("ALTER TABLE projects RENAME TO projects_gone").run() }

            let reply = try await server.request(.get, "/api/projects", headers: ["X-Request-ID": "trace-500"])

            #expect(reply.status == 500)
            #expect(reply.errorCode == "DATABASE_ERROR")
            #expect(reply.json?["error"]?["request_id"]?.stringValue == "trace-500")
            let body = reply.body.lowercased()
            for leak in ["select", "projects", "no such table", "relation", "sqlite", "postgres"] {
                #expect(!body.contains(leak), "the body leaks \(leak): \(reply.body)")
            }
            #expect(server.logs.all.contains { $0.metadata["request_id"] == "trace-500" && $0.level >= .error })
        }
    }

    @Test("X-Request-ID: a safe incoming id is echoed, an unsafe one replaced, a missing one created")
    func requestIDs() async throws {
        try await withTestServer(.sqlite) { server in
            let echoed = try await server.request(.get, "/api/health", headers: ["X-Request-ID": "client-abc.123"])
            let unsafe = try await server.request(.get, "/api/health", headers: ["X-Request-ID": "bad id <script>"])
            let created = try await server.request(.get, "/api/health")
            let tooLong = try await server.request(.get, "/api/health", headers: ["X-Request-ID": String(repeating: "a", count: 200)])

            #expect(echoed.header("X-Request-ID") == "client-abc.123")
            #expect(unsafe.header("X-Request-ID").map { UUID(uuidString: $0) != nil } == true)
            #expect(created.header("X-Request-ID").map { UUID(uuidString: $0) != nil } == true)
            #expect(tooLong.header("X-Request-ID")?.count == 36)
        }
    }
}
