import Foundation
import StoryboardCore
import StoryboardDatabase

/// What a client asks a render for; nil fields take the defaults (1280×720 at 24 fps).
public struct RenderRequest: Sendable {
    public var width: Int?
    public var height: Int?
    public var fps: Int?

    public init(width: Int? = nil, height: Int? = nil, fps: Int? = nil) {
        self.width = width
        self.height = height
        self.fps = fps
    }

    /// Why each field is out of range, by name (empty when all are fine).
    public var problems: [String: String] {
        var problems: [String: String] = [:]
        func check(_ name: String, _ value: Int?, _ range: ClosedRange<Int>, even: Bool) {
            guard let value else { return }
            if !range.contains(value) || (even && value % 2 != 0) {
                problems[name] = "must be \(even ? "an even number " : "")from \(range.lowerBound) to \(range.upperBound)"
            }
        }
        check("width", width, Render.widthRange, even: true)
        check("height", height, Render.heightRange, even: true)
        check("fps", fps, Render.fpsRange, even: false)
        return problems
    }
}

/// Animatic render use cases: queue one, read, list, cancel. `RenderWorker` does the work.
public struct RenderService: Sendable {
    let database: Database
    let settings: RenderSettings
    let wakeup: JobWakeup

    public init(database: Database, settings: RenderSettings, wakeup: JobWakeup) {
        self.database = database
        self.settings = settings
        self.wakeup = wakeup
    }

    /// Queues a render of the project as it is when a worker starts it. 503 without ffmpeg;
    /// 400 when there is nothing to render (no song and no clips).
    public func start(projectID: UUID, _ request: RenderRequest) async throws -> Render {
        let problems = request.problems
        if !problems.isEmpty { throw AppError.validation(problems) }
        _ = try await database.projects.get(id: projectID)
        guard FFmpegLocator.resolve(settings.ffmpeg) != nil else { throw Self.ffmpegMissing }
        let render = try await database.transaction { tx in
            let project = try await tx.lockProject(projectID)
            if project.musicDuration ?? 0 <= 0,
                try await tx.clips.count(.equals("project_id", DatabaseValue(projectID)).and(.isNull("parent_clip_id"))) == 0
            {
                throw AppError(
                    .validationError, "Project \(projectID.lowercasedString) has no song and no clips: there is nothing to render",
                    details: ["fields": ["project": "needs a song or at least one clip"]]
                )
            }
            let render = try await tx.renders.create(
                Render(
                    projectID: projectID, width: request.width ?? Render.defaultWidth, height: request.height ?? Render.defaultHeight,
                    fps: request.fps ?? Render.defaultFPS
                )
            )
            try await tx.jobEvents.append([JobEvent.of(render, .renderQueued)])
            return render
        }
        wakeup.notify()
        return render
    }

    public func get(id: UUID) async throws -> Render {
        try await database.renders.get(id: id)
    }

    public func list(projectID: UUID, limit: Int, cursor: String?) async throws -> Page<Render> {
        _ = try await database.projects.get(id: projectID)
        return try await database.renders.findMany(
            .equals("project_id", DatabaseValue(projectID)), sort: .newestFirst, limit: limit, cursor: cursor)
    }

    /// Cancels a queued or running render (the process running it stops ffmpeg); a finished
    /// one is 409.
    public func cancel(id: UUID) async throws -> Render {
        try await database.transaction { tx in
            let current = try await tx.renders.get(id: id, forUpdate: true)
            guard let cancelled = try await tx.renders.move(id: id, to: .cancelled, Changes(["error": .text("cancelled")])) else {
                throw AppError(
                    .conflict, "Render \(id.lowercasedString) has already \(current.status.rawValue)",
                    details: ["status": .string(current.status.rawValue)])
            }
            try await tx.jobEvents.append([JobEvent.of(cancelled, .renderCancelled)])
            return cancelled
        }
    }

    static let ffmpegMissing = AppError(
        .externalServiceError,
        "Rendering an animatic needs ffmpeg, which is not installed on this server (install it, or set STORYBOARD_FFMPEG to its path)",
        details: ["service": "ffmpeg"], status: 503
    )
}
