import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Projects API", .timeLimit(.minutes(2)))
struct ProjectAPITests {
    @Test("create, read, rename with If-Match, trash, restore", arguments: TestEngine.available)
    func lifecycle(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let created = try await server.request(
                .post, "/api/projects", body: "{\"name\": \"  Night Drive  \", \"description\": \"synthwave\"}")
            #expect(created.status == 201)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.header("Location") == "/api/projects/\(id)")
            #expect(created.header("ETag") == "\"1\"")
            #expect(created.json?["name"] == "Night Drive")
            #expect(created.json?["deleted_at"] == .null)
            #expect(created.json?["music_duration"] == .null)

            let read = try await server.request(.get, "/api/projects/\(id)")
            #expect(read.json == created.json)

            let renamed = try await server.request(
                .patch, "/api/projects/\(id)", headers: ["If-Match": "\"1\""], body: "{\"name\": \"Night Drive II\", \"description\": null}"
            )
            #expect(renamed.status == 200)
            #expect(renamed.header("ETag") == "\"2\"")
            #expect(renamed.json?["description"] == .null)
            #expect(renamed.json?["version"] == 2)

            let stale = try await server.request(
                .patch, "/api/projects/\(id)", headers: ["If-Match": "\"1\""], body: "{\"name\": \"lost update\"}")
            #expect(stale.status == 412)
            #expect(stale.errorCode == "PRECONDITION_FAILED")
            #expect(stale.json?["error"]?["details"]?["current_version"] == 2)
            let staleDelete = try await server.request(.delete, "/api/projects/\(id)", headers: ["If-Match": "\"1\""])
            #expect(staleDelete.status == 412)
            #expect(try await server.request(.get, "/api/projects/\(id)").json?["name"] == "Night Drive II", "nothing lost silently")

            let deleted = try await server.request(.delete, "/api/projects/\(id)", headers: ["If-Match": "\"2\""])
            #expect(deleted.status == 204)
            let gone = try await server.request(.get, "/api/projects/\(id)")
            #expect(gone.status == 404)
            #expect(gone.errorCode == "PROJECT_NOT_FOUND")
            #expect(try await server.request(.get, "/api/projects").json?["items"]?.arrayValue?.isEmpty == true)
            let trashed = try await server.request(.get, "/api/projects/\(id)?include_deleted=true")
            #expect(trashed.status == 200)
            #expect(trashed.json?["deleted_at"]?.stringValue != nil)
            #expect(try await server.request(.patch, "/api/projects/\(id)", body: "{\"name\": \"x\"}").status == 404)

            let restored = try await server.request(.post, "/api/projects/\(id)/restore")
            #expect(restored.status == 200)
            #expect(restored.json?["deleted_at"] == .null)
            #expect(restored.json?["name"] == "Night Drive II")
            let again = try await server.request(.post, "/api/projects/\(id)/restore")
            #expect(again.status == 409)
            #expect(again.errorCode == "CONFLICT")
            #expect(try await server.request(.delete, "/api/projects/\(UUID())").errorCode == "PROJECT_NOT_FOUND")
        }
    }

    @Test("list: newest first, name search, keyset cursor pages", arguments: TestEngine.available)
    func listing(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            for index in 0..<7 {
                let name = index % 2 == 0 ? "Video \(index)" : "Other \(index)"
                #expect(try await server.request(.post, "/api/projects", body: "{\"name\": \"\(name)\"}").status == 201)
            }

            var names: [String] = []
            var cursor: String?
            repeat {
                let path = "/api/projects?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await server.request(.get, path)
                #expect(page.status == 200)
                names += page.json?["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                cursor = page.json?["next_cursor"]?.stringValue
            } while cursor != nil
            let search = try await server.request(.get, "/api/projects?q=video")

            #expect(names == (0..<7).reversed().map { $0 % 2 == 0 ? "Video \($0)" : "Other \($0)" })
            #expect(search.json?["items"]?.arrayValue?.count == 4)
            #expect(search.json?["next_cursor"] == .null)
        }
    }
}

