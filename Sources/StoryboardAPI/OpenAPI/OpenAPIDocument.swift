import StoryboardCore

/// One documented operation. The document is written by hand beside the routes (not derived
/// from them), so the test that compares it with the router catches a route added without docs.
struct OpenAPIOperation {
    var method: String
    var path: String
    var operationID: String
    var summary: String
    var tag: String
    var parameters: [JSONValue] = []
    /// A component schema name for a JSON body.
    var requestSchema: String? = nil
    /// Media types of a raw (non-JSON) body, instead of `requestSchema`: an upload whose type the
    /// server decides from the bytes.
    var requestContentTypes: [String] = []
    /// False when the body may be left out (an empty body reads as `{}`).
    var requestRequired = true
    var successStatus: Int = 200
    var successDescription: String = "OK"
    /// A component schema name, or nil for no body (204).
    var responseSchema: String? = nil
    /// Media types of a binary success body (a download), instead of `responseSchema`.
    var responseContentTypes: [String] = []
    var responseHeaders: [String: JSONValue] = [:]
    /// Other responses, written out in full: those with no shared `Error…` response (206, 304, 416).
    var otherResponses: [Int: JSONValue] = [:]
    var errors: [Int] = []
    var isPublic = false
}

enum OpenAPIDocument {
    static func build(operations: [OpenAPIOperation]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item: [String: JSONValue] = paths[operation.path]?.objectValue ?? [:]
            item[operation.method.lowercased()] = describe(operation, links: OperationLinks.links(for: operation, among: operations))
            paths[operation.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Storyboard API",
                "version": .string(StoryboardVersion.current),
                "description": "Plan AI-generated music videos. Every error has the envelope of the Error schema.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths),
            "components": [
                "schemas": .object(Schemas.all),
                "responses": .object(errorResponses),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "description": "Needed when STORYBOARD_API_TOKEN is set"]
                ],
            ],
        ]
    }

    private static func describe(_ operation: OpenAPIOperation, links: JSONValue?) -> JSONValue {
        var object: [String: JSONValue] = [
            "operationId": .string(operation.operationID),
            "summary": .string(operation.summary),
            "tags": [.string(operation.tag)],
        ]
        var parameters = operation.parameters
        // A path parameter is a UUID unless the operation describes it itself.
        let declared = Set(operation.parameters.compactMap { $0["in"] == "path" ? $0["name"]?.stringValue : nil })
        for name in pathParameterNames(operation.path) where !declared.contains(name) {
            parameters.insert(
                ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]], at: 0
            )
        }
        if !parameters.isEmpty { object["parameters"] = .array(parameters) }
        if let schema = operation.requestSchema {
            object["requestBody"] = [
                "required": .bool(operation.requestRequired),
                "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]],
            ]
        } else if !operation.requestContentTypes.isEmpty {
            object["requestBody"] = [
                "required": .bool(operation.requestRequired),
                "description": "The file's bytes. Its type is decided from the bytes, not from Content-Type",
                "content": binaryContent(operation.requestContentTypes),
            ]
        }
        var success: [String: JSONValue] = ["description": .string(operation.successDescription)]
        if let schema = operation.responseSchema {
            success["content"] = ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schema)")]]]
        } else if !operation.responseContentTypes.isEmpty {
            success["content"] = binaryContent(operation.responseContentTypes)
        }
        if !operation.responseHeaders.isEmpty { success["headers"] = .object(operation.responseHeaders) }
        if let links { success["links"] = links }
        var responses: [String: JSONValue] = [String(operation.successStatus): .object(success)]
        for (status, response) in operation.otherResponses { responses[String(status)] = response }
        var statuses = Set(operation.errors).union([500, 503])
        if operation.path.hasPrefix("/api/") && !operation.isPublic { statuses.insert(401) }
        // Every route is behind the cross-site and DNS-rebinding checks, reads too.
        statuses.insert(403)
        if object["requestBody"] != nil { statuses.formUnion([400, 413, 415]) }
        if !pathParameterNames(operation.path).isEmpty { statuses.insert(400) }
        for status in statuses.sorted() where responses[String(status)] == nil {
            responses[String(status)] = ["$ref": .string("#/components/responses/Error\(status)")]
        }
        object["responses"] = .object(responses)
        if operation.path.hasPrefix("/api/") && !operation.isPublic {
            object["security"] = [["bearer": []], [:]]
        }
        return .object(object)
    }

    /// Raw bytes of each media type; an event stream's schema also describes its events.
    static func binaryContent(_ types: [String]) -> JSONValue {
        .object(
            Dictionary(
                uniqueKeysWithValues: types.map { type in
                    let schema: JSONValue =
                        type == "text/event-stream"
                        ? ["$ref": "#/components/schemas/ServerSentEvent"] : ["type": "string", "format": "binary"]
                    return (type, ["schema": schema])
                }))
    }

    private static func pathParameterNames(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }.reversed()
    }

    /// One shared response per status, listing the codes the contract allows for it.
    private static var errorResponses: [String: JSONValue] {
        let byStatus = Dictionary(grouping: ErrorCode.allCases, by: \.status)
        var responses: [String: JSONValue] = [:]
        for (status, codes) in byStatus {
            var response: [String: JSONValue] = [
                "description": .string("Error: \(codes.map(\.rawValue).sorted().joined(separator: ", "))"),
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
            ]
            if status == 503 { response["headers"] = ["Retry-After": ["schema": ["type": "integer"], "description": "Seconds to wait"]] }
            responses["Error\(status)"] = .object(response)
        }
        return responses
    }

    static let pageParameters: [JSONValue] = [
        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500, "default": 50]],
        ["name": "cursor", "in": "query", "schema": ["type": "string"], "description": "next_cursor of the previous page"],
    ]
    static let includeDeleted: JSONValue = ["name": "include_deleted", "in": "query", "schema": ["type": "boolean", "default": false]]
    static let ifMatch: JSONValue = [
        "name": "If-Match", "in": "header", "schema": ["type": "string"], "description": "The ETag (version) last read; 412 when stale",
    ]
    static let etagHeader: [String: JSONValue] = ["ETag": ["schema": ["type": "string"], "description": "The resource's version, quoted"]]
}
