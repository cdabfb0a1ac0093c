import Foundation
import StoryboardCore
import StoryboardDatabase

/// What `POST /api/workflows` sends, before validation.
public struct WorkflowInput: Sendable {
    public var name: String
    public var description: String?
    public var generationType: GenerationType
    public var graph: JSONValue?
    public var mapping: JSONValue?

    public init(name: String, description: String? = nil, generationType: GenerationType = .image, graph: JSONValue?, mapping: JSONValue?) {
        self.name = name
        self.description = description
        self.generationType = generationType
        self.graph = graph
        self.mapping = mapping
    }
}

/// What `PATCH /api/workflows/{id}` may change; nil leaves a field as it is. A new graph or
/// mapping is checked together with the other one.
public struct WorkflowPatch: Sendable {
    public var name: String?
    public var description: String??
    public var generationType: GenerationType?
    public var graph: JSONValue?
    public var mapping: JSONValue?

    public init(
        name: String? = nil, description: String?? = nil, generationType: GenerationType? = nil, graph: JSONValue? = nil,
        mapping: JSONValue? = nil
    ) {
        self.name = name
        self.description = description
        self.generationType = generationType
        self.graph = graph
        self.mapping = mapping
    }
}

/// User-supplied API-format workflows with a declared mapping of where the prompt, seed and
/// the rest go.
public struct WorkflowService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func list(limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<CustomWorkflow> {
        try await database.workflows.findMany(
            .all, sort: Sort("created_at", descending: true), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> CustomWorkflow {
        try await database.workflows.get(id: id, includeDeleted: includeDeleted)
    }

    public func create(_ input: WorkflowInput) async throws -> CustomWorkflow {
        var errors = FieldErrors()
        let name = errors.name(input.name)
        let description = errors.text(input.description, field: "description", max: Limits.description)
        let (graph, mapping) = Self.checked(graph: input.graph, mapping: input.mapping, type: input.generationType, &errors)
        try errors.throwIfAny()
        return try await database.workflows.create(
            CustomWorkflow(name: name, description: description, generationType: input.generationType, graph: graph, mapping: mapping)
        )
    }

    public func update(id: UUID, _ patch: WorkflowPatch, expectedVersion: Int?) async throws -> CustomWorkflow {
        try await database.transaction { tx in
            let current = try await tx.workflows.get(id: id, forUpdate: true)
            var errors = FieldErrors()
            var changes = Changes()
            if let name = patch.name { changes.set("name", .text(errors.name(name))) }
            if let value = patch.description {
                changes.set("description", DatabaseValue(errors.text(value, field: "description", max: Limits.description)))
            }
            if patch.graph != nil || patch.mapping != nil || patch.generationType != nil {
                let type = patch.generationType ?? current.generationType
                let (graph, mapping) = Self.checked(
                    graph: patch.graph ?? JSONValue(text: current.graph), mapping: patch.mapping ?? JSONValue(text: current.mapping),
                    type: type, &errors
                )
                changes.set("generation_type", .text(type.rawValue))
                changes.set("graph", .text(graph))
                changes.set("mapping", .text(mapping))
            }
            try errors.throwIfAny()
            return try await tx.workflows.update(id: id, changes, expectedVersion: expectedVersion)
        }
    }

    /// The graph and mapping as stored text, each problem named.
    static func checked(graph: JSONValue?, mapping: JSONValue?, type: GenerationType, _ errors: inout FieldErrors) -> (String, String) {
        let parsed = WorkflowMapping.parse(graph: graph, mapping: mapping, generationType: type, errors: &errors)
        let graphText = graph?.text ?? "{}"
        if graphText.utf8.count > CustomWorkflow.maxGraphBytes {
            errors.add("graph", "must be at most \(CustomWorkflow.maxGraphBytes / 1024) KiB of JSON")
        }
        return (graphText, parsed.json.text)
    }
}

/// The user workflow a generation request names, read and copied once for all its jobs.
struct QueuedWorkflow: Sendable {
    var id: UUID
    /// What each job keeps: the graph and mapping as they are now (`{"graph", "mapping"}`).
    var snapshot: String
    /// A graph that loads its own checkpoint (no checkpoint slot) names the model to pick a server by.
    var model: String?

    /// The workflow `request` names, which must exist and be of its type; nil when it names none.
    static func resolve(_ request: GenerateRequest, in tx: Transaction) async throws -> QueuedWorkflow? {
        guard let id = request.workflowID else { return nil }
        guard let workflow = try await tx.workflows.find(id: id) else { throw AppError.validation(["workflow_id": "is not a workflow"]) }
        guard workflow.generationType == request.generationType else {
            throw AppError.validation([
                "workflow_id":
                    "is for \(workflow.generationType.rawValue) generation; generation_type is \(request.generationType.rawValue)"
            ])
        }
        let graph = JSONValue(text: workflow.graph) ?? [:]
        let mapping = JSONValue(text: workflow.mapping) ?? [:]
        let ownCheckpoint = WorkflowMapping.stored(mapping).targets[.checkpoint] == nil ? Workflow.models(in: graph).checkpoints.first : nil
        return QueuedWorkflow(id: id, snapshot: JSONValue.object(["graph": graph, "mapping": mapping]).text, model: ownCheckpoint)
    }
}
