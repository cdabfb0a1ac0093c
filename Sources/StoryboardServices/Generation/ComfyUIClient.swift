import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StoryboardCore

/// One file a finished prompt produced, as `/history` lists it.
public struct UpstreamOutput: Sendable, Hashable {
    public var filename: String
    public var subfolder: String
    public var type: String
    /// Reported under `gifs` or `videos`, or an animated image: a video in the gallery.
    public var isVideo: Bool

    public init(filename: String, subfolder: String = "", type: String = "output", isVideo: Bool = false) {
        self.filename = filename
        self.subfolder = subfolder
        self.type = type
        self.isVideo = isVideo
    }
}

/// What `/history/{prompt_id}` says about a prompt.
public enum PromptState: Sendable, Equatable {
    /// Not in the history yet: waiting or running.
    case pending
    case succeeded([UpstreamOutput])
    case failed(String)
}

/// What a check learns about a server.
public struct ServerCheck: Sendable, Equatable {
    public var latencyMs: Double
    public var queueRunning: Int
    public var queuePending: Int
    public var devices: JSONValue?
    public var system: JSONValue?
    public var capabilities: ServerCapabilities?
}

/// The calls Storyboard makes to a self-hosted ComfyUI (docs/upstreams.md).
public struct ComfyUIClient: Sendable {
    let http: UpstreamHTTP
    let base: String
    let apiKey: Secret?
    /// Seconds for one call (downloads get longer).
    let timeout: Double

    public init(http: UpstreamHTTP, server: GenerationServer, timeout: Double = 30) {
        self.http = http
        self.base = server.url
        self.apiKey = server.apiKey
        self.timeout = timeout
    }

    /// `/system_stats`, `/queue` and `/object_info`: is it up, how busy, what can it run.
    public func check() async throws(UpstreamError) -> ServerCheck {
        let start = ContinuousClock.now
        let stats = try await http.json(.GET, "\(base)/system_stats", bearer: apiKey, timeout: timeout)
        let latency = (ContinuousClock.now - start).milliseconds
        guard stats["system"] != nil || stats["devices"] != nil else {
            throw UpstreamError(.transient, "\(base)/system_stats did not answer like ComfyUI")
        }
        let queue = try await self.queue()
        let info = try await http.json(.GET, "\(base)/object_info", bearer: apiKey, timeout: timeout * 2)
        return ServerCheck(
            latencyMs: latency, queueRunning: queue.running.count, queuePending: queue.pending.count, devices: stats["devices"],
            system: stats["system"],
            capabilities: Self.capabilities(objectInfo: info)
        )
    }

    /// Prompt ids running and waiting.
    public func queue() async throws(UpstreamError) -> (running: [String], pending: [String]) {
        let value = try await http.json(.GET, "\(base)/queue", bearer: apiKey, timeout: timeout)
        // Each entry is [number, prompt_id, prompt, extra, outputs].
        func ids(_ key: String) -> [String] { value[key]?.arrayValue?.compactMap { $0.arrayValue?.dropFirst().first?.stringValue } ?? [] }
        return (ids("queue_running"), ids("queue_pending"))
    }

    /// Puts an image into the server's input folder (`POST /upload/image`, multipart, as
    /// ComfyUI's own front end does); returns the name a `LoadImage` node refers to.
    public func uploadImage(_ data: Data, name: String) async throws(UpstreamError) -> String {
        let boundary = "storyboard-\(UUID().uuidString)"
        var body = ByteBuffer()
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        body.writeBytes(data)
        for (field, value) in [("type", "input"), ("overwrite", "true")] {
            body.writeString("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)")
        }
        body.writeString("\r\n--\(boundary)--\r\n")
        let answer = try await http.json(
            .POST, "\(base)/upload/image", raw: (body, "multipart/form-data; boundary=\(boundary)"), bearer: apiKey, timeout: timeout)
        guard let stored = answer["name"]?.stringValue, !stored.isEmpty else {
            throw UpstreamError(.transient, "\(base)/upload/image answered without a name")
        }
        let subfolder = answer["subfolder"]?.stringValue ?? ""
        return subfolder.isEmpty ? stored : "\(subfolder)/\(stored)"
    }

    /// Queues `graph`; returns its prompt id. A graph the server refuses (`node_errors`) is a
    /// permanent failure carrying the server's explanation.
    public func submit(_ graph: JSONValue, clientID: String) async throws(UpstreamError) -> String {
        let body: JSONValue = ["prompt": graph, "client_id": .string(clientID)]
        let answer: JSONValue
        do {
            answer = try await http.json(.POST, "\(base)/prompt", body: body, bearer: apiKey, timeout: timeout)
        } catch {
            if error.kind == .permanent, let nodeErrors = error.details?["node_errors"] {
                throw UpstreamError(
                    .permanent, "the server refused the workflow: \(Self.describe(nodeErrors: nodeErrors, fallback: error.message))",
                    details: nodeErrors)
            }
            throw error
        }
        if let nodeErrors = answer["node_errors"]?.objectValue, !nodeErrors.isEmpty {
            throw UpstreamError(
                .permanent, "the server refused the workflow: \(Self.describe(nodeErrors: .object(nodeErrors), fallback: ""))",
                details: .object(nodeErrors))
        }
        guard let id = answer["prompt_id"]?.stringValue, !id.isEmpty else {
            throw UpstreamError(.transient, "\(base)/prompt answered without a prompt_id")
        }
        return id
    }

