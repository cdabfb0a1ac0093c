import Foundation

/// An animatic render of a project: an MP4 of the selected media on the song, made by
/// `ffmpeg` in the background. Its statuses and transitions are the job queue's (`JobStatus`).
public struct Render: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var status: JobStatus
    public var width: Int
    public var height: Int
    public var fps: Int
    /// Seconds of the output, known once the render has started.
    public var duration: Double?
    /// 0…1.
    public var progress: Double
    public var progressAt: Timestamp?
    public var error: String?
    /// The MP4 in the media store, once succeeded.
    public var mediaFileID: String?
    /// Times a process started it (a process killed while rendering starts it again).
    public var attempts: Int
    public var availableAt: Timestamp
    public var leaseUntil: Timestamp?
    public var leaseOwner: String?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, status: JobStatus = .queued, width: Int = Render.defaultWidth,
        height: Int = Render.defaultHeight, fps: Int = Render.defaultFPS, duration: Double? = nil, progress: Double = 0,
        progressAt: Timestamp? = nil,
        error: String? = nil, mediaFileID: String? = nil, attempts: Int = 0, availableAt: Timestamp? = nil, leaseUntil: Timestamp? = nil,
        leaseOwner: String? = nil, startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.status = status
        self.width = width
        self.height = height
        self.fps = fps
        self.duration = duration
        self.progress = progress
        self.progressAt = progressAt
        self.error = error
        self.mediaFileID = mediaFileID
        self.attempts = attempts
        self.availableAt = availableAt ?? meta.createdAt
        self.leaseUntil = leaseUntil
        self.leaseOwner = leaseOwner
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    public static let defaultWidth = 1280
    public static let defaultHeight = 720
    public static let defaultFPS = 24
    /// Even (H.264 in yuv420p needs it), at most 4K.
    public static let widthRange = 64...3840
    public static let heightRange = 64...2160
    public static let fpsRange = 1...60
    /// A render whose process died this many times is failed rather than started again.
    public static let maxAttempts = 3
}
