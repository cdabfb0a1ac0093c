import StoryboardCore
import StoryboardDatabase

/// JSON Schemas of request and response bodies, with the limits of docs/domain.md.
enum Schemas {
    static var all: [String: JSONValue] {
        [
            "Error": error,
            "OpenAPIDocument": [
                "type": "object", "required": ["openapi", "info", "paths"], "description": "An OpenAPI 3.1 document: this one",
            ],
            "Health": health,
            "ServerSentEvent": serverSentEvent,
            "Project": project,
            "ProjectTree": projectTree,
            "ProjectCreate": projectCreate,
            "ProjectPatch": projectPatch,
            "ProjectList": list(of: "Project"),
            "Timeline": timeline,
            "Scene": scene,
            "SceneCreate": sceneCreate,
            "ScenePatch": scenePatch,
            "SceneReorder": sceneReorder,
            "SceneList": list(of: "Scene"),
            "AlternateCreate": alternateCreate,
            "Clip": clip,
            "ClipCreate": clipCreate,
            "ClipPatch": clipPatch,
            "ClipReorder": clipReorder,
            "ClipMove": clipMove,
            "ClipPrompts": clipPrompts,
            "ClipTiming": clipTiming,
            "ClipList": list(of: "Clip"),
            "ClipVersion": clipVersion,
            "ClipVersionCreate": clipVersionCreate,
            "ClipVersionList": list(of: "ClipVersion"),
            "GalleryItem": galleryItem,
            "Gallery": gallery,
            "GallerySelect": gallerySelect,
            "Character": character,
            "CharacterCreate": characterCreate,
            "CharacterPatch": characterPatch,
            "CharacterList": list(of: "Character"),
            "CharacterImage": characterImage,
            "CharacterImageList": list(of: "CharacterImage"),
            "StyleTemplate": styleTemplate,
            "StyleTemplateCreate": styleTemplateCreate,
            "StyleTemplatePatch": styleTemplatePatch,
            "StyleTemplateList": list(of: "StyleTemplate"),
            "ApplyToClip": applyToClip,
            "TrashEntry": trashEntry,
            "TrashList": list(of: "TrashEntry"),
            "TrashPurgeResult": trashPurgeResult,
            "Server": server,
            "ServerCreate": serverCreate,
            "ServerPatch": serverPatch,
            "ServerList": list(of: "Server"),
        ].merging(generationSchemas) { first, _ in first }.merging(poolSchemas) { first, _ in first }.merging(workerSchemas) { first, _ in
            first
        }.merging(workflowSchemas) { first, _ in first }
            .merging(renderSchemas) { first, _ in first }
    }

    static let error: JSONValue = [
        "type": "object", "required": ["error"], "additionalProperties": false,
        "properties": [
            "error": [
                "type": "object", "required": ["code", "message", "request_id"],
                "properties": [
                    "code": ["type": "string", "enum": .array(ErrorCode.allCases.map { .string($0.rawValue) })],
                    "message": ["type": "string"],
                    "details": ["type": "object", "description": "For 400: `fields` maps each bad field to the reason"],
                    "request_id": ["type": "string"],
                ],
            ]
        ],
    ]

    /// One event of a `text/event-stream` body as an EventSource client reads it. OpenAPI 3.1
    /// tools read an event stream's schema as that of each event; a tool that reads it as the
    /// whole body gets a string, which the type allows too.
    static let serverSentEvent: JSONValue = [
        "type": ["object", "string"],
        "description":
            "One event of the stream (the stream itself is text). The stream opens with `retry: 1000` alone and sends `: keep-alive` comments; each event has its `id` (resume with Last-Event-ID), its kind as `event` and a JSON object as `data`",
        "required": ["id", "event", "data"],
        "properties": [
            "id": ["type": "string", "pattern": "^[0-9]+$"],
            "event": ["type": "string", "enum": .array(JobEvent.Kind.allCases.map { .string($0.rawValue) })],
            "data": ["type": "string", "contentMediaType": "application/json"],
            "retry": ["type": "integer", "minimum": 0],
        ],
    ]

    static let health: JSONValue = [
        "type": "object", "required": ["status", "database", "version"],
        "properties": [
            "status": ["type": "string", "enum": ["ok", "unavailable"]],
            "database": [
                "type": "object", "required": ["status", "engine"],
                "properties": [
                    "status": ["type": "string", "enum": ["ok", "unavailable"]],
                    "engine": ["type": "string", "enum": ["sqlite", "postgresql"]],
                    "latency_ms": ["type": "number"],
                ],
            ],
            "version": ["type": "string"],
            "error": ["type": "object", "description": "Present when unavailable: the error envelope's body"],
        ],
    ]

