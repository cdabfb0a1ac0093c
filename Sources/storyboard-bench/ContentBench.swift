import ArgumentParser
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import PostgresNIO
import SQLiteNIO
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardServices
import StoryboardTestSupport
import Synchronization

/// Issue 4's benchmark: a 1,000-clip project (50 scenes × 20 clips × 4 gallery items) among 20
/// projects; its tree in-process against the raw driver, over HTTP (full and 304), cascade
/// delete and restore, clip PATCH throughput and a mixed read/write load.
struct ContentBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content",
        abstract: "Project tree, trash cascade, PATCH throughput and a mixed load on a 1,000-clip project (needs wrk)."
    )

    @Option(help: "sqlite, postgresql or both") var engine: BenchEngine = .both
    @Option(help: "Timed in-process tree reads.") var iterations = 200
    @Option(help: "Seconds per wrk run and for the PATCH run.") var duration = 10
    @Option(help: "Seconds of the mixed read/write load.") var mixedDuration = 60
    @Option(help: "Concurrent clients for PATCH and the mixed load.") var clients = 32
    @Option(help: "Use this PostgreSQL instead of a throwaway cluster.") var postgresURL: String?
    @Option(help: "Server connection pool size (DB_POOL_SIZE).") var poolSize = 10

    func run() async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("wrk is not installed: apt-get install wrk")
        }
        var tree: [[String]] = []
        var http: [[String]] = []
        var trash: [[String]] = []
        var load: [[String]] = []
        for engine in engine.engines {
            let (configuration, cleanup) = try await prepareBenchDatabase(engine, postgresURL: postgresURL)
            var serverConfiguration = configuration
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-bench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            serverConfiguration.dataDirectory = directory
            serverConfiguration.host = "127.0.0.1"
            serverConfiguration.port = 0
            serverConfiguration.poolSize = poolSize
            serverConfiguration.trashPurgeInterval = 0
            let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
            let metrics = AppMetrics()
            let database = try await Database.connect(configuration: serverConfiguration, logger: logger, metrics: metrics.factory)
            do {
                try await Migrator(database: database, logger: logger).up()
                let dataset = try await ContentDataset.seed(database)
                try await database.write { try await $0.raw("ANALYZE").run() }

                // In-process: the tree through repositories and service beside the same statements raw.
                let trees = ProjectTreeService(database: database)
                let raw = try await RawDriver.open(configuration.database)
                let big = try await database.projects.get(id: dataset.bigProject)
                let (repository, floor) = try await measurePair(iterations, warmup: 10) { _ in
                    let result = try await trees.tree(of: big, depth: .clips)
                    guard result.scenes.count == 50 else { throw ValidationError("short tree") }
                } _: { _ in
                    let cells = try await raw.treeFloor(project: dataset.bigProject)
                    guard cells > 0 else { throw ValidationError("empty floor") }
                }
                let loaded = try await trees.tree(of: big, depth: .clips)
                let clock = ContinuousClock()
                var bytes = 0
                let serialization = try await measurePair(iterations, warmup: 5) { _ in
                    bytes = ProjectTreeJSON.bytes(loaded).count
                } _: { _ in
                }.0
                tree.append([
                    engine.rawValue, format(repository.mean / 1000, digits: 2), format(repository.percentile(0.99) / 1000, digits: 2),
                    format(floor.mean / 1000, digits: 2), format(repository.mean / floor.mean, digits: 2) + "× (≤ 2×)",
                    format(serialization.mean / 1000, digits: 2), format(Double(bytes) / 1_048_576, digits: 2),
                    format(Double(bytes) / serialization.mean, digits: 0),
                ])
                await raw.close()

                // Over HTTP, the same server `storyboard serve` builds.
                try await withBenchServer(configuration: serverConfiguration, database: database, metrics: metrics, logger: logger) {
                    port in
                    let client = BenchClient(port: port)
                    let path = "/api/projects/\(dataset.bigProject.uuidString.lowercased())?include=scenes.clips"
                    let first = try await client.send(.get, path)
                    let tag = first.headers[.eTag] ?? ""
                    guard try await client.send(.get, path, headers: [.ifNoneMatch: tag]).status == .notModified else {
                        throw ValidationError("the tree's ETag did not give 304")
                    }
                    for (name, headers, target) in [
                        (
                            "GET tree (\(format(Double(first.body?.readableBytes ?? 0) / 1_048_576, digits: 2)) MB), unchanged: rendered once, then cached by revision",
                            [String](), "≥ 165/s, p99 < 200 ms"
                        ),
                        ("GET tree, If-None-Match → 304", ["-H", "If-None-Match: \(tag)"], "≥ 5,000/s"),
                    ] {
                        let result = try await ProcessRunner.run(
                            wrk, ["-t1", "-c16", "-d\(duration)s", "--latency"] + headers + ["http://127.0.0.1:\(port)\(path)"])
                        let parsed = WrkOutput(result.output)
                        http.append([
                            engine.rawValue, name, "1/16", parsed.requestsPerSecond, parsed.p50, parsed.p99, parsed.errors, target,
                        ])
                    }

                    // Cold: each read right after a change, so the tree is read and written anew.
                    var cold: [Double] = []
                    for round in 0..<20 {
                        _ = try await client.send(.patch, "/api/clips/\(dataset.bigClips[round])", json: #"{"name": "cold \#(round)"}"#)
                        let started = clock.now
                        guard try await client.send(.get, path).status == .ok else { throw ValidationError("tree read failed") }
                        cold.append((clock.now - started).milliseconds * 1000)
                    }
                    let coldTiming = Timing(samples: cold)
                    http.append([
                        engine.rawValue, "GET tree right after a change (read + render + send, one client)", "1 client",
                        format(coldTiming.perSecond, digits: 1), format(coldTiming.percentile(0.5) / 1000, digits: 1) + "ms",
                        format(coldTiming.percentile(0.99) / 1000, digits: 1) + "ms", "0", "—",
                    ])

                    // Cascade delete and restore of the 1,000-clip project, through the service.
                    let service = TrashService(database: database)
                    var deletes: [Double] = []
                    var restores: [Double] = []
                    for _ in 0..<5 {
                        deletes.append(try await clock.measure { try await service.delete(.project, id: dataset.bigProject) }.milliseconds)
                        restores.append(
                            try await clock.measure { try await service.restore(.project, id: dataset.bigProject) }.milliseconds)
                    }
                    let rows = dataset.bigRowCount
                    trash.append([
                        engine.rawValue, "\(rows)", format(deletes.reduce(0, +) / 5), format(deletes.max() ?? 0),
                        format(restores.reduce(0, +) / 5),
                        format(restores.max() ?? 0), engine == .sqlite ? "< 50 ms each" : "—",
                    ])

                    // PATCH throughput: `clients` connections renaming random clips of the big project.
                    let patch = try await LoadRun.run(clients: clients, seconds: duration, port: port) { _, client, rng in
                        let clip = dataset.bigClips[Int.random(in: 0..<dataset.bigClips.count, using: &rng)]
                        let reply = try await client.send(
                            .patch, "/api/clips/\(clip)", json: #"{"name": "renamed \#(Int.random(in: 0..<1000, using: &rng))"}"#)
                        return reply.status == .ok
                    }
                    load.append([engine.rawValue, "PATCH /api/clips/{id}", "\(clients)", "\(duration) s"] + patch.row)

                    // Mixed: each client owns a scene of a small project and also reads the big tree.
                    let owned = try await ContentDataset.workerScenes(client: client, count: clients)
                    let mixed = try await LoadRun.run(clients: clients, seconds: mixedDuration, port: port) { worker, client, rng in
                        try await MixedWorkload.step(
                            worker: owned[worker], client: client, bigTree: path, bigClips: dataset.bigClips, rng: &rng)
                    }
                    load.append(
                        [
                            engine.rawValue, "mixed: tree and clip reads, create, patch, reorder, delete + restore", "\(clients)",
                            "\(mixedDuration) s",
                        ] + mixed.row)

                }
            } catch {
                print("benchmark failed on \(engine.rawValue): \(error)")
                await database.close()
                try? await cleanup()
                throw error
            }
            await database.close()
            try? FileManager.default.removeItem(atPath: directory)
            try await cleanup()
        }
        print(
            "\ndataset: 20 projects; one with 50 scenes × 20 clips × 4 gallery items (1,000 clips, 4,000 items), 19 with 2 scenes × 3 clips"
        )
        print("release build; server, database and load generator on the same 2-core machine\n")
        print("### Project tree in-process (\(iterations) reads, interleaved with the floor)\n")
        printTable(
            [
                "engine", "repository + assembly mean ms", "p99 ms", "raw driver floor mean ms", "ratio", "JSON writer ms", "JSON MB",
                "JSON MB/s",
            ],
            tree
        )
        print("\n### Project tree over HTTP (wrk)\n")
        printTable(["engine", "request", "wrk threads/connections", "requests/s", "p50", "p99", "errors", "target"], http)
        print("\n### Cascade delete and restore of the 1,000-clip project (5 rounds)\n")
        printTable(["engine", "rows taken", "delete mean ms", "delete max ms", "restore mean ms", "restore max ms", "target"], trash)
        print("\n### Writes under load (HTTP, keep-alive connections)\n")
        printTable(["engine", "workload", "clients", "duration", "requests", "requests/s", "p50 ms", "p99 ms", "errors"], load)
        print("\npeak memory of the process (server, database driver and load generator): \(format(peakMemoryMiB())) MiB")
    }
}

