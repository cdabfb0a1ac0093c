import StoryboardCore

/// OpenAPI links from each operation that creates something to the operations on what it
/// created, so a client (or a stateful fuzzer) can follow a create to the reads and changes of
/// the new resource without guessing ids.
enum OperationLinks {
    /// What an operation creates: the path of the new resource (its `{id}` filled from the
    /// success body at `idPointer`, a JSON Pointer).
    struct Created {
        var path: String
        var idPointer = "/id"
    }

    static let created: [String: Created] = [
        "createProject": Created(path: "/api/projects/{id}"),
        "createScene": Created(path: "/api/scenes/{id}"),
        "createSceneAlternate": Created(path: "/api/scenes/{id}"),
        "createClip": Created(path: "/api/clips/{id}"),
        "createClipAlternate": Created(path: "/api/clips/{id}"),
        "createCharacter": Created(path: "/api/characters/{id}"),
        "createStyleTemplate": Created(path: "/api/style-templates/{id}"),
        "createServer": Created(path: "/api/servers/{id}"),
        "createWorkflow": Created(path: "/api/workflows/{id}"),
        "startRender": Created(path: "/api/renders/{id}"),
        "createBatch": Created(path: "/api/batches/{id}"),
        "retryFailedBatchJobs": Created(path: "/api/batches/{id}"),
        "retryJob": Created(path: "/api/jobs/{id}"),
        "generateClip": Created(path: "/api/jobs/{id}", idPointer: "/jobs/0/id"),
        "generateCharacterSamples": Created(path: "/api/jobs/{id}", idPointer: "/jobs/0/id"),
    ]

    /// The `links` object of `operation`'s success response, or nil when it creates nothing.
    static func links(for operation: OpenAPIOperation, among operations: [OpenAPIOperation]) -> JSONValue? {
        guard let created = created[operation.operationID] else { return nil }
        var links: [String: JSONValue] = [:]
        for target in operations where target.operationID != operation.operationID && covers(created.path, target.path) {
            links[target.operationID] = [
                "operationId": .string(target.operationID),
                "parameters": ["id": .string("$response.body#\(created.idPointer)")],
                "description": .string("\(target.summary), on what this created"),
            ]
        }
        return links.isEmpty ? nil : .object(links)
    }

    /// `target` is the created resource's own path or one under it.
    private static func covers(_ resource: String, _ target: String) -> Bool {
        target == resource || target.hasPrefix(resource + "/")
    }
}
