import StoryboardCore

extension Operations {
    static let renders: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/renders", operationID: "startRender",
            summary:
                "Queue an MP4 animatic of the selected media on the song (503 EXTERNAL_SERVICE_ERROR when ffmpeg is not installed; 400 when the project has no song and no clips)",
            tag: "Renders", requestSchema: "RenderCreate", requestRequired: false, successStatus: 202, successDescription: "Queued",
            responseSchema: "Render",
            responseHeaders: created, errors: [400, 404, 503]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/renders", operationID: "listRenders", summary: "A project's renders, newest first",
            tag: "Renders",
            parameters: OpenAPIDocument.pageParameters, responseSchema: "RenderList", errors: [400, 404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/renders/{id}", operationID: "getRender",
            summary: "A render's status and progress; when succeeded, `media_id` downloads the MP4 from /api/media/{media_id}",
            tag: "Renders",
            responseSchema: "Render", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/renders/{id}/cancel", operationID: "cancelRender",
            summary: "Cancel a queued or running render (ffmpeg is stopped); 409 once it has finished", tag: "Renders",
            responseSchema: "Render", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
    ]
}

extension Schemas {
    static var renderSchemas: [String: JSONValue] {
        let even: (ClosedRange<Int>, Int) -> JSONValue = { range, fallback in
            [
                "type": "integer", "minimum": .number(Double(range.lowerBound)), "maximum": .number(Double(range.upperBound)),
                "multipleOf": 2, "default": .number(Double(fallback)),
            ]
        }
        return [
            "Render": resource([
                "project_id": uuid,
                "status": ["type": "string", "enum": .array(JobStatus.allCases.map { .string($0.rawValue) })],
                "width": ["type": "integer"], "height": ["type": "integer"], "fps": ["type": "integer"],
                "duration": [
                    "type": ["number", "null"],
                    "description": "Seconds of the MP4: the song's length, or the end of the last clip without a song",
                ],
                "progress": ["type": "number", "minimum": 0, "maximum": 1],
                "error": ["type": ["string", "null"], "description": "Why it failed (the last lines ffmpeg printed) or was cancelled"],
                "media_id": ["type": ["string", "null"], "description": "When succeeded: the id to fetch from /api/media/{id}"],
                "media_url": mediaURL,
                "download_url": ["type": ["string", "null"], "description": "The MP4 as an attachment"],
                "attempts": ["type": "integer"],
                "lease_until": ["type": ["string", "null"], "format": "date-time"],
                "started_at": ["type": ["string", "null"], "format": "date-time"],
                "finished_at": ["type": ["string", "null"], "format": "date-time"],
            ]),
            "RenderList": list(of: "Render"),
            "RenderCreate": body([
                "width": even(Render.widthRange, Render.defaultWidth), "height": even(Render.heightRange, Render.defaultHeight),
                "fps": [
                    "type": "integer", "minimum": .number(Double(Render.fpsRange.lowerBound)),
                    "maximum": .number(Double(Render.fpsRange.upperBound)), "default": .number(Double(Render.defaultFPS)),
                ],
            ]),
        ]
    }
}