@Suite("Health, metrics, OpenAPI", .timeLimit(.minutes(2)))
struct OperationsTests {
    @Test("health names the engine and answers quickly", arguments: TestEngine.available)
    func health(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let reply = try await server.request(.get, "/api/health")

            #expect(reply.status == 200)
            #expect(reply.json?["status"] == "ok")
            #expect(reply.json?["database"]?["status"] == "ok")
            #expect(reply.json?["database"]?["engine"]?.stringValue == engine.rawValue)
            #expect((reply.json?["database"]?["latency_ms"]?.doubleValue ?? -1) >= 0)
            #expect(reply.json?["version"]?.stringValue == StoryboardVersion.current)
        }
    }

    @Test("metrics: requests by route and status, latency histogram, database pool")
    func metrics() async throws {
        try await withTestServer(.sqlite) { server in
            _ = try await server.request(.get, "/api/projects")
            _ = try await server.request(.post, "/api/projects", body: "{\"name\": \"m\"}")
            _ = try await server.request(.get, "/api/projects/\(UUID())")
            _ = try await server.request(.get, "/no/such/route/\(UUID())")

            let reply = try await server.request(.get, "/metrics")
            let text = reply.body

            #expect(reply.status == 200)
            #expect(reply.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(text.contains(#"storyboard_http_requests_total{route="/api/projects",method="GET",status="200"} 1"#))
            #expect(text.contains(#"storyboard_http_requests_total{route="/api/projects",method="POST",status="201"} 1"#))
            #expect(text.contains(#"storyboard_http_requests_total{route="/api/projects/{id}",method="GET",status="404"} 1"#))
            #expect(text.contains(#"route="unmatched""#), "unknown paths share one label")
            #expect(!text.contains("/no/such/route"))
            #expect(text.contains("storyboard_http_request_duration_seconds_bucket"))
            for gauge in [
                "storyboard_db_pool_in_use", "storyboard_db_pool_idle", "storyboard_db_pool_waiters", "storyboard_db_pool_wait_seconds",
            ] {
                #expect(text.contains(gauge), "\(gauge)")
            }
            #expect(text.contains(#"pool="sqlite_writer""#))
            #expect(text.contains(#"storyboard_sqlite_busy_waits_total{pool="sqlite_writer"}"#))
        }
    }

    @Test("the OpenAPI document lists exactly the routes the router has")
    func routesMatchDocument() async throws {
        try await withTestDatabase(.sqlite) { test in
            let router = buildTestRouter(test)
            let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
            let documented = Set(OpenAPIRoutes.documented)

            #expect(
                registered.subtracting(documented).isEmpty,
                "routes missing from /openapi.json: \(registered.subtracting(documented).sorted())")
            #expect(
                documented.subtracting(registered).isEmpty,
                "documented routes the server lacks: \(documented.subtracting(registered).sorted())")
            #expect(registered.count == documented.count)
        }
    }

    @Test("the served document is OpenAPI 3.1 with schemas and error responses for every operation")
    func documentShape() async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(.get, "/openapi.json")
            let document = try #require(reply.json)
            let components = try #require(document["components"])

            #expect(document["openapi"] == "3.1.0")
            let paths = try #require(document["paths"]?.objectValue)
            #expect(Set(paths.keys).isSuperset(of: ["/api/health", "/api/projects", "/api/projects/{id}", "/metrics", "/openapi.json"]))
            for (path, item) in paths {
                for (method, operation) in item.objectValue ?? [:] {
                    let responses = try #require(operation["responses"]?.objectValue, "\(method) \(path)")
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has a success response")
                    #expect(responses["500"] != nil && responses["503"] != nil, "\(method) \(path) documents server errors")
                    if path.hasPrefix("/api/"), path != "/api/health" { #expect(responses["401"] != nil, "\(method) \(path)") }
                    if operation["requestBody"] != nil {
                        for status in ["400", "413", "415"] { #expect(responses[status] != nil, "\(method) \(path) \(status)") }
                    }
                }
            }
            // Every $ref resolves.
            for reference in references(in: document) {
                let parts = reference.replacingOccurrences(of: "#/components/", with: "").split(separator: "/")
                #expect(parts.count == 2 && components[String(parts[0])]?[String(parts[1])] != nil, "\(reference) resolves")
            }
            #expect(components["schemas"]?["ProjectCreate"]?["properties"]?["name"]?["maxLength"] == 200)
            #expect(components["schemas"]?["ProjectCreate"]?["additionalProperties"] == false)
        }
    }

    func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let object):
            return (object["$ref"]?.stringValue.map { [$0] } ?? []) + object.values.flatMap(references)
        case .array(let array):
            return array.flatMap(references)
        default:
            return []
        }
    }
}
