import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import StoryboardCore
import StoryboardServices
import Synchronization

/// How a stand-in misbehaves.
public enum UpstreamFault: Sendable, Equatable {
    case none
    /// `POST /prompt` answers 400 with `node_errors`, as ComfyUI does for a bad workflow.
    case refuseWorkflow
    /// Prompts run and end with an `execution_error`.
    case executionError
    /// Every route answers 500.
    case serverError
    /// Every route closes the connection in the middle of its answer.
    case dropConnection
    /// Prompts are accepted and never finish (until interrupted).
    case hang
    /// `/view` answers 500.
    case failDownloads
}

/// How a stand-in's `/ws` behaves.
public enum WebSocketBehavior: Sendable, Equatable {
    /// ComfyUI's messages, in its order, to the client that queued the prompt.
    case normal
    /// The socket opens and nothing is ever sent on it.
    case silent
    /// The socket is closed halfway through the sampler's steps (the prompt goes on).
    case dropMidJob
    /// `/ws` does not upgrade, like a proxy that does not pass websockets.
    case refuse
}

/// The image format of the stand-in's preview frames (ComfyUI's codes: 1 JPEG, 2 PNG).
public enum PreviewFormat: UInt32, Sendable {
    case jpeg = 1
    case png = 2
}

/// A ComfyUI on loopback that answers every call of docs/upstreams.md's table with the real
/// shapes. It validates graphs against its own `/object_info` (node types, checkpoint and LoRA
/// lists) and "executes" them: save nodes produce real PNG files sized and coloured from the
/// graph's latent or image and seed, one prompt at a time, like ComfyUI's single worker.
public final class ComfyUIStandIn: Sendable {
    public struct Options: Sendable {
        public var checkpoints = [
            "sdxl_base_1.0.safetensors", "flux1-dev.safetensors", "sd15_dreamshaper.safetensors", "svd_xt_1_1.safetensors",
        ]
        public var loras = ["detail_tweaker.safetensors", "hero_character.safetensors"]
        /// Seconds each prompt takes.
        public var delay: Double = 0
        public var fault: UpstreamFault = .none
        /// How often the idle worker looks for queued prompts besides being woken by one
        /// (ComfyUI's worker waits on its queue's condition; this is only a safety net).
        public var workerTick: Double = 0.05
        public var webSocket: WebSocketBehavior = .normal
        public var previewFormat: PreviewFormat = .png

        public init() {}
    }

    struct Prompt: Sendable {
        var id: String
        var number: Int
        var graph: JSONValue
        var clientID: String
        var received = ContinuousClock.now
    }

    struct State: Sendable {
        var options: Options
        var pending: [Prompt] = []
        var running: Prompt?
        var interruptRequested = false
        var history: [String: JSONValue] = [:]
        var files: [String: Data] = [:]
        var nextNumber = 0
        var nextFile = 1
        var received = 0
        var completed = 0
        var interrupts = 0
        var removedFromQueue = 0
        var views = 0
        var inputs: [String: Data] = [:]
        /// Open `/ws` connections by client id, each with a token so that a replaced one
        /// does not unregister its successor.
        var sockets: [String: (token: UUID, outbox: AsyncStream<Outgoing>.Continuation)] = [:]
        var socketsOpened = 0
        var socketsDropped = 0
        var progressSent = 0
        var previewsSent = 0
        /// Time prompts spent here, from `/prompt` until their history was stored.
        var promptTime = Duration.zero
        /// `/object_info` for the models and inputs it was built from: every `/prompt` is
        /// validated against it, and building it each time was most of a submit's cost.
        var objectInfo: (key: [[String]], value: [String: JSONValue])?
    }

    /// What the worker sends on a client's socket.
    enum Outgoing: Sendable {
        case text(String)
        case binary([UInt8])
        /// Close the connection at once, mid-prompt.
        case drop
    }

    let state: Mutex<State>
    /// Rung when a prompt is queued, so the idle worker starts it at once.
    let queued = WakeSignal()
    let boundPort = Mutex(0)
    public let name: String

    public init(name: String = "comfyui", options: Options = Options()) {
        self.name = name
        state = Mutex(State(options: options))
    }

