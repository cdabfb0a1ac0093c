import StoryboardCore

/// Characters, style templates, the trash and generation servers.
extension Schemas {
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
