import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore

enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = try JSONCoding.encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// `If-Match: "3"` → 3. Absent → nil. `*` → nil (any version). Anything else can never
    /// match a version of ours, so it fails as a stale precondition would.
    func expectedVersion() throws -> Int? {
        guard let header = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), !header.isEmpty, header != "*" else { return nil }
        var text = Substring(header)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        guard let version = Int(text), version >= 1 else {
            throw AppError(.preconditionFailed, "If-Match must be an ETag this server sent, such as \"3\"")
        }
        return version
    }

    func query(_ name: String) -> String? { uri.queryParameters.get(name) }

    /// `?limit=` within 1...500 (default 50).
    func pageLimit() throws -> Int {
        guard let text = query("limit") else { return Limits.defaultPageSize }
        guard let value = Int(text), Limits.listPageSize.contains(value) else {
            throw AppError.invalidParameter("limit", "must be a whole number from 1 to 500")
        }
        return value
    }

    func flag(_ name: String) throws -> Bool {
        guard let text = query(name) else { return false }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw AppError.invalidParameter(name, "must be true or false")
        }
    }
}

extension AppRequestContext {
    /// A path id that must be a UUID; anything else is 400, not 404 or 500.
    func uuidParameter(_ name: String = "id") throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(parsing: text) else {
            throw AppError.invalidParameter(name, "must be a UUID")
        }
        return id
    }
}

func etag(_ version: Int) -> String { "\"\(version)\"" }
