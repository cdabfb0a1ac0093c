import Foundation
import StoryboardCore

/// `POST /api/clips/{id}/generate` as the client sent it: values of the right JSON type, not yet
/// checked against the domain. `checked()` gives the request the queue takes, or every problem
/// at once as a 400.
public struct GenerateInput: Sendable {
    public var generationType: String?
    public var serverID: UUID?
    public var model: String?
    public var params: JSONValue?
    public var count: Int?
    public var preset: String?
    public var replacePending: Bool?
    public var priority: Int?
    public var destination: String?
    public var workflowID: UUID?
    /// What the route already found wrong with the body's JSON types: answered in the same 400.
    public var bodyErrors = FieldErrors()

    public init() {}

    func checked() throws -> GenerateRequest {
        var errors = bodyErrors
        var request = GenerateRequest()
        request.generationType = JobLimits.generationType(generationType, &errors)
        request.serverID = serverID
        request.model = model
        request.params = GenerationParams(json: params, field: "params", errors: &errors)
        request.count = JobLimits.count(count, default: 1, &errors)
        request.preset = JobLimits.preset(preset, &errors)
        request.replacePending = replacePending ?? false
        request.destination = JobLimits.destination(destination, &errors)
        request.workflowID = workflowID
        if let priority = JobLimits.priority(priority, &errors) { request.priority = priority }
        try errors.throwIfAny()
        return request
    }
}

/// `POST /api/projects/{id}/batches` as the client sent it.
public struct BatchInput: Sendable {
    public var generationType: String?
    public var clipIDs: [UUID]?
    public var params: JSONValue?
    public var model: String?
    public var preset: String?
    public var destination: String?
    public var workflowID: UUID?
    /// What the route already found wrong with the body's JSON types: answered in the same 400.
    public var bodyErrors = FieldErrors()

    public init() {}

    func checked() throws -> BatchRequest {
        var errors = bodyErrors
        var request = BatchRequest()
        request.generationType = JobLimits.generationType(generationType, &errors)
        request.clipIDs = clipIDs
        request.params = GenerationParams(json: params, field: "params", errors: &errors)
        request.paramsJSON = params ?? [:]
        request.model = model
        if let model, !ModelFileName.isValid(model) { errors.add("model", "must be a model file name") }
        request.preset = JobLimits.preset(preset, &errors)
        request.destination = JobLimits.destination(destination, &errors)
        request.workflowID = workflowID
        try errors.throwIfAny()
        return request
    }
}

/// `POST /api/characters/{id}/samples` as the client sent it.
public struct SampleInput: Sendable {
    public var count: Int?
    public var prompt: String?
    public var serverID: UUID?
    public var model: String?
    /// What the route already found wrong with the body's JSON types: answered in the same 400.
    public var bodyErrors = FieldErrors()

    public init() {}

    func checked() throws -> SampleRequest {
        var errors = bodyErrors
        if let prompt, prompt.unicodeScalars.count > Limits.lyricsOrPrompt {
            errors.add("prompt", "must be at most \(Limits.lyricsOrPrompt) characters")
        }
        let request = SampleRequest(count: JobLimits.count(count, default: 4, &errors), prompt: prompt, serverID: serverID, model: model)
        try errors.throwIfAny()
        return request
    }
}

/// The ranges a job's request must keep.
enum JobLimits {
    /// A job's place in the queue: higher runs first.
    static let priorities = -100...100

    static func generationType(_ text: String?, _ errors: inout FieldErrors) -> GenerationType {
        guard let text else { return .image }
        guard let type = GenerationType(rawValue: text) else {
            errors.add("generation_type", "must be image or video")
            return .image
        }
        return type
    }

    static func preset(_ text: String?, _ errors: inout FieldErrors) -> Preset? {
        guard let text else { return nil }
        guard let preset = Preset(rawValue: text) else {
            errors.add("preset", "must be fast or quality")
            return nil
        }
        return preset
    }

    /// Where the outputs land: the clip's gallery unless told otherwise.
    static func destination(_ text: String?, _ errors: inout FieldErrors) -> JobDestination {
        guard let text else { return .gallery }
        guard let destination = JobDestination(rawValue: text) else {
            errors.add("destination", "must be gallery or pool")
            return .gallery
        }
        return destination
    }

    static func count(_ value: Int?, default fallback: Int, _ errors: inout FieldErrors) -> Int {
        guard let value else { return fallback }
        if !(1...GenerateRequest.maxCount).contains(value) { errors.add("count", "must be from 1 to \(GenerateRequest.maxCount)") }
        return value
    }

    static func priority(_ value: Int?, _ errors: inout FieldErrors) -> Int? {
        guard let value else { return nil }
        guard priorities.contains(value) else {
            errors.add("priority", "must be from \(priorities.lowerBound) to \(priorities.upperBound)")
            return nil
        }
        return value
    }
}

extension JobService {
    public func generate(clipID: UUID, _ input: GenerateInput) async throws -> [GenerationJob] {
        try await generate(clipID: clipID, try input.checked())
    }

    public func samples(characterID: UUID, _ input: SampleInput) async throws -> [GenerationJob] {
        try await samples(characterID: characterID, try input.checked())
    }

    /// `PATCH /api/jobs/{id}` with `priority` (required); `bodyErrors` are the route's findings
    /// about the body's JSON types, answered in the same 400.
    public func setPriority(
        id: UUID, priority: Int?, isPresent: Bool, bodyErrors: FieldErrors, expectedVersion: Int?
    ) async throws -> GenerationJob {
        var errors = bodyErrors
        if !isPresent { errors.add("priority", "is required") }
        guard let priority = JobLimits.priority(priority, &errors) else {
            try errors.throwIfAny()
            throw AppError.validation(["priority": "is required"])
        }
        try errors.throwIfAny()
        return try await setPriority(id: id, priority: priority, expectedVersion: expectedVersion)
    }
}

extension BatchService {
    public func create(projectID: UUID, _ input: BatchInput) async throws -> BatchReport {
        try await create(projectID: projectID, try input.checked())
    }
}