    public func state(of promptID: String) async throws(UpstreamError) -> PromptState {
        let value = try await http.json(.GET, "\(base)/history/\(Self.pathComponent(promptID))", bearer: apiKey, timeout: timeout)
        guard let entry = value[promptID] else { return .pending }
        let status = entry["status"]
        if status?["status_str"]?.stringValue == "error" {
            return .failed(Self.executionError(in: status) ?? "the server reported an error while running the workflow")
        }
        if status?["completed"] == .bool(false) { return .pending }
        return .succeeded(Self.outputs(in: entry["outputs"]))
    }

    /// Streams one output file's bytes.
    public func download(_ output: UpstreamOutput, timeout: Double) async throws(UpstreamError) -> HTTPClientResponse {
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "filename", value: output.filename), URLQueryItem(name: "subfolder", value: output.subfolder),
            URLQueryItem(name: "type", value: output.type),
        ]
        let url = "\(base)/view\(components.percentEncodedQuery.map { "?\($0)" } ?? "")"
        let response = try await http.send(.GET, url, bearer: apiKey, timeout: timeout)
        guard response.status == .ok else {
            throw UpstreamError(
                response.status.code >= 500 || response.status.code == 404 ? .transient : .permanent,
                "\(base)/view answered \(response.status.code) for \(output.filename)")
        }
        return response
    }

    /// Stops `promptID`: taken out of the queue if it waits, interrupted if it runs.
    public func cancel(_ promptID: String) async throws(UpstreamError) {
        let queue = try await self.queue()
        if queue.pending.contains(promptID) {
            _ = try await http.json(.POST, "\(base)/queue", body: ["delete": [.string(promptID)]], bearer: apiKey, timeout: timeout)
        } else if queue.running.contains(promptID) {
            // Newer servers interrupt only the named prompt; older ones ignore the body, and the
            // check above makes sure ours is the one running.
            _ = try await http.send(.POST, "\(base)/interrupt", json: ["prompt_id": .string(promptID)], bearer: apiKey, timeout: timeout)
        }
    }

    // MARK: - Reading ComfyUI's shapes

    /// Node classes, checkpoints and LoRAs from `/object_info` (a combo input is `[[choices…], {…}]`).
    static func capabilities(objectInfo: JSONValue) -> ServerCapabilities {
        let nodes = objectInfo.objectValue ?? [:]
        func choices(_ node: String, _ input: String) -> [String] {
            nodes[node]?["input"]?["required"]?[input]?.arrayValue?.first?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return ServerCapabilities(
            nodeTypes: Set(nodes.keys), checkpoints: choices("CheckpointLoaderSimple", "ckpt_name"),
            loras: choices("LoraLoader", "lora_name")
        )
    }

    /// Every output in a stable order: by node id, then images, gifs, videos, then position.
    static func outputs(in value: JSONValue?) -> [UpstreamOutput] {
        let nodes = (value?.objectValue ?? [:]).sorted { lhs, rhs in
            switch (Int(lhs.key), Int(rhs.key)) {
            case (let left?, let right?): left < right
            default: lhs.key < rhs.key
            }
        }
        var result: [UpstreamOutput] = []
        for (_, node) in nodes {
            let animated = node["animated"]?.arrayValue?.contains(.bool(true)) == true
            for key in ["images", "gifs", "videos"] {
                for file in node[key]?.arrayValue ?? [] {
                    guard let name = file["filename"]?.stringValue else { continue }
                    // Temporary previews are not results.
                    let type = file["type"]?.stringValue ?? "output"
                    if type == "temp" { continue }
                    result.append(
                        UpstreamOutput(
                            filename: name, subfolder: file["subfolder"]?.stringValue ?? "", type: type,
                            isVideo: key != "images" || animated)
                    )
                }
            }
        }
        return result
    }

    /// The `execution_error` message of a failed prompt's status messages (`[[name, data], …]`).
    static func executionError(in status: JSONValue?) -> String? {
        for message in status?["messages"]?.arrayValue ?? [] {
            guard let pair = message.arrayValue, pair.first?.stringValue == "execution_error", pair.count > 1 else { continue }
            return describeExecutionError(pair[1])
        }
        return nil
    }

    /// "node type: exception message" of an `execution_error` (in `/history` or on `/ws`).
    static func describeExecutionError(_ data: JSONValue?) -> String {
        let text = (data?["exception_message"]?.stringValue ?? "execution error").trimmingCharacters(in: .whitespacesAndNewlines)
        if let type = data?["node_type"]?.stringValue { return "\(type): \(text)" }
        return text
    }

    static func describe(nodeErrors: JSONValue, fallback: String) -> String {
        var parts: [String] = []
        for (id, node) in (nodeErrors.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let type = node["class_type"]?.stringValue ?? "node"
            for error in node["errors"]?.arrayValue ?? [] {
                let message = error["message"]?.stringValue ?? "error"
                let details = error["details"]?.stringValue.map { " (\($0))" } ?? ""
                parts.append("node \(id) \(type): \(message)\(details)")
            }
        }
        return parts.isEmpty ? fallback : parts.joined(separator: "; ")
    }

    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? text
    }
}