    public var port: Int { boundPort.withLock { $0 } }
    public var url: String { "http://127.0.0.1:\(port)" }

    public func setFault(_ fault: UpstreamFault) { state.withLock { $0.options.fault = fault } }
    public func setDelay(_ seconds: Double) { state.withLock { $0.options.delay = seconds } }
    public func setWebSocket(_ behavior: WebSocketBehavior) { state.withLock { $0.options.webSocket = behavior } }
    /// Closes every open `/ws` connection at once, as a server that restarts does.
    public func dropWebSockets() {
        state.withLock { state in
            for clientID in Array(state.sockets.keys) { Self.post(.drop, to: clientID, in: &state) }
        }
    }
    /// `/ws` connections accepted, and closed by the stand-in mid-prompt.
    public var webSocketsOpened: Int { state.withLock { $0.socketsOpened } }
    public var webSocketsDropped: Int { state.withLock { $0.socketsDropped } }
    /// `progress` messages and preview frames sent.
    public var progressSent: Int { state.withLock { $0.progressSent } }
    public var previewsSent: Int { state.withLock { $0.previewsSent } }
    /// Prompts accepted by `POST /prompt`.
    public var promptsReceived: Int { state.withLock { $0.received } }
    public var promptsCompleted: Int { state.withLock { $0.completed } }
    /// Seconds prompts spent in the stand-in, from `POST /prompt` until their history was
    /// stored (queue wait and run): what is not the client's own time.
    public var promptSeconds: Double { state.withLock { $0.promptTime.milliseconds / 1000 } }
    public var interrupts: Int { state.withLock { $0.interrupts } }
    public var removedFromQueue: Int { state.withLock { $0.removedFromQueue } }
    public var queueLength: Int { state.withLock { $0.pending.count + ($0.running == nil ? 0 : 1) } }

