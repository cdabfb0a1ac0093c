import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import Synchronization

/// Renders queued animatics, one at a time per process (ffmpeg uses every core it gets):
/// claims a render under a lease, runs ffmpeg, stores the MP4 in the media store and
/// reports progress on the project's event stream. Several processes may share a
/// PostgreSQL: the claim and the lease keep a render on one of them at a time, and a killed
/// process's render goes back to the queue when its lease runs out.
public final class RenderWorker: Service, Sendable {
    let database: Database
    let media: MediaStore
    let settings: RenderSettings
    let logger: Logger
    /// Unique per process start, like the dispatcher's.
    public let owner: String
    /// The claim loop's rounds, lease recovery and last writes (one render at a time).
    let queue: LeasedQueueWorker
    /// Seconds between progress writes (each also renews the lease and looks for a cancel).
    let tick: Double

    public init(
        database: Database, media: MediaStore, settings: RenderSettings, wakeup: JobWakeup,
        logger: Logger = Logger(label: "storyboard.render")
    ) {
        self.database = database
        self.media = media
        self.settings = settings
        self.logger = logger
        self.owner =
            "render:\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
        self.tick = min(0.5, settings.leaseSeconds / 3)
        self.queue = LeasedQueueWorker(
            wakeup: wakeup, leaseSeconds: settings.leaseSeconds, idleWait: 1, roundFailure: "render claim failed; trying again shortly",
            persistFailure: "render state could not be written; its lease will expire", logger: logger)
    }

    public func run() async throws {
        // Shutdown cancels the round: ffmpeg is stopped and the render goes back to the queue.
        await queue.run(recover: { await self.recoverLeases() }) { _ in
            guard let render = try await self.database.renders.claim(owner: self.owner, leaseSeconds: self.settings.leaseSeconds) else {
                return false
            }
            await self.execute(render)
            return true
        }
    }

