import Foundation
import StoryboardCore
import StoryboardDatabase

public struct ClipNode: Sendable {
    public var clip: Clip
    public var images: [GalleryItem]
    public var videos: [GalleryItem]
    public var alternates: [ClipNode]
}

public struct SceneNode: Sendable {
    public var scene: Scene
    /// Nil when the clips were not asked for.
    public var clips: [ClipNode]?
    public var alternates: [SceneNode]
}

public struct ProjectTree: Sendable {
    public var project: Project
    public var scenes: [SceneNode]
}

public enum TreeDepth: Sendable {
    case scenes
    case clips
}

/// A whole project (or a page of projects) with its scenes, clips and galleries, read with a
/// fixed number of statements whatever the size: one per table, never one per scene or clip.
public struct ProjectTreeService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func tree(of project: Project, depth: TreeDepth) async throws -> ProjectTree {
        try await trees(of: [project], depth: depth)[0]
    }

    public func trees(of projects: [Project], depth: TreeDepth) async throws -> [ProjectTree] {
        guard !projects.isEmpty else { return [] }
        let ids = Filter([.oneOf("project_id", projects.map { DatabaseValue($0.meta.id) })])
        let scenes = try await database.scenes.all(ids, orderBy: "order")
        var clipsByScene: [UUID: [ClipNode]] = [:]
        if depth == .clips {
            let clips = try await database.clips.all(ids, orderBy: "order")
            let gallery = try await database.galleryItems.all(ids)
            var itemsByClip: [UUID: [GalleryItem]] = [:]
            for item in gallery { itemsByClip[item.clipID, default: []].append(item) }
            var alternatesByClip: [UUID: [ClipNode]] = [:]
            func node(_ clip: Clip) -> ClipNode {
                let items = itemsByClip[clip.meta.id] ?? []
                return ClipNode(
                    clip: clip, images: items.filter { $0.contentType == .image }, videos: items.filter { $0.contentType == .video },
                    alternates: [])
            }
            for clip in clips where clip.parentClipID != nil {
                alternatesByClip[clip.parentClipID ?? clip.meta.id, default: []].append(node(clip))
            }
            for clip in clips where clip.parentClipID == nil {
                var primary = node(clip)
                primary.alternates = (alternatesByClip[clip.meta.id] ?? []).sorted {
                    ($0.clip.alternateNumber ?? 0) < ($1.clip.alternateNumber ?? 0)
                }
                clipsByScene[clip.sceneID, default: []].append(primary)
            }
        }
        var alternatesByScene: [UUID: [SceneNode]] = [:]
        for scene in scenes where scene.parentSceneID != nil {
            alternatesByScene[scene.parentSceneID ?? scene.meta.id, default: []].append(
                SceneNode(scene: scene, clips: depth == .clips ? clipsByScene[scene.meta.id] ?? [] : nil, alternates: [])
            )
        }
        var scenesByProject: [UUID: [SceneNode]] = [:]
        for scene in scenes where scene.parentSceneID == nil {
            let alternates = (alternatesByScene[scene.meta.id] ?? []).sorted {
                ($0.scene.alternateNumber ?? 0) < ($1.scene.alternateNumber ?? 0)
            }
            scenesByProject[scene.projectID, default: []].append(
                SceneNode(scene: scene, clips: depth == .clips ? clipsByScene[scene.meta.id] ?? [] : nil, alternates: alternates)
            )
        }
        return projects.map { ProjectTree(project: $0, scenes: scenesByProject[$0.meta.id] ?? []) }
    }

    /// Changes whenever anything in the project's tree does: the project's version, its
    /// `tree_version`, which every change under it bumps (`lockForChange`), and on PostgreSQL
    /// the count of generated results attached under it (`countResult`). Primary-key reads in
    /// one statement: cheap enough for `If-None-Match` to skip building the body.
    public func stamp(of projectID: UUID) async throws -> String? {
        try await database.treeStamp(of: projectID)
    }

    /// The project's primary scenes in order with their clips, and the timeline analysis.
    public func timeline(of projectID: UUID) async throws -> (project: Project, scenes: [(Scene, [Clip])], analysis: Timeline.Analysis) {
        let project = try await database.projects.get(id: projectID)
        let scenes = try await database.scenes.primaries(in: projectID)
        let clips = try await database.clips.all(
            Filter.equals("project_id", DatabaseValue(projectID)).and(.isNull("parent_clip_id")), orderBy: "order")
        var byScene: [UUID: [Clip]] = [:]
        for clip in clips { byScene[clip.sceneID, default: []].append(clip) }
        let laidOut = scenes.map { ($0, byScene[$0.meta.id] ?? []) }
        let spans = laidOut.flatMap(\.1).map { TimelineSpan(id: $0.meta.id, start: $0.timelinePosition, length: $0.length) }
        return (project, laidOut, Timeline.analyze(spans, musicDuration: project.musicDuration))
    }
}
