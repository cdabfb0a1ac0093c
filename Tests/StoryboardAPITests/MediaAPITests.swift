import Foundation
import Logging
import StoryboardAPI
import StoryboardCore
import StoryboardServices
import StoryboardTestSupport
import Testing

@Suite("Music and media API", .timeLimit(.minutes(2)))
struct MediaAPITests {
    @Test(
        "music: type and duration from the bytes for every format; anything else is 422 and changes nothing",
        arguments: TestEngine.available)
    func musicTypes(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let accepted: [(String, String, Double)] = [
                ("tone.wav", "audio/wav", 2.0), ("tone.mp3", "audio/mpeg", 2.0637), ("tone-vbr.mp3", "audio/mpeg", 2.0637),
                ("tone-vbr-noheader.mp3", "audio/mpeg", 2.0637), ("tone-id3.mp3", "audio/mpeg", 2.0637), ("tone.flac", "audio/flac", 2.0),
                ("tone.ogg", "audio/ogg", 2.0), ("tone.opus", "audio/ogg", 2.0), ("tone.m4a", "audio/mp4", 2.0),
            ]
            var version = 1
            for (name, type, duration) in accepted {
                let data = try MediaFixtures.data(name)
                // The declared type is ignored: the bytes decide.
                let reply = try await server.upload(
                    .put, "/api/projects/\(project)/music", data: data, headers: ["Content-Type": "text/html"])
                #expect(reply.status == 200, "\(name): \(reply.body)")
                version += 1
                let seconds = try #require(reply.json?["music_duration"]?.doubleValue)
                #expect(abs(seconds - duration) < 0.01, "\(name): \(seconds)")
                let back = try await server.request(.get, "/api/projects/\(project)/music")
                #expect(back.header("Content-Type") == type, "\(name)")
                #expect(back.header("X-Content-Type-Options") == "nosniff")
                #expect(back.data == data)
            }
            for name in ["page.html", "image.svg", "random.bin", "still.png"] {
                let reply = try await server.upload(
                    .put, "/api/projects/\(project)/music", data: try MediaFixtures.data(name), headers: ["Content-Type": "audio/mpeg"])
                #expect(reply.status == 422, "\(name)")
                #expect(reply.errorCode == "INVALID_FILE_TYPE")
            }
            let empty = try await server.upload(.put, "/api/projects/\(project)/music", data: Data())
            #expect(empty.errorCode == "INVALID_FILE_TYPE")
            let current = try await server.json("/api/projects/\(project)")
            #expect(current["version"] == .number(Double(version)), "refused uploads changed nothing")
            #expect(
                try await server.request(.get, "/api/projects/\(try await server.createID("/api/projects", #"{"name": "Silent"}"#))/music")
                    .status == 404)
            let stale = try await server.upload(
                .put, "/api/projects/\(project)/music", data: try MediaFixtures.data("tone.wav"), headers: ["If-Match": "\"1\""])
            #expect(stale.status == 412)
        }
    }

    @Test("Range: first bytes, a suffix, an open end; an impossible range is 416", arguments: [TestEngine.sqlite])
    func ranges(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let data = try MediaFixtures.data("tone.wav")
            #expect(try await server.upload(.put, "/api/projects/\(project)/music", data: data).status == 200)
            let path = "/api/projects/\(project)/music"
            let head = try await server.request(.get, path, headers: ["Range": "bytes=0-9"])
            #expect(head.status == 206)
            #expect(head.data == data.prefix(10))
            #expect(head.header("Content-Range") == "bytes 0-9/\(data.count)")
            let tail = try await server.request(.get, path, headers: ["Range": "bytes=-100"])
            #expect(tail.data == data.suffix(100))
            let rest = try await server.request(.get, path, headers: ["Range": "bytes=\(data.count - 5)-"])
            #expect(rest.data == data.suffix(5))
            let outside = try await server.request(.get, path, headers: ["Range": "bytes=\(data.count + 10)-"])
            #expect(outside.status == 416)
            #expect(outside.header("Content-Range") == "bytes */\(data.count)")
            #expect(outside.errorCode == "RANGE_NOT_SATISFIABLE")
            #expect(outside.json?["error"]?["request_id"]?.stringValue != nil)
            // An end past Int's range must not bring the server down.
            let huge = try await server.request(.get, path, headers: ["Range": "bytes=0-9223372036854775807"])
            #expect(huge.status == 206)
            #expect(huge.data == data)
            #expect(try await server.request(.get, path, headers: ["Range": "bytes=-9223372036854775807"]).data == data)
            for bad in ["bytes=5-1", "bytes=a-b", "items=0-1", "bytes=0-1,3-4"] {
                #expect(try await server.request(.get, path, headers: ["Range": bad]).status == 416, "\(bad)")
            }
            let tag = try #require(head.header("ETag"))
            #expect(try await server.request(.get, path, headers: ["If-None-Match": tag]).status == 304)
        }
    }

    @Test("size limit (413), disk reserve (507), traversal attempts never reach the file system", arguments: [TestEngine.sqlite])
    func limits(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.maxUploadBytes = 10_000 }) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let big = try MediaFixtures.data("tone.wav")
            #expect(big.count > 10_000)
            let tooLarge = try await server.upload(.put, "/api/projects/\(project)/music", data: big)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorCode == "FILE_TOO_LARGE")
            for path in [
                "/api/media/..%2F..%2Fstoryboard.sqlite", "/api/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/api/media/../../etc/passwd",
                "/api/projects/\(project)/music/..%2F..%2F..%2Fetc%2Fpasswd", "/api/media/%252e%252e%252fstoryboard.sqlite",
                "/api/media/....//....//etc/passwd",
            ] {
                let reply = try await server.request(.get, path)
                #expect([400, 404].contains(reply.status), "\(path): \(reply.status)")
                #expect(reply.errorCode != nil, "\(path) answers the JSON envelope")
                #expect(!reply.body.contains("root:"), "\(path)")
            }
            let missingClip = try await server.upload(.post, "/api/clips/\(UUID())/gallery", data: try MediaFixtures.data("still.png"))
            #expect(missingClip.errorCode == "CLIP_NOT_FOUND")
            let tmp = "\(server.configuration.dataDirectory)/media/tmp"
            #expect((try? FileManager.default.contentsOfDirectory(atPath: tmp))?.isEmpty ?? true, "refused uploads leave no temporary file")
        }
        try await withTestServer(engine, configure: { $0.minimumFreeBytes = Int.max / 4 }) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let full = try await server.upload(.put, "/api/projects/\(project)/music", data: try MediaFixtures.data("tone.mp3"))
            #expect(full.status == 507)
            #expect(full.errorCode == "INSUFFICIENT_STORAGE")
        }
    }

    @Test("the size limit is enforced while the body streams, not after buffering it")
    func streamingLimit() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-tests/\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = MediaStore(root: root, maxUploadBytes: 1 << 20, logger: Logger(label: "test"))
        // An endless body: only stopping at the limit ends this.
        let endless = AsyncStream<[UInt8]> { continuation in
            continuation.onTermination = { _ in }
            Task {
                while !Task.isCancelled {
                    if case .terminated = continuation.yield([UInt8](repeating: 0xFF, count: 64 * 1024)) { return }
                    await Task.yield()
                }
            }
        }
        do {
            _ = try await store.receive(endless, expected: .audio, declaredLength: nil)
            Issue.record("an endless upload was accepted")
        } catch let error as AppError {
            #expect(error.code == .fileTooLarge)
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/tmp"))?.isEmpty == true, "the partial file is gone")
    }

    @Test("reference images: PNG, JPEG, WebP only; served with their own type", arguments: TestEngine.available)
    func referenceImages(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let character = try await server.createID("/api/projects/\(project)/characters", #"{"name": "Mira"}"#)
            for (name, type) in [("still.png", "image/png"), ("still.jpg", "image/jpeg"), ("still.webp", "image/webp")] {
                let reply = try await server.upload(
                    .post, "/api/characters/\(character)/reference-images", data: try MediaFixtures.data(name))
                #expect(reply.status == 201)
                let url = try #require(reply.json?["url"]?.stringValue)
                let back = try await server.request(.get, url)
                #expect(back.header("Content-Type") == type)
                #expect(back.header("Content-Security-Policy")?.contains("sandbox") == true)
            }
            for name in ["image.svg", "page.html", "tone.wav"] {
                #expect(
                    try await server.upload(.post, "/api/characters/\(character)/reference-images", data: try MediaFixtures.data(name))
                        .status == 422)
            }
            let read = try await server.json("/api/characters/\(character)")
            #expect(read["reference_images"]?.arrayValue?.count == 3)
            #expect(
                try await server.upload(.post, "/api/characters/\(UUID())/reference-images", data: try MediaFixtures.data("still.png"))
                    .errorCode == "CHARACTER_NOT_FOUND")
        }
    }
}
