import StoryboardCore

extension Operations {
    static let workflows: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/workflows", operationID: "listWorkflows", summary: "User-supplied workflows, newest first",
            tag: "Workflows",
            parameters: OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted], responseSchema: "WorkflowList", errors: [400]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/workflows", operationID: "createWorkflow",
            summary: "Register a ComfyUI API-format graph with a mapping of where prompt, seed and the rest go (checked against the graph)",
            tag: "Workflows", requestSchema: "WorkflowCreate", successStatus: 201, successDescription: "Created",
            responseSchema: "Workflow",
            responseHeaders: created, errors: [400, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/workflows/{id}", operationID: "getWorkflow", summary: "Read a workflow", tag: "Workflows",
            parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Workflow", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/workflows/{id}", operationID: "updateWorkflow",
            summary: "Change a workflow (jobs already queued keep the graph they were queued with)", tag: "Workflows",
            parameters: [OpenAPIDocument.ifMatch],
            requestSchema: "WorkflowPatch", responseSchema: "Workflow", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [400, 404, 409, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/workflows/{id}", operationID: "deleteWorkflow", summary: "Move a workflow to the trash",
            tag: "Workflows",
            parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/workflows/{id}/restore", operationID: "restoreWorkflow",
            summary: "Bring a workflow back from the trash",
            tag: "Workflows", responseSchema: "Workflow", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
    ]
}

extension Schemas {
    static let workflowTarget: JSONValue = [
        "type": "object", "required": ["node", "input"], "additionalProperties": false,
        "properties": [
            "node": ["type": "string", "description": "A node id of the graph"],
            "input": ["type": "string", "description": "One of that node's inputs (a value, not a link)"],
        ],
    ]

    static var workflowMapping: JSONValue {
        [
            "type": "object", "additionalProperties": false, "required": ["prompt"],
            "description":
                "Where each value goes: a target or a list of targets. prompt is required; image (the first frame) too for a video workflow",
            "properties": .object(
                Dictionary(
                    uniqueKeysWithValues: WorkflowSlot.allCases.map {
                        ($0.rawValue, ["oneOf": [workflowTarget, ["type": "array", "minItems": 1, "items": workflowTarget]]])
                    })),
        ]
    }

    static var workflowSchemas: [String: JSONValue] {
        let type: JSONValue = ["type": "string", "enum": .array(GenerationType.allCases.map { .string($0.rawValue) }), "default": "image"]
        let graph: JSONValue = [
            "type": "object", "description": "ComfyUI API-format graph: {node_id: {class_type, inputs}}, at most 500 nodes and 512 KiB",
        ]
        return [
            "Workflow": resource([
                "name": name, "description": description, "generation_type": type, "graph": graph, "mapping": workflowMapping,
            ]),
            "WorkflowList": list(of: "Workflow"),
            "WorkflowCreate": body(
                required: ["name", "graph", "mapping"],
                ["name": name, "description": description, "generation_type": type, "graph": graph, "mapping": workflowMapping]),
            "WorkflowPatch": body([
                "name": name, "description": description, "generation_type": type, "graph": graph, "mapping": workflowMapping,
            ]),
        ]
    }
}