    // MARK: - Routes

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        func both(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
        ) {
            for prefix in ["", "/api"] {
                router.on(RouterPath(prefix + path), method: method) { request, context in
                    switch self.state.withLock({ $0.options.fault }) {
                    case .serverError: return Self.json(["error": "Internal Server Error"], status: .internalServerError)
                    case .dropConnection: return Self.dropped()
                    default: return try await handler(request, context)
                    }
                }
            }
        }
        both(.post, "/prompt") { request, _ in try await self.submit(request) }
        both(.get, "/history/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            let entry = self.state.withLock { $0.history[id] }
            return Self.json(entry.map { [id: $0] } ?? [:])
        }
        both(.get, "/view") { request, _ in
            if self.state.withLock({ $0.options.fault }) == .failDownloads {
                return Self.json(["error": "Internal Server Error"], status: .internalServerError)
            }
            let query = request.uri.queryParameters
            let key = "\(query.get("subfolder") ?? "")/\(query.get("filename") ?? "")"
            guard
                let data = self.state.withLock({ state -> Data? in
                    state.views += 1
                    return state.files[key]
                })
            else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        both(.get, "/object_info") { _, _ in Self.json(.object(self.objectInfo())) }
        both(.post, "/upload/image") { request, _ in try await self.upload(request) }
        both(.get, "/system_stats") { _, _ in
            Self.json([
                "system": [
                    "os": "posix", "ram_total": 25_769_803_776, "ram_free": 20_000_000_000, "comfyui_version": "0.3.43",
                    "python_version": "3.11.7",
                    "pytorch_version": "2.5.1+cpu", "embedded_python": false, "argv": ["main.py", "--cpu"],
                ],
                "devices": [
                    [
                        "name": "cpu", "type": "cpu", "index": .null, "vram_total": 0, "vram_free": 0, "torch_vram_total": 0,
                        "torch_vram_free": 0,
                    ]
                ],
            ])
        }
        both(.get, "/queue") { _, _ in
            let (running, pending) = self.state.withLock { ($0.running, $0.pending) }
            func entry(_ prompt: Prompt) -> JSONValue {
                [
                    .number(Double(prompt.number)), .string(prompt.id), prompt.graph, ["client_id": .string(prompt.clientID)],
                    .array(Self.outputNodes(prompt.graph).map(JSONValue.string)),
                ]
            }
            return Self.json(["queue_running": .array(running.map { [entry($0)] } ?? []), "queue_pending": .array(pending.map(entry))])
        }
        both(.post, "/queue") { request, _ in
            let body = try await Self.body(request)
            let ids = Set(body?["delete"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let clear = body?["clear"] == .bool(true)
            self.state.withLock { state in
                let before = state.pending.count
                state.pending.removeAll { clear || ids.contains($0.id) }
                state.removedFromQueue += before - state.pending.count
            }
            return Response(status: .ok)
        }
        both(.post, "/interrupt") { request, _ in
            let target = try await Self.body(request)?["prompt_id"]?.stringValue
            self.state.withLock { state in
                guard let running = state.running, target == nil || target == running.id else { return }
                state.interruptRequested = true
                state.interrupts += 1
            }
            return Response(status: .ok)
        }
        return router
    }

    private func submit(_ request: Request) async throws -> Response {
        guard let body = try await Self.body(request), let graph = body["prompt"], graph.objectValue != nil else {
            return Self.json(
                [
                    "error": [
                        "type": "invalid_prompt", "message": "Cannot execute because the prompt is missing.", "details": "",
                        "extra_info": [:],
                    ], "node_errors": [:],
                ],
                status: .badRequest
            )
        }
        if state.withLock({ $0.options.fault }) == .refuseWorkflow {
            return Self.json(
                [
                    "error": [
                        "type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "",
                        "extra_info": [:],
                    ],
                    "node_errors": [
                        "6": [
                            "errors": [
                                [
                                    "type": "value_not_in_list", "message": "Value not in list",
                                    "details": "sampler_name: 'bad' not in list", "extra_info": [:],
                                ]
                            ], "dependent_outputs": ["8"], "class_type": "KSampler",
                        ]
                    ],
                ],
                status: .badRequest
            )
        }
        if let refusal = validate(graph) { return Self.json(refusal, status: .badRequest) }
        let id = UUID().uuidString.lowercased()
        let number = state.withLock { state -> Int in
            state.nextNumber += 1
            state.received += 1
            state.pending.append(Prompt(id: id, number: state.nextNumber, graph: graph, clientID: body["client_id"]?.stringValue ?? ""))
            return state.nextNumber
        }
        queued.notify()
        return Self.json(["prompt_id": .string(id), "number": .number(Double(number)), "node_errors": [:]])
    }

    /// ComfyUI's validation: known node types, links to existing nodes, combo values in their lists, an output node.
    private func validate(_ graph: JSONValue) -> JSONValue? {
        let nodes = graph.objectValue ?? [:]
        let info = objectInfo()
        var nodeErrors: [String: JSONValue] = [:]
        for (id, node) in nodes {
            guard let type = node["class_type"]?.stringValue, info[type] != nil else {
                return [
                    "error": [
                        "type": "invalid_prompt",
                        "message": .string("Cannot execute because node \(node["class_type"]?.stringValue ?? "?") does not exist."),
                        "details": .string("Node ID '#\(id)'"), "extra_info": [:],
                    ],
                    "node_errors": [:],
                ]
            }
            var errors: [JSONValue] = []
            for (input, value) in node["inputs"]?.objectValue ?? [:] {
                if let link = value.arrayValue, link.count == 2, let target = link[0].stringValue, nodes[target] == nil {
                    errors.append([
                        "type": "bad_linked_input", "message": "Bad linked input",
                        "details": .string("\(input): node \(target) does not exist"), "extra_info": [:],
                    ])
                }
                if let choices = info[type]?["input"]?["required"]?[input]?.arrayValue?.first?.arrayValue, let text = value.stringValue,
                    !choices.contains(.string(text))
                {
                    errors.append([
                        "type": "value_not_in_list", "message": "Value not in list",
                        "details": .string("\(input): '\(text)' not in \(choices.compactMap(\.stringValue))"), "extra_info": [:],
                    ])
                }
            }
            if !errors.isEmpty {
                nodeErrors[id] = [
                    "errors": .array(errors), "dependent_outputs": .array(Self.outputNodes(graph).map(JSONValue.string)),
                    "class_type": .string(type),
                ]
            }
        }
        if Self.outputNodes(graph).isEmpty {
            return [
                "error": ["type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": [:]],
                "node_errors": [],
            ]
        }
        if !nodeErrors.isEmpty {
            return [
                "error": [
                    "type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "",
                    "extra_info": [:],
                ], "node_errors": .object(nodeErrors),
            ]
        }
        return nil
    }

    // MARK: - /ws

    /// `/ws?clientId=`: a `status` message with the session id on connect, then whatever
    /// the worker posts for that client, until either side closes.
    func webSocketRouter() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/ws") { _, _ in
            self.state.withLock { $0.options.webSocket } == .refuse ? .dontUpgrade : .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let clientID = context.request.uri.queryParameters.get("clientId") ?? UUID().uuidString.lowercased()
            let token = UUID()
            let (outbox, continuation) = AsyncStream<Outgoing>.makeStream()
            self.state.withLock { state in
                state.sockets[clientID]?.outbox.finish()
                state.sockets[clientID] = (token, continuation)
                state.socketsOpened += 1
                Self.post(
                    .text(
                        Self.message(
                            "status",
                            ["status": ["exec_info": ["queue_remaining": .number(Double(state.pending.count))]], "sid": .string(clientID)])),
                    to: clientID, in: &state)
            }
            defer {
                self.state.withLock { state in
                    if state.sockets[clientID]?.token == token { state.sockets[clientID] = nil }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The client hung up: nothing more to send.
                    for try await _ in inbound {}
                    continuation.finish()
                }
                for await item in outbox {
                    switch item {
                    case .text(let text): try await outbound.write(.text(text))
                    case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    case .drop: throw StandInDropError()
                    }
                }
                group.cancelAll()
            }
        }
        return router
    }

