import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore

/// The web studio: its page at `/` and at every deep link, and its static files under
/// `/app/{version}/…`. The version is a hash over all files, so a file's URL changes whenever
/// any file does and the files can be cached for a year; the page itself is revalidated.
struct StudioController {
    /// Where the files come from: the resources built into the binary, or (development) a folder.
    enum Source: Sendable {
        case bundled(StudioAssets)
        case directory(URL)
    }

    let source: Source

    /// The app's own URLs; the page routes them in the browser. Nothing under `/api/` is here.
    static let deepLinks = [
        "/", "/projects", "/projects/{id}", "/projects/{id}/clips/{clip_id}", "/projects/{id}/characters", "/projects/{id}/present",
        "/queue", "/servers", "/models", "/styles", "/trash",
    ]

    init(directory: String?) {
        if let directory {
            source = .directory(URL(fileURLWithPath: directory, isDirectory: true))
        } else {
            source = .bundled(StudioAssets.bundled)
        }
    }

    func register(_ routes: Routes) {
        for link in Self.deepLinks {
            routes.add(.get, link) { request, _ in try page(request) }
        }
        routes.add(.get, "/app/{version}/{file}") { request, context in
            try asset(request, context, folder: nil)
        }
        routes.add(.get, "/app/{version}/views/{file}") { request, context in
            try asset(request, context, folder: "views")
        }
    }

    private func assets() throws -> StudioAssets {
        switch source {
        case .bundled(let assets):
            return assets
        case .directory(let url):
            return try StudioAssets.load(from: url)
        }
    }

    private func page(_ request: Request) throws -> Response {
        let assets = try assets()
        guard let index = assets.index else {
            throw AppError(.internalServerError, "The web studio's index.html is missing from this build")
        }
        return respond(index, request: request, cacheControl: "no-cache")
    }

    private func asset(_ request: Request, _ context: AppRequestContext, folder: String?) throws -> Response {
        let version = context.parameters.get("version") ?? ""
        let file = context.parameters.get("file") ?? ""
        let name = folder.map { "\($0)/\(file)" } ?? file
        let assets = try assets()
        guard StudioAssets.isPlainName(file), let found = assets.files[name], name != "index.html" else {
            throw AppError(
                .resourceNotFound, "The web studio has no file \(String(name.prefix(100)))", details: ["resource": "studio_file"])
        }
        // An old page asking for files under an earlier version still gets today's file, just
        // not cached for long (it may not match the name it was asked under).
        let isCurrent = version == assets.version && !assets.isDevelopment
        return respond(found, request: request, cacheControl: isCurrent ? "public, max-age=31536000, immutable" : "no-cache")
    }

    private func respond(_ file: StudioAssets.File, request: Request, cacheControl: String) -> Response {
        let headers: HTTPFields = [.contentType: file.contentType, .eTag: file.etag, .cacheControl: cacheControl]
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag })
        {
            // Content-Type stays: the security middleware picks the page's CSP by it, and a
            // browser stores a 304's headers over the cached ones.
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }
}

/// The studio's files, read once: bytes, type and a content hash each.
struct StudioAssets: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// By path relative to the studio folder (`app.js`, `views/projects.js`).
    let files: [String: File]
    /// The page, with the asset base (`/app/{version}`) filled in.
    let index: File?
    let version: String
    let isDevelopment: Bool

    static let types = [
        "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "html": "text/html; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json",
    ]

    /// The copies built into the binary. A build without them still serves the API; the page
    /// then answers with an error saying so.
    static let bundled: StudioAssets = {
        guard let url = Bundle.module.url(forResource: "Public", withExtension: nil),
            let assets = try? load(from: url, isDevelopment: false)
        else {
            return StudioAssets(files: [:], index: nil, version: "missing", isDevelopment: false)
        }
        return assets
    }()

    /// Names the studio uses for its files: no separators, no dot-files, nothing to escape.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
            }
    }

    static func load(from root: URL, isDevelopment: Bool = true) throws -> StudioAssets {
        var raw: [String: Data] = [:]
        for folder in ["", "views"] {
            let directory = folder.isEmpty ? root : root.appendingPathComponent(folder, isDirectory: true)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names where isPlainName(name) {
                let ext = name.split(separator: ".").last.map(String.init) ?? ""
                guard types[ext] != nil else { continue }
                raw[folder.isEmpty ? name : "\(folder)/\(name)"] = try Data(contentsOf: directory.appendingPathComponent(name))
            }
        }
        // The version covers every file, in a fixed order, so it changes when any of them does.
        var hasher = SHA256()
        for name in raw.keys.sorted() {
            hasher.update(data: Data(name.utf8))
            if let data = raw[name] { hasher.update(data: data) }
        }
        let version = hasher.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        var files: [String: File] = [:]
        for (name, data) in raw {
            let ext = name.split(separator: ".").last.map(String.init) ?? ""
            files[name] = file(data, type: types[ext] ?? "application/octet-stream")
        }
        let index = raw["index.html"].map { data in
            let html = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "{{ASSET_BASE}}", with: "/app/\(version)")
            return file(Data(html.utf8), type: "text/html; charset=utf-8")
        }
        return StudioAssets(files: files, index: index, version: version, isDevelopment: isDevelopment)
    }

    private static func file(_ data: Data, type: String) -> File {
        let digest = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
        return File(bytes: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
    }
}
