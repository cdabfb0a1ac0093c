import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// The web studio as the server serves it: the page at every deep link, its files under a
/// versioned `/app/…`, and `/api/…` never answered with the page.
@Suite("Web studio serving", .timeLimit(.minutes(2)))
struct StudioAPITests {
    /// `/app/{version}/app.js` as the page names it.
    static func scriptPath(in page: String) -> String? {
        guard let range = page.range(of: #"/app/[0-9a-f]+/app\.js"#, options: .regularExpression) else { return nil }
        return String(page[range])
    }

    @Test(
        "the page answers / and every deep link with the same HTML, a CSP for its own modules, and revalidation",
        arguments: TestEngine.available)
    func deepLinks(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let home = try await server.request(.get, "/")
            #expect(home.status == 200)
            #expect(home.header("Content-Type") == "text/html; charset=utf-8")
            #expect(home.header("Cache-Control") == "no-cache")
            let policy = try #require(home.header("Content-Security-Policy"))
            for directive in [
                "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "media-src 'self' blob:", "connect-src 'self'",
                "frame-ancestors 'none'",
            ] {
                #expect(policy.contains(directive), "\(directive) in \(policy)")
            }
            #expect(!policy.contains("unsafe-inline"))
            #expect(!home.body.contains("{{ASSET_BASE}}"), "the asset base is filled in")
            #expect(Self.scriptPath(in: home.body) != nil, "\(home.body)")
            #expect(!home.body.contains("<script>"), "no inline script")

            let id = UUID().uuidString.lowercased()
            for path in [
                "/projects", "/projects/\(id)", "/projects/\(id)/clips/\(UUID().uuidString.lowercased())", "/queue", "/servers", "/models",
                "/trash", "/styles", "/projects/\(id)/characters", "/projects/\(id)/present",
            ] {
                let reply = try await server.request(.get, path)
                #expect(reply.status == 200, "\(path)")
                #expect(reply.body == home.body, "\(path) is the app")
            }
            let again = try await server.request(.get, "/trash", headers: ["If-None-Match": try #require(home.header("ETag"))])
            #expect(again.status == 304)
            #expect(
                again.header("Content-Security-Policy") == policy, "a revalidated page keeps its policy (browsers store a 304's headers)")
        }
    }

    @Test("static files: versioned URL, type, ETag, cached for a year; 304, 404 and no way out of the folder")
    func files() async throws {
        try await withTestServer(.sqlite) { server in
            let page = try await server.request(.get, "/").body
            let script = try #require(Self.scriptPath(in: page))
            let base = String(script.dropLast("/app.js".count))

            let reply = try await server.request(.get, script)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "text/javascript; charset=utf-8")
            #expect(reply.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(reply.body.contains("import"))
            let etag = try #require(reply.header("ETag"))
            #expect(try await server.request(.get, script, headers: ["If-None-Match": etag]).status == 304)

            let css = try await server.request(.get, "\(base)/app.css")
            #expect(css.status == 200)
            #expect(css.header("Content-Type") == "text/css; charset=utf-8")
            let view = try await server.request(.get, "\(base)/views/project.js")
            #expect(view.status == 200)
            #expect(view.header("Content-Type") == "text/javascript; charset=utf-8")

            // An older page's version still gets the file, but it is not cached for long.
            let stale = try await server.request(.get, "/app/000000000000/app.js")
            #expect(stale.status == 200)
            #expect(stale.header("Cache-Control") == "no-cache")

            for missing in [
                "\(base)/nope.js", "\(base)/index.html", "\(base)/..%2FPackage.swift", "\(base)/views/..%2F..%2Fapp.js", "/app/x",
            ] {
                let answer = try await server.request(.get, missing)
                #expect(answer.status == 404, "\(missing): \(answer.status)")
                #expect(answer.errorCode == "RESOURCE_NOT_FOUND", "\(missing): \(answer.body)")
            }
        }
    }

    @Test("nothing under /api/ is the app: unknown API routes stay the JSON 404 envelope")
    func apiStaysJSON() async throws {
        try await withTestServer(.sqlite) { server in
            for path in ["/api/nope", "/api/projects/\(UUID().uuidString.lowercased())/nothing", "/api/", "/unknown-page"] {
                let reply = try await server.request(.get, path)
                #expect(reply.status == 404, "\(path)")
                #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true, "\(path)")
                #expect(reply.errorCode != nil, "\(path): \(reply.body)")
                #expect(!reply.body.contains("<html"), "\(path)")
            }
            let media = try await server.request(.get, "/api/media/\(UUID().uuidString.lowercased())")
            #expect(media.header("Content-Security-Policy")?.contains("sandbox") == true, "API answers keep the sandbox policy")
        }
    }

    @Test("with a token configured, the page and its files load without it; the API still needs it")
    func tokenNotNeededForThePage() async throws {
        try await withTestServer(.sqlite, configure: { $0.apiToken = "studio-test-token-0123456789" }) { server in
            let page = try await server.request(.get, "/projects")
            #expect(page.status == 200)
            let script = try #require(Self.scriptPath(in: page.body))
            #expect(try await server.request(.get, script).status == 200)
            #expect(try await server.request(.get, "/api/projects").status == 401)
            #expect(
                try await server.request(.get, "/api/projects", headers: ["Authorization": "Bearer studio-test-token-0123456789"]).status
                    == 200)
        }
    }

    @Test("STORYBOARD_STUDIO_DIR serves the files from a folder, read on every request, never cached long")
    func developmentFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("studio-dev-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("views"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"<script type="module" src="{{ASSET_BASE}}/app.js"></script>"#.utf8).write(
            to: folder.appendingPathComponent("index.html"))
        try Data("export const one = 1;".utf8).write(to: folder.appendingPathComponent("app.js"))
        #expect(try StoryboardConfiguration(environment: ["STORYBOARD_STUDIO_DIR": folder.path]).studioDirectory == folder.path)
        try await withTestServer(.sqlite, configure: { $0.studioDirectory = folder.path }) { server in
            let script = try #require(Self.scriptPath(in: try await server.request(.get, "/").body))
            let first = try await server.request(.get, script)
            #expect(first.body == "export const one = 1;")
            #expect(first.header("Cache-Control") == "no-cache")
            try Data("export const two = 2;".utf8).write(to: folder.appendingPathComponent("app.js"))
            let page = try await server.request(.get, "/").body
            #expect(Self.scriptPath(in: page) != script, "the version follows the files")
            #expect(try await server.request(.get, try #require(Self.scriptPath(in: page))).body == "export const two = 2;")
        }
    }
}