    /// Queues `item` for the client's socket, if it has one (ComfyUI drops messages for a
    /// client that is not connected) and the socket is not told to stay silent.
    static func post(_ item: Outgoing, to clientID: String, in state: inout State) {
        guard state.options.webSocket != .silent, let socket = state.sockets[clientID] else { return }
        if case .drop = item {
            state.sockets[clientID] = nil
            state.socketsDropped += 1
        }
        socket.outbox.yield(item)
    }

    func post(_ item: Outgoing, to clientID: String) {
        state.withLock { Self.post(item, to: clientID, in: &$0) }
    }

    static func message(_ type: String, _ data: JSONValue) -> String {
        (["type": .string(type), "data": data] as JSONValue).text
    }

    /// A binary preview frame as ComfyUI sends it: event type 1 (PREVIEW_IMAGE), image format, bytes.
    func previewFrame(step: Int, of steps: Int) -> [UInt8] {
        let format = state.withLock { $0.options.previewFormat }
        var image: Data
        switch format {
        case .jpeg: image = (try? MediaFixtures.data("still.jpg")) ?? Data()
        case .png:
            // Darker to lighter as the steps go by, like a picture coming out of the noise.
            let level = UInt8(min(255, 255 * step / max(1, steps)))
            image = PNGEncoder.solid(width: 16, height: 16, rgb: (level, level, level))
        }
        return PNGEncoder.bigEndian(1) + PNGEncoder.bigEndian(format.rawValue) + Array(image)
    }

    // MARK: - The worker

