import StoryboardCore

/// The clip routes and their gallery.
extension Operations {
    // MARK: - Clips

    static let clips: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/scenes/{id}/clips", operationID: "listSceneClips", summary: "List a scene's primary clips in order",
            tag: "Clips", parameters: OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted], responseSchema: "ClipList",
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/scenes/{id}/clips", operationID: "createClip", summary: "Add a clip to a scene", tag: "Clips",
            parameters: [checkOverlap], requestSchema: "ClipCreate", successStatus: 201, successDescription: "Created",
            responseSchema: "Clip",
            responseHeaders: created, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}/clips", operationID: "listProjectClips",
            summary: "List every clip of a project (alternates included), oldest first", tag: "Clips",
            parameters: [query("character_id", ["type": "string", "format": "uuid"], "Only the clips linked to this character")]
                + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "ClipList", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/scenes/{id}/clips/reorder", operationID: "reorderClips",
            summary: "Put a scene's primary clips in a new order", tag: "Clips", requestSchema: "ClipReorder",
            successDescription: "The clips in their new order", responseSchema: "ClipList", errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/clips/{id}", operationID: "getClip", summary: "Read a clip", tag: "Clips",
            parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/clips/{id}", operationID: "updateClip", summary: "Change a clip", tag: "Clips",
            parameters: [OpenAPIDocument.ifMatch, checkOverlap], requestSchema: "ClipPatch", responseSchema: "Clip",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/clips/{id}", operationID: "deleteClip",
            summary: "Move a clip to the trash, with its alternates, gallery and versions", tag: "Clips",
            parameters: [OpenAPIDocument.ifMatch],
            successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/restore", operationID: "restoreClip",
            summary: "Bring a clip back from the trash (409 while its scene is there)", tag: "Clips", responseSchema: "Clip",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/move", operationID: "moveClip", summary: "Move a clip to another scene of its project",
            tag: "Clips", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ClipMove", responseSchema: "Clip",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "PUT", path: "/api/clips/{id}/prompts", operationID: "setClipPrompts", summary: "Set a clip's image and video prompts",
            tag: "Clips", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ClipPrompts", responseSchema: "Clip",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "PUT", path: "/api/clips/{id}/timeline", operationID: "setClipTiming", summary: "Set a clip's time on the song",
            tag: "Clips", parameters: [OpenAPIDocument.ifMatch, checkOverlap], requestSchema: "ClipTiming", responseSchema: "Clip",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409, 412]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/clips/{id}/alternates", operationID: "listClipAlternates",
            summary: "The alternates of a clip (of its primary, for an alternate), by number", tag: "Clips", responseSchema: "ClipList",
            errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/alternates", operationID: "createClipAlternate",
            summary: "Make an alternate of a clip (same lyrics, timing, prompts and character; empty gallery)", tag: "Clips",
            requestSchema: "AlternateCreate", requestRequired: false, successStatus: 201, successDescription: "Created",
            responseSchema: "Clip",
            responseHeaders: created, errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/promote", operationID: "promoteClip",
            summary: "Make an alternate the primary: it takes its parent's place and time, the parent becomes its alternate", tag: "Clips",
            responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/clips/{id}/versions", operationID: "listClipVersions", summary: "A clip's versions, by number",
            tag: "Clips", responseSchema: "ClipVersionList", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/versions", operationID: "createClipVersion",
            summary: "Snapshot a clip's prompts, selection and timing as its next (active) version", tag: "Clips",
            requestSchema: "ClipVersionCreate", requestRequired: false, successStatus: 201, successDescription: "Created",
            responseSchema: "ClipVersion", responseHeaders: location, errors: [404]
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/clips/{id}/versions/{n}", operationID: "getClipVersion", summary: "Read one version of a clip",
            tag: "Clips",
            parameters: [
                [
                    "name": "n", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1],
                    "description": "The version number",
                ]
            ],
            responseSchema: "ClipVersion", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/versions/{n}/activate", operationID: "activateClipVersion",
            summary: "Make a version active: the clip takes back its prompts, selection and timing", tag: "Clips",
            parameters: [
                [
                    "name": "n", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1],
                    "description": "The version number",
                ],
                OpenAPIDocument.ifMatch,
            ],
            responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
    ]

    // MARK: - Gallery

    static let imageTypes = ["image/png", "image/jpeg", "image/webp"]
    static let uploadErrors = [404, 413, 422, 507]

    static let gallery: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/clips/{id}/gallery", operationID: "getClipGallery",
            summary: "A clip's generated images and videos and what is selected", tag: "Gallery", responseSchema: "Gallery", errors: [404]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/gallery", operationID: "uploadGalleryImage",
            summary: "Add an image by upload (PNG, JPEG or WebP); the first image is selected", tag: "Gallery",
            requestContentTypes: imageTypes, successStatus: 201, successDescription: "Created; Location is the file's download",
            responseSchema: "GalleryItem", responseHeaders: location, errors: uploadErrors
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/clips/{id}/gallery/select", operationID: "selectGalleryItems",
            summary: "Select a clip's image and/or video from its gallery", tag: "Gallery", parameters: [OpenAPIDocument.ifMatch],
            requestSchema: "GallerySelect", responseSchema: "Clip", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/clips/{id}/gallery/{media_id}", operationID: "deleteGalleryItem",
            summary: "Move a gallery item to the trash (it stops being the selection)", tag: "Gallery", successStatus: 204,
            successDescription: "In the trash", errors: [404]
        ),
    ]
}
