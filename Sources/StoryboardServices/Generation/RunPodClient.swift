import Foundation
import StoryboardCore

/// What RunPod's `/status` says about a job.
public enum RunPodState: Sendable, Equatable {
    case pending
    /// Outputs decoded from base64 (or to fetch from a URL).
    case succeeded([RunPodOutput])
    case failed(String)
}

public enum RunPodOutput: Sendable, Equatable {
    case bytes(name: String, data: Data)
    case url(name: String, url: String)
}

/// A RunPod serverless endpoint running worker-comfyui (docs/upstreams.md): `/run`, `/status`,
/// `/cancel`, `/health` under `{base}/v2/{endpoint_id}`, with the key as a bearer token.
public struct RunPodClient: Sendable {
    let http: UpstreamHTTP
    let endpoint: String
    let apiKey: Secret?
    let timeout: Double

    public init(http: UpstreamHTTP, server: GenerationServer, timeout: Double = 30) {
        self.http = http
        self.endpoint = "\(server.url)/v2/\(ComfyUIClient.pathComponent(server.endpointID ?? ""))"
        self.apiKey = server.apiKey
        self.timeout = timeout
    }

    public func check() async throws(UpstreamError) -> ServerCheck {
        let start = ContinuousClock.now
        let health = try await http.json(.GET, "\(endpoint)/health", bearer: apiKey, timeout: timeout)
        guard let jobs = health["jobs"], let workers = health["workers"] else {
            throw UpstreamError(.transient, "\(endpoint)/health did not answer like RunPod")
        }
        func count(_ value: JSONValue?, _ key: String) -> Int { Int(value?[key]?.doubleValue ?? 0) }
        return ServerCheck(
            latencyMs: (ContinuousClock.now - start).milliseconds, queueRunning: count(jobs, "inProgress"),
            queuePending: count(jobs, "inQueue"),
            devices: workers, system: nil, capabilities: nil
        )
    }

    /// Starts `graph`; `images` go along as worker-comfyui's `input.images`, where a
    /// `LoadImage` node finds them by name.
    public func run(_ graph: JSONValue, images: [(name: String, data: Data)] = []) async throws(UpstreamError) -> String {
        var input: [String: JSONValue] = ["workflow": graph]
        if !images.isEmpty {
            input["images"] = .array(images.map { ["name": .string($0.name), "image": .string($0.data.base64EncodedString())] })
        }
        let answer = try await http.json(.POST, "\(endpoint)/run", body: ["input": .object(input)], bearer: apiKey, timeout: timeout)
        guard let id = answer["id"]?.stringValue, !id.isEmpty else {
            throw UpstreamError(.transient, "\(endpoint)/run answered without an id")
        }
        return id
    }

    public func state(of jobID: String) async throws(UpstreamError) -> RunPodState {
        let value = try await http.json(.GET, "\(endpoint)/status/\(ComfyUIClient.pathComponent(jobID))", bearer: apiKey, timeout: timeout)
        switch value["status"]?.stringValue ?? "" {
        case "IN_QUEUE", "IN_PROGRESS": return .pending
        case "COMPLETED":
            if let errors = value["output"]?["errors"]?.arrayValue, !errors.isEmpty {
                return .failed(errors.compactMap(\.stringValue).joined(separator: "; "))
            }
            var outputs: [RunPodOutput] = []
            for (index, image) in (value["output"]?["images"]?.arrayValue ?? []).enumerated() {
                let name = image["filename"]?.stringValue ?? "output-\(index)"
                guard let data = image["data"]?.stringValue else { continue }
                if image["type"]?.stringValue == "s3_url" {
                    outputs.append(.url(name: name, url: data))
                } else if let bytes = Data(base64Encoded: data, options: .ignoreUnknownCharacters) {
                    outputs.append(.bytes(name: name, data: bytes))
                } else {
                    return .failed("output \(name) is not valid base64")
                }
            }
            return .succeeded(outputs)
        case "FAILED": return .failed(value["error"]?.stringValue ?? "the RunPod job failed")
        case "CANCELLED": return .failed("the RunPod job was cancelled")
        case "TIMED_OUT": return .failed("the RunPod job timed out")
        case let other: throw UpstreamError(.transient, "\(endpoint)/status answered an unknown status \(other)")
        }
    }

    public func cancel(_ jobID: String) async throws(UpstreamError) {
        _ = try await http.json(.POST, "\(endpoint)/cancel/\(ComfyUIClient.pathComponent(jobID))", bearer: apiKey, timeout: timeout)
    }
}
