import Foundation

/// Where a job stands. A finished job (succeeded, failed, cancelled) never moves again.
public enum JobStatus: String, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// The transitions the queue allows; every status change in SQL is guarded by the same set.
    public func canMove(to next: JobStatus) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.queued, .cancelled): true
        case (.running, .succeeded), (.running, .failed), (.running, .cancelled), (.running, .queued): true
        default: false
        }
    }

    /// The statuses a job may be in when it moves to `next`.
    public static func sources(of next: JobStatus) -> [JobStatus] {
        allCases.filter { $0.canMove(to: next) }
    }
}

public enum GenerationType: String, Sendable, CaseIterable {
    case image, video
}

/// Where a job's outputs go.
public enum JobTarget: String, Sendable, CaseIterable {
    /// The clip's gallery.
    case clip
    /// The character's own gallery (samples), from which reference images are picked.
    case character
}

/// One unit of work in the queue: a graph to run on one generation server, and where its
/// outputs land.
public struct GenerationJob: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var clipID: UUID?
    public var characterID: UUID?
    public var batchID: UUID?
    public var target: JobTarget
    /// A clip job's outputs go to its gallery, or to the project's generation pool.
    public var destination: JobDestination
    public var generationType: GenerationType
    public var status: JobStatus
    /// Higher runs first; equal priorities run oldest first.
    public var priority: Int
    /// Times the job was sent to a server.
    public var attempts: Int
    public var maxRetries: Int
    /// Not claimable before this (back-off after a transient failure).
    public var availableAt: Timestamp
    public var leaseUntil: Timestamp?
    public var leaseOwner: String?
    /// The server it runs (or last ran) on.
    public var serverID: UUID?
    /// The server asked for in the request: preferred while it is online and has room.
    public var preferredServerID: UUID?
    public var model: String?
    public var prompt: String
    public var negativePrompt: String?
    /// The merged, validated parameters (JSON object text), seed resolved.
    public var params: String
    /// The upstream's id for this run (ComfyUI prompt id, RunPod job id).
    public var upstreamID: String?
    /// The sampler's step and step count, as ComfyUI last reported them.
    public var progressValue: Int?
    public var progressMax: Int?
    /// When the running attempt last showed a sign of progress (a websocket message).
    public var progressAt: Timestamp?
    public var error: String?
    /// Media ids of the outputs (JSON array text), set on success.
    public var resultMediaIDs: String?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    /// The job that ran this one again (`retry`); a batch counts only the latest.
    public var retriedBy: UUID?
    /// Image-to-video: the stored still (the clip's selected image when queued) that becomes the first frame.
    public var sourceMediaID: String?
    /// The user-supplied workflow it was queued with, and its graph and mapping as they were
    /// then (JSON `{"graph", "mapping"}` text); nil for the built-in graphs.
    public var workflowID: UUID?
    public var customWorkflow: String?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, clipID: UUID? = nil, characterID: UUID? = nil, batchID: UUID? = nil,
        target: JobTarget, destination: JobDestination = .gallery, generationType: GenerationType, status: JobStatus = .queued,
        priority: Int = 0, attempts: Int = 0, maxRetries: Int = 3,
        availableAt: Timestamp? = nil, leaseUntil: Timestamp? = nil, leaseOwner: String? = nil, serverID: UUID? = nil,
        preferredServerID: UUID? = nil,
        model: String? = nil, prompt: String, negativePrompt: String? = nil, params: String = "{}", upstreamID: String? = nil,
        progressValue: Int? = nil, progressMax: Int? = nil, progressAt: Timestamp? = nil, error: String? = nil,
        resultMediaIDs: String? = nil,
        startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil, retriedBy: UUID? = nil, sourceMediaID: String? = nil,
        workflowID: UUID? = nil, customWorkflow: String? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.clipID = clipID
        self.characterID = characterID
        self.batchID = batchID
        self.target = target
        self.destination = destination
        self.generationType = generationType
        self.status = status
        self.priority = priority
        self.attempts = attempts
        self.maxRetries = maxRetries
        self.availableAt = availableAt ?? meta.createdAt
        self.leaseUntil = leaseUntil
        self.leaseOwner = leaseOwner
        self.serverID = serverID
        self.preferredServerID = preferredServerID
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.params = params
        self.upstreamID = upstreamID
        self.progressValue = progressValue
        self.progressMax = progressMax
        self.progressAt = progressAt
        self.error = error
        self.resultMediaIDs = resultMediaIDs
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.retriedBy = retriedBy
        self.sourceMediaID = sourceMediaID
        self.workflowID = workflowID
        self.customWorkflow = customWorkflow
    }
}

public enum BatchStatus: String, Sendable, CaseIterable {
    case queued, running, completed
    case completedWithErrors = "completed_with_errors"
    case cancelled

    public var isFinished: Bool { self == .completed || self == .completedWithErrors || self == .cancelled }
}

/// A project's clips generated together: one job per clip. The counters are recomputed from
/// the jobs (the latest of each retry chain) whenever one of them finishes.
public struct GenerationBatch: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var generationType: GenerationType
    public var status: BatchStatus
    public var total: Int
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
    /// The request's parameters (JSON object text).
    public var params: String
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, generationType: GenerationType, status: BatchStatus = .queued,
        total: Int = 0,
        completed: Int = 0, failed: Int = 0, cancelled: Int = 0, params: String = "{}", startedAt: Timestamp? = nil,
        finishedAt: Timestamp? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.generationType = generationType
        self.status = status
        self.total = total
        self.completed = completed
        self.failed = failed
        self.cancelled = cancelled
        self.params = params
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
