import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import StoryboardCore

/// One message of ComfyUI's `/ws` (docs/upstreams.md), as far as following a prompt needs it.
enum ComfyUIMessage: Sendable, Equatable {
    /// Queue state, broadcast to every client whenever the queue changes.
    case status
    case started(promptID: String?)
    case cached(promptID: String?)
    /// A node begins; `node` nil means the prompt is done.
    case executing(node: String?, promptID: String?)
    case progress(value: Int, max: Int, node: String?, promptID: String?)
    /// An output node is done; `output` lists its files as `/history` will.
    case executed(node: String?, output: JSONValue?, promptID: String?)
    case succeeded(promptID: String?)
    case failed(message: String, promptID: String?)
    case interrupted(promptID: String?)
    /// A picture of the sampler's current state. Older servers send no prompt id with it.
    case preview(contentType: String, bytes: Data, promptID: String?)
    /// Anything else (newer servers add types); ignored.
    case other

    var promptID: String? {
        switch self {
        case .started(let id), .cached(let id), .executing(_, let id), .progress(_, _, _, let id), .executed(_, _, let id),
            .succeeded(let id),
            .failed(_, let id), .interrupted(let id), .preview(_, _, let id):
            id
        case .status, .other: nil
        }
    }

    /// A JSON text frame `{"type", "data"}`; nil when it is not one.
    static func parse(text: String) -> ComfyUIMessage? {
        guard let value = JSONValue(text: text), let type = value["type"]?.stringValue else { return nil }
        let data = value["data"]
        let promptID = data?["prompt_id"]?.stringValue
        let node = data?["node"]?.stringValue
        switch type {
        case "status": return .status
        case "execution_start": return .started(promptID: promptID)
        case "execution_cached": return .cached(promptID: promptID)
        case "executing": return .executing(node: node, promptID: promptID)
        case "progress":
            guard let current = data?["value"]?.doubleValue, let total = data?["max"]?.doubleValue, total >= 1, current >= 0,
                current <= 1e9, total <= 1e9
            else { return .other }
            return .progress(value: Int(current), max: Int(total), node: node, promptID: promptID)
        case "executed": return .executed(node: node, output: data?["output"], promptID: promptID)
        case "execution_success": return .succeeded(promptID: promptID)
        case "execution_error": return .failed(message: ComfyUIClient.describeExecutionError(data), promptID: promptID)
        case "execution_interrupted": return .interrupted(promptID: promptID)
        default: return .other
        }
    }

    /// Binary event types of ComfyUI's `/ws` (server.py `BinaryEventTypes`).
    static let previewImage: UInt32 = 1
    static let previewImageWithMetadata: UInt32 = 4

    /// A binary frame: a 4-byte big-endian event type, then for a preview a 4-byte image
    /// format and the image (type 1), or a 4-byte metadata length, JSON metadata carrying
    /// the prompt id, and the image (type 4, newer servers). The type is taken from the bytes
    /// themselves, never from the frame's claim: only PNG, JPEG and WebP are kept.
    static func parse(binary: ByteBuffer) -> ComfyUIMessage? {
        var buffer = binary
        guard let event = buffer.readInteger(endianness: .big, as: UInt32.self) else { return nil }
        var promptID: String?
        switch event {
        case previewImage:
            guard buffer.readInteger(endianness: .big, as: UInt32.self) != nil else { return nil }
        case previewImageWithMetadata:
            guard let length = buffer.readInteger(endianness: .big, as: UInt32.self), length <= buffer.readableBytes,
                let metadata = buffer.readBytes(length: Int(length))
            else { return nil }
            promptID = JSONValue(text: String(decoding: metadata, as: UTF8.self))?["prompt_id"]?.stringValue
        default:
            return .other
        }
        let bytes = Data(buffer.readableBytesView)
        guard let contentType = imageType(of: bytes) else { return nil }
        return .preview(contentType: contentType, bytes: bytes, promptID: promptID)
    }

    /// The image type the bytes say they are.
    static func imageType(of bytes: Data) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), bytes.dropFirst(8).starts(with: Array("WEBP".utf8)) {
            return "image/webp"
        }
        return nil
    }
}

/// ComfyUI's `/ws?clientId=`: one connection of a `ComfyUISocketHub`. The server sends a
/// prompt's execution messages only to the client id that queued it.
struct ComfyUISocket: Sendable {
    let url: String
    let apiKey: Secret?
    let logger: Logger

    /// A preview larger than this closes the socket (its jobs then go on by polling).
    static let maxMessageBytes = 8 << 20

    /// nil when `base` is not an http(s) URL (servers are validated on registration).
    init?(base: String, clientID: String, apiKey: Secret?, logger: Logger) {
        guard var components = URLComponents(string: base), let scheme = components.scheme?.lowercased(), components.host != nil else {
            return nil
        }
        switch scheme {
        case "http": components.scheme = "ws"
        case "https": components.scheme = "wss"
        default: return nil
        }
        // A server behind a path prefix has its socket under that prefix too.
        let prefix = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = prefix + "/ws"
        components.queryItems = [URLQueryItem(name: "clientId", value: clientID)]
        components.fragment = nil
        guard let url = components.string else { return nil }
        self.url = url
        self.apiKey = apiKey
        self.logger = logger
    }

    /// Connects, calls `opened`, and hands every message to `deliver` until the server closes
    /// the socket, the connection fails (thrown), or `stop` returns. Then it sends a close
    /// frame and reads on until the server's answer, for a second at most, rather than being
    /// cancelled: a cancelled client shuts its read side at once and then waits for a close
    /// answer it can no longer read (docs/decisions.md).
    func run(
        opened: @escaping @Sendable () -> Void, deliver: @escaping @Sendable (ComfyUIMessage) -> Void,
        until stop: @escaping @Sendable () async -> Void
    ) async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: Self.maxMessageBytes, closeTimeout: .seconds(1))
        if let apiKey, let name = HTTPField.Name("Authorization") { configuration.additionalHeaders[name] = "Bearer \(apiKey.value)" }
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            opened()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                        let parsed: ComfyUIMessage? =
                            switch message {
                            case .text(let text): ComfyUIMessage.parse(text: text)
                            case .binary(let buffer): ComfyUIMessage.parse(binary: buffer)
                            }
                        if let parsed { deliver(parsed) }
                    }
                }
                group.addTask {
                    await stop()
                    try? await outbound.close(.normalClosure, reason: nil)
                    // A server that never answers the close is not waited for long.
                    try await Task.sleep(for: .seconds(1))
                }
                // Whichever ends first: the server closed, or the close was answered or timed out.
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }
}
