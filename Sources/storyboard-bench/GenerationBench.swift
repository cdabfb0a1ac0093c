import ArgumentParser
import Foundation
import Logging
import Metrics
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The dispatcher end to end: `storyboard serve` processes (the release binary next to this
/// one) on one database, 4 ComfyUI stand-ins that answer at once, a batch of N clips.
struct GenerationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generation",
        abstract: "Jobs/s through the dispatcher for a whole-project batch, and a lone job's queue → gallery latency."
    )

    @Option(help: "sqlite, postgresql or both") var engine: BenchEngine = .both
    @Option(help: "Clips in the batch") var clips = 1000
    @Option(help: "serve processes sharing the database (PostgreSQL; SQLite always runs one)") var processes = [1, 3]
    @Option(help: "max_concurrent of each of the 4 stand-ins") var concurrency = 8
    @Option(help: "Seconds between looks at a running prompt (0.01 at least)") var poll = 0.01
    @Option(help: "PostgreSQL URL (default: a throwaway cluster)") var postgresURL: String?

    func run() async throws {
        var rows: [[String]] = []
        for engine in engine.engines {
            for count in (engine == .sqlite ? [1] : processes) {
                rows.append(try await measure(engine, processes: count))
            }
        }
        print("")
        printTable(
            [
                "engine", "processes", "clips", "batch time s", "jobs/s", "lone job queue→gallery ms (mean / p99)",
                "lone job minus stand-in time ms (mean)", "lone job phases ms (mean): \(Self.phases.joined(separator: " / "))",
                "prompts sent", "duplicates", "lost",
                "gallery items", "batch CPU ms/job: servers / PostgreSQL / bench process", "machine CPU during batch %: busy / stolen",
            ],
            rows
        )
    }

    func measure(_ engine: BenchEngine, processes: Int) async throws -> [String] {
        let (configuration, cleanup) = try await prepareBenchDatabase(engine, postgresURL: postgresURL)
        do {
            let row = try await measure(engine, processes: processes, configuration: configuration)
            try? await cleanup()
            return row
        } catch {
            try? await cleanup()
            throw error
        }
    }

    func measure(_ engine: BenchEngine, processes: Int, configuration: StoryboardConfiguration) async throws -> [String] {
        let logger = Logger(label: "bench")
        let database = try await Database.connect(configuration: configuration, logger: logger, metrics: NOOPMetricsHandler.instance)
        try await Migrator(database: database, logger: logger).up()
        let (project, lone) = try await seed(database)
        let result: [String] = try await withComfyUIStandIns(count: 4) { standIns in
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-genbench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            var environment = ProcessInfo.processInfo.environment
            environment["STORYBOARD_DATA_DIR"] = data
            environment["DATABASE_URL"] = configuration.database.url
            environment["LOG_LEVEL"] = "warning"
            environment["STORYBOARD_JOB_POLL_INTERVAL"] = "\(Int(poll * 1000))ms"
            environment["STORYBOARD_SERVER_CHECK_INTERVAL"] = "0"
            environment["DB_POOL_SIZE"] = "16"
            var servers: [(pid: pid_t, client: LoopbackClient)] = []
            defer {
                for server in servers { kill(server.pid, SIGTERM) }
            }
            for index in 0..<processes {
                let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("storyboard")
                    .path
                servers.append(
                    try await startServe(binary: binary, environment: environment, log: "\(data)/serve-\(index).log", checksContract: false)
                )
            }
            let api = servers[0].client
            for standIn in standIns {
                let reply = try await api.request(
                    .post, "/api/servers",
                    body:
                        #"{"name": "\#(standIn.name)", "url": "\#(standIn.url)", "server_type": "comfyui", "max_concurrent": \#(concurrency)}"#
                )
                guard let id = reply.json?["id"]?.stringValue else { throw ValidationError("register: \(reply.body)") }
                _ = try await api.request(.post, "/api/servers/\(id)/check")
            }
            // A lone job at a time: queue → gallery, through one process, 4 idle servers.
            var lonely: [Double] = []
            let phasesBefore = PrometheusText(try await api.request(.get, "/metrics").body)
            let upstreamBefore = standIns.reduce(0) { $0 + $1.promptSeconds }
            for _ in 0..<30 {
                let reply = try await api.request(.post, "/api/clips/\(lone)/generate", body: "{}")
                guard let job = reply.json?["jobs"]?.arrayValue?.first?["id"]?.stringValue else {
                    throw ValidationError("generate: \(reply.body)")
                }
                while true {
                    let state = try await api.request(.get, "/api/jobs/\(job)").json
                    if state?["status"] == "succeeded", let created = state?["created_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
                        let finished = state?["finished_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
                    {
                        lonely.append(Double(finished.microseconds - created.microseconds) / 1000)
                        break
                    }
                    // The times come from the job row: looking less often only keeps this
                    // client from taking CPU from the job it measures.
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            // The stand-ins' own share of a lone job (from `/prompt` to its history): the rest is the dispatcher's.
            let upstreamPerJob = (standIns.reduce(0) { $0 + $1.promptSeconds } - upstreamBefore) * 1000 / Double(lonely.count)
            // Where the rest goes, as the serving process itself measures it.
            let phasesAfter = PrometheusText(try await api.request(.get, "/metrics").body)
            let phaseMeans = Self.phases.map { phase in
                let (before, after) = (phasesBefore.jobPhase(phase), phasesAfter.jobPhase(phase))
                return after.count > before.count ? format((after.seconds - before.seconds) * 1000 / (after.count - before.count)) : "—"
            }
            let sentBefore = standIns.reduce(0) { $0 + $1.promptsReceived }
            // CPU time is less at the mercy of whatever else runs on the machine than wall time.
            let serverCPUBefore = servers.map { Self.cpuSeconds(of: $0.pid) }.reduce(0, +)
            let ownCPUBefore = Self.ownCPUSeconds()
            let databaseCPUBefore = Self.postgresCPUSeconds()
            let machineBefore = MachineCPU.now()
            let clock = ContinuousClock()
            let start = clock.now
            let created = try await api.request(.post, "/api/projects/\(project)/batches", body: "{}")
            guard let batch = created.json?["id"]?.stringValue else { throw ValidationError("batch: \(created.body)") }
            // The light listing, not the full report (1,000 results), so that watching costs little.
            var report = created.json
            while report?["status"] != "completed" && report?["status"] != "completed_with_errors" {
                try await Task.sleep(for: .milliseconds(50))
                report = try await api.request(.get, "/api/projects/\(project)/batches?limit=1").json?["items"]?.arrayValue?.first
            }
            _ = batch
            let seconds = (clock.now - start).milliseconds / 1000
            let serverCPU = servers.map { Self.cpuSeconds(of: $0.pid) }.reduce(0, +) - serverCPUBefore
            let ownCPU = Self.ownCPUSeconds() - ownCPUBefore
            let databaseCPU = Self.postgresCPUSeconds() - databaseCPUBefore
            let machine = MachineCPU.now().percentages(since: machineBefore)
            let sent = standIns.reduce(0) { $0 + $1.promptsReceived } - sentBefore
            let completed = Int(report?["completed"]?.doubleValue ?? 0)
            let items = try await database.galleryItems.count(.equals("project_id", DatabaseValue(project)))
            let timing = Timing(samples: lonely)
            try? FileManager.default.removeItem(atPath: data)
            return [
                engine.rawValue, "\(processes)", "\(clips)", format(seconds, digits: 2), format(Double(completed) / seconds, digits: 0),
                "\(format(timing.mean)) / \(format(timing.percentile(0.99)))", format(timing.mean - upstreamPerJob),
                phaseMeans.joined(separator: " / "), "\(sent)", "\(max(0, sent - clips))", "\(clips - completed)", "\(items)",
                "\(format(serverCPU * 1000 / Double(clips), digits: 2)) / \(engine == .sqlite ? "—" : format(databaseCPU * 1000 / Double(clips), digits: 2)) / \(format(ownCPU * 1000 / Double(clips), digits: 2))",
                machine,
            ]
        }
        await database.close()
        return result
    }

    static let phases = ["queued", "prepare", "upstream", "collect", "attach"]

    /// User + system CPU seconds a process has used so far (Linux `/proc/<pid>/stat`).
    static func cpuSeconds(of pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name; utime and stime are the 14th and 15th of the line.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of every PostgreSQL process on the machine (the throwaway cluster's server
    /// and its backends; the pool keeps its connections, so none ends during a batch).
    static func postgresCPUSeconds() -> Double {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return pids.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                == "postgres"
        }.map(cpuSeconds(of:)).reduce(0, +)
    }

    /// This process's CPU seconds: the stand-ins and the client that watches the batch.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// A project with one scene of `clips` prompted clips, and a separate clip for lone jobs.
    func seed(_ database: Database) async throws -> (project: String, lone: String) {
        let project = try await database.projects.create(Project(name: "Batch bench"))
        let scene = Scene(projectID: project.meta.id, name: "All", order: 0)
        let clipRows = (0..<clips).map { index in
            Clip(
                projectID: project.meta.id, sceneID: scene.meta.id, name: "Clip \(index)", length: 2, timelinePosition: Double(index) * 2,
                order: index,
                imagePrompt: "neon city at night, shot \(index)"
            )
        }
        let other = try await database.projects.create(Project(name: "Lone jobs"))
        let otherScene = Scene(projectID: other.meta.id, name: "One", order: 0)
        let lone = Clip(
            projectID: other.meta.id, sceneID: otherScene.meta.id, name: "Lone", length: 2, timelinePosition: 0, order: 0,
            imagePrompt: "a lone shot")
        try await database.transaction { tx in
            try await tx.scenes.createAll([scene, otherScene])
            try await tx.clips.createAll(clipRows + [lone])
        }
        return (project.meta.id.uuidString.lowercased(), lone.meta.id.uuidString.lowercased())
    }
}
