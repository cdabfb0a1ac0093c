import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore

/// The contract's error body: `{"error": {"code", "message", "details", "request_id"}}`.
struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        var code: String
        var message: String
        var details: JSONValue?
        var requestID: String

        enum CodingKeys: String, CodingKey {
            case code, message, details
            case requestID = "request_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try container.encodeIfPresent(details, forKey: .details)
            try container.encode(requestID, forKey: .requestID)
        }
    }

    var error: Body
}

extension AppError {
    func response(requestID: String, extraHeaders: HTTPFields = [:]) -> Response {
        let envelope = ErrorEnvelope(error: .init(code: code.rawValue, message: message, details: details, requestID: requestID))
        var headers = extraHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        let data = (try? JSONCoding.encoder.encode(envelope)) ?? Data(#"{"error":{"code":"INTERNAL_SERVER_ERROR","message":"error"}}"#.utf8)
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