/// The seeded data: ids the runs need.
struct ContentDataset {
    var bigProject: UUID
    var bigClips: [String]
    var bigRowCount: Int

    static func seed(_ database: Database) async throws -> ContentDataset {
        let media = MediaFile(id: String(repeating: "ab", count: 32), contentType: "image/png", fileExtension: "png", sizeBytes: 1000)
        try await database.mediaFiles.register(media)
        var big = UUID()
        var clipIDs: [String] = []
        var rows = 1
        for index in 0..<20 {
            let project = try await database.projects.create(Project(name: "Project \(index)", description: "benchmark project \(index)"))
            let (sceneCount, clipCount, items) = index == 0 ? (50, 20, 4) : (2, 3, 0)
            if index == 0 { big = project.meta.id }
            var scenes: [Scene] = []
            var clips: [Clip] = []
            var gallery: [GalleryItem] = []
            var position = 0.0
            for s in 0..<sceneCount {
                let scene = Scene(
                    projectID: project.meta.id, name: "Scene \(s)", description: "what happens in scene \(s)",
                    lyrics: "verse line \(s), sung softly", order: s)
                scenes.append(scene)
                for c in 0..<clipCount {
                    var clip = Clip(
                        projectID: project.meta.id, sceneID: scene.meta.id, name: "Clip \(s).\(c)",
                        lyrics: "a line of the song for clip \(c)", length: 2.5,
                        timelinePosition: position, order: c,
                        imagePrompt: "neon city at night, rain, scene \(s) clip \(c)", videoPrompt: "slow dolly forward",
                        negativePrompt: "blurry"
                    )
                    position += 2.5
                    for i in 0..<items {
                        let item = GalleryItem(
                            projectID: project.meta.id, clipID: clip.meta.id, contentType: i == 3 ? .video : .image, mediaFileID: media.id,
                            prompt: clip.imagePrompt, seed: 1000 + i, serverName: "gpu-box-\(i % 2)",
                            modelName: "flux1-dev.safetensors", modelType: "flux_dev",
                            generationParams: #"{"steps":28,"cfg":3.5,"width":1024,"height":1024}"#
                        )
                        if i == 0 { clip.selectedImageID = item.meta.id }
                        if i == 3 { clip.selectedVideoID = item.meta.id }
                        gallery.append(item)
                    }
                    clips.append(clip)
                    if index == 0 { clipIDs.append(clip.meta.id.uuidString.lowercased()) }
                }
            }
            try await database.transaction { tx in
                try await tx.scenes.createAll(scenes)
                try await tx.clips.createAll(clips)
                try await tx.galleryItems.createAll(gallery)
            }
            if index == 0 { rows += scenes.count + clips.count + gallery.count }
        }
        return ContentDataset(bigProject: big, bigClips: clipIDs, bigRowCount: rows)
    }

