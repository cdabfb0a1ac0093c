import StoryboardCore

/// Every route the server has, as documented. `OpenAPIRouteTests` fails when this list and the
/// router disagree, in either direction.
enum Operations {
    static var all: [OpenAPIOperation] {
        operations + projects + scenes + clips + gallery + characters + styleTemplates + trash + media + servers + generation + pool
            + workers + workflows + renders
            + studio
    }

    // MARK: - Shared pieces

    static func query(_ name: String, _ schema: JSONValue, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "query", "schema": schema, "description": .string(description)]
    }

    static let include = query(
        "include", ["type": "string", "enum": ["scenes", "scenes.clips"]],
        "`scenes`: the primary scenes in order with their alternates; `scenes.clips`: also their clips, galleries and clip alternates"
    )
    static let checkOverlap = query(
        "check_overlap", ["type": "boolean", "default": true],
        "false allows overlapping clips; otherwise an overlap is 409 CONFLICT with `details.suggested_position`"
    )
    static let location: [String: JSONValue] = [
        "Location": ["schema": ["type": "string"], "description": "Where the new resource is read"]
    ]
    static let created = OpenAPIDocument.etagHeader.merging(location) { first, _ in first }
    static let trashType: JSONValue = [
        "name": "type", "in": "path", "required": true,
        "schema": ["type": "string", "enum": .array(TrashKind.allCases.map { .string($0.rawValue) })],
    ]

    // MARK: - Operations

    static let operations: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/health", operationID: "getHealth", summary: "Server and database health", tag: "Operations",
            successDescription: "The server and its database answer", responseSchema: "Health",
            otherResponses: [
                503: [
                    "description": "The database does not answer: the same report, with status unavailable",
                    "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Health"]]],
                ]
            ],
            errors: [], isPublic: true
        ),
        OpenAPIOperation(
            method: "GET", path: "/metrics", operationID: "getMetrics", summary: "Prometheus metrics (text format)", tag: "Operations",
            responseContentTypes: ["text/plain"],
            // Behind the API token when one is set (docs/decisions.md: /metrics is behind the token).
            errors: [401]
        ),
        OpenAPIOperation(
            method: "GET", path: "/openapi.json", operationID: "getOpenAPI", summary: "This document", tag: "Operations",
            responseSchema: "OpenAPIDocument"
        ),
    ]

    // MARK: - Projects

    static let treeETag: [String: JSONValue] = [
        "ETag": [
            "schema": ["type": "string"],
            "description":
                "The project's version, quoted; with `include`, the tree's weak tag (`W/\"tree-…\"`), which changes with anything in it",
        ]
    ]

    static let projects: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/projects", operationID: "listProjects", summary: "List projects, newest first", tag: "Projects",
            parameters: [
                ["name": "q", "in": "query", "schema": ["type": "string"], "description": "Name contains (case-insensitive)"], include,
            ]
                + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "ProjectList", errors: [400]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects", operationID: "createProject", summary: "Create a project", tag: "Projects",
            requestSchema: "ProjectCreate", successStatus: 201, successDescription: "Created", responseSchema: "Project",
            responseHeaders: created
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}", operationID: "getProject",
            summary: "Read a project, or with `include` its whole tree in one answer", tag: "Projects",
            parameters: [
                include, OpenAPIDocument.includeDeleted,
                [
                    "name": "If-None-Match", "in": "header", "schema": ["type": "string"],
                    "description": "With `include`: the tree's ETag from an earlier read; 304 when nothing in the tree changed",
                ],
            ],
            responseSchema: "Project", responseHeaders: treeETag,
            otherResponses: [304: ["description": "Not modified: the tree is as the ETag says", "headers": .object(treeETag)]],
            errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/projects/{id}", operationID: "updateProject", summary: "Change a project's name or description",
            tag: "Projects", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ProjectPatch", responseSchema: "Project",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/projects/{id}", operationID: "deleteProject",
            summary: "Move a project to the trash, with its scenes, clips, characters and templates", tag: "Projects",
            parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/restore", operationID: "restoreProject",
            summary: "Bring a project back from the trash",
            tag: "Projects", responseSchema: "Project", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/timeline", operationID: "getProjectTimeline",
            summary: "The timeline: clips at absolute times, gaps, overlaps and the end against the song", tag: "Projects",
            responseSchema: "Timeline", errors: [404]
        ),
    ]

    // MARK: - Scenes

    static let scenes: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/scenes", operationID: "listScenes",
            summary: "List a project's primary scenes in order",
            tag: "Scenes", parameters: OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted], responseSchema: "SceneList",
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/scenes", operationID: "createScene", summary: "Add a scene to a project",
            tag: "Scenes",
            requestSchema: "SceneCreate", successStatus: 201, successDescription: "Created", responseSchema: "Scene",
            responseHeaders: created,
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/scenes/reorder", operationID: "reorderScenes",
            summary: "Put a project's primary scenes in a new order", tag: "Scenes", requestSchema: "SceneReorder",
            successDescription: "The scenes in their new order", responseSchema: "SceneList", errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/scenes/{id}", operationID: "getScene", summary: "Read a scene", tag: "Scenes",
            parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Scene", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/scenes/{id}", operationID: "updateScene", summary: "Change a scene (and its place in the order)",
            tag: "Scenes", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ScenePatch", responseSchema: "Scene",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/scenes/{id}", operationID: "deleteScene",
            summary: "Move a scene to the trash, with its alternates and clips", tag: "Scenes", parameters: [OpenAPIDocument.ifMatch],
            successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/scenes/{id}/restore", operationID: "restoreScene",
            summary: "Bring a scene back from the trash (409 while its project is there)", tag: "Scenes", responseSchema: "Scene",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/scenes/{id}/alternates", operationID: "listSceneAlternates",
            summary: "The alternates of a scene (of its primary, for an alternate), by number", tag: "Scenes", responseSchema: "SceneList",
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/scenes/{id}/alternates", operationID: "createSceneAlternate",
            summary: "Make an alternate of a scene",
            tag: "Scenes",
            parameters: [
                query("copy_clips", ["type": "boolean", "default": false], "Copy the source's primary clips too (with empty galleries)")
            ],
            requestSchema: "AlternateCreate", requestRequired: false, successStatus: 201, successDescription: "Created",
            responseSchema: "Scene",
            responseHeaders: created, errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/scenes/{id}/promote", operationID: "promoteScene",
            summary: "Make an alternate the primary: it takes its parent's place, which becomes its alternate", tag: "Scenes",
            responseSchema: "Scene", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
    ]

    // MARK: - Characters

    static let characters: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/characters", operationID: "listCharacters", summary: "List a project's characters",
            tag: "Characters", parameters: OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "CharacterList",
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/characters", operationID: "createCharacter", summary: "Add a character to a project",
            tag: "Characters", requestSchema: "CharacterCreate", successStatus: 201, successDescription: "Created",
            responseSchema: "Character",
            responseHeaders: created, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/characters/{id}", operationID: "getCharacter", summary: "Read a character with its reference images",
            tag: "Characters", parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Character",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/characters/{id}", operationID: "updateCharacter", summary: "Change a character", tag: "Characters",
            parameters: [OpenAPIDocument.ifMatch], requestSchema: "CharacterPatch", responseSchema: "Character",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/characters/{id}", operationID: "deleteCharacter",
            summary: "Move a character to the trash, with its reference images", tag: "Characters", parameters: [OpenAPIDocument.ifMatch],
            successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/characters/{id}/restore", operationID: "restoreCharacter",
            summary: "Bring a character back from the trash (409 while its project is there)", tag: "Characters",
            responseSchema: "Character",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/characters/{id}/apply", operationID: "applyCharacter",
            summary: "Write the character into a clip's prompts (once) and link it", tag: "Characters", requestSchema: "ApplyToClip",
            successDescription: "The changed clip", responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/characters/{id}/reference-images", operationID: "listCharacterImages",
            summary: "A character's reference images", tag: "Characters", responseSchema: "CharacterImageList", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/characters/{id}/reference-images", operationID: "uploadCharacterImage",
            summary: "Add a reference image by upload (PNG, JPEG or WebP)", tag: "Characters", requestContentTypes: imageTypes,
            successStatus: 201, successDescription: "Created; Location is the file's download", responseSchema: "CharacterImage",
            responseHeaders: location, errors: uploadErrors
        ),
    ]

    // MARK: - Style templates

    static let styleTemplates: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/style-templates", operationID: "listStyleTemplates",
            summary: "List style templates, most used first: the global ones, or a project's", tag: "Style templates",
            parameters: [
                query("project_id", ["type": "string", "format": "uuid"], "A project's own templates instead of the global ones"),
                query("include_global", ["type": "boolean", "default": false], "With project_id: the global templates too"),
            ] + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "StyleTemplateList", errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/style-templates", operationID: "createStyleTemplate",
            summary: "Create a style template, global or a project's own", tag: "Style templates", requestSchema: "StyleTemplateCreate",
            successStatus: 201, successDescription: "Created", responseSchema: "StyleTemplate", responseHeaders: created,
            errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/style-templates/{id}", operationID: "getStyleTemplate", summary: "Read a style template",
            tag: "Style templates", parameters: [OpenAPIDocument.includeDeleted], responseSchema: "StyleTemplate",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/style-templates/{id}", operationID: "updateStyleTemplate", summary: "Change a style template",
            tag: "Style templates", parameters: [OpenAPIDocument.ifMatch], requestSchema: "StyleTemplatePatch",
            responseSchema: "StyleTemplate",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/style-templates/{id}", operationID: "deleteStyleTemplate",
            summary: "Move a style template to the trash",
            tag: "Style templates", parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash",
            errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/style-templates/{id}/restore", operationID: "restoreStyleTemplate",
            summary: "Bring a style template back from the trash (409 while its project is there)", tag: "Style templates",
            responseSchema: "StyleTemplate", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/style-templates/{id}/apply", operationID: "applyStyleTemplate",
            summary: "Render the template into a clip's prompts and count the use", tag: "Style templates", requestSchema: "ApplyToClip",
            successDescription: "The changed clip", responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
    ]

    // MARK: - Trash

    static let trash: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/trash", operationID: "listTrash",
            summary: "What was deleted (the root of each delete), newest first",
            tag: "Trash",
            parameters: [
                query(
                    "type", ["type": "string", "enum": .array(TrashKind.allCases.map { .string($0.rawValue) })], "Only deletes of this kind"
                )
            ]
                + OpenAPIDocument.pageParameters,
            responseSchema: "TrashList", errors: [400]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/trash/{type}/{id}", operationID: "purgeTrashEntry",
            summary: "Purge a trashed resource for good, with everything under it and its unused media files", tag: "Trash",
            parameters: [trashType], successStatus: 204, successDescription: "Purged", errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/trash/{type}/{id}/restore", operationID: "restoreTrashEntry",
            summary: "Bring back exactly what a delete took (409 if not in the trash or its parent still is)", tag: "Trash",
            parameters: [trashType], successStatus: 204, successDescription: "Restored", errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/trash/purge", operationID: "purgeTrash", summary: "Purge every delete older than a given age",
            tag: "Trash",
            parameters: [
                query(
                    "older_than", ["type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?[dhms]$", "default": "30d"],
                    "An age such as 30d, 12h, 90m or 45s"
                )
            ],
            responseSchema: "TrashPurgeResult", errors: [400]
        ),
    ]

    // MARK: - Media

    static let range: JSONValue = [
        "name": "Range", "in": "header", "schema": ["type": "string"],
        "description": "One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`; 206 with that part",
    ]
    static let fileIfNoneMatch: JSONValue = [
        "name": "If-None-Match", "in": "header", "schema": ["type": "string"],
        "description": "The file's ETag; 304 when it is the same file",
    ]
    static let fileHeaders: [String: JSONValue] = [
        "ETag": ["schema": ["type": "string"], "description": "The file's SHA-256, quoted"],
        "Accept-Ranges": ["schema": ["type": "string", "enum": ["bytes"]]],
        "Content-Length": ["schema": ["type": "integer"]],
        "Content-Disposition": ["schema": ["type": "string"], "description": "Always inline, with a name from the file's hash"],
        "Cache-Control": ["schema": ["type": "string"]],
    ]

    /// 206, 304 and 416 of a download in `types`.
    static func fileResponses(_ types: [String]) -> [Int: JSONValue] {
        let contentRange: JSONValue = ["schema": ["type": "string"], "description": "`bytes a-b/size`"]
        return [
            206: [
                "description": "The byte range asked for",
                "headers": .object(fileHeaders.merging(["Content-Range": contentRange]) { first, _ in first }),
                "content": OpenAPIDocument.binaryContent(types),
            ],
            304: ["description": "Not modified: the same file as If-None-Match names", "headers": .object(fileHeaders)],
            416: [
                "description": "RANGE_NOT_SATISFIABLE: the range is outside the file",
                "headers": ["Content-Range": ["schema": ["type": "string"], "description": "`bytes */size`"]],
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
            ],
        ]
    }

    static let audioTypes = ["audio/mpeg", "audio/wav", "audio/flac", "audio/ogg", "audio/mp4"]
    static let mediaTypes = ["image/png", "image/jpeg", "image/webp", "video/mp4", "video/webm", "application/octet-stream"]

    static let media: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "PUT", path: "/api/projects/{id}/music", operationID: "uploadProjectMusic",
            summary: "Upload a project's song (MP3, WAV, FLAC, OGG or M4A); sets music_file_path, music_duration and music_url",
            tag: "Media",
            // The type is decided from the bytes; these are the ones accepted (a range such as
            // audio/* names no type a client can send).
            parameters: [OpenAPIDocument.ifMatch], requestContentTypes: audioTypes, responseSchema: "Project",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412, 413, 422, 507]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/music", operationID: "getProjectMusic",
            summary: "Stream a project's song, with Range support", tag: "Media", parameters: [range, fileIfNoneMatch],
            successDescription: "The whole file", responseContentTypes: audioTypes, responseHeaders: fileHeaders,
            otherResponses: fileResponses(audioTypes), errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/media/{id}", operationID: "getMedia",
            summary:
                "Stream a gallery item's, reference image's, pool item's or finished render's file, with Range support (`?download=true`: as an attachment)",
            tag: "Media",
            parameters: [range, fileIfNoneMatch], successDescription: "The whole file (cached for good: it never changes)",
            responseContentTypes: mediaTypes, responseHeaders: fileHeaders, otherResponses: fileResponses(mediaTypes), errors: [404]
        ),
    ]

    static let servers: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/servers", operationID: "listServers", summary: "List generation servers, oldest first",
            tag: "Generation servers",
            parameters: [
                query("active", ["type": "boolean", "default": false], "Only servers with is_active"),
                query(
                    "include", ["type": "string", "enum": ["status"]],
                    "`status`: each server with its last check as `status` (null before the first)"),
            ] + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "ServerList", errors: [400]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/servers", operationID: "createServer", summary: "Register a ComfyUI server or a RunPod endpoint",
            tag: "Generation servers", requestSchema: "ServerCreate", successStatus: 201, successDescription: "Created",
            responseSchema: "Server",
            responseHeaders: created, errors: [409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/servers/{id}", operationID: "getServer", summary: "Read a generation server (never its API key)",
            tag: "Generation servers", parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Server",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/servers/{id}", operationID: "updateServer", summary: "Change a generation server",
            tag: "Generation servers", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ServerPatch", responseSchema: "Server",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/servers/{id}", operationID: "deleteServer", summary: "Move a generation server to the trash",
            tag: "Generation servers", parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash",
            errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/servers/{id}/restore", operationID: "restoreServer",
            summary: "Bring a generation server back from the trash",
            tag: "Generation servers", responseSchema: "Server", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
    ]
}
