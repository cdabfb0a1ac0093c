import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StoryboardCore

/// A failed call to a generation server, sorted by what the dispatcher should do about it.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Worth another try, perhaps elsewhere: refused or dropped connections, timeouts, 5xx.
        case transient
        /// Will fail the same way again: the server refused the workflow (`node_errors`, 4xx).
        case permanent
    }

    public var kind: Kind
    public var message: String
    /// The upstream's own details (ComfyUI's `node_errors`), when it sent any.
    public var details: JSONValue?

    public init(_ kind: Kind, _ message: String, details: JSONValue? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
    }

    public var description: String { message }

    /// The envelope error for a request that called the upstream directly (`check`).
    public var appError: AppError {
        AppError(.externalServiceError, "The generation server did not answer as expected: \(message)")
    }
}

/// The HTTP client every upstream call goes through: redirects are not followed (a key must
/// not travel to another host), and every call has a deadline.
public final class UpstreamHTTP: Sendable {
    let client: HTTPClient
    /// JSON answers larger than this are refused (`/object_info` of a big install is a few MB).
    let maxJSONBytes: Int

    /// One client for the whole process, like AsyncHTTPClient's own `shared`, but without
    /// redirects. It lives as long as the process, so nothing has to shut it down.
    public static let shared = UpstreamHTTP()

    init(connectTimeout: Double = 5, maxJSONBytes: Int = 64 << 20) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeout * 1000)))
        configuration.decompression = .enabled(limit: .ratio(50))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.maxJSONBytes = maxJSONBytes
    }

    /// Sends a request and returns the response with its body still to be read.
    func send(
        _ method: HTTPMethod, _ url: String, json: JSONValue? = nil, raw: (bytes: ByteBuffer, contentType: String)? = nil,
        bearer: Secret? = nil, timeout: Double
    ) async throws(UpstreamError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer.value)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json.utf8))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: raw.contentType)
            request.body = .bytes(raw.bytes)
        }
        do {
            return try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw UpstreamError(.transient, Self.describe(error, url: url))
        }
    }

    /// A JSON answer; non-2xx statuses become errors carrying the upstream's message.
    func json(
        _ method: HTTPMethod, _ url: String, body: JSONValue? = nil, raw: (bytes: ByteBuffer, contentType: String)? = nil,
        bearer: Secret? = nil, timeout: Double
    ) async throws(UpstreamError) -> JSONValue {
        let response = try await send(method, url, json: body, raw: raw, bearer: bearer, timeout: timeout)
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: maxJSONBytes)
        } catch {
            throw UpstreamError(.transient, "the answer from \(Self.redacted(url)) broke off: \(Self.describe(error, url: url))")
        }
        let value = JSONValue(bytes: bytes.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let kind: UpstreamError.Kind =
                response.status.code >= 500 || response.status.code == 429 || response.status.code == 408 ? .transient : .permanent
            throw UpstreamError(
                kind, "\(Self.redacted(url)) answered \(response.status.code)\(Self.message(in: value).map { ": \($0)" } ?? "")",
                details: value)
        }
        guard let value else { throw UpstreamError(.transient, "\(Self.redacted(url)) answered with something that is not JSON") }
        return value
    }

    /// The readable part of an upstream error body.
    static func message(in value: JSONValue?) -> String? {
        guard let value else { return nil }
        if let text = value["error"]?["message"]?.stringValue { return text }
        if let text = value["error"]?.stringValue { return text }
        if let text = value["message"]?.stringValue { return text }
        return nil
    }

    /// Without query strings (they may carry tokens).
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    static func describe(_ error: any Error, url: String) -> String {
        let target = redacted(url)
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "\(target) did not answer in time"
            case .remoteConnectionClosed: return "\(target) closed the connection"
            default: return "\(target): \(error)"
            }
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("ECONNREFUSED") { return "\(target) refused the connection" }
        return "\(target): \(text)"
    }
}
