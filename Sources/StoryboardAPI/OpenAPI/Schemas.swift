import StoryboardCore

/// JSON Schemas of request and response bodies, with the limits of DOMAIN.md.
enum Schemas {
    static var all: [String: JSONValue] {
        [
            "Error": error,
            "Health": health,
            "Project": project,
            "ProjectCreate": projectCreate,
            "ProjectPatch": projectPatch,
            "ProjectList": list(of: "Project"),
        ]
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
        .object([
            "type": "object",
            "required": .array((Array(metadata.keys) + ["name", "description", "music_file_path", "music_duration"]).sorted().map { .string($0) }),
            "properties": .object(
                metadata.merging([
                    "name": name,
                    "description": description,
                    "music_file_path": ["type": ["string", "null"], "readOnly": true],
                    "music_duration": ["type": ["number", "null"], "minimum": 0, "readOnly": true, "description": "Seconds, read from the file"],
                ]) { first, _ in first }
            ),
        ])
    }

    static let projectCreate: JSONValue = [
        "type": "object", "required": ["name"], "additionalProperties": false,
        "properties": ["name": name, "description": description],
    ]

    static let projectPatch: JSONValue = [
        "type": "object", "additionalProperties": false, "minProperties": 0,
        "properties": ["name": name, "description": description],
    ]

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
