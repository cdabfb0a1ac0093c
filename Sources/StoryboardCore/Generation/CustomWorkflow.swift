import Foundation

/// What a user-supplied workflow's mapping can fill in.
public enum WorkflowSlot: String, Sendable, CaseIterable {
    case prompt, seed, steps, cfg, width, height, sampler, scheduler, denoise, checkpoint, image, frames, fps
    case negativePrompt = "negative_prompt"
    case motionBucket = "motion_bucket"
}

/// One place in a graph: a node's input.
public struct WorkflowTarget: Sendable, Equatable {
    public var node: String
    public var input: String

    public init(node: String, input: String) {
        self.node = node
        self.input = input
    }
}

/// A user's own ComfyUI API-format graph with a declared mapping of where the prompt, seed
/// and the other values go (`POST /api/workflows`); a generation request names it with
/// `workflow_id`. The graph and mapping are copied into each job when it is queued, so a
/// later edit never changes what a queued job runs.
public struct CustomWorkflow: Sendable, Equatable {
    public var meta: RecordMetadata
    public var name: String
    public var description: String?
    public var generationType: GenerationType
    /// JSON object text: the API-format graph.
    public var graph: String
    /// JSON object text: slot → target or list of targets.
    public var mapping: String

    public init(
        meta: RecordMetadata = RecordMetadata(), name: String, description: String? = nil, generationType: GenerationType, graph: String,
        mapping: String
    ) {
        self.meta = meta
        self.name = name
        self.description = description
        self.generationType = generationType
        self.graph = graph
        self.mapping = mapping
    }

    /// At most this many nodes, and this much JSON, in a graph.
    public static let maxNodes = 500
    public static let maxGraphBytes = 512 * 1024
}

/// A validated mapping: every target names a node of the graph and an input that node has.
public struct WorkflowMapping: Sendable, Equatable {
    public var targets: [WorkflowSlot: [WorkflowTarget]]

    public init(targets: [WorkflowSlot: [WorkflowTarget]]) {
        self.targets = targets
    }