    /// Runs queued prompts one at a time until cancelled, telling the prompt's client about
    /// it on `/ws` in ComfyUI's order: execution_start, execution_cached, executing per node,
    /// progress (with previews) for the sampler's steps spread over `delay`, executed per
    /// output node, execution_success, then — once the history has it — executing null.
    func work() async {
        while !Task.isCancelled {
            let seen = queued.current
            let next = state.withLock { state -> Prompt? in
                guard state.running == nil, !state.pending.isEmpty else { return nil }
                state.running = state.pending.removeFirst()
                state.interruptRequested = false
                return state.running
            }
            guard let prompt = next else {
                await queued.wait(after: seen, timeout: .microseconds(Int64(state.withLock { $0.options.workerTick } * 1_000_000)))
                continue
            }
            let id = JSONValue.string(prompt.id)
            let order = Self.executionOrder(prompt.graph)
            let nodes = prompt.graph.objectValue ?? [:]
            let sampler = order.first { nodes[$0]?["class_type"]?.stringValue == "KSampler" }
            let steps = sampler.flatMap { nodes[$0]?["inputs"]?["steps"]?.doubleValue }.map { max(1, min(1000, Int($0))) } ?? 1
            state.withLock { state in
                Self.post(
                    .text(Self.message("status", ["status": ["exec_info": ["queue_remaining": .number(Double(state.pending.count + 1))]]])),
                    to: prompt.clientID, in: &state)
                Self.post(.text(Self.message("execution_start", ["prompt_id": id, "timestamp": 1])), to: prompt.clientID, in: &state)
                Self.post(
                    .text(Self.message("execution_cached", ["nodes": [], "prompt_id": id, "timestamp": 1])), to: prompt.clientID, in: &state
                )
            }
            let started = ContinuousClock.now
            var interrupted = false
            for node in order {
                post(
                    .text(Self.message("executing", ["node": .string(node), "display_node": .string(node), "prompt_id": id])),
                    to: prompt.clientID)
                guard node == sampler else { continue }
                for step in 1...steps {
                    let delay = state.withLock { $0.options.delay }
                    let due = started + .milliseconds(Int64(delay * 1000 * Double(step) / Double(steps)))
                    if await waitUntil(due) == .interrupted {
                        interrupted = true
                        break
                    }
                    state.withLock { state in
                        Self.post(
                            .text(
                                Self.message(
                                    "progress",
                                    ["value": .number(Double(step)), "max": .number(Double(steps)), "prompt_id": id, "node": .string(node)])
                            ), to: prompt.clientID, in: &state)
                        state.progressSent += 1
                    }
                    post(.binary(previewFrame(step: step, of: steps)), to: prompt.clientID)
                    state.withLock { state in
                        state.previewsSent += 1
                        if state.options.webSocket == .dropMidJob, step == (steps + 1) / 2 {
                            Self.post(.drop, to: prompt.clientID, in: &state)
                        }
                    }
                }
                if interrupted { break }
            }
            // Nothing was sampled (a bare EmptyImage graph): the whole delay is still spent.
            if !interrupted, sampler == nil,
                await waitUntil(started + .milliseconds(Int64(state.withLock { $0.options.delay } * 1000))) == .interrupted
            {
                interrupted = true
            }
            if Task.isCancelled { return }
            finish(prompt, interrupted: interrupted)
        }
    }

    enum Wait { case due, interrupted }

