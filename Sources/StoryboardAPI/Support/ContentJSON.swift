import Foundation
import StoryboardCore
import StoryboardServices

/// How each resource looks to clients: field names as the audit has them, one writer per
/// resource. The OpenAPI schemas (`Schemas.swift`) describe the same shapes.
extension JSONWriter {
    mutating func metadata(_ meta: RecordMetadata) {
        key("created_at")
        timestamp(meta.createdAt)
        key("updated_at")
        timestamp(meta.updatedAt)
        key("version")
        int(meta.version)
        key("deleted_at")
        timestamp(meta.deletedAt)
    }

    mutating func project(_ project: Project, scenes: [SceneNode]? = nil) {
        beginObject()
        key("id")
        uuid(project.meta.id)
        key("name")
        string(project.name)
        key("description")
        string(project.description)
        key("music_file_path")
        string(project.musicFilePath)
        key("music_duration")
        double(project.musicDuration)
        key("music_url")
        string(project.musicMediaID == nil ? nil : "/api/projects/\(project.meta.id.uuidString.lowercased())/music")
        metadata(project.meta)
        if let scenes {
            key("scenes")
            beginArray()
            for scene in scenes { sceneNode(scene) }
            endArray()
        }
        endObject()
    }

    mutating func sceneNode(_ node: SceneNode) {
        scene(node.scene, clips: node.clips, alternates: node.alternates)
    }

    mutating func scene(_ scene: Scene, clips: [ClipNode]? = nil, alternates: [SceneNode]? = nil) {
        beginObject()
        key("id")
        uuid(scene.meta.id)
        key("project_id")
        uuid(scene.projectID)
        key("name")
        string(scene.name)
        key("description")
        string(scene.description)
        key("lyrics")
        string(scene.lyrics)
        key("order")
        int(scene.order)
        key("parent_scene_id")
        uuid(scene.parentSceneID)
        key("is_alternate")
        bool(scene.isAlternate)
        key("alternate_number")
        int(scene.alternateNumber)
        metadata(scene.meta)
        if let clips {
            key("clips")
            beginArray()
            for clip in clips { clipNode(clip) }
            endArray()
        }
        if let alternates {
            key("alternates")
            beginArray()
            for alternate in alternates { sceneNode(alternate) }
            endArray()
        }
        endObject()
    }

    mutating func clipNode(_ node: ClipNode) {
        clip(node.clip, images: node.images, videos: node.videos, alternates: node.alternates)
    }

    mutating func clip(_ clip: Clip, images: [GalleryItem]? = nil, videos: [GalleryItem]? = nil, alternates: [ClipNode]? = nil) {
        beginObject()
        key("id")
        uuid(clip.meta.id)
        key("project_id")
        uuid(clip.projectID)
        key("scene_id")
        uuid(clip.sceneID)
        key("name")
        string(clip.name)
        key("lyrics")
        string(clip.lyrics)
        key("length")
        double(clip.length)
        key("timeline_position")
        double(clip.timelinePosition)
        key("order")
        int(clip.order)
        key("image_prompt")
        string(clip.imagePrompt)
        key("video_prompt")
        string(clip.videoPrompt)
        key("negative_prompt")
        string(clip.negativePrompt)
        key("selected_image_id")
        uuid(clip.selectedImageID)
        key("selected_video_id")
        uuid(clip.selectedVideoID)
        key("character_id")
        uuid(clip.characterID)
        key("style_template_id")
        uuid(clip.styleTemplateID)
        key("active_version")
        int(clip.activeVersion)
        key("parent_clip_id")
        uuid(clip.parentClipID)
        key("is_alternate")
        bool(clip.isAlternate)
        key("alternate_number")
        int(clip.alternateNumber)
        metadata(clip.meta)
        if let images {
            key("generated_images")
            galleryItems(images, selected: clip.selectedImageID)
        }
        if let videos {
            key("generated_videos")
            galleryItems(videos, selected: clip.selectedVideoID)
        }
        if let alternates {
            key("alternates")
            beginArray()
            for alternate in alternates { clipNode(alternate) }
            endArray()
        }
        endObject()
    }

    mutating func galleryItems(_ items: [GalleryItem], selected: UUID?) {
        beginArray()
        for item in items { galleryItem(item, isSelected: item.meta.id == selected) }
        endArray()
    }

