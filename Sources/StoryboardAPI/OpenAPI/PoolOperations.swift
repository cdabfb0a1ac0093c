import StoryboardCore

extension Operations {
    static let poolTypes = imageTypes + ["image/gif", "video/mp4", "video/webm"]

    static let pool: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/pool", operationID: "listPoolItems",
            summary: "A project's generation pool (media not placed on a clip), newest first", tag: "Generation pool",
            parameters: [
                query(
                    "content_type", ["type": "string", "enum": .array(MediaKind.allCases.map { .string($0.rawValue) })],
                    "Only images or only videos"),
                query(
                    "source_type", ["type": "string", "enum": .array(PoolSource.allCases.map { .string($0.rawValue) })],
                    "Only items made this way"),
            ] + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "PoolItemList", errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/pool", operationID: "uploadPoolItem",
            summary: "Add a still or video to the pool by upload (type decided from the bytes)", tag: "Generation pool",
            parameters: [
                query("name", ["type": "string", "minLength": 1, "maxLength": 200], "Name of the item (default: Upload)"),
                query("description", ["type": "string", "maxLength": .number(Double(Limits.description))], "Description"),
                query("tags", ["type": "string"], "Comma-separated tags (at most 50, each at most 50 characters)"),
            ],
            requestContentTypes: poolTypes, successStatus: 201, successDescription: "Created", responseSchema: "PoolItem",
            responseHeaders: created,
            errors: [400] + uploadErrors
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/pool/{id}", operationID: "getPoolItem", summary: "Read a pool item", tag: "Generation pool",
            parameters: [OpenAPIDocument.includeDeleted], responseSchema: "PoolItem", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/pool/{id}", operationID: "updatePoolItem", summary: "Rename, describe, tag a pool item",
            tag: "Generation pool",
            parameters: [OpenAPIDocument.ifMatch], requestSchema: "PoolItemPatch", responseSchema: "PoolItem",
            responseHeaders: OpenAPIDocument.etagHeader,
            errors: [400, 404, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/pool/{id}", operationID: "deletePoolItem", summary: "Move a pool item to the trash",
            tag: "Generation pool",
            parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/pool/{id}/restore", operationID: "restorePoolItem",
            summary: "Bring a pool item back from the trash (409 while its project is there)", tag: "Generation pool",
            responseSchema: "PoolItem", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/pool/{id}/apply", operationID: "applyPoolItem",
            summary: "Copy a pool item into a clip's gallery (the first of its kind is selected); the item stays in the pool",
            tag: "Generation pool",
            requestSchema: "PoolApply", successStatus: 201, successDescription: "The new gallery item", responseSchema: "GalleryItem",
            responseHeaders: location, errors: [400, 404]
        ),
    ]
}

extension Schemas {
    static var poolSchemas: [String: JSONValue] {
        [
            "PoolItem": resource([
                "project_id": uuid, "name": name, "description": description,
                "content_type": ["type": "string", "enum": .array(MediaKind.allCases.map { .string($0.rawValue) })],
                "source_type": ["type": "string", "enum": .array(PoolSource.allCases.map { .string($0.rawValue) })],
                "source_clip_id": nullableUUID, "media_url": ["type": "string", "description": "Where the file is downloaded"],
                "thumbnail_url": ["type": ["string", "null"]], "generation_params": nullableObject,
                "tags": ["type": "array", "items": ["type": "string", "maxLength": 50], "maxItems": 50],
                "metadata": [
                    "type": "object", "description": "Prompt, seed, model and server of a generated item, or what the client stored",
                ],
                "job_id": nullableUUID,
            ]),
            "PoolItemList": list(of: "PoolItem"),
            "PoolItemPatch": body([
                "name": name, "description": description,
                "tags": ["type": "array", "items": ["type": "string", "maxLength": 50], "maxItems": 50],
                "metadata": ["type": "object", "description": "At most 5,000 bytes of JSON"],
            ]),
            "PoolApply": body(required: ["clip_id"], ["clip_id": uuid]),
        ]
    }
}