    /// Sleeps until `deadline`, or for as long as the stand-in is told to hang; returns early
    /// when the running prompt is interrupted.
    private func waitUntil(_ deadline: ContinuousClock.Instant) async -> Wait {
        while true {
            let (fault, interrupt) = state.withLock { ($0.options.fault, $0.interruptRequested) }
            if interrupt { return .interrupted }
            if fault != .hang, ContinuousClock.now >= deadline { return .due }
            if Task.isCancelled { return .due }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Node ids in an order ComfyUI could run them: every node after the nodes it links to,
    /// only those an output node needs.
    static func executionOrder(_ graph: JSONValue) -> [String] {
        let nodes = graph.objectValue ?? [:]
        var order: [String] = []
        var seen = Set<String>()
        func visit(_ id: String) {
            guard seen.insert(id).inserted, let node = nodes[id] else { return }
            for (_, value) in (node["inputs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let link = value.arrayValue, link.count == 2, let target = link[0].stringValue { visit(target) }
            }
            order.append(id)
        }
        for output in outputNodes(graph) { visit(output) }
        return order
    }

    private func finish(_ prompt: Prompt, interrupted: Bool) {
        state.withLock { state in
            defer {
                state.running = nil
                state.completed += 1
                state.promptTime += ContinuousClock.now - prompt.received
                // After the history is stored, as ComfyUI does: a client may ask for it now.
                Self.post(
                    .text(Self.message("executing", ["node": .null, "prompt_id": .string(prompt.id)])), to: prompt.clientID, in: &state)
                Self.post(
                    .text(Self.message("status", ["status": ["exec_info": ["queue_remaining": .number(Double(state.pending.count))]]])),
                    to: prompt.clientID, in: &state)
            }
            let header: JSONValue = [
                .number(Double(prompt.number)), .string(prompt.id), prompt.graph, ["client_id": .string(prompt.clientID)],
                .array(Self.outputNodes(prompt.graph).map(JSONValue.string)),
            ]
            let start: JSONValue = ["execution_start", ["prompt_id": .string(prompt.id), "timestamp": 1]]
            if interrupted {
                let message: JSONValue = ["prompt_id": .string(prompt.id), "node_id": "6", "node_type": "KSampler", "executed": []]
                Self.post(.text(Self.message("execution_interrupted", message)), to: prompt.clientID, in: &state)
                state.history[prompt.id] = [
                    "prompt": header, "outputs": [:],
                    "status": ["status_str": "error", "completed": false, "messages": [start, ["execution_interrupted", message]]],
                ]
                return
            }
            if state.options.fault == .executionError {
                let message: JSONValue = [
                    "prompt_id": .string(prompt.id), "node_id": "6", "node_type": "KSampler",
                    "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
                    "exception_type": "torch.OutOfMemoryError", "traceback": [],
                ]
                Self.post(.text(Self.message("execution_error", message)), to: prompt.clientID, in: &state)
                state.history[prompt.id] = [
                    "prompt": header, "outputs": [:],
                    "status": ["status_str": "error", "completed": false, "messages": [start, ["execution_error", message]]],
                ]
                return
            }
            var outputs: [String: JSONValue] = [:]
            let nodes = prompt.graph.objectValue ?? [:]
            for id in Self.outputNodes(prompt.graph) {
                guard let node = nodes[id] else { continue }
                let look = Self.appearance(of: node, in: nodes)
                let prefix = node["inputs"]?["filename_prefix"]?.stringValue ?? "ComfyUI"
                let filename = String(format: "%@_%05d_.png", prefix, state.nextFile)
                state.nextFile += 1
                state.files["/\(filename)"] = PNGEncoder.solid(
                    width: look.width, height: look.height, rgb: look.rgb, note: "\(prompt.id) \(id)")
                let file: JSONValue = ["filename": .string(filename), "subfolder": "", "type": "output"]
                if node["class_type"]?.stringValue == "SaveAnimatedWEBP" {
                    outputs[id] = ["images": [file], "animated": [true]]
                } else {
                    outputs[id] = ["images": [file]]
                }
                Self.post(
                    .text(
                        Self.message(
                            "executed",
                            [
                                "node": .string(id), "display_node": .string(id), "output": outputs[id] ?? [:],
                                "prompt_id": .string(prompt.id),
                            ])), to: prompt.clientID, in: &state)
            }
            Self.post(
                .text(Self.message("execution_success", ["prompt_id": .string(prompt.id), "timestamp": 2])), to: prompt.clientID, in: &state
            )
            state.history[prompt.id] = [
                "prompt": header, "outputs": .object(outputs),
                "status": [
                    "status_str": "success", "completed": true,
                    "messages": [start, ["execution_success", ["prompt_id": .string(prompt.id), "timestamp": 2]]],
                ],
            ]
        }
    }

    /// Size (scaled down: 1/16, 8–64 px) and colour (from the seed, or EmptyImage's colour) of
    /// what a save node receives, found by walking its links upstream.
    static func appearance(of node: JSONValue, in nodes: [String: JSONValue]) -> (width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) {
        var width = 512
        var height = 512
        var color: Int?
        var seed = 0
        var queue = [node]
        var seen = Set<String>()
        while let current = queue.popLast() {
            let inputs = current["inputs"]?.objectValue ?? [:]
            switch current["class_type"]?.stringValue {
            case "EmptyImage", "EmptyLatentImage":
                width = Int(inputs["width"]?.doubleValue ?? 512)
                height = Int(inputs["height"]?.doubleValue ?? 512)
                if let value = inputs["color"]?.doubleValue { color = Int(value) }
            case "KSampler":
                seed = Int(inputs["seed"]?.doubleValue ?? 0)
            default: break
            }
            for value in inputs.values {
                if let link = value.arrayValue, link.count == 2, let id = link[0].stringValue, let next = nodes[id],
                    seen.insert(id).inserted
                {
                    queue.append(next)
                }
            }
        }
        let rgbValue = color ?? (seed &* 2_654_435_761) & 0xFF_FFFF
        let scale = { (value: Int) in max(8, min(64, value / 16)) }
        return (scale(width), scale(height), (UInt8((rgbValue >> 16) & 0xFF), UInt8((rgbValue >> 8) & 0xFF), UInt8(rgbValue & 0xFF)))
    }

    static func outputNodes(_ graph: JSONValue) -> [String] {
        (graph.objectValue ?? [:]).filter { ["SaveImage", "SaveAnimatedWEBP"].contains($0.value["class_type"]?.stringValue ?? "") }.keys
            .sorted()
    }

    // MARK: - /object_info

    func objectInfo() -> [String: JSONValue] {
        let (checkpoints, loras, inputs, cached) = state.withLock {
            ($0.options.checkpoints, $0.options.loras, $0.inputs.keys.sorted(), $0.objectInfo)
        }
        let key = [checkpoints, loras, inputs]
        if let cached, cached.key == key { return cached.value }
        let info = Self.objectInfo(checkpoints: checkpoints, loras: loras, inputs: inputs)
        state.withLock { $0.objectInfo = (key, info) }
        return info
    }

    static func objectInfo(checkpoints: [String], loras: [String], inputs: [String]) -> [String: JSONValue] {
        func combo(_ values: [String]) -> JSONValue { [.array(values.map(JSONValue.string)), [:]] }
        func node(_ name: String, required: [String: JSONValue], outputs: [String], outputNode: Bool = false) -> JSONValue {
            [
                "input": ["required": .object(required)], "output": .array(outputs.map(JSONValue.string)),
                "output_name": .array(outputs.map(JSONValue.string)),
                "name": .string(name), "display_name": .string(name), "category": "storyboard-stand-in", "output_node": .bool(outputNode),
            ]
        }
        let int: JSONValue = ["INT", ["default": 0]]
        let float: JSONValue = ["FLOAT", ["default": 1.0]]
        let string: JSONValue = ["STRING", ["multiline": true]]
        let video = videoNodes(checkpoints: checkpoints) { node($0, required: $1, outputs: $2) }
        return video.merging([
            "CheckpointLoaderSimple": node(
                "CheckpointLoaderSimple", required: ["ckpt_name": combo(checkpoints)], outputs: ["MODEL", "CLIP", "VAE"]),
            "LoraLoader": node(
                "LoraLoader",
                required: [
                    "model": ["MODEL"], "clip": ["CLIP"], "lora_name": combo(loras), "strength_model": float, "strength_clip": float,
                ],
                outputs: ["MODEL", "CLIP"]
            ),
            "CLIPSetLastLayer": node("CLIPSetLastLayer", required: ["clip": ["CLIP"], "stop_at_clip_layer": int], outputs: ["CLIP"]),
            "CLIPTextEncode": node("CLIPTextEncode", required: ["text": string, "clip": ["CLIP"]], outputs: ["CONDITIONING"]),
            "EmptyLatentImage": node("EmptyLatentImage", required: ["width": int, "height": int, "batch_size": int], outputs: ["LATENT"]),
            "KSampler": node(
                "KSampler",
                required: [
                    "model": ["MODEL"], "seed": int, "steps": int, "cfg": float,
                    "sampler_name": combo(["euler", "euler_ancestral", "dpmpp_2m", "ddim"]),
                    "scheduler": combo(["normal", "karras", "simple"]), "positive": ["CONDITIONING"], "negative": ["CONDITIONING"],
                    "latent_image": ["LATENT"],
                    "denoise": float,
                ],
                outputs: ["LATENT"]
            ),
            "VAEDecode": node("VAEDecode", required: ["samples": ["LATENT"], "vae": ["VAE"]], outputs: ["IMAGE"]),
            "EmptyImage": node("EmptyImage", required: ["width": int, "height": int, "batch_size": int, "color": int], outputs: ["IMAGE"]),
            "LoadImage": node("LoadImage", required: ["image": combo(inputs)], outputs: ["IMAGE", "MASK"]),
            "SaveImage": node("SaveImage", required: ["images": ["IMAGE"], "filename_prefix": string], outputs: [], outputNode: true),
            "SaveAnimatedWEBP": node(
                "SaveAnimatedWEBP", required: ["images": ["IMAGE"], "filename_prefix": string, "fps": float], outputs: [], outputNode: true),
        ]) { first, _ in first }
    }

    // MARK: - Helpers

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: value.utf8)))
    }

    static func body(_ request: Request) async throws -> JSONValue? {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 20)
        guard buffer.readableBytes > 0 else { return nil }
        return JSONValue(bytes: buffer.readableBytesView)
    }

    /// Promises a body, sends part of it, and fails: the connection closes mid-answer.
    static func dropped() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: "4096"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "{\"prompt_id\": \"dr"))
                throw StandInDropError()
            }
        )
    }
}