    mutating func galleryItem(_ item: GalleryItem, isSelected: Bool) {
        beginObject()
        key("id")
        uuid(item.meta.id)
        key("clip_id")
        uuid(item.clipID)
        key("content_type")
        string(item.contentType.rawValue)
        let url = item.mediaFileID == nil ? nil : "/api/media/\(item.meta.id.uuidString.lowercased())"
        key("url")
        string(url)
        // No thumbnails are made yet; a client shows the full image.
        key("thumbnail_url")
        null()
        key("prompt")
        string(item.prompt)
        key("negative_prompt")
        string(item.negativePrompt)
        key("seed")
        int(item.seed)
        key("server_id")
        uuid(item.serverID)
        key("server_name")
        string(item.serverName)
        key("model_name")
        string(item.modelName)
        key("model_type")
        string(item.modelType)
        key("generation_params")
        rawJSON(item.generationParams)
        key("job_id")
        uuid(item.jobID)
        key("is_selected")
        bool(isSelected)
        metadata(item.meta)
        endObject()
    }

    mutating func clipVersion(_ version: ClipVersion) {
        beginObject()
        key("id")
        uuid(version.meta.id)
        key("clip_id")
        uuid(version.clipID)
        key("number")
        int(version.number)
        key("image_prompt")
        string(version.imagePrompt)
        key("video_prompt")
        string(version.videoPrompt)
        key("negative_prompt")
        string(version.negativePrompt)
        key("selected_image_id")
        uuid(version.selectedImageID)
        key("selected_video_id")
        uuid(version.selectedVideoID)
        key("image_url")
        string(version.selectedImageID.map { "/api/media/\($0.uuidString.lowercased())" })
        key("video_url")
        string(version.selectedVideoID.map { "/api/media/\($0.uuidString.lowercased())" })
        key("length")
        double(version.length)
        key("timeline_position")
        double(version.timelinePosition)
        key("generation_params")
        rawJSON(version.generationParams)
        metadata(version.meta)
        endObject()
    }

    mutating func character(_ character: ProjectCharacter, images: [CharacterImage]? = nil) {
        beginObject()
        key("id")
        uuid(character.meta.id)
        key("project_id")
        uuid(character.projectID)
        key("name")
        string(character.name)
        key("description")
        string(character.description)
        key("lora")
        string(character.lora)
        key("trigger_words")
        beginArray()
        for word in character.triggerWords { string(word) }
        endArray()
        key("style_notes")
        string(character.styleNotes)
        if let images {
            key("reference_images")
            beginArray()
            for image in images { characterImage(image) }
            endArray()
        }
        metadata(character.meta)
        endObject()
    }

    mutating func characterImage(_ image: CharacterImage) {
        beginObject()
        key("id")
        uuid(image.meta.id)
        key("character_id")
        uuid(image.characterID)
        key("content_type")
        string(image.contentType)
        key("kind")
        string(image.kind.rawValue)
        key("url")
        string("/api/media/\(image.meta.id.uuidString.lowercased())")
        key("job_id")
        uuid(image.jobID)
        key("seed")
        int(image.seed.map { Int($0) })
        metadata(image.meta)
        endObject()
    }

    mutating func styleTemplate(_ template: StyleTemplate) {
        beginObject()
        key("id")
        uuid(template.meta.id)
        key("project_id")
        uuid(template.projectID)
        key("name")
        string(template.name)
        key("description")
        string(template.description)
        key("prompt_template")
        string(template.promptTemplate)
        key("negative_prompt_template")
        string(template.negativePromptTemplate)
        key("default_params")
        rawJSON(template.defaultParams)
        key("use_count")
        int(template.useCount)
        key("is_global")
        bool(template.isGlobal)
        metadata(template.meta)
        endObject()
    }

    mutating func deletion(_ deletion: Deletion) {
        beginObject()
        key("deletion_id")
        uuid(deletion.id)
        key("type")
        string(deletion.rootType.rawValue)
        key("id")
        uuid(deletion.rootID)
        key("name")
        string(deletion.rootName)
        key("project_id")
        uuid(deletion.projectID)
        key("deleted_at")
        timestamp(deletion.deletedAt)
        key("item_count")
        int(deletion.itemCount)
        endObject()
    }

    /// `{"items": [...], "next_cursor": …}`.
    mutating func list<Item>(_ items: [Item], nextCursor: String?, _ write: (inout JSONWriter, Item) -> Void) {
        beginObject()
        key("items")
        beginArray()
        for item in items { write(&self, item) }
        endArray()
        key("next_cursor")
        string(nextCursor)
        endObject()
    }
}

/// The project tree as the API writes it, for the benchmark harness to time in-process.
public enum ProjectTreeJSON {
    public static func bytes(_ tree: ProjectTree) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 * 1024)
        writer.project(tree.project, scenes: tree.scenes)
        return writer.bytes
    }
}