    static let metadata: [String: JSONValue] = [
        "id": ["type": "string", "format": "uuid", "readOnly": true],
        "created_at": ["type": "string", "format": "date-time", "readOnly": true],
        "updated_at": ["type": "string", "format": "date-time", "readOnly": true],
        "version": ["type": "integer", "minimum": 1, "readOnly": true],
        "deleted_at": ["type": ["string", "null"], "format": "date-time", "readOnly": true],
    ]

    static let name: JSONValue = [
        "type": "string", "minLength": .number(Double(Limits.name.lowerBound)), "maxLength": .number(Double(Limits.name.upperBound)),
        "description": "Trimmed; 1–200 characters",
    ]
    static let description: JSONValue = ["type": ["string", "null"], "maxLength": .number(Double(Limits.description))]

    static var project: JSONValue {
        resource(
            [
                "name": name,
                "description": description,
                "music_file_path": ["type": ["string", "null"], "readOnly": true],
                "music_duration": [
                    "type": ["number", "null"], "minimum": 0, "readOnly": true, "description": "Seconds, read from the file",
                ],
                "music_url": [
                    "type": ["string", "null"], "format": "uri-reference", "readOnly": true,
                    "description": "Where GET streams the song (`/api/projects/{id}/music`); null until one is uploaded",
                ],
            ],
            optional: [
                "scenes": [
                    "type": "array", "items": ref("Scene"), "readOnly": true,
                    "description":
                        "Only with `?include=scenes` or `scenes.clips`: the primary scenes in order, each with its `alternates` (and, with `scenes.clips`, its `clips`)",
                ]
            ]
        )
    }

    static let projectTree: JSONValue = [
        "description": "A project read with `?include=scenes` or `?include=scenes.clips`: the whole tree in one answer",
        "allOf": [ref("Project"), ["type": "object", "required": ["scenes"]]],
    ]

    static let projectCreate: JSONValue = [
        "type": "object", "required": ["name"], "additionalProperties": false,
        "properties": ["name": name, "description": description],
    ]

    static let projectPatch: JSONValue = [
        "type": "object", "additionalProperties": false, "minProperties": 0,
        "properties": ["name": name, "description": description],
    ]

    // MARK: - Shared fields