    private func recoverLeases() async {
        do {
            let recovered = try await database.renders.recoverExpiredLeases()
            if recovered > 0 { logger.notice("renders of a stopped process went back to the queue", metadata: ["renders": "\(recovered)"]) }
        } catch {
            logger.warning("expired render leases could not be recovered", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - One render

    /// The render is no longer ours (cancelled, its project deleted, or taken over).
    struct Lost: Error {}

    private func execute(_ render: Render) async {
        let id = render.meta.id.lowercasedString
        var temporary: [String] = []
        defer { for path in temporary { try? FileManager.default.removeItem(atPath: path) } }
        do {
            guard let ffmpeg = FFmpegLocator.resolve(settings.ffmpeg) else {
                throw RenderFailure(message: RenderService.ffmpegMissing.message)
            }
            guard let sources = try await AnimaticSources(database: database, media: media).load(projectID: render.projectID) else {
                throw RenderFailure(message: "the project has no song and no clips: there is nothing to render")
            }
            let plan = AnimaticPlan(clips: sources.clips, duration: sources.duration, fps: render.fps)
            guard plan.totalFrames > 0 else { throw RenderFailure(message: "the animatic would be shorter than one frame") }
            let output = try media.temporaryPath(extension: "mp4")
            let graphFile = try media.temporaryPath(extension: "filtergraph")
            temporary = [output, graphFile]
            let command = AnimaticCommand(
                plan: plan, width: render.width, height: render.height, song: sources.song, output: output, graphFile: graphFile)
            let (arguments, graph) = command.arguments()
            if let graph { try Data(graph.utf8).write(to: URL(fileURLWithPath: graphFile)) }
            let started = try await announceStart(render, duration: plan.duration)
            try await runFFmpeg(ffmpeg, arguments, render: started, duration: plan.duration)
            try await finish(started, output: output)
            logger.info(
                "render succeeded", metadata: ["render_id": "\(id)", "seconds": "\(plan.duration)", "segments": "\(plan.segments.count)"])
        } catch is Lost {
            logger.info("render stopped: it was cancelled or taken over", metadata: ["render_id": "\(id)"])
        } catch {
            // Shutdown: whatever was interrupted (ffmpeg, a statement) says so in its own way.
            if Task.isCancelled || error is CancellationError {
                await release(render)
            } else {
                await fail(render, message: Self.message(for: error, sanitizing: sanitized))
            }
        }
    }

    /// What a failed render says: ffmpeg's last lines, our own reason, or the error.
    private static func message(for error: any Error, sanitizing sanitized: (String) -> String) -> String {
        switch error {
        case let failure as FFmpegProcess.Failure:
            "ffmpeg failed: \(sanitized(failure.stderr.isEmpty ? failure.description : failure.stderr))"
        case let failure as RenderFailure: failure.message
        case let error as AppError: error.message
        default: sanitized("\(error)")
        }
    }

    /// Gives a render back (this process is stopping): queued again at once, the attempt not counted.
    private func release(_ render: Render) async {
        await queue.persist { [self] in
            _ = try await database.renders.move(
                id: render.meta.id, to: .queued, owner: owner, Changes(["attempts": .integer(max(0, render.attempts - 1))]))
        }
    }

    struct RenderFailure: Error {
        var message: String
    }

    private func announceStart(_ render: Render, duration: Double) async throws -> Render {
        try await database.transaction { tx in
            guard
                let started = try await tx.renders.updateHeld(
                    id: render.meta.id, owner: owner, Changes(["duration": .real(duration), "progress": .real(0)]))
            else {
                throw Lost()
            }
            try await tx.jobEvents.append([JobEvent.of(started, .renderStarted)])
            return started
        }
    }

    /// Runs ffmpeg beside a ticker that writes progress, renews the lease and stops ffmpeg
    /// when the render is no longer ours.
    private func runFFmpeg(_ executable: String, _ arguments: [String], render: Render, duration: Double) async throws {
        let process = FFmpegProcess()
        let shared = RunState()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await process.run(executable: executable, arguments: arguments) { seconds in
                    shared.progress.withLock { $0 = min(1, max(0, seconds / duration)) }
                }
            }
            group.addTask { [self] in
                var written = 0.0
                while true {
                    try await Task.sleep(for: .milliseconds(Int64(tick * 1000)))
                    let progress = shared.progress.withLock { $0 }
                    if try await !renew(render, progress: progress, announce: progress > written) {
                        shared.lost.withLock { $0 = true }
                        process.stop()
                        return
                    }
                    written = max(written, progress)
                }
            }
            do {
                try await group.next()
            } catch {
                group.cancelAll()
                throw shared.lost.withLock({ $0 }) ? Lost() : error
            }
            group.cancelAll()
        }
        if shared.lost.withLock({ $0 }) { throw Lost() }
    }

    /// What ffmpeg's reader and the ticker share while one render runs.
    private final class RunState: Sendable {
        /// 0…1, as ffmpeg last reported it.
        let progress = Mutex(0.0)
        /// The ticker found the render no longer ours and stopped ffmpeg.
        let lost = Mutex(false)
    }

    /// Writes the progress (with its event when it moved) and a longer lease in one
    /// transaction; false when the render is no longer this process's.
    private func renew(_ render: Render, progress: Double, announce: Bool) async throws -> Bool {
        try await database.transaction { tx in
            var changes = Changes(["lease_until": DatabaseValue(Timestamp.now().adding(seconds: settings.leaseSeconds))])
            if announce {
                changes.set("progress", .real(progress))
                changes.set("progress_at", DatabaseValue(Timestamp.now()))
            }
            guard let updated = try await tx.renders.updateHeld(id: render.meta.id, owner: owner, changes) else { return false }
            if announce { try await tx.jobEvents.append([JobEvent.of(updated, .renderProgress)]) }
            return true
        }
    }

    /// Stores the MP4 and moves the render to `succeeded` pointing at it. The file's row is
    /// committed first, so if the render was cancelled meanwhile the file is an orphan that
    /// the media clean-up removes, never one that stays forever.
    private func finish(_ render: Render, output: String) async throws {
        let received = try media.receiveFile(at: output, expected: .generated)
        try await MediaCatalog(store: media, database: database).commit(received)
        try await database.transaction { tx in
            try await tx.mediaFiles.register(received.file)
            guard
                let done = try await tx.renders.move(
                    id: render.meta.id, to: .succeeded, owner: owner,
                    Changes(["media_file_id": .text(received.file.id), "progress": .real(1), "progress_at": DatabaseValue(Timestamp.now())])
                )
            else { throw Lost() }
            try await tx.jobEvents.append([JobEvent.of(done, .renderSucceeded)])
        }
    }

    private func fail(_ render: Render, message: String) async {
        logger.warning("render failed", metadata: ["render_id": "\(render.meta.id.lowercasedString)", "error": "\(message.prefix(2000))"])
        await queue.persist { [self] in
            try await database.transaction { tx in
                if let failed = try await tx.renders.move(
                    id: render.meta.id, to: .failed, owner: owner, Changes(["error": .text(String(message.prefix(2000)))]))
                {
                    try await tx.jobEvents.append([JobEvent.of(failed, .renderFailed)])
                }
            }
        }
    }

    /// ffmpeg's messages name our files by absolute path: clients see store-relative names.
    private func sanitized(_ text: String) -> String {
        let root = URL(fileURLWithPath: media.root).standardizedFileURL.path
        return text.replacingOccurrences(of: "file:\(root)/", with: "").replacingOccurrences(of: "\(root)/", with: "")
    }
}
