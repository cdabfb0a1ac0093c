import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// A server on loopback is still reachable from every page its user opens.
@Suite("Cross-site protection", .timeLimit(.minutes(2)))
struct CrossSiteTests {
    static let create = "{\"name\": \"from a page\"}"

    @Test(
        "DNS rebinding: a foreign Host is refused, for reads too",
        arguments: ["evil.example", "evil.example:8080", "127.0.0.1.nip.io", "localhost.evil.example"])
    func foreignHost(host: String) async throws {
        try await withTestServer(.sqlite) { server in
            let read = try await server.request(.get, "/api/projects", host: host)
            let health = try await server.request(.get, "/api/health", host: host)
            let write = try await server.request(.post, "/api/projects", body: Self.create, host: host)

            for reply in [read, health, write] {
                #expect(reply.status == 403)
                #expect(reply.errorCode == "FORBIDDEN")
            }
            #expect(try await server.database.projects.count() == 0)
        }
    }

    @Test("the bound address, localhost and configured public names are served")
    func allowedHosts() async throws {
        try await withTestServer(.sqlite, configure: { $0.publicHosts = ["studio.example.org"] }) { server in
            for host in [server.authority, "localhost:\(server.port)", "127.0.0.1", "studio.example.org", "STUDIO.example.org:443"] {
                let reply = try await server.request(.get, "/api/health", host: host)
                #expect(reply.status == 200, "\(host)")
            }
        }
    }

    @Test(
        "state-changing requests from another origin are 403",
        arguments: [
            ["Origin": "http://evil.example"],
            ["Origin": "null"],
            ["Origin": "http://localhost:3000"],
            ["Origin": "http://127.0.0.1:1"],
            ["Sec-Fetch-Site": "cross-site"],
            ["Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"],
        ]
    )
    func foreignOrigin(headers: [String: String]) async throws {
        try await withTestServer(.sqlite) { server in
            let project = try await server.database.projects.create(Project(name: "target"))

            let create = try await server.request(.post, "/api/projects", headers: headers, body: Self.create)
            let delete = try await server.request(.delete, "/api/projects/\(project.meta.id)", headers: headers)
            let patch = try await server.request(
                .patch, "/api/projects/\(project.meta.id)", headers: headers, body: "{\"name\": \"pwned\"}")

            for reply in [create, delete, patch] {
                #expect(reply.status == 403, "\(headers)")
                #expect(reply.errorCode == "FORBIDDEN")
            }
            #expect(try await server.database.projects.count() == 1)
            #expect(try await server.database.projects.get(id: project.meta.id).name == "target")
        }
    }

    @Test("the same request from the server's own origin, or from a non-browser client, succeeds")
    func sameOrigin() async throws {
        try await withTestServer(.sqlite) { server in
            let fromPage = try await server.request(
                .post, "/api/projects", headers: ["Origin": server.origin, "Sec-Fetch-Site": "same-origin"], body: Self.create)
            let fromCurl = try await server.request(.post, "/api/projects", body: Self.create)
            let viaLocalhost = try await server.request(
                .post, "/api/projects", headers: ["Origin": "http://localhost:\(server.port)"], body: Self.create,
                host: "localhost:\(server.port)"
            )

            #expect(fromPage.status == 201)
            #expect(fromCurl.status == 201)
            #expect(viaLocalhost.status == 201)
        }
    }

    @Test("no permissive CORS: a cross-origin read gets no Access-Control-Allow-Origin, a preflight is not granted")
    func noCORS() async throws {
        try await withTestServer(.sqlite) { server in
            let read = try await server.request(.get, "/api/projects", headers: ["Origin": "http://evil.example"])
            let preflight = try await server.request(
                .options, "/api/projects", headers: ["Origin": "http://evil.example", "Access-Control-Request-Method": "DELETE"]
            )

            #expect(read.header("Access-Control-Allow-Origin") == nil)
            #expect(preflight.header("Access-Control-Allow-Origin") == nil)
            #expect(preflight.header("Access-Control-Allow-Methods") == nil)
            #expect(preflight.status >= 400)
        }
    }

