import StoryboardCore

extension Operations {
    static let jobFilters: [JSONValue] = [
        query("status", ["type": "string", "enum": .array(JobStatus.allCases.map { .string($0.rawValue) })], "Only jobs in this status"),
        query("clip_id", Schemas.uuid, "Only this clip's jobs"),
        query("batch_id", Schemas.uuid, "Only this batch's jobs"),
        query("project_id", Schemas.uuid, "Only this project's jobs"),
        query("character_id", Schemas.uuid, "Only this character's sample jobs"),
    ]

    static let lastEventID: JSONValue = [
        "name": "Last-Event-ID", "in": "header", "schema": ["type": "integer", "minimum": 0],
        "description": "Resume after this event (EventSource sends it when it reconnects)",
    ]

    static let generation: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "POST", path: "/api/servers/{id}/check", operationID: "checkServer",
            summary: "Call the server now (/system_stats, /queue, /object_info or RunPod /health) and record what it says",
            tag: "Generation servers",
            requestRequired: false, successDescription: "The recorded status; an unreachable server answers online: false with the reason",
            responseSchema: "ServerStatus", errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/servers/{id}/status", operationID: "getServerStatus",
            summary: "What the last check and the dispatcher know about a server",
            tag: "Generation servers", responseSchema: "ServerStatus", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/generate", operationID: "generateClip",
            summary: "Queue image or video generation for a clip (parameters merged: defaults < model preset < style template < request)",
            tag: "Generation jobs", requestSchema: "GenerateRequest", requestRequired: false, successStatus: 202,
            successDescription: "Queued",
            responseSchema: "JobBatchReply", errors: [400, 404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/characters/{id}/samples", operationID: "generateCharacterSamples",
            summary: "Queue N sample images of a character, each with its own seed, for its own gallery", tag: "Generation jobs",
            requestSchema: "SampleRequest", requestRequired: false, successStatus: 202, successDescription: "Queued",
            responseSchema: "JobBatchReply",
            errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/characters/{id}/samples", operationID: "listCharacterSamples",
            summary: "A character's generated samples",
            tag: "Characters", responseSchema: "CharacterImageList", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/characters/{id}/samples/{image_id}/make-reference", operationID: "makeSampleReference",
            summary: "Make a sample one of the character's reference images", tag: "Characters",
            parameters: [["name": "image_id", "in": "path", "required": true, "schema": Schemas.uuid]], requestRequired: false,
            responseSchema: "CharacterImage", errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/jobs", operationID: "listJobs", summary: "List jobs, newest first", tag: "Generation jobs",
            parameters: jobFilters + OpenAPIDocument.pageParameters, responseSchema: "JobList", errors: [400]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/jobs/{id}", operationID: "getJob", summary: "Read a job", tag: "Generation jobs",
            responseSchema: "Job",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/jobs/{id}/preview", operationID: "getJobPreview",
            summary:
                "The latest preview image of a running job (ComfyUI's sampler previews); replaced as new ones arrive, gone when the job ends",
            tag: "Generation jobs", successDescription: "The image, in the type its bytes are",
            responseContentTypes: ["image/jpeg", "image/png", "image/webp"],
            responseHeaders: [
                "ETag": ["description": "Changes with each new preview", "schema": ["type": "string"]],
                "X-Content-Type-Options": ["schema": ["type": "string", "enum": ["nosniff"]]],
            ],
            otherResponses: [204: ["description": "No preview: none received yet, the server sends none, or the job is not running"]],
            errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/{id}/cancel", operationID: "cancelJob",
            summary: "Cancel a queued or running job at once (a running prompt is interrupted upstream); a finished job is 409",
            tag: "Generation jobs",
            requestRequired: false, responseSchema: "Job", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/{id}/retry", operationID: "retryJob",
            summary: "Run a failed or cancelled job again, as a new job with the same prompt and parameters", tag: "Generation jobs",
            requestRequired: false, successStatus: 202, successDescription: "The new job, queued", responseSchema: "Job",
            responseHeaders: OpenAPIDocument.etagHeader.merging(location) { first, _ in first }, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/jobs/{id}", operationID: "updateJob",
            summary: "Change a queued job's priority (higher is claimed first); a job that has started or finished is 409",
            tag: "Generation jobs",
            parameters: [OpenAPIDocument.ifMatch], requestSchema: "JobPatch", responseSchema: "Job",
            responseHeaders: OpenAPIDocument.etagHeader,
            errors: [400, 404, 409, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/clear-finished", operationID: "clearFinishedJobs",
            summary:
                "Take succeeded, failed and cancelled jobs (of a project or a batch, when named) out of the queue; their media stay, their batches still count them",
            tag: "Generation jobs", requestSchema: "ClearFinishedRequest", requestRequired: false, responseSchema: "ClearFinishedReply",
            errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/batches/{id}/events", operationID: "streamBatchEvents",
            summary:
                "Server-Sent Events of the batch's jobs (queued, started, progress with value/max, preview with its url, retrying, succeeded with media ids, failed, cancelled); ends when the batch has finished",
            tag: "Generation jobs",
            parameters: [
                lastEventID,
                query("last_event_id", ["type": "integer", "minimum": 0], "Same as the header, for clients that cannot set it"),
            ],
            responseContentTypes: ["text/event-stream"], errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/events", operationID: "streamProjectEvents",
            summary:
                "Server-Sent Events of a project's jobs (the same events as a batch's); the stream ends after 5 minutes and EventSource resumes it with Last-Event-ID",
            tag: "Generation jobs",
            parameters: [
                ["name": "project_id", "in": "query", "required": true, "schema": Schemas.uuid], lastEventID,
                query("last_event_id", ["type": "integer", "minimum": 0], "Same as the header, for clients that cannot set it"),
            ],
            responseContentTypes: ["text/event-stream"], errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/batches", operationID: "createBatch",
            summary: "Queue one job per clip (default: every clip of the primary scenes) in one transaction", tag: "Generation jobs",
            requestSchema: "BatchCreate", requestRequired: false, successStatus: 202, successDescription: "Queued",
            responseSchema: "BatchReport",
            responseHeaders: OpenAPIDocument.etagHeader.merging(location) { first, _ in first }, errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/batches", operationID: "listBatches", summary: "A project's batches, newest first",
            tag: "Generation jobs",
            parameters: [
                query(
                    "status", ["type": "string", "enum": .array(BatchStatus.allCases.map { .string($0.rawValue) })],
                    "Only batches in this status")
            ]
                + OpenAPIDocument.pageParameters,
            responseSchema: "BatchList", errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/batches/{id}", operationID: "getBatch",
            summary: "A batch with each clip's latest job and the time left",
            tag: "Generation jobs", responseSchema: "BatchReport", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/batches/{id}/cancel", operationID: "cancelBatch",
            summary: "Cancel every unfinished job of the batch",
            tag: "Generation jobs", requestRequired: false, responseSchema: "BatchReport", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/batches/{id}/retry-failed", operationID: "retryFailedBatchJobs",
            summary: "Queue every failed job of the batch again (as new jobs)", tag: "Generation jobs", requestRequired: false,
            successStatus: 202,
            successDescription: "Queued again", responseSchema: "BatchReport",
            responseHeaders: OpenAPIDocument.etagHeader.merging(location) { first, _ in first },
            errors: [404, 409]
        ),
    ]
}

