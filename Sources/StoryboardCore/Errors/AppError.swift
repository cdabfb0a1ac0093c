/// Every error code of the HTTP contract (docs/api.md), with the status it is sent with.
///
/// The raw value is what clients see in `error.code`; the set is closed on purpose:
/// a new code is a change to the contract and belongs in docs/api.md first.
public enum ErrorCode: String, Sendable, CaseIterable, Codable {
    case validationError = "VALIDATION_ERROR"
    case invalidParameter = "INVALID_PARAMETER"
    case unauthorized = "UNAUTHORIZED"
    case forbidden = "FORBIDDEN"
    case resourceNotFound = "RESOURCE_NOT_FOUND"
    case projectNotFound = "PROJECT_NOT_FOUND"
    case sceneNotFound = "SCENE_NOT_FOUND"
    case clipNotFound = "CLIP_NOT_FOUND"
    case characterNotFound = "CHARACTER_NOT_FOUND"
    case styleTemplateNotFound = "STYLE_TEMPLATE_NOT_FOUND"
    case serverNotFound = "SERVER_NOT_FOUND"
    case jobNotFound = "JOB_NOT_FOUND"
    case batchNotFound = "BATCH_NOT_FOUND"
    case modelNotFound = "MODEL_NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case conflict = "CONFLICT"
    case duplicateResource = "DUPLICATE_RESOURCE"
    case preconditionFailed = "PRECONDITION_FAILED"
    case fileTooLarge = "FILE_TOO_LARGE"
    case rangeNotSatisfiable = "RANGE_NOT_SATISFIABLE"
    case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
    case invalidFileType = "INVALID_FILE_TYPE"
    case internalServerError = "INTERNAL_SERVER_ERROR"
    case databaseError = "DATABASE_ERROR"
    case externalServiceError = "EXTERNAL_SERVICE_ERROR"
    case generationError = "GENERATION_ERROR"
    case serviceUnavailable = "SERVICE_UNAVAILABLE"
    case databaseUnavailable = "DATABASE_UNAVAILABLE"
    case insufficientStorage = "INSUFFICIENT_STORAGE"

    /// The HTTP status code this error is sent with.
    public var status: Int {
        switch self {
        case .validationError, .invalidParameter: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .resourceNotFound, .projectNotFound, .sceneNotFound, .clipNotFound, .characterNotFound,
            .styleTemplateNotFound, .serverNotFound, .jobNotFound, .batchNotFound, .modelNotFound:
            404
        case .methodNotAllowed: 405
        case .conflict, .duplicateResource: 409
        case .preconditionFailed: 412
        case .fileTooLarge: 413
        case .rangeNotSatisfiable: 416
        case .unsupportedMediaType: 415
        case .invalidFileType: 422
        case .internalServerError, .databaseError, .externalServiceError, .generationError: 500
        case .serviceUnavailable, .databaseUnavailable: 503
        case .insufficientStorage: 507
        }
    }
}

/// The one error type that crosses layers. Repositories translate driver errors into it,
/// services raise it for domain rules, and the API turns it into the JSON envelope.
public struct AppError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    /// Safe to show to a client: never SQL text, a stack or a secret.
    public var message: String
    public var details: JSONValue?
    /// Seconds a client should wait before retrying (sent as `Retry-After`).
    public var retryAfter: Int?
    /// A status other than the code's usual one, where the contract names both (a missing
    /// `ffmpeg` is 503 `EXTERNAL_SERVICE_ERROR`).
    public var statusOverride: Int?

    public init(_ code: ErrorCode, _ message: String, details: JSONValue? = nil, retryAfter: Int? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
        self.statusOverride = status
    }

    public var status: Int { statusOverride ?? code.status }
    public var description: String { "\(code.rawValue): \(message)" }
}

extension AppError {
    /// A resource that does not exist or is in the trash.
    public static func notFound(_ resource: ResourceKind, id: String) -> AppError {
        AppError(
            resource.notFoundCode,
            "\(resource.displayName) \(id) was not found",
            details: ["resource": .string(resource.rawValue), "id": .string(id)]
        )
    }

    /// A request body or parameter that failed validation; `fields` maps each bad field to why.
    public static func validation(_ fields: [String: String], message: String? = nil) -> AppError {
        let names = fields.keys.sorted()
        let text = message ?? "Invalid \(names.count == 1 ? "field" : "fields"): \(names.joined(separator: ", "))"
        return AppError(
            .validationError, text,
            details: ["fields": .object(fields.mapValues { .string($0) })]
        )
    }

    public static func invalidParameter(_ name: String, _ reason: String) -> AppError {
        AppError(.invalidParameter, "Invalid parameter \(name): \(reason)", details: ["parameter": .string(name)])
    }

    public static func databaseUnavailable(retryAfter: Int = 5) -> AppError {
        AppError(.databaseUnavailable, "The database is not reachable at the moment; try again shortly", retryAfter: retryAfter)
    }

    public static func internalError(_ message: String = "An internal error occurred") -> AppError {
        AppError(.internalServerError, message)
    }
}

/// What a row is, in words a client reads; also picks the specific not-found code.
public enum ResourceKind: String, Sendable, CaseIterable {
    case project, scene, clip, character
    case styleTemplate = "style_template"
    case server, job, batch, model, resource
    case galleryItem = "gallery_item"
    case clipVersion = "clip_version"
    case characterImage = "character_image"
    case poolItem = "pool_item"
    case workflow, media, deletion, render

    public var notFoundCode: ErrorCode {
        switch self {
        case .project: .projectNotFound
        case .scene: .sceneNotFound
        case .clip: .clipNotFound
        case .character: .characterNotFound
        case .styleTemplate: .styleTemplateNotFound
        case .server: .serverNotFound
        case .job: .jobNotFound
        case .batch: .batchNotFound
        case .model: .modelNotFound
        case .resource, .galleryItem, .clipVersion, .characterImage, .poolItem, .workflow, .media, .deletion, .render: .resourceNotFound
        }
    }

    public var displayName: String {
        switch self {
        case .styleTemplate: "Style template"
        case .galleryItem: "Gallery item"
        case .clipVersion: "Clip version"
        case .characterImage: "Character image"
        case .poolItem: "Pool item"
        case .deletion: "Trash entry"
        default: rawValue.prefix(1).uppercased() + rawValue.dropFirst()
        }
    }
}
