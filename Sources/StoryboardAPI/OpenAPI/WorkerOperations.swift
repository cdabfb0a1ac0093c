import StoryboardCore

extension Operations {
    static let workers: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "POST", path: "/api/workers/{id}/claim", operationID: "claimWorkerJob",
            summary:
                "A pull-mode server's worker takes its next job under a lease (jobs asked for that server or for none; with checkpoints, those needing one of them or none)",
            tag: "Pull workers", requestSchema: "WorkerClaim", requestRequired: false,
            successDescription: "The job with the API-format graph to run",
            responseSchema: "WorkerAssignment",
            otherResponses: [204: ["description": "Nothing to do now (empty queue, or the server is at max_concurrent)"]],
            errors: [400, 404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/{id}/heartbeat", operationID: "heartbeatJob",
            summary: "Extend the lease of a job a worker holds (and report its progress); 409 when it is no longer the worker's (stop it)",
            tag: "Pull workers", requestSchema: "WorkerHeartbeat", requestRequired: false, responseSchema: "Job",
            responseHeaders: OpenAPIDocument.etagHeader,
            errors: [400, 404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/{id}/outputs", operationID: "uploadJobOutput",
            summary: "Upload one output of a job a worker holds (image or video, type decided from the bytes)", tag: "Pull workers",
            requestContentTypes: poolTypes, successStatus: 201, successDescription: "Stored; name it in complete",
            responseSchema: "WorkerOutput", errors: [400, 404, 409, 413, 422, 507]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/jobs/{id}/complete", operationID: "completeJob",
            summary:
                "End a job a worker holds: with its uploaded outputs (attached exactly once) or with an error (retried while attempts are left if retryable)",
            tag: "Pull workers", requestSchema: "WorkerCompletion", responseSchema: "Job", responseHeaders: OpenAPIDocument.etagHeader,
            errors: [400, 404, 409]
        ),
    ]
}

extension Schemas {
    static var workerSchemas: [String: JSONValue] {
        [
            "WorkerClaim": body([
                "checkpoints": [
                    "type": "array", "maxItems": 1000, "items": ["type": "string", "maxLength": 300],
                    "description": "The checkpoint files this worker has; a job naming none runs with the first",
                ]
            ]),
            "WorkerAssignment": [
                "type": "object", "required": ["job", "workflow", "checkpoint", "lease_until"],
                "properties": [
                    "job": ref("Job"), "workflow": ["type": "object", "description": "ComfyUI API-format graph"],
                    "checkpoint": ["type": "string"],
                    "images": [
                        "type": "array",
                        "description":
                            "Image-to-video: the first frame, named as the graph's LoadImage refers to it (RunPod's input.images shape)",
                        "items": [
                            "type": "object",
                            "properties": ["name": ["type": "string"], "image": ["type": "string", "contentEncoding": "base64"]],
                        ],
                    ],
                    "lease_until": [
                        "type": "string", "format": "date-time", "description": "Heartbeat before this, or the job goes back to the queue",
                    ],
                    "heartbeat_url": ["type": "string"], "outputs_url": ["type": "string"], "complete_url": ["type": "string"],
                ],
            ],
            "WorkerHeartbeat": body([
                "progress": [
                    "type": "object", "required": ["value", "max"], "additionalProperties": false,
                    "properties": [
                        "value": ["type": "integer", "minimum": 0], "max": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
                    ],
                ]
            ]),
            "WorkerOutput": [
                "type": "object", "required": ["media_id", "content_type", "size_bytes"],
                "properties": [
                    "media_id": ["type": "string", "pattern": "^[0-9a-f]{64}$"], "content_type": ["type": "string"],
                    "size_bytes": ["type": "integer"],
                ],
            ],
            "WorkerCompletion": body(
                [
                    "outputs": [
                        "type": "array", "minItems": 1,
                        "items": [
                            "type": "object", "required": ["media_id"], "additionalProperties": false,
                            "properties": ["media_id": ["type": "string", "pattern": "^[0-9a-f]{64}$"]],
                        ],
                    ],
                    "error": ["type": "string", "minLength": 1, "maxLength": 2000],
                    "retryable": [
                        "type": "boolean", "default": false,
                        "description": "With error: a transient failure, run it again (elsewhere too) while attempts are left",
                    ],
                ],
                description: "Either outputs or error"
            ),
        ]
    }
}
