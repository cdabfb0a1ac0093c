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

    // MARK: - Clips

    static var clip: JSONValue {
        resource(
            [
                "project_id": uuid, "scene_id": uuid, "name": name, "lyrics": lyrics, "length": length, "timeline_position": position,
                "order": order,
                "image_prompt": prompt, "video_prompt": prompt, "negative_prompt": prompt,
                "selected_image_id": nullableUUID, "selected_video_id": nullableUUID, "character_id": nullableUUID,
                "style_template_id": nullableUUID,
                "active_version": [
                    "type": ["integer", "null"], "minimum": 1, "description": "The number of the version last made or activated",
                ],
                "parent_clip_id": ["type": ["string", "null"], "format": "uuid", "description": "The primary this is an alternate of"],
                "is_alternate": ["type": "boolean"], "alternate_number": alternateNumber,
            ],
            optional: [
                "generated_images": [
                    "type": "array", "items": ref("GalleryItem"), "description": "Only in a tree read with `include=scenes.clips`",
                ],
                "generated_videos": [
                    "type": "array", "items": ref("GalleryItem"), "description": "Only in a tree read with `include=scenes.clips`",
                ],
                "alternates": [
                    "type": "array", "items": ref("Clip"), "description": "Only in a project tree: the clip's alternates by number",
                ],
            ]
        )
    }

    static var clipCreate: JSONValue {
        body(
            required: ["name", "length"],
            [
                "name": name, "lyrics": lyrics, "length": length, "timeline_position": position, "order": order,
                "image_prompt": prompt, "video_prompt": prompt, "negative_prompt": prompt,
                "character_id": ["type": ["string", "null"], "format": "uuid", "description": "A live character of the same project"],
            ],
            description: "Without `timeline_position` the clip starts where the timeline ends; without `order` it goes last in its scene"
        )
    }

    static var clipPatch: JSONValue {
        body(
            [
                "name": name, "lyrics": lyrics, "length": length, "timeline_position": position, "order": order,
                "image_prompt": prompt, "video_prompt": prompt, "negative_prompt": prompt,
                "character_id": [
                    "type": ["string", "null"], "format": "uuid", "description": "A live character of the same project; null unlinks",
                ],
            ],
            description: "Only the fields given change; null clears"
        )
    }

    static var clipReorder: JSONValue {
        body(
            required: ["clip_ids"], ["clip_ids": ["type": "array", "items": uuid, "uniqueItems": true]],
            description: "Every primary clip of the scene exactly once, in the new order; anything else is 400"
        )
    }

    static var clipMove: JSONValue {
        body(
            required: ["scene_id"], ["scene_id": uuid, "order": order],
            description:
                "A scene of the same project; without `order` the clip goes last. Its alternates move with it; its time on the song stays"
        )
    }

    static var clipPrompts: JSONValue {
        body(["image_prompt": prompt, "video_prompt": prompt], description: "Only the prompts given change; null clears")
    }

    static var clipTiming: JSONValue {
        body(required: ["timeline_position"], ["timeline_position": position, "length": length])
    }

    static var clipVersion: JSONValue {
        resource([
            "clip_id": uuid,
            "number": ["type": "integer", "minimum": 1],
            "image_prompt": prompt, "video_prompt": prompt, "negative_prompt": prompt,
            "selected_image_id": nullableUUID, "selected_video_id": nullableUUID,
            "image_url": mediaURL, "video_url": mediaURL,
            "length": length, "timeline_position": position,
            "generation_params": nullableObject,
        ])
    }

    static var clipVersionCreate: JSONValue {
        body(
            ["generation_params": nullableObject],
            description:
                "Snapshots the clip's prompts, selection and timing as the next version, which becomes active. The body may be left out"
        )
    }

    // MARK: - Gallery

    static var galleryItem: JSONValue {
        resource([
            "clip_id": uuid,
            "content_type": ["type": "string", "enum": .array(MediaKind.allCases.map { .string($0.rawValue) })],
            "url": mediaURL, "thumbnail_url": mediaURL,
            "prompt": ["type": ["string", "null"]], "negative_prompt": ["type": ["string", "null"]],
            "seed": ["type": ["integer", "null"]],
            "server_id": nullableUUID, "server_name": ["type": ["string", "null"]],
            "model_name": ["type": ["string", "null"]],
            "model_type": ["type": ["string", "null"], "description": "The detected base model"],
            "generation_params": nullableObject,
            "job_id": nullableUUID,
            "is_selected": ["type": "boolean"],
        ])
    }

    static let gallery: JSONValue = [
        "type": "object", "required": ["generated_images", "generated_videos", "selected_image_id", "selected_video_id"],
        "properties": [
            "generated_images": ["type": "array", "items": ref("GalleryItem")],
            "generated_videos": ["type": "array", "items": ref("GalleryItem")],
            "selected_image_id": nullableUUID,
            "selected_video_id": nullableUUID,
        ],
    ]

    static var gallerySelect: JSONValue {
        body(
            [
                "image_id": ["type": ["string", "null"], "format": "uuid", "description": "An image of this clip's gallery; null clears"],
                "video_id": ["type": ["string", "null"], "format": "uuid", "description": "A video of this clip's gallery; null clears"],
            ],
            description: "Only the selections given change"
        )
    }

    // MARK: - Characters

    static let triggerWords: JSONValue = [
        "type": "array", "items": ["type": "string"],
        "description": "Trimmed, blank words dropped; at most 500 characters together",
    ]
    static let lora: JSONValue = ["type": ["string", "null"], "maxLength": limit(Limits.name.upperBound)]

    static var character: JSONValue {
        resource(
            [
                "project_id": uuid, "name": name, "description": description, "lora": lora, "trigger_words": triggerWords,
                "style_notes": styleNotes,
            ],
            optional: [
                "reference_images": [
                    "type": "array", "items": ref("CharacterImage"), "description": "Only when one character is read (GET)",
                ]
            ]
        )
    }

    static var characterCreate: JSONValue {
        body(
            required: ["name"],
            ["name": name, "description": description, "lora": lora, "trigger_words": triggerWords, "style_notes": styleNotes]
        )
    }

    static var characterPatch: JSONValue {
        body(
            ["name": name, "description": description, "lora": lora, "trigger_words": triggerWords, "style_notes": styleNotes],
            description: "Only the fields given change; null clears"
        )
    }

    static var characterImage: JSONValue {
        resource([
            "character_id": uuid,
            "content_type": ["type": "string", "enum": ["image/png", "image/jpeg", "image/webp"]],
            "kind": [
                "type": "string", "enum": .array(CharacterImageKind.allCases.map { .string($0.rawValue) }),
                "description": "A reference image, or a generated sample",
            ],
            "url": ["type": "string", "format": "uri-reference", "description": "`/api/media/{id}`"],
            "job_id": ["type": ["string", "null"], "format": "uuid", "description": "The job that generated a sample"],
            "seed": ["type": ["integer", "null"]],
        ])
    }

    // MARK: - Style templates

    static let template: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": limit(Limits.lyricsOrPrompt),
        "description": "Not blank; `{prompt}`, `{lyrics}` and `{character}` are filled in when applied",
    ]
    static let nullableTemplate: JSONValue = [
        "type": ["string", "null"], "minLength": 1, "maxLength": limit(Limits.lyricsOrPrompt),
        "description": "Not blank; `{prompt}`, `{lyrics}` and `{character}` are filled in when applied",
    ]

    static var styleTemplate: JSONValue {
        resource([
            "project_id": ["type": ["string", "null"], "format": "uuid", "description": "Null for a global template"],
            "name": name, "description": description,
            "prompt_template": template, "negative_prompt_template": nullableTemplate,
            "default_params": nullableObject,
            "use_count": ["type": "integer", "minimum": 0, "description": "How often it was applied"],
            "is_global": ["type": "boolean"],
        ])
    }

    static var styleTemplateCreate: JSONValue {
        body(
            required: ["name", "prompt_template"],
            [
                "name": name,
                "project_id": [
                    "type": ["string", "null"], "format": "uuid", "description": "A live project; without one the template is global",
                ],
                "is_global": ["type": "boolean", "description": "Cannot be true with a project_id"],
                "description": description,
                "prompt_template": template, "negative_prompt_template": nullableTemplate,
                "default_params": nullableObject,
            ]
        )
    }

    static var styleTemplatePatch: JSONValue {
        body(
            [
                "name": name, "description": description,
                "prompt_template": template, "negative_prompt_template": nullableTemplate,
                "default_params": nullableObject,
            ],
            description: "Only the fields given change; null clears"
        )
    }

    static var applyToClip: JSONValue {
        body(required: ["clip_id"], ["clip_id": uuid], description: "A live clip of the same project")
    }

    // MARK: - Trash

    static let trashEntry: JSONValue = [
        "type": "object",
        "required": ["deletion_id", "type", "id", "name", "project_id", "deleted_at", "item_count"],
        "description": "One delete: its root and how many rows it took",
        "properties": [
            "deletion_id": uuid,
            "type": ["type": "string", "enum": .array(TrashKind.allCases.map { .string($0.rawValue) })],
            "id": ["type": "string", "format": "uuid", "description": "The deleted root"],
            "name": ["type": "string"],
            "project_id": nullableUUID,
            "deleted_at": ["type": "string", "format": "date-time"],
            "item_count": ["type": "integer", "minimum": 1, "description": "Rows the delete took, root included"],
        ],
    ]

    static let trashPurgeResult: JSONValue = [
        "type": "object", "required": ["purged"],
        "properties": ["purged": ["type": "integer", "minimum": 0, "description": "How many deletes were purged"]],
    ]

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

    // MARK: - Generation servers

    static let serverURL: JSONValue = [
        "type": "string", "format": "uri", "maxLength": 2000,
        "description":
            "http or https with a host; no credentials, query or fragment. Stored lower-cased, without a trailing slash; unique among live servers",
    ]
    static let serverType: JSONValue = ["type": "string", "enum": .array(ServerType.allCases.map { .string($0.rawValue) })]
    static let endpointID: JSONValue = [
        "type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]{1,200}$", "description": "RunPod endpoint id; required for runpod",
    ]
    static let apiKey: JSONValue = [
        "type": ["string", "null"], "minLength": 1, "maxLength": 500, "writeOnly": true,
        "description": "Write-only: stored and used to call the server, never returned (see has_api_key). Required for runpod",
    ]
    static let maxConcurrent: JSONValue = [
        "type": "integer", "minimum": 1, "maximum": 64, "default": 1, "description": "Jobs at once on this server",
    ]
    static let pullMode: JSONValue = [
        "type": "boolean", "default": false,
        "description":
            "A GPU box this server cannot reach: it calls in for work (/api/workers/{id}/claim) and is never called by the dispatcher or the checks",
    ]

    static var server: JSONValue {
        resource(
            [
                "name": name, "url": serverURL, "server_type": serverType, "endpoint_id": endpointID,
                "has_api_key": ["type": "boolean", "description": "Whether an API key is stored (the key itself is never sent)"],
                "is_active": ["type": "boolean"], "max_concurrent": maxConcurrent, "pull_mode": pullMode,
            ],
            optional: [
                "status": [
                    "description": "Only in `GET /api/servers?include=status`: the last check, null before the first",
                    "oneOf": [["$ref": "#/components/schemas/ServerStatus"], ["type": "null"]],
                ]
            ])
    }

    static var serverCreate: JSONValue {
        body(
            required: ["name", "url", "server_type"],
            [
                "name": name, "url": serverURL, "server_type": serverType, "api_key": apiKey, "endpoint_id": endpointID,
                "is_active": ["type": "boolean", "default": true], "max_concurrent": maxConcurrent, "pull_mode": pullMode,
            ]
        )
    }

    static var serverPatch: JSONValue {
        body(
            [
                "name": name, "url": serverURL, "server_type": serverType, "api_key": apiKey, "endpoint_id": endpointID,
                "is_active": ["type": "boolean"], "max_concurrent": maxConcurrent, "pull_mode": pullMode,
            ],
            description: "Only the fields given change; null clears api_key or endpoint_id"
        )
    }
}
