import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoryboardCore
import Synchronization

/// A RunPod serverless endpoint running worker-comfyui, on loopback, with the shapes of
/// docs/upstreams.md: `/v2/{endpoint_id}/run`, `/runsync`, `/status/{id}`, `/cancel/{id}` and
/// `/health`, a bearer key, jobs going IN_QUEUE → IN_PROGRESS → COMPLETED with base64 PNGs
/// (one per SaveImage node). It can fail jobs, hang them, answer 500 or drop connections.
public final class RunPodStandIn: Sendable {
    public enum Fault: Sendable, Equatable {
        case none
        /// Jobs end FAILED with worker-comfyui's error text.
        case failJobs
        /// Jobs end COMPLETED with `output.errors` (a node failed inside the workflow).
        case outputErrors
        /// Jobs stay IN_PROGRESS until cancelled.
        case hang
        /// Every route answers 500.
        case serverError
        /// Every route closes the connection mid-answer.
        case dropConnection
    }

    struct Job: Sendable {
        var id: String
        var workflow: JSONValue
        /// Names of `input.images`.
        var images: [String]
        var status: String
        var output: JSONValue?
        var error: String?
    }

    struct State: Sendable {
        var fault: Fault = .none
        var delay: Double
        var jobs: [String: Job] = [:]
        var order: [String] = []
        var cancels = 0
        var runs = 0
        var unauthorized = 0
    }

    public let endpointID: String
    public let apiKey: String
    private let state: Mutex<State>
    let boundPort = Mutex(0)

    public init(endpointID: String = "sb-endpoint", apiKey: String = "rp_test_key_0123456789", delay: Double = 0) {
        self.endpointID = endpointID
        self.apiKey = apiKey
        state = Mutex(State(delay: delay))
    }

    public var port: Int { boundPort.withLock { $0 } }
    /// The base URL (production: https://api.runpod.ai).
    public var url: String { "http://127.0.0.1:\(port)" }
    public func setFault(_ fault: Fault) { state.withLock { $0.fault = fault } }
    public var cancels: Int { state.withLock { $0.cancels } }
    public var runs: Int { state.withLock { $0.runs } }
    public var unauthorizedCalls: Int { state.withLock { $0.unauthorized } }
    /// The workflows received by `/run`, oldest first.
    public var workflows: [JSONValue] { state.withLock { state in state.order.compactMap { state.jobs[$0]?.workflow } } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let base = "/v2/{endpoint}"
        func route(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
        ) {
            router.on(RouterPath(base + path), method: method) { request, context in
                switch self.state.withLock({ $0.fault }) {
                case .serverError: return ComfyUIStandIn.json(["error": "Internal Server Error"], status: .internalServerError)
                case .dropConnection: return ComfyUIStandIn.dropped()
                default: break
                }
                guard request.headers[.authorization] == "Bearer \(self.apiKey)" else {
                    self.state.withLock { $0.unauthorized += 1 }
                    return ComfyUIStandIn.json(["error": "Unauthorized"], status: .unauthorized)
                }
                guard context.parameters.get("endpoint") == self.endpointID else {
                    return ComfyUIStandIn.json(["error": "endpoint not found"], status: .notFound)
                }
                return try await handler(request, context)
            }
        }
        route(.post, "/run") { request, _ in
            guard let id = try await self.accept(request) else {
                return ComfyUIStandIn.json(["error": "input.workflow is required"], status: .badRequest)
            }
            return ComfyUIStandIn.json(["id": .string(id), "status": "IN_QUEUE"])
        }
        route(.post, "/runsync") { request, _ in
            guard let id = try await self.accept(request) else {
                return ComfyUIStandIn.json(["error": "input.workflow is required"], status: .badRequest)
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline,
                self.state.withLock({ $0.jobs[id]?.status }) == "IN_QUEUE" || self.state.withLock({ $0.jobs[id]?.status }) == "IN_PROGRESS"
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            return ComfyUIStandIn.json(self.status(of: id) ?? [:])
        }
        route(.get, "/status/{id}") { _, context in
            guard let answer = self.status(of: context.parameters.get("id") ?? "") else {
                return ComfyUIStandIn.json(["error": "job not found"], status: .notFound)
            }
            return ComfyUIStandIn.json(answer)
        }
        route(.post, "/cancel/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            let found = self.state.withLock { state -> Bool in
                guard var job = state.jobs[id] else { return false }
                state.cancels += 1
                if job.status == "IN_QUEUE" || job.status == "IN_PROGRESS" { job.status = "CANCELLED" }
                state.jobs[id] = job
                return true
            }
            guard found else { return ComfyUIStandIn.json(["error": "job not found"], status: .notFound) }
            return ComfyUIStandIn.json(["id": .string(id), "status": "CANCELLED"])
        }
        route(.get, "/health") { _, _ in
            let counts = self.state.withLock { state in
                state.jobs.values.reduce(into: [String: Int]()) { $0[$1.status, default: 0] += 1 }
            }
            func n(_ key: String) -> JSONValue { .number(Double(counts[key] ?? 0)) }
            return ComfyUIStandIn.json([
                "jobs": [
                    "completed": n("COMPLETED"), "failed": n("FAILED"), "inProgress": n("IN_PROGRESS"), "inQueue": n("IN_QUEUE"),
                    "retried": 0,
                ],
                "workers": ["idle": 1, "initializing": 0, "ready": 1, "running": n("IN_PROGRESS"), "throttled": 0],
            ])
        }
        return router
    }