extension Schemas {
    static var generationSchemas: [String: JSONValue] {
        [
            "ServerStatus": serverStatus,
            "GenerationParams": generationParams,
            "GenerateRequest": generateRequest,
            "SampleRequest": sampleRequest,
            "Job": job,
            "JobList": list(of: "Job"),
            "JobPatch": body(required: ["priority"], ["priority": ["type": "integer", "minimum": -100, "maximum": 100]]),
            "ClearFinishedRequest": body(["project_id": uuid, "batch_id": uuid]),
            "ClearFinishedReply": [
                "type": "object", "required": ["cleared"],
                "properties": ["cleared": ["type": "integer", "minimum": 0, "description": "How many jobs left the queue"]],
            ],
            "JobBatchReply": ["type": "object", "required": ["jobs"], "properties": ["jobs": ["type": "array", "items": ref("Job")]]],
            "Batch": batch(report: false),
            "BatchReport": batch(report: true),
            "BatchList": list(of: "Batch"),
            "BatchCreate": batchCreate,
        ]
    }

    static var batchCreate: JSONValue {
        body([
            "generation_type": [
                "type": "string", "enum": .array(GenerationType.allCases.map { .string($0.rawValue) }), "default": "image",
                "description": "video: image-to-video from the clip's selected image (400 naming selected_image_id when it has none)",
            ],
            "clip_ids": [
                "type": "array", "items": uuid, "minItems": 1, "maxItems": 5000,
                "description":
                    "Clips of this project; default: every clip of the primary scenes (those without a prompt are skipped and listed)",
            ],
            "params": ref("GenerationParams"),
            "model": ["type": "string", "maxLength": 300],
            "preset": ["type": "string", "enum": .array(Preset.allCases.map { .string($0.rawValue) })],
            "destination": destination,
            "workflow_id": [
                "type": "string", "format": "uuid",
                "description": "A user-supplied workflow (POST /api/workflows) of this generation_type, run instead of the built-in graph",
            ],
        ])
    }