struct StandInDropError: Error {}

/// Runs `count` ComfyUI stand-ins (and their workers) on loopback for the duration of `body`.
public func withComfyUIStandIns<T: Sendable>(
    count: Int = 1, options: ComfyUIStandIn.Options = ComfyUIStandIn.Options(), _ body: @Sendable ([ComfyUIStandIn]) async throws -> T
) async throws -> T {
    let standIns = (0..<count).map { ComfyUIStandIn(name: "comfyui-\($0 + 1)", options: options) }
    return try await withStandInServers(
        standIns.map { standIn in
            StandInServer(
                router: standIn.router(), webSocketRouter: standIn.webSocketRouter(), worker: { await standIn.work() },
                bound: { port in standIn.boundPort.withLock { $0 = port } }
            )
        }
    ) {
        try await body(standIns)
    }
}

/// One stand-in's HTTP server and background worker.
struct StandInServer {
    let router: Router<BasicRequestContext>
    /// Upgrades to websockets on its routes, when the stand-in has any.
    var webSocketRouter: Router<BasicWebSocketRequestContext>? = nil
    let worker: @Sendable () async -> Void
    let bound: @Sendable (Int) -> Void
}

/// Starts each server on port 0, waits until all listen, runs `body`, stops them.
func withStandInServers<T: Sendable>(_ servers: sending [StandInServer], _ body: @Sendable () async throws -> T) async throws -> T {
    let logger = Logger(label: "stand-in", factory: { _ in SwiftLogNoOpLogHandler() })
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    var services: [any Service] = []
    for server in servers {
        let bound = server.bound
        let app = Application(
            router: server.router,
            server: server.webSocketRouter.map {
                .http1WebSocketUpgrade(webSocketRouter: $0, configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .disabled)))
            } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                bound(channel.localAddress?.port ?? 0)
                portContinuation.yield(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
        services.append(app)
        services.append(WorkerService(work: server.worker))
    }
    let group = ServiceGroup(configuration: .init(services: services, logger: logger))
    // Not a child task: now and then (about one run in six of the batch stream test) the
    // websocket server stays in Hummingbird's "shuttingDown" with no connection left open,
    // deaf to cancellation too; not root-caused. A stand-in that has not stopped 10 s after
    // its test is left behind rather than hanging the suite.
    let running = Task { try await group.run() }
    do {
        var iterator = ports.makeAsyncIterator()
        for _ in servers {
            guard let port = await iterator.next(), port > 0 else { throw TestServerError(description: "a stand-in did not start") }
        }
        let result = try await body()
        await stopStandIns(group, running)
        return result
    } catch {
        await stopStandIns(group, running)
        throw error
    }
}

private func stopStandIns(_ group: ServiceGroup, _ running: Task<Void, any Error>) async {
    await group.triggerGracefulShutdown()
    let (ended, continuation) = AsyncStream<Void>.makeStream()
    Task {
        _ = try? await running.value
        continuation.yield()
        continuation.finish()
    }
    let timer = Task {
        try? await Task.sleep(for: .seconds(10))
        continuation.finish()
    }
    var iterator = ended.makeAsyncIterator()
    if await iterator.next() == nil {
        FileHandle.standardError.write(Data("stand-in servers did not stop within 10 s of their test; left running\n".utf8))
    }
    timer.cancel()
}

/// A stand-in's background loop as a service, cancelled on shutdown.
struct WorkerService: Service {
    let work: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await work() }
    }
}
