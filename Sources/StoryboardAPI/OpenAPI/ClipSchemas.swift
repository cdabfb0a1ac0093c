import StoryboardCore

/// Clips, their versions and their gallery.
extension Schemas {
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
}
