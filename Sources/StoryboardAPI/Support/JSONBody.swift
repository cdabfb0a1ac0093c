import Foundation
import Hummingbird
import StoryboardCore

/// A request body read as a JSON object, with typed field access that collects every problem
/// (unknown fields, wrong types) into one 400 with field details.
struct JSONBody {
    private let object: [String: JSONValue]
    private(set) var errors = FieldErrors()

    init(object: [String: JSONValue]) {
        self.object = object
    }

    /// Reads at most `limit` bytes (413 beyond) and insists on a JSON object.
    static func read(_ request: Request, limit: Int) async throws -> JSONBody {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw AppError(
                .fileTooLarge, "The request body is larger than \(limit) bytes", details: ["limit_bytes": .number(Double(limit))])
        }
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw AppError(
                .fileTooLarge, "The request body is larger than \(limit) bytes", details: ["limit_bytes": .number(Double(limit))])
        }
        let data = buffer.readData(length: buffer.readableBytes) ?? Data()
        if data.isEmpty { return JSONBody(object: [:]) }
        // A chunked body with no Content-Type got past the middleware's length check.
        guard request.headers[.contentType] != nil else {
            throw AppError(.unsupportedMediaType, "This route accepts only Content-Type: application/json")
        }
        guard let value = JSONValue(bytes: data) else {
            throw AppError(.validationError, "The request body is not valid JSON", details: ["fields": ["body": "is not valid JSON"]])
        }
        guard case .object(let object) = value else {
            throw AppError(
                .validationError, "The request body must be a JSON object", details: ["fields": ["body": "must be a JSON object"]])
        }
        return JSONBody(object: object)
    }

    /// Unknown fields are refused, each named, so a typo never silently does nothing.
    mutating func allowOnly(_ names: Set<String>) {
        for key in object.keys where !names.contains(key) {
            errors.add(key, "is not a known field")
        }
    }

    func has(_ name: String) -> Bool { object[name] != nil }

    mutating func addError(_ field: String, _ reason: String) { errors.add(field, reason) }

    /// A string field; nil when absent (or explicitly null when `nullable`).
    mutating func string(_ name: String, required: Bool = false, nullable: Bool = false) -> String? {
        switch object[name] {
        case nil:
            if required { errors.add(name, "is required") }
            return nil
        case .null?:
            if !nullable { errors.add(name, required ? "is required" : "must not be null") }
            return nil
        case .string(let value)?:
            return value
        default:
            errors.add(name, "must be a string")
            return nil
        }
    }

    /// For PATCH: absent → nil; null → .some(nil); a string → .some(value).
    mutating func optionalString(_ name: String) -> String?? {
        switch object[name] {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let value)?: return .some(value)
        default:
            errors.add(name, "must be a string or null")
            return nil
        }
    }

    /// A number field; nil when absent. `required` makes absence an error.
    mutating func double(_ name: String, required: Bool = false) -> Double? {
        switch object[name] {
        case nil:
            if required { errors.add(name, "is required") }
            return nil
        case .number(let value)?:
            return value
        default:
            errors.add(name, "must be a number")
            return nil
        }
    }

    mutating func int(_ name: String) -> Int? {
        switch object[name] {
        case nil: return nil
        case .number(let value)? where value.rounded() == value && abs(value) < 1e15:
            return Int(value)
        default:
            errors.add(name, "must be a whole number")
            return nil
        }
    }

    mutating func bool(_ name: String) -> Bool? {
        switch object[name] {
        case nil: return nil
        case .bool(let value)?: return value
        default:
            errors.add(name, "must be true or false")
            return nil
        }
    }

    /// A UUID given as a string; anything else is a field error, never a 404 or 500.
    mutating func uuid(_ name: String, required: Bool = false) -> UUID? {
        guard let text = string(name, required: required) else { return nil }
        guard let id = UUID(parsing: text) else {
            errors.add(name, "must be a UUID")
            return nil
        }
        return id
    }

    /// For PATCH: absent → nil; null → .some(nil); a UUID → .some(id).
    mutating func optionalUUID(_ name: String) -> UUID?? {
        guard let value = optionalString(name) else { return nil }
        guard let text = value else { return .some(nil) }
        guard let id = UUID(parsing: text) else {
            errors.add(name, "must be a UUID or null")
            return nil
        }
        return .some(id)
    }

    mutating func uuidList(_ name: String, required: Bool = false) -> [UUID]? {
        guard let strings = stringList(name, required: required) else { return nil }
        var ids: [UUID] = []
        for text in strings {
            guard let id = UUID(parsing: text) else {
                errors.add(name, "must be a list of UUIDs")
                return nil
            }
            ids.append(id)
        }
        return ids
    }

    mutating func stringList(_ name: String, required: Bool = false) -> [String]? {
        switch object[name] {
        case nil:
            if required { errors.add(name, "is required") }
            return nil
        case .array(let values)?:
            var strings: [String] = []
            for value in values {
                guard case .string(let text) = value else {
                    errors.add(name, "must be a list of strings")
                    return nil
                }
                strings.append(text)
            }
            return strings
        default:
            errors.add(name, "must be a list")
            return nil
        }
    }

    /// Any JSON value (absent → nil).
    func value(_ name: String) -> JSONValue? { object[name] }

    func throwIfInvalid() throws { try errors.throwIfAny() }
}

extension JSONBody {
    /// The `{"clip_id": …}` body of the routes that apply something to a clip.
    static func clipID(_ request: Request, limit: Int) async throws -> UUID {
        var body = try await JSONBody.read(request, limit: limit)
        body.allowOnly(["clip_id"])
        let clipID = body.uuid("clip_id", required: true)
        try body.throwIfInvalid()
        guard let clipID else { throw AppError.validation(["clip_id": "is required"]) }
        return clipID
    }
}