    static let destination: JSONValue = [
        "type": "string", "enum": .array(JobDestination.allCases.map { .string($0.rawValue) }), "default": "gallery",
        "description": "gallery: the clip's gallery; pool: the project's generation pool (source_type clip_generation or batch_generation)",
    ]

    static func batch(report: Bool) -> JSONValue {
        let count: JSONValue = ["type": "integer", "minimum": 0]
        var fields: [String: JSONValue] = [
            "project_id": uuid,
            "generation_type": ["type": "string", "enum": .array(GenerationType.allCases.map { .string($0.rawValue) })],
            "status": ["type": "string", "enum": .array(BatchStatus.allCases.map { .string($0.rawValue) })],
            "total": count, "completed": count, "failed": count, "cancelled": count, "params": ["type": "object"],
            "started_at": ["type": ["string", "null"], "format": "date-time"],
            "finished_at": ["type": ["string", "null"], "format": "date-time"],
        ]
        if report {
            fields["eta_seconds"] = [
                "type": ["number", "null"],
                "description": "Estimated seconds left, from recent durations of jobs with the same models; null without history",
            ]
            fields["skipped_clip_ids"] = ["type": "array", "items": uuid]
            fields["results"] = [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": [
                        "clip_id": uuid, "job_id": uuid, "status": ["type": "string"],
                        "media_ids": ["type": ["array", "null"], "items": ["type": "string"]],
                        "error": ["type": ["string", "null"]],
                    ],
                ],
            ]
        }
        return resource(fields)
    }

    static let generationParams: JSONValue = [
        "type": "object", "additionalProperties": false,
        "description": "Unset or null fields come from the layer below (defaults < model preset < style template default_params < request)",
        "properties": [
            "width": ["type": ["integer", "null"], "minimum": 64, "maximum": 4096, "multipleOf": 8],
            "height": ["type": ["integer", "null"], "minimum": 64, "maximum": 4096, "multipleOf": 8],
            "steps": ["type": ["integer", "null"], "minimum": 1, "maximum": 200],
            "cfg": ["type": ["number", "null"], "minimum": 0.1, "maximum": 30],
            "seed": [
                "type": ["integer", "null"], "minimum": -1, "maximum": 4_294_967_295,
                "description": "-1: random; with count > 1, consecutive seeds from this one",
            ],
            "sampler": ["type": ["string", "null"], "pattern": "^[A-Za-z0-9_.-]{1,100}$"],
            "scheduler": ["type": ["string", "null"], "pattern": "^[A-Za-z0-9_.-]{1,100}$"],
            "denoise": ["type": ["number", "null"], "minimum": 0, "maximum": 1],
            "clip_skip": ["type": ["integer", "null"], "minimum": -24, "maximum": -1],
            "frames": ["type": ["integer", "null"], "minimum": 1, "maximum": 300],
            "fps": ["type": ["integer", "null"], "minimum": 1, "maximum": 120],
            "motion_bucket": ["type": ["integer", "null"], "minimum": 0, "maximum": 1023],
            "loras": [
                "type": ["array", "null"], "maxItems": 10,
                "items": [
                    "type": "object", "required": ["name"], "additionalProperties": false,
                    "properties": [
                        "name": ["type": "string", "maxLength": 300],
                        "strength": ["type": "number", "minimum": -5, "maximum": 5, "default": 1],
                    ],
                ],
            ],
        ],
    ]

    static var generateRequest: JSONValue {
        body([
            "generation_type": [
                "type": "string", "enum": .array(GenerationType.allCases.map { .string($0.rawValue) }), "default": "image",
                "description": "video: image-to-video from the clip's selected image (400 naming selected_image_id when it has none)",
            ],
            "server_id": ["type": "string", "format": "uuid", "description": "Preferred server: used while it is online and has room"],
            "model": [
                "type": "string", "maxLength": 300,
                "description": "Checkpoint file name; must be on a registered server as far as its last check knows",
            ],
            "params": ref("GenerationParams"),
            "count": ["type": "integer", "minimum": 1, "maximum": 16, "default": 1],
            "preset": ["type": "string", "enum": .array(Preset.allCases.map { .string($0.rawValue) }), "default": "quality"],
            "replace_pending": [
                "type": "boolean", "default": false, "description": "Cancel the clip's queued jobs first (same transaction)",
            ],
            "destination": destination,
            "workflow_id": [
                "type": "string", "format": "uuid",
                "description": "A user-supplied workflow (POST /api/workflows) of this generation_type, run instead of the built-in graph",
            ],
            "priority": ["type": "integer", "minimum": -100, "maximum": 100, "default": 0, "description": "Higher runs first"],
        ])
    }

    static var sampleRequest: JSONValue {
        body([
            "count": ["type": "integer", "minimum": 1, "maximum": 16, "default": 4],
            "prompt": prompt,
            "server_id": ["type": "string", "format": "uuid"],
            "model": ["type": "string", "maxLength": 300],
        ])
    }

    static var job: JSONValue {
        resource([
            "project_id": uuid, "clip_id": nullableUUID, "character_id": nullableUUID, "batch_id": nullableUUID,
            "target": ["type": "string", "enum": .array(JobTarget.allCases.map { .string($0.rawValue) })],
            "destination": destination,
            "workflow_id": nullableUUID,
            "generation_type": ["type": "string", "enum": .array(GenerationType.allCases.map { .string($0.rawValue) })],
            "status": [
                "type": "string", "enum": .array(JobStatus.allCases.map { .string($0.rawValue) }),
                "description": "queued → running → succeeded | failed | cancelled; a finished job never changes",
            ],
            "priority": ["type": "integer"], "attempts": ["type": "integer", "minimum": 0],
            "max_retries": ["type": "integer", "minimum": 0],
            "server_id": nullableUUID, "preferred_server_id": nullableUUID, "model": ["type": ["string", "null"]],
            "prompt": ["type": "string"], "negative_prompt": ["type": ["string", "null"]], "params": ref("GenerationParams"),
            "progress": [
                "type": ["object", "null"],
                "description": "The running attempt's sampler step (value of max), as the server last reported it",
                "properties": [
                    "value": ["type": "integer"], "max": ["type": "integer"],
                    "updated_at": [
                        "type": ["string", "null"], "format": "date-time", "description": "When the server last showed a sign of progress",
                    ],
                ],
            ],
            "error": ["type": ["string", "null"], "description": "The upstream's message for the last failure"],
            "result_media_ids": ["type": ["array", "null"], "items": ["type": "string"]],
            "available_at": ["type": "string", "format": "date-time", "description": "Not run before this (back-off)"],
            "lease_until": ["type": ["string", "null"], "format": "date-time"],
            "started_at": ["type": ["string", "null"], "format": "date-time"],
            "finished_at": ["type": ["string", "null"], "format": "date-time"],
        ])
    }

    static let serverStatus: JSONValue = [
        "type": "object",
        "required": ["server_id", "online", "queue_length", "consecutive_failures", "last_check"],
        "properties": [
            "server_id": uuid, "name": ["type": "string"], "url": ["type": "string"], "online": ["type": "boolean"],
            "latency_ms": ["type": ["number", "null"]], "queue_running": ["type": "integer"], "queue_pending": ["type": "integer"],
            "queue_length": ["type": "integer"],
            "devices": ["type": ["array", "object", "null"], "description": "ComfyUI's devices, or RunPod's workers"],
            "system": nullableObject, "model_count": ["type": "integer"],
            "checkpoints": ["type": "array", "items": ["type": "string"]], "loras": ["type": "array", "items": ["type": "string"]],
            "consecutive_failures": [
                "type": "integer", "description": "Failures in a row; at the threshold the server leaves the rotation until retry_at",
            ],
            "last_error": ["type": ["string", "null"]], "retry_at": ["type": ["string", "null"], "format": "date-time"],
            "last_model": ["type": ["string", "null"]], "last_check": ["type": ["string", "null"], "format": "date-time"],
        ],
    ]
}
