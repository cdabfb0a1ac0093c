import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Generation servers API", .timeLimit(.minutes(2)))
struct ServerAPITests {
    static let key = "rp_SECRET_key_0123456789abcdef"

    @Test("register, read, change, trash and restore; the API key is never sent back or logged", arguments: TestEngine.available)
    func lifecycle(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let created = try await server.request(
                .post, "/api/servers",
                body:
                    #"{"name": "RunPod A", "url": "HTTPS://API.RunPod.ai/v2/", "server_type": "runpod", "endpoint_id": "abc-123", "api_key": "\#(Self.key)"}"#
            )
            #expect(created.status == 201)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.json?["url"] == "https://api.runpod.ai/v2")
            #expect(created.json?["has_api_key"] == true)
            #expect(created.json?["api_key"] == nil)
            #expect(created.json?["max_concurrent"] == 1)
            #expect(created.header("Location") == "/api/servers/\(id)")

            let local = try await server.create(
                "/api/servers", #"{"name": "Box", "url": "http://192.168.1.20:8188", "server_type": "comfyui", "max_concurrent": 2}"#)
            #expect(local["has_api_key"] == false)
            #expect(try await server.json("/api/servers").ids.count == 2)

            let renamed = try await server.request(
                .patch, "/api/servers/\(id)", headers: ["If-Match": "\"1\""], body: #"{"name": "RunPod main", "is_active": false}"#)
            #expect(renamed.status == 200)
            #expect(renamed.json?["has_api_key"] == true, "a PATCH without api_key keeps it")
            #expect(
                try await server.request(.patch, "/api/servers/\(id)", headers: ["If-Match": "\"1\""], body: #"{"name": "stale"}"#).status
                    == 412)
            #expect(try await server.json("/api/servers?active=true").ids == [try #require(local["id"]?.stringValue)])
            // A RunPod endpoint cannot lose its key.
            let keyless = try await server.request(.patch, "/api/servers/\(id)", body: #"{"api_key": null}"#)
            #expect(keyless.json?["error"]?["details"]?["fields"]?["api_key"] != nil)

            #expect(try await server.request(.delete, "/api/servers/\(id)").status == 204)
            #expect(try await server.request(.get, "/api/servers/\(id)").errorCode == "SERVER_NOT_FOUND")
            #expect(try await server.json("/api/trash?type=server").items.count == 1)
            #expect(try await server.request(.post, "/api/servers/\(id)/restore").json?["name"] == "RunPod main")

            // Nowhere: not in any body above, not in any log line, not in the document.
            for path in ["/api/servers", "/api/servers/\(id)", "/api/trash", "/openapi.json", "/metrics"] {
                #expect(!(try await server.request(.get, path).body.contains(Self.key)), "\(path)")
            }
            #expect(!server.logs.text.contains(Self.key))
        }
    }

    @Test(
        "the list with include=status: null before the first check, the check's result after; another include is 400",
        arguments: TestEngine.available)
    func listWithStatus(engine: TestEngine) async throws {
        try await withComfyUIStandIns { standIns in
            try await withTestServer(engine) { server in
                let unchecked = try await server.createID(
                    "/api/servers", #"{"name": "Not yet", "url": "http://127.0.0.1:9", "server_type": "comfyui"}"#)
                let checked = try await server.register(standIns[0])
                let items = try await server.json("/api/servers?include=status").items
                let byID = Dictionary(uniqueKeysWithValues: items.compactMap { item in item["id"]?.stringValue.map { ($0, item) } })
                #expect(byID[unchecked]?["status"] == .null)
                #expect(byID[checked]?["status"]?["online"] == true)
                #expect(byID[checked]?["status"]?["server_id"]?.stringValue == checked)
                #expect(try await server.json("/api/servers").items.allSatisfy { $0["status"] == nil }, "left out unless asked for")
                let bad = try await server.request(.get, "/api/servers?include=models")
                #expect(bad.status == 400)
                #expect(bad.errorCode == "INVALID_PARAMETER")
            }
        }
    }

    @Test(
        "URLs: unique among live servers (normalised), reusable after a delete; bad ones refused by field", arguments: TestEngine.available)
    func validation(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let first = try await server.createID(
                "/api/servers", #"{"name": "Box", "url": "http://gpu.local:8188", "server_type": "comfyui"}"#)
            let duplicate = try await server.request(
                .post, "/api/servers", body: #"{"name": "Same", "url": "HTTP://GPU.local:8188/", "server_type": "comfyui"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.errorCode == "DUPLICATE_RESOURCE")
            #expect(try await server.request(.delete, "/api/servers/\(first)").status == 204)
            #expect(
                try await server.request(
                    .post, "/api/servers", body: #"{"name": "Again", "url": "http://gpu.local:8188", "server_type": "comfyui"}"#
                ).status == 201)
            // The trashed twin cannot come back while the URL is taken again.
            #expect(try await server.request(.post, "/api/servers/\(first)/restore").errorCode == "DUPLICATE_RESOURCE")

            let cases: [(String, String)] = [
                (#"{"name": "x", "url": "ftp://gpu.local", "server_type": "comfyui"}"#, "url"),
                (#"{"name": "x", "url": "http://", "server_type": "comfyui"}"#, "url"),
                (#"{"name": "x", "url": "not a url", "server_type": "comfyui"}"#, "url"),
                (#"{"name": "x", "url": "http://user:pw@gpu.local", "server_type": "comfyui"}"#, "url"),
                (#"{"name": "x", "url": "http://gpu.local/?token=1", "server_type": "comfyui"}"#, "url"),
                (#"{"name": "x", "url": "http://a.local", "server_type": "automatic1111"}"#, "server_type"),
                (#"{"name": "x", "url": "http://b.local"}"#, "server_type"),
                (#"{"name": "x", "url": "https://api.runpod.ai/v2", "server_type": "runpod", "api_key": "k"}"#, "endpoint_id"),
                (#"{"name": "x", "url": "https://api.runpod.ai/v2", "server_type": "runpod", "endpoint_id": "e1"}"#, "api_key"),
                (
                    #"{"name": "x", "url": "https://api.runpod.ai/v2", "server_type": "runpod", "endpoint_id": "e/../1", "api_key": "k"}"#,
                    "endpoint_id"
                ),
                (#"{"name": "x", "url": "http://c.local", "server_type": "comfyui", "max_concurrent": 0}"#, "max_concurrent"),
                (#"{"name": "x", "url": "http://d.local", "server_type": "comfyui", "is_active": "yes"}"#, "is_active"),
                (#"{"name": "", "url": "http://e.local", "server_type": "comfyui"}"#, "name"),
                (#"{"name": "x", "url": "http://f.local", "server_type": "comfyui", "password": "p"}"#, "password"),
            ]
            for (body, field) in cases {
                let reply = try await server.request(.post, "/api/servers", body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "\(body): \(reply.body)")
            }
            #expect(try await server.json("/api/servers").ids.count == 1, "nothing stored by refused requests")
        }
    }
}