    private func accept(_ request: Request) async throws -> String? {
        guard let body = try await ComfyUIStandIn.body(request), let workflow = body["input"]?["workflow"], case .object = workflow else {
            return nil
        }
        let id = "\(UUID().uuidString.lowercased())-u1"
        state.withLock { state in
            state.runs += 1
            let images = body["input"]?["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            state.jobs[id] = Job(id: id, workflow: workflow, images: images, status: "IN_QUEUE")
            state.order.append(id)
        }
        return id
    }

    private func status(of id: String) -> JSONValue? {
        state.withLock { state -> JSONValue? in
            guard let job = state.jobs[id] else { return nil }
            var answer: [String: JSONValue] = ["id": .string(job.id), "status": .string(job.status), "delayTime": 12, "executionTime": 340]
            if let output = job.output { answer["output"] = output }
            if let error = job.error { answer["error"] = .string(error) }
            return .object(answer)
        }
    }

    /// The endpoint's worker: runs queued jobs one at a time.
    func work() async {
        while !Task.isCancelled {
            let next = state.withLock { state -> (String, JSONValue, [String], Double)? in
                guard let id = state.order.first(where: { state.jobs[$0]?.status == "IN_QUEUE" }), var job = state.jobs[id] else {
                    return nil
                }
                job.status = "IN_PROGRESS"
                state.jobs[id] = job
                return (id, job.workflow, job.images, state.delay)
            }
            guard let (id, workflow, images, delay) = next else {
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
            while state.withLock({ $0.fault == .hang && $0.jobs[id]?.status == "IN_PROGRESS" }), !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
            }
            state.withLock { state in
                guard var job = state.jobs[id], job.status == "IN_PROGRESS" else { return }
                // worker-comfyui writes input.images to ComfyUI's input folder before running the graph.
                let loads = (workflow.objectValue ?? [:]).values.filter { $0["class_type"] == "LoadImage" }.compactMap {
                    $0["inputs"]?["image"]?.stringValue
                }
                if let missing = loads.first(where: { !images.contains($0) }) {
                    job.status = "FAILED"
                    job.error = "Workflow validation failed: LoadImage: Invalid image file: \(missing)"
                    state.jobs[id] = job
                    return
                }
                switch state.fault {
                case .failJobs:
                    job.status = "FAILED"
                    job.error = "Workflow validation failed: Prompt outputs failed validation"
                case .outputErrors:
                    job.status = "COMPLETED"
                    job.output = ["errors": ["Node 5 (KSampler) failed: CUDA out of memory"]]
                default:
                    job.status = "COMPLETED"
                    job.output = ["images": .array(Self.images(for: workflow, jobID: id))]
                }
                state.jobs[id] = job
            }
        }
    }

    /// One base64 PNG per SaveImage node, sized from the graph's empty latent.
    static func images(for workflow: JSONValue, jobID: String) -> [JSONValue] {
        let nodes = workflow.objectValue ?? [:]
        let latent = nodes.values.first { $0["class_type"] == "EmptyLatentImage" }
        let width = min(Int(latent?["inputs"]?["width"]?.doubleValue ?? 64), 256)
        let height = min(Int(latent?["inputs"]?["height"]?.doubleValue ?? 64), 256)
        let saves = nodes.keys.sorted().filter { nodes[$0]?["class_type"] == "SaveImage" || nodes[$0]?["class_type"] == "SaveAnimatedWEBP" }
        return saves.enumerated().map { index, node in
            let png = PNGEncoder.solid(
                width: max(width / 8, 8), height: max(height / 8, 8), rgb: (200, 40, UInt8(index * 60)), note: "\(jobID) \(node)")
            return [
                "filename": .string("ComfyUI_\(String(format: "%05d", index + 1))_.png"), "type": "base64",
                "data": .string(png.base64EncodedString()),
            ]
        }
    }
}

/// Runs a RunPod stand-in (and its worker) on loopback for the duration of `body`.
public func withRunPodStandIn<T: Sendable>(delay: Double = 0, _ body: @Sendable (RunPodStandIn) async throws -> T) async throws -> T {
    let standIn = RunPodStandIn(delay: delay)
    return try await withStandInServers([
        StandInServer(
            router: standIn.router(), worker: { await standIn.work() }, bound: { port in standIn.boundPort.withLock { $0 = port } })
    ]) {
        try await body(standIn)
    }
}