    /// One small project with one scene of 10 clips per load client.
    static func workerScenes(client: BenchClient, count: Int) async throws -> [WorkerScene] {
        var scenes: [WorkerScene] = []
        for index in 0..<count {
            let project = try await client.createID("/api/projects", #"{"name": "Worker \#(index)"}"#)
            let scene = try await client.createID("/api/projects/\(project)/scenes", #"{"name": "Worker scene"}"#)
            var clips: [String] = []
            for c in 0..<10 {
                clips.append(
                    try await client.createID(
                        "/api/scenes/\(scene)/clips", #"{"name": "W\#(index) clip \#(c)", "length": 2, "timeline_position": \#(c * 2)}"#))
            }
            scenes.append(WorkerScene(project: project, scene: scene, clips: clips))
        }
        return scenes
    }
}

struct WorkerScene: Sendable {
    var project: String
    var scene: String
    var clips: [String]
}

/// One request of the mixed load, chosen at random; every one of them must succeed.
enum MixedWorkload {
    static func step(
        worker: WorkerScene, client: BenchClient, bigTree: String, bigClips: [String], rng: inout SystemRandomNumberGenerator
    ) async throws -> Bool {
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<20:
            return try await client.send(.get, bigTree).status == .ok
        case 20..<40:
            return try await client.send(.get, "/api/clips/\(bigClips[Int.random(in: 0..<bigClips.count, using: &rng)])").status == .ok
        case 40..<55:
            let reply = try await client.send(
                .post, "/api/scenes/\(worker.scene)/clips?check_overlap=false",
                json: #"{"name": "added", "length": 1, "timeline_position": 500}"#)
            return reply.status == .created
        case 55..<75:
            let clip = worker.clips[Int.random(in: 0..<worker.clips.count, using: &rng)]
            return try await client.send(.patch, "/api/clips/\(clip)", json: #"{"name": "patched \#(roll)"}"#).status == .ok
        case 75..<90:
            let listed = try await client.send(.get, "/api/scenes/\(worker.scene)/clips?limit=500")
            guard listed.status == .ok, let body = listed.body,
                let json = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            else { return false }
            let ids = (json["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.shuffled(using: &rng)
            let list = ids.map { "\"\($0)\"" }.joined(separator: ",")
            return try await client.send(.post, "/api/scenes/\(worker.scene)/clips/reorder", json: "{\"clip_ids\": [\(list)]}").status
                == .ok
        default:
            let clip = worker.clips[Int.random(in: 0..<worker.clips.count, using: &rng)]
            guard try await client.send(.delete, "/api/clips/\(clip)").status == .noContent else { return false }
            return try await client.send(.post, "/api/clips/\(clip)/restore").status == .ok
        }
    }
}

/// Keep-alive HTTP/1.1 to the server under test.
final class BenchClient: Sendable {
    let client: TestClient
    let authority: String

    init(port: Int) {
        authority = "127.0.0.1:\(port)"
        client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(60)))
        client.connect()
    }

    func send(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil, headers: HTTPFields = [:]
    ) async throws -> TestClient.Response {
        var headers = headers
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            TestClient.Request(path, method: method, authority: authority, headers: headers, body: json.map { ByteBuffer(string: $0) }))
    }

    func createID(_ path: String, _ json: String) async throws -> String {
        let reply = try await send(.post, path, json: json)
        guard reply.status == .created, let body = reply.body,
            let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
            let id = value["id"]?.stringValue
        else { throw ValidationError("POST \(path) answered \(reply.status)") }
        return id
    }

    func close() async { try? await client.shutdown() }
}

/// `clients` connections, each running `step` back to back for `seconds`.
struct LoadRun {
    var requests = 0
    var errors = 0
    var latencies: [Double] = []
    var seconds: Double

    var row: [String] {
        let timing = Timing(samples: latencies)
        return [
            "\(requests)", format(Double(requests) / seconds, digits: 0), format(timing.percentile(0.5) / 1000, digits: 1),
            format(timing.percentile(0.99) / 1000, digits: 1), "\(errors)",
        ]
    }

    static func run(
        clients: Int, seconds: Int, port: Int,
        _ step: @escaping @Sendable (Int, BenchClient, inout SystemRandomNumberGenerator) async throws -> Bool
    ) async throws -> LoadRun {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        let results = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
            for worker in 0..<clients {
                group.addTask {
                    let client = BenchClient(port: port)
                    var rng = SystemRandomNumberGenerator()
                    var count = 0
                    var errors = 0
                    var latencies: [Double] = []
                    while clock.now < deadline {
                        let start = clock.now
                        let ok = (try? await step(worker, client, &rng)) ?? false
                        latencies.append((clock.now - start).milliseconds * 1000)
                        count += 1
                        if !ok { errors += 1 }
                    }
                    await client.close()
                    return (count, errors, latencies)
                }
            }
            return try await group.reduce(into: [(Int, Int, [Double])]()) { $0.append($1) }
        }
        var run = LoadRun(seconds: Double(seconds))
        for (count, errors, latencies) in results {
            run.requests += count
            run.errors += errors
            run.latencies += latencies
        }
        return run
    }
}

extension RawDriver {
    /// The tree's three statements (scenes, clips, gallery of one project), every cell decoded
    /// by hand into the value the models hold (ids and times parsed, as the repository does):
    /// what any implementation has to pay at least.
    func treeFloor(project: UUID) async throws -> Int {
        let key = project.uuidString.lowercased()
        let statements = [
            #"SELECT * FROM scenes WHERE deleted_at IS NULL AND project_id IN (?) ORDER BY "order", id"#,
            #"SELECT * FROM clips WHERE deleted_at IS NULL AND project_id IN (?) ORDER BY "order", id"#,
            "SELECT * FROM gallery_items WHERE deleted_at IS NULL AND project_id IN (?) ORDER BY created_at, id",
        ]
        var cells = 0
        func text(_ name: String, _ value: String) {
            if name == "id" || name.hasSuffix("_id"), name != "media_file_id" {
                cells += UUID(parsing: value) == nil ? 0 : 1
            } else if name.hasSuffix("_at") {
                cells += Timestamp(rfc3339: value) == nil ? 0 : 1
            } else {
                cells += value.isEmpty ? 0 : 1
            }
        }
        switch self {
        case .sqlite(let connection):
            for statement in statements {
                for row in try await connection.query(statement, [.text(key)]) {
                    for column in row.columns {
                        switch column.data {
                        case .text(let value): text(column.name, value)
                        case .integer(let value): cells += value == .min ? 0 : 1
                        case .float(let value): cells += value.isNaN ? 0 : 1
                        default: cells += 1
                        }
                    }
                }
            }
        case .postgres(let connection):
            for statement in statements {
                var bindings = PostgresBindings()
                bindings.append(key)
                let query = PostgresQuery(unsafeSQL: statement.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
                for try await row in try await connection.query(query, logger: Self.logger) {
                    for cell in row {
                        guard cell.bytes != nil else { continue }
                        switch cell.dataType {
                        case .float8: cells += try cell.decode(Double.self).isNaN ? 0 : 1
                        case .int8, .int4, .int2: cells += try cell.decode(Int.self) == .min ? 0 : 1
                        case .bool: cells += try cell.decode(Bool.self) ? 1 : 1
                        default: text(cell.columnName, try cell.decode(String.self))
                        }
                    }
                }
            }
        }
        return cells
    }
}