    static func ref(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(schema)")] }
    static func limit(_ value: Int) -> JSONValue { .number(Double(value)) }

    static let uuid: JSONValue = ["type": "string", "format": "uuid"]
    static let nullableUUID: JSONValue = ["type": ["string", "null"], "format": "uuid"]
    static let lyrics: JSONValue = ["type": ["string", "null"], "maxLength": limit(Limits.lyricsOrPrompt)]
    static let prompt: JSONValue = ["type": ["string", "null"], "maxLength": limit(Limits.lyricsOrPrompt)]
    static let styleNotes: JSONValue = ["type": ["string", "null"], "maxLength": limit(Limits.description)]
    static let order: JSONValue = ["type": "integer", "minimum": 0, "description": "0-based place among the primary items"]
    static let length: JSONValue = [
        "type": "number", "exclusiveMinimum": 0, "maximum": .number(Limits.timelinePosition.upperBound),
        "description": "Seconds; more than 0",
    ]
    static let position: JSONValue = [
        "type": "number", "minimum": .number(Limits.timelinePosition.lowerBound), "maximum": .number(Limits.timelinePosition.upperBound),
        "description": "Absolute seconds on the song",
    ]
    static let mediaURL: JSONValue = [
        "type": ["string", "null"], "format": "uri-reference", "description": "`/api/media/{id}`; null without a file",
    ]
    static let nullableObject: JSONValue = ["type": ["object", "null"]]
    static let alternateNumber: JSONValue = ["type": ["integer", "null"], "minimum": 1, "description": "Null for a primary"]

    /// A stored resource: `fields` and the metadata every resource has, always present;
    /// `optional` ones only where their description says.
    static func resource(_ fields: [String: JSONValue], optional: [String: JSONValue] = [:]) -> JSONValue {
        .object([
            "type": "object",
            "required": .array((Array(metadata.keys) + Array(fields.keys)).sorted().map { .string($0) }),
            "properties": .object(metadata.merging(fields) { first, _ in first }.merging(optional) { first, _ in first }),
        ])
    }

    /// A request body: only the named fields (any other is a 400 naming it).
    static func body(required: [String] = [], _ properties: [String: JSONValue], description: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["type": "object", "additionalProperties": false, "properties": .object(properties)]
        if !required.isEmpty { object["required"] = .array(required.map { .string($0) }) }
        if let description { object["description"] = .string(description) }
        return .object(object)
    }

    // MARK: - Timeline

    static let timelineClip: JSONValue = [
        "type": "object",
        "required": ["id", "name", "order", "start", "end", "length", "selected_image_id", "selected_video_id", "past_music_end"],
        "properties": [
            "id": uuid, "name": ["type": "string"], "order": order, "start": ["type": "number"], "end": ["type": "number"],
            "length": ["type": "number"], "selected_image_id": nullableUUID, "selected_video_id": nullableUUID,
            "past_music_end": ["type": "boolean", "description": "Ends after the song does"],
        ],
    ]

    static let timelineScene: JSONValue = [
        "type": "object", "required": ["id", "name", "order", "clips"],
        "properties": ["id": uuid, "name": ["type": "string"], "order": order, "clips": ["type": "array", "items": timelineClip]],
    ]

    static let timelineGap: JSONValue = [
        "type": "object", "required": ["start", "end", "duration", "before_clip_id", "after_clip_id"],
        "description": "Time longer than 0.1 s between two consecutive clips",
        "properties": [
            "start": ["type": "number"], "end": ["type": "number"], "duration": ["type": "number"],
            "before_clip_id": uuid, "after_clip_id": uuid,
        ],
    ]

    static let timelineOverlap: JSONValue = [
        "type": "object", "required": ["clip_id", "other_clip_id", "start", "end", "duration"],
        "properties": [
            "clip_id": uuid, "other_clip_id": uuid, "start": ["type": "number"], "end": ["type": "number"], "duration": ["type": "number"],
        ],
    ]

    static let timeline: JSONValue = [
        "type": "object",
        "required": [
            "project_id", "music_duration", "scenes", "total_clips", "total_duration", "timeline_end", "gaps", "overlaps",
            "clips_past_music_end", "music_fit", "music_end_difference", "has_issues",
        ],
        "description": "The primary scenes in order with their primary clips at absolute times, checked against the song",
        "properties": [
            "project_id": uuid,
            "music_duration": ["type": ["number", "null"]],
            "scenes": ["type": "array", "items": timelineScene],
            "total_clips": ["type": "integer", "minimum": 0],
            "total_duration": ["type": "number", "description": "Sum of the clips' lengths"],
            "timeline_end": ["type": "number", "description": "The latest end of any clip (0 with none)"],
            "gaps": ["type": "array", "items": timelineGap],
            "overlaps": ["type": "array", "items": timelineOverlap],
            "clips_past_music_end": ["type": "array", "items": uuid],
            "music_fit": ["type": "string", "enum": ["no_music", "shorter_than_music", "matches_music", "longer_than_music"]],
            "music_end_difference": ["type": ["number", "null"], "description": "timeline_end − music_duration; null without music"],
            "has_issues": ["type": "boolean", "description": "Any gap, overlap or clip past the song's end"],
        ],
    ]

    // MARK: - Scenes

    static var scene: JSONValue {
        resource(
            [
                "project_id": uuid, "name": name, "description": description, "lyrics": lyrics, "order": order,
                "parent_scene_id": ["type": ["string", "null"], "format": "uuid", "description": "The primary this is an alternate of"],
                "is_alternate": ["type": "boolean"], "alternate_number": alternateNumber,
            ],
            optional: [
                "clips": [
                    "type": "array", "items": ref("Clip"),
                    "description":
                        "Only in a tree read with `include=scenes.clips`: the primary clips in order, with galleries and alternates",
                ],
                "alternates": [
                    "type": "array", "items": ref("Scene"), "description": "Only in a project tree: the scene's alternates by number",
                ],
            ]
        )
    }

    static var sceneCreate: JSONValue {
        body(
            required: ["name"], ["name": name, "description": description, "lyrics": lyrics, "order": order],
            description: "Without `order` the scene goes last; with it, the scenes from there on move down one"
        )
    }

    static var scenePatch: JSONValue {
        body(
            ["name": name, "description": description, "lyrics": lyrics, "order": order],
            description: "Only the fields given change; null clears")
    }

    static var sceneReorder: JSONValue {
        body(
            required: ["scene_ids"], ["scene_ids": ["type": "array", "items": uuid, "uniqueItems": true]],
            description: "Every primary scene of the project exactly once, in the new order; anything else is 400"
        )
    }

    static var alternateCreate: JSONValue {
        body(["name": name], description: "Without a name: \"{source name} A{n}\". The body may be left out")
    }

    // MARK: - Lists

    static func list(of item: String) -> JSONValue {
        [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": [
                "items": ["type": "array", "items": ["$ref": .string("#/components/schemas/\(item)")]],
                "next_cursor": ["type": ["string", "null"]],
            ],
        ]
    }
}