    @Test("every response, errors included, carries nosniff, a Referrer-Policy and frame-ancestors 'none'")
    func securityHeaders() async throws {
        try await withTestServer(.sqlite) { server in
            let replies = [
                try await server.request(.get, "/api/health"),
                try await server.request(.get, "/api/missing"),
                try await server.request(.get, "/metrics"),
                try await server.request(.post, "/api/projects", headers: ["Origin": "null"], body: Self.create),
            ]
            for reply in replies {
                #expect(reply.header("X-Content-Type-Options") == "nosniff")
                #expect(reply.header("Referrer-Policy") == "no-referrer")
                #expect(reply.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
                #expect(reply.header("X-Frame-Options") == "DENY")
            }
        }
    }
}

@Suite("Token auth", .timeLimit(.minutes(2)))
struct AuthTests {
    static let token = "0123456789abcdef-storyboard"

    @Test("with a token every /api route but health needs it", arguments: TestEngine.available)
    func tokenRequired(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.apiToken = Self.token }) { server in
            let none = try await server.request(.get, "/api/projects")
            let wrong = try await server.request(.get, "/api/projects", headers: ["Authorization": "Bearer 0123456789abcdef-storyboarX"])
            let basic = try await server.request(.get, "/api/projects", headers: ["Authorization": "Basic \(Self.token)"])
            let right = try await server.request(.get, "/api/projects", headers: ["Authorization": "Bearer \(Self.token)"])
            let lowercase = try await server.request(.get, "/api/projects", headers: ["Authorization": "bearer \(Self.token)"])
            let health = try await server.request(.get, "/api/health")
            let writeWithout = try await server.request(.post, "/api/projects", body: "{\"name\": \"x\"}")

            for reply in [none, wrong, basic, writeWithout] {
                #expect(reply.status == 401)
                #expect(reply.errorCode == "UNAUTHORIZED")
                #expect(reply.header("WWW-Authenticate") == "Bearer")
                #expect(!reply.body.contains(Self.token))
            }
            #expect(right.status == 200)
            #expect(lowercase.status == 200)
            #expect(health.status == 200)
            #expect(!server.logs.text.contains(Self.token), "the token never reaches a log line")
        }
    }

    @Test(
        "empty path segments cannot route around the token check",
        arguments: ["//api/projects", "/api//projects", "//api//projects", "///api/projects"])
    func doubleSlash(path: String) async throws {
        try await withTestServer(.sqlite, configure: { $0.apiToken = Self.token }) { server in
            _ = try await server.database.projects.create(Project(name: "private"))

            let read = try await server.request(.get, path)
            let write = try await server.request(.post, path, body: "{\"name\": \"x\"}")

            for reply in [read, write] {
                #expect(reply.status == 400 || reply.status == 401, "\(path): \(reply.status)")
                #expect(!reply.body.contains("private"))
            }
            #expect(try await server.database.projects.count() == 1)
        }
    }

    @Test("with a token, /metrics needs it too")
    func metricsNeedToken() async throws {
        try await withTestServer(.sqlite, configure: { $0.apiToken = Self.token }) { server in
            let without = try await server.request(.get, "/metrics")
            let with = try await server.request(.get, "/metrics", headers: ["Authorization": "Bearer \(Self.token)"])
            #expect(without.status == 401)
            #expect(with.status == 200)
        }
    }

    @Test("without a token the API is open (loopback only)")
    func tokenOff() async throws {
        try await withTestServer(.sqlite) { server in
            let reply = try await server.request(.get, "/api/projects")
            #expect(reply.status == 200)
        }
    }

    @Test("serve refuses a non-loopback address without a token unless told explicitly")
    func bindPolicy() throws {
        var open = StoryboardConfiguration()
        open.host = "0.0.0.0"
        var withToken = open
        withToken.apiToken = Self.token

        #expect(BindPolicy.refusal(for: open, allowInsecure: false)?.contains("STORYBOARD_API_TOKEN") == true)
        #expect(BindPolicy.refusal(for: open, allowInsecure: true) == nil)
        #expect(BindPolicy.refusal(for: withToken, allowInsecure: false) == nil)
        #expect(BindPolicy.refusal(for: StoryboardConfiguration(), allowInsecure: false) == nil)
    }
}