    /// Checks `graph` (an API-format graph) and `mapping` (`{"prompt": {"node": "6", "input":
    /// "text"}, "seed": [{…}, {…}], …}`) together, naming each problem under `graph` or
    /// `mapping.<slot>`. `prompt` is required, and `image` for a video workflow.
    public static func parse(
        graph: JSONValue?, mapping: JSONValue?, generationType: GenerationType, errors: inout FieldErrors
    ) -> WorkflowMapping {
        guard let nodes = graph?.objectValue, !nodes.isEmpty else {
            errors.add("graph", "must be a ComfyUI API-format graph: an object of nodes")
            return WorkflowMapping(targets: [:])
        }
        if nodes.count > CustomWorkflow.maxNodes { errors.add("graph", "must have at most \(CustomWorkflow.maxNodes) nodes") }
        for (id, node) in nodes.sorted(by: { $0.key < $1.key }) {
            guard let type = node["class_type"]?.stringValue, !type.isEmpty, type.count <= 200, node["inputs"]?.objectValue != nil else {
                errors.add("graph.\(id)", "must be {\"class_type\": …, \"inputs\": {…}}")
                continue
            }
            for (input, value) in node["inputs"]?.objectValue ?? [:] {
                if let link = value.arrayValue, link.count == 2, let target = link[0].stringValue, link[1].doubleValue != nil,
                    nodes[target] == nil
                {
                    errors.add("graph.\(id).\(input)", "links to node \(target), which the graph does not have")
                }
            }
        }
        guard let object = mapping?.objectValue else {
            errors.add("mapping", "must be an object of slot → {\"node\", \"input\"}")
            return WorkflowMapping(targets: [:])
        }
        var targets: [WorkflowSlot: [WorkflowTarget]] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let slot = WorkflowSlot(rawValue: key) else {
                errors.add("mapping.\(key)", "is not a slot; use one of \(WorkflowSlot.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            let entries = value.arrayValue ?? [value]
            var parsed: [WorkflowTarget] = []
            for entry in entries {
                guard let fields = entry.objectValue, Set(fields.keys) == ["node", "input"], let node = fields["node"]?.stringValue,
                    let input = fields["input"]?.stringValue
                else {
                    errors.add("mapping.\(key)", "must be {\"node\": id, \"input\": name} or a list of them")
                    continue
                }
                guard nodes[node] != nil else {
                    errors.add("mapping.\(key)", "names node \(node), which the graph does not have")
                    continue
                }
                guard nodes[node]?["inputs"]?[input] != nil else {
                    errors.add("mapping.\(key)", "node \(node) has no input \(input)")
                    continue
                }
                if let link = nodes[node]?["inputs"]?[input]?.arrayValue, link.count == 2 {
                    errors.add("mapping.\(key)", "node \(node)'s input \(input) is a link to another node, not a value")
                    continue
                }
                parsed.append(WorkflowTarget(node: node, input: input))
            }
            if entries.isEmpty { errors.add("mapping.\(key)", "must name at least one input") }
            targets[slot] = parsed
        }
        if targets[.prompt] == nil { errors.add("mapping.prompt", "is required: where the prompt goes") }
        if generationType == .video, targets[.image] == nil {
            errors.add("mapping.image", "is required for a video workflow: where the first frame goes")
        }
        return WorkflowMapping(targets: targets)
    }

    /// A mapping as `json` stored it (checked when it was saved).
    public static func stored(_ value: JSONValue?) -> WorkflowMapping {
        var targets: [WorkflowSlot: [WorkflowTarget]] = [:]
        for (key, list) in value?.objectValue ?? [:] {
            guard let slot = WorkflowSlot(rawValue: key) else { continue }
            targets[slot] = (list.arrayValue ?? []).compactMap { entry in
                guard let node = entry["node"]?.stringValue, let input = entry["input"]?.stringValue else { return nil }
                return WorkflowTarget(node: node, input: input)
            }
        }
        return WorkflowMapping(targets: targets)
    }

    /// The mapping as stored.
    public var json: JSONValue {
        .object(
            Dictionary(
                uniqueKeysWithValues: targets.map { slot, list in
                    (slot.rawValue, JSONValue.array(list.map { ["node": .string($0.node), "input": .string($0.input)] }))
                }))
    }

    /// `graph` with the mapped inputs set; slots without a value keep what the graph has.
    public func render(_ graph: JSONValue, values: [WorkflowSlot: JSONValue]) -> JSONValue {
        guard var nodes = graph.objectValue else { return graph }
        for (slot, list) in targets {
            guard let value = values[slot] else { continue }
            for target in list {
                guard case .object(var node)? = nodes[target.node], case .object(var inputs)? = node["inputs"] else { continue }
                inputs[target.input] = value
                node["inputs"] = .object(inputs)
                nodes[target.node] = .object(node)
            }
        }
        return .object(nodes)
    }

    /// The values a job gives the slots.
    public static func values(
        prompt: String, negativePrompt: String?, params: GenerationParams, checkpoint: String?, image: String?
    ) -> [WorkflowSlot: JSONValue] {
        var values: [WorkflowSlot: JSONValue] = [.prompt: .string(prompt)]
        func put(_ slot: WorkflowSlot, _ value: JSONValue?) { if let value { values[slot] = value } }
        put(.negativePrompt, negativePrompt.map(JSONValue.string))
        put(.seed, params.seed.map { .number(Double($0)) })
        put(.steps, params.steps.map { .number(Double($0)) })
        put(.cfg, params.cfg.map(JSONValue.number))
        put(.width, params.width.map { .number(Double($0)) })
        put(.height, params.height.map { .number(Double($0)) })
        put(.sampler, params.sampler.map(JSONValue.string))
        put(.scheduler, params.scheduler.map(JSONValue.string))
        put(.denoise, params.denoise.map(JSONValue.number))
        put(.frames, params.frames.map { .number(Double($0)) })
        put(.fps, params.fps.map { .number(Double($0)) })
        put(.motionBucket, params.motionBucket.map { .number(Double($0)) })
        put(.checkpoint, checkpoint.map(JSONValue.string))
        put(.image, image.map(JSONValue.string))
        return values
    }
}
