import Foundation
import Logging
import StoryboardCore
import StoryboardDatabase

/// Soft delete with cascade, exact restore, the trash listing and purge (docs/api.md, Trash).
///
/// A delete stamps the root and everything under it with one `deletion_id` and records the
/// root in `deletions`; a restore brings back the rows carrying that id and nothing else.
/// Every operation is set-based statements in one transaction.
public struct TrashService: Sendable {
    let database: Database
    let media: MediaStore?
    let logger: Logger

    public init(database: Database, media: MediaStore? = nil, logger: Logger = Logger(label: "storyboard.trash")) {
        self.database = database
        self.media = media
        self.logger = logger
    }

    // MARK: - Delete

    /// Moves a resource and everything under it to the trash.
    @discardableResult
    public func delete(_ kind: TrashKind, id: UUID, expectedVersion: Int? = nil, deletedBy: String? = nil) async throws -> Deletion {
        try await database.transaction { tx in
            try await Self.delete(kind, id: id, expectedVersion: expectedVersion, deletedBy: deletedBy, in: tx)
        }
    }

    static func delete(_ kind: TrashKind, id: UUID, expectedVersion: Int?, deletedBy: String?, in tx: Transaction) async throws -> Deletion
    {
        let deletionID = UUID()
        let byDeletion = { (table: String) in
            Filter.Condition.inSelect(
                "clip_id", table: table, selecting: "id", whereColumn: "deletion_id", value: DatabaseValue(deletionID))
        }
        let rootName: String
        let projectID: UUID?
        var count = 0
        switch kind {
        case .project:
            let project = try await tx.lockProject(id)
            try tx.checkVersion(project, expected: expectedVersion)
            let scope = Filter.equals("project_id", DatabaseValue(id))
            try await tx.projects.softDelete(id: id, deletedBy: deletedBy, deletionID: deletionID)
            count = 1
            // Clips and characters before what hangs off them: a finishing job holds its clip's
            // (or character's) row, not the project's, so this waits there for its result to
            // commit and then trashes that too (JobResults).
            count += try await tx.clips.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.galleryItems.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.clipVersions.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.scenes.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.characters.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.characterImages.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.styleTemplates.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.poolItems.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await trashJobs(scope, reason: "its project was deleted", deletedBy, deletionID, in: tx)
            // Unfinished renders are cancelled (a process rendering one sees that and stops ffmpeg).
            try await tx.renders.cancelUnfinished(scope, reason: "its project was deleted")
            count += try await tx.renders.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.batches.softDeleteCount(scope, deletedBy: deletedBy, deletionID: deletionID)
            rootName = project.name
            projectID = id
        case .scene:
            let scene = try await tx.locked(tx.scenes, id: id) { $0.projectID }
            try tx.checkVersion(scene, expected: expectedVersion)
            // The scene and its alternates; then their clips (alternates included); then the clips' children.
            count += try await tx.scenes.softDeleteCount(.equals("id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.scenes.softDeleteCount(
                .equals("parent_scene_id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.clips.softDeleteCount(
                Filter([
                    .inSelect("scene_id", table: "scenes", selecting: "id", whereColumn: "deletion_id", value: DatabaseValue(deletionID))
                ]),
                deletedBy: deletedBy, deletionID: deletionID
            )
            count += try await tx.galleryItems.softDeleteCount(Filter([byDeletion("clips")]), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.clipVersions.softDeleteCount(Filter([byDeletion("clips")]), deletedBy: deletedBy, deletionID: deletionID)
            count += try await trashJobs(Filter([byDeletion("clips")]), reason: "its clip was deleted", deletedBy, deletionID, in: tx)
            if scene.parentSceneID == nil {
                try await tx.scenes.shiftOrders(in: scene.projectID, from: scene.order + 1, by: -1)
            }
            rootName = scene.name
            projectID = scene.projectID
        case .clip:
            let clip = try await tx.locked(tx.clips, id: id) { $0.projectID }
            try tx.checkVersion(clip, expected: expectedVersion)
            count += try await tx.clips.softDeleteCount(.equals("id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.clips.softDeleteCount(
                .equals("parent_clip_id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.galleryItems.softDeleteCount(Filter([byDeletion("clips")]), deletedBy: deletedBy, deletionID: deletionID)
            count += try await tx.clipVersions.softDeleteCount(Filter([byDeletion("clips")]), deletedBy: deletedBy, deletionID: deletionID)
            // The other clips move up before the jobs are cancelled: a cancel takes the event
            // log's lock and the batch rows, which a finishing job of a sibling clip waits for
            // while it holds that clip's row (JobResults).
            if clip.parentClipID == nil {
                try await tx.clips.shiftOrders(in: clip.sceneID, from: clip.order + 1, by: -1)
            }
            count += try await trashJobs(Filter([byDeletion("clips")]), reason: "its clip was deleted", deletedBy, deletionID, in: tx)
            rootName = clip.name
            projectID = clip.projectID
        case .character:
            let character = try await tx.locked(tx.characters, id: id) { $0.projectID }
            try tx.checkVersion(character, expected: expectedVersion)
            // PATCH of a character or template does not take the project lock: the version is
            // checked again in the statement itself.
            count += try await root(tx.characters, character, expectedVersion, deletedBy, deletionID)
            count += try await tx.characterImages.softDeleteCount(
                .equals("character_id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
            count += try await trashJobs(
                .equals("character_id", DatabaseValue(id)), reason: "its character was deleted", deletedBy, deletionID, in: tx)
            rootName = character.name
            projectID = character.projectID
        case .styleTemplate:
            let template = try await tx.locked(tx.styleTemplates, id: id) { $0.projectID }
            try tx.checkVersion(template, expected: expectedVersion)
            count += try await root(tx.styleTemplates, template, expectedVersion, deletedBy, deletionID)
            rootName = template.name
            projectID = template.projectID
        case .galleryItem:
            let item = try await tx.locked(tx.galleryItems, id: id) { $0.projectID }
            try await tx.galleryItems.softDelete(id: id, deletedBy: deletedBy, deletionID: deletionID)
            // A trashed item is never the selection; restoring it selects it again if nothing else is.
            try await tx.clips.clearSelection(of: id, kind: item.contentType, clipID: item.clipID)
            count = 1
            rootName = "\(item.contentType.rawValue) of clip \(item.clipID.lowercasedString)"
            projectID = item.projectID
        case .poolItem:
            let item = try await tx.locked(tx.poolItems, id: id) { $0.projectID }
            try tx.checkVersion(item, expected: expectedVersion)
            try await tx.poolItems.softDelete(id: id, deletedBy: deletedBy, deletionID: deletionID)
            count = 1
            rootName = item.name
            projectID = item.projectID
        case .workflow:
            let workflow = try await tx.workflows.get(id: id)
            try tx.checkVersion(workflow, expected: expectedVersion)
            count += try await root(tx.workflows, workflow, expectedVersion, deletedBy, deletionID)
            rootName = workflow.name
            projectID = nil
        case .server:
            let server = try await tx.servers.get(id: id)
            try tx.checkVersion(server, expected: expectedVersion)
            count += try await root(tx.servers, server, expectedVersion, deletedBy, deletionID)
            rootName = server.name
            projectID = nil
        case .characterImage:
            let image = try await tx.locked(tx.characterImages, id: id) { $0.projectID }
            try await tx.characterImages.softDelete(id: id, deletedBy: deletedBy, deletionID: deletionID)
            count = 1
            rootName = "reference image of character \(image.characterID.lowercasedString)"
            projectID = image.projectID
        }
        let deletion = Deletion(
            id: deletionID, rootType: kind, rootID: id, rootName: rootName, projectID: projectID, deletedAt: .now(), deletedBy: deletedBy,
            itemCount: count
        )
        try await tx.deletions.create(deletion)
        return deletion
    }

    /// A deleted clip, project or character takes its jobs along: unfinished ones are cancelled
    /// (a dispatcher running one sees that and interrupts it upstream), and all go to the
    /// trash with the same deletion, as the history of what is gone.
    private static func trashJobs(
        _ filter: Filter, reason: String, _ deletedBy: String?, _ deletionID: UUID, in tx: Transaction
    ) async throws -> Int {
        let batches = try await tx.jobs.cancelUnfinished(filter, reason: reason)
        let count = try await tx.jobs.softDeleteCount(filter, deletedBy: deletedBy, deletionID: deletionID)
        try await tx.batches.refreshAll(batches)
        return count
    }

    /// Trashes the root row, still at `expected` version when one is given (412 otherwise).
    private static func root<R: Record>(
        _ repository: BaseRepository<R>, _ record: R, _ expected: Int?, _ deletedBy: String?, _ deletionID: UUID
    ) async throws -> Int {
        var filter = Filter.equals("id", DatabaseValue(record.meta.id))
        if let expected { filter = filter.and(.equals("version", .integer(expected))) }
        let count = try await repository.softDeleteCount(filter, deletedBy: deletedBy, deletionID: deletionID)
        if count == 0 {
            throw AppError(.preconditionFailed, "\(R.resource.displayName) \(record.meta.id.lowercasedString) was changed by someone else")
        }
        return count
    }

    // MARK: - Restore

    /// Brings back exactly what the delete of `id` took. 404 if it never existed, 409 if it is
    /// not in the trash or its parent still is.
    public func restore(_ kind: TrashKind, id: UUID) async throws {
        try await database.transaction { tx in
            try await Self.restore(kind, id: id, in: tx)
        }
    }

    static func restore(_ kind: TrashKind, id: UUID, in tx: Transaction) async throws {
        let deletionID: UUID?
        switch kind {
        case .project:
            let project = try await tx.projects.get(id: id, includeDeleted: true, forUpdate: true)
            deletionID = try notInTrashIfLive(project)
        case .scene:
            let scene = try await tx.locked(tx.scenes, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.projects, scene.projectID, parent: "project")
            deletionID = try notInTrashIfLive(scene)
            if let parent = scene.parentSceneID {
                try await requireLive(tx.scenes, parent, parent: "scene this is an alternate of")
            } else {
                try await makeRoom(tx.scenes, for: scene, scope: scene.projectID)
            }
        case .clip:
            let clip = try await tx.locked(tx.clips, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.scenes, clip.sceneID, parent: "scene")
            deletionID = try notInTrashIfLive(clip)
            if let parent = clip.parentClipID {
                try await requireLive(tx.clips, parent, parent: "clip this is an alternate of")
            } else {
                try await makeRoom(tx.clips, for: clip, scope: clip.sceneID)
            }
        case .character:
            let character = try await tx.locked(tx.characters, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.projects, character.projectID, parent: "project")
            deletionID = try notInTrashIfLive(character)
        case .styleTemplate:
            let template = try await tx.locked(tx.styleTemplates, id: id, includeDeleted: true) { $0.projectID }
            if let project = template.projectID { try await requireLive(tx.projects, project, parent: "project") }
            deletionID = try notInTrashIfLive(template)
        case .galleryItem:
            let item = try await tx.locked(tx.galleryItems, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.clips, item.clipID, parent: "clip")
            deletionID = try notInTrashIfLive(item)
        case .characterImage:
            let image = try await tx.locked(tx.characterImages, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.characters, image.characterID, parent: "character")
            deletionID = try notInTrashIfLive(image)
        case .poolItem:
            let item = try await tx.locked(tx.poolItems, id: id, includeDeleted: true) { $0.projectID }
            try await requireLive(tx.projects, item.projectID, parent: "project")
            deletionID = try notInTrashIfLive(item)
        case .workflow:
            deletionID = try notInTrashIfLive(try await tx.workflows.get(id: id, includeDeleted: true))
        case .server:
            deletionID = try notInTrashIfLive(try await tx.servers.get(id: id, includeDeleted: true))
        }
        guard let deletionID else { return }
        let filter = Filter.equals("deletion_id", DatabaseValue(deletionID))
        // Parents before children, so nothing is ever live under a trashed row.
        try await tx.projects.restoreCount(filter)
        try await tx.styleTemplates.restoreCount(filter)
        try await tx.characters.restoreCount(filter)
        try await tx.characterImages.restoreCount(filter)
        try await tx.scenes.restoreCount(filter)
        try await tx.clips.restoreCount(filter)
        try await tx.clipVersions.restoreCount(filter)
        try await tx.galleryItems.restoreCount(filter)
        try await tx.poolItems.restoreCount(filter)
        try await tx.jobs.restoreCount(filter)
        try await tx.renders.restoreCount(filter)
        try await tx.batches.restoreCount(filter)
        try await tx.servers.restoreCount(filter)
        try await tx.workflows.restoreCount(filter)
        // Only a gallery item trashed on its own lost its place as the selection; it takes it
        // back unless something else was selected meanwhile.
        if kind == .galleryItem, let item = try await tx.galleryItems.find(id: id) {
            let column = item.contentType == .image ? "selected_image_id" : "selected_video_id"
            _ = try await tx.clips.updateOne(
                Filter.equals("id", DatabaseValue(item.clipID)).and(.isNull(column)), Changes([column: DatabaseValue(id)]))
        }
        try await tx.deletions.remove(id: deletionID)
    }

    /// The row's deletion id; a live row is 409.
    private static func notInTrashIfLive<R: Record>(_ record: R) throws -> UUID? {
        guard record.meta.isDeleted else {
            throw AppError(.conflict, "\(R.resource.displayName) \(record.meta.id.lowercasedString) is not in the trash")
        }
        return record.meta.deletionID
    }

    private static func requireLive<R: Record>(_ repository: BaseRepository<R>, _ id: UUID, parent: String) async throws {
        guard try await repository.find(id: id) != nil else {
            throw AppError(
                .conflict, "The \(parent) (\(id.lowercasedString)) is in the trash: restore it first",
                details: ["parent_type": .string(R.resource.rawValue), "parent_id": .string(id.lowercasedString)]
            )
        }
    }

    /// A restored primary goes back to its old place (or the end, if fewer remain), the
    /// others moving down one.
    private static func makeRoom<R: OrderedRecord>(_ repository: BaseRepository<R>, for record: R, scope: UUID) async throws {
        let count = try await repository.primaryCount(in: scope)
        let target = min(record.order, count)
        try await repository.shiftOrders(in: scope, from: target, by: 1)
        if target != record.order {
            _ = try await repository.updateOne(
                .equals("id", DatabaseValue(record.meta.id)), Changes(["order": .integer(target)]), includeDeleted: true)
        }
    }

    // MARK: - Listing

    public func list(type: TrashKind?, limit: Int, cursor: String?) async throws -> Page<Deletion> {
        var position: (String, String)?
        if let cursor {
            let parts = cursor.split(separator: "_", maxSplits: 1).map(String.init)
            guard parts.count == 2, Timestamp(rfc3339: parts[0]) != nil, UUID(parsing: parts[1]) != nil else {
                throw AppError.invalidParameter("cursor", "is not a cursor this server issued")
            }
            position = (parts[0], parts[1])
        }
        let rows = try await database.deletions.list(type: type, limit: limit + 1, cursor: position)
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { "\($0.deletedAt.description)_\($0.id.lowercasedString)" } : nil
        return Page(items: items, nextCursor: next)
    }

    // MARK: - Purge

    /// Removes a trashed resource for good, with everything under it (also what was deleted
    /// under it earlier, separately), then the media files nothing refers to any more.
    public func purge(_ kind: TrashKind, id: UUID) async throws {
        try await database.transaction { tx in
            try await Self.purge(kind, id: id, in: tx)
        }
        await collectMedia()
    }

    /// Purges every delete older than `cutoff`; returns how many deletes went.
    @discardableResult
    public func purge(deletedBefore cutoff: Timestamp) async throws -> Int {
        var purged = 0
        while true {
            let batch = try await database.deletions.olderThan(cutoff, limit: 100)
            if batch.isEmpty { break }
            var failed = 0
            for deletion in batch {
                do {
                    try await database.transaction { tx in
                        // A root restored or purged meanwhile (with its parent) leaves only the index row.
                        if try await Self.isTrashed(deletion.rootType, id: deletion.rootID, in: tx) {
                            try await Self.purge(deletion.rootType, id: deletion.rootID, in: tx)
                        }
                        try await tx.deletions.remove(id: deletion.id)
                    }
                    purged += 1
                } catch let error as AppError where error.code == .databaseUnavailable {
                    throw error
                } catch {
                    // One delete that cannot be purged must not hold back every later one.
                    failed += 1
                    logger.warning(
                        "purge of a trashed item failed; it stays in the trash",
                        metadata: [
                            "type": "\(deletion.rootType.rawValue)", "id": "\(deletion.rootID.lowercasedString)", "error": "\(error)",
                        ]
                    )
                }
            }
            if failed == batch.count { break }
        }
        await collectMedia()
        return purged
    }

    static func isTrashed(_ kind: TrashKind, id: UUID, in tx: Transaction) async throws -> Bool {
        switch kind {
        case .project: try await tx.projects.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .scene: try await tx.scenes.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .clip: try await tx.clips.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .character: try await tx.characters.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .styleTemplate: try await tx.styleTemplates.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .galleryItem: try await tx.galleryItems.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .characterImage: try await tx.characterImages.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .poolItem: try await tx.poolItems.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .workflow: try await tx.workflows.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        case .server: try await tx.servers.find(id: id, includeDeleted: true)?.meta.isDeleted == true
        }
    }

    static func purge(_ kind: TrashKind, id: UUID, in tx: Transaction) async throws {
        let key = DatabaseValue(id)
        func trashed<R: Record>(_ repository: BaseRepository<R>) async throws -> R {
            let record = try await repository.get(id: id, includeDeleted: true)
            guard record.meta.isDeleted else {
                throw AppError(.conflict, "\(R.resource.displayName) \(id.lowercasedString) is not in the trash; delete it first")
            }
            // Part of a larger delete: purging it alone would leave a hole in what that delete restores.
            if let deletionID = record.meta.deletionID, let root = try await tx.deletions.find(id: deletionID), root.rootID != id {
                throw AppError(
                    .conflict,
                    "\(R.resource.displayName) \(id.lowercasedString) went to the trash with \(root.rootType.rawValue) \(root.rootID.lowercasedString); purge or restore that",
                    details: ["root_type": .string(root.rootType.rawValue), "root_id": .string(root.rootID.lowercasedString)]
                )
            }
            return record
        }
        var owner: UUID?
        switch kind {
        case .project:
            _ = try await trashed(tx.projects)
            let scope = Filter.equals("project_id", key)
            // Children first, for the foreign keys. Everything under a trashed project is trashed.
            try await tx.jobs.purgeAll(scope)
            try await tx.jobEvents.removeAll(projectID: id)
            try await tx.batches.purgeAll(scope)
            try await tx.galleryItems.purgeAll(scope)
            try await tx.clipVersions.purgeAll(scope)
            try await tx.clips.purgeAll(scope)
            try await tx.scenes.purgeAll(scope)
            try await tx.characterImages.purgeAll(scope)
            try await tx.characters.purgeAll(scope)
            try await tx.poolItems.purgeAll(scope)
            try await tx.renders.purgeAll(scope)
            // Global templates stay; a project's own go with it.
            try await tx.clips.updateAll(
                Filter([.inSelect("style_template_id", table: "style_templates", selecting: "id", whereColumn: "project_id", value: key)]),
                Changes(["style_template_id": .null]), includeDeleted: true)
            try await tx.styleTemplates.purgeAll(scope)
            try await tx.projects.purgeAll(.equals("id", key))
        case .scene:
            owner = try await trashed(tx.scenes).projectID
            let scenes = Filter.Condition.inSelect("scene_id", table: "scenes", selecting: "id", whereColumn: "parent_scene_id", value: key)
            for sceneFilter in [Filter.equals("scene_id", key), Filter([scenes])] {
                try await purgeClips(sceneFilter, in: tx)
            }
            try await tx.scenes.purgeAll(.equals("parent_scene_id", key))
            try await tx.scenes.purgeAll(.equals("id", key))
        case .clip:
            owner = try await trashed(tx.clips).projectID
            try await purgeClips(Filter([.oneOf("id", [key])]), in: tx, alternatesOf: id)
        case .character:
            owner = try await trashed(tx.characters).projectID
            try await tx.clips.updateAll(.equals("character_id", key), Changes(["character_id": .null]), includeDeleted: true)
            try await purgeJobs(.equals("character_id", key), in: tx)
            try await tx.characterImages.purgeAll(.equals("character_id", key))
            try await tx.characters.purgeAll(.equals("id", key))
        case .styleTemplate:
            owner = try await trashed(tx.styleTemplates).projectID
            // Clips of any project may name a global template: each of their trees changes.
            for project in try await tx.clips.projects(usingTemplate: id) where project != owner {
                _ = try await tx.lockProject(project, includeDeleted: true)
            }
            try await tx.clips.updateAll(.equals("style_template_id", key), Changes(["style_template_id": .null]), includeDeleted: true)
            try await tx.styleTemplates.purgeAll(.equals("id", key))
        case .galleryItem:
            let item = try await trashed(tx.galleryItems)
            owner = item.projectID
            try await clearVersionSelections(of: item.meta.id, in: tx)
            try await tx.galleryItems.purgeAll(.equals("id", key))
        case .characterImage:
            owner = try await trashed(tx.characterImages).projectID
            try await tx.characterImages.purgeAll(.equals("id", key))
        case .poolItem:
            owner = try await trashed(tx.poolItems).projectID
            try await tx.poolItems.purgeAll(.equals("id", key))
        case .workflow:
            // Jobs keep their own copy of the graph; `workflow_id` is a plain reference.
            _ = try await trashed(tx.workflows)
            try await tx.workflows.purgeAll(.equals("id", key))
        case .server:
            // Gallery items keep the server's name; their `server_id` is a plain reference.
            _ = try await trashed(tx.servers)
            try await tx.serverStatuses.remove(id: id)
            try await tx.servers.purgeAll(.equals("id", key))
        }
        // A purge under a project changes its tree: count it in the revision (the ETag).
        if let owner { _ = try await tx.lockProject(owner, includeDeleted: true) }
        try await tx.deletions.removeEmpty()
    }

    /// Purges trashed jobs and recounts the batches they were part of: a batch's counts are
    /// kept one success at a time, and a job gone for good no longer counts.
    private static func purgeJobs(_ filter: Filter, in tx: Transaction) async throws {
        try await tx.batches.refreshAll(try await tx.jobs.purgeAll(returningBatchesOf: filter))
    }

    /// Purges the clips matching `filter` (and, for one clip, its alternates) with their gallery and versions.
    private static func purgeClips(_ filter: Filter, in tx: Transaction, alternatesOf clipID: UUID? = nil) async throws {
        var clips = try await tx.clips.all(filter, includeDeleted: true).map(\.meta.id)
        if let clipID {
            clips += try await tx.clips.all(.equals("parent_clip_id", DatabaseValue(clipID)), includeDeleted: true).map(\.meta.id)
        }
        guard !clips.isEmpty else { return }
        let ids = clips.map { DatabaseValue($0) }
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Filter([.oneOf("clip_id", Array(ids[chunk..<min(chunk + 500, ids.count)]))])
            try await tx.galleryItems.purgeAll(part)
            try await tx.clipVersions.purgeAll(part)
            try await purgeJobs(part, in: tx)
        }
        // Alternates before their parents.
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
            try await tx.clips.purgeAll(Filter([.oneOf("id", part)]).and(.isNotNull("parent_clip_id")))
        }
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            try await tx.clips.purgeAll(Filter([.oneOf("id", Array(ids[chunk..<min(chunk + 500, ids.count)]))]))
        }
    }

    /// Nothing may stay selected that no longer exists: clips (trashed ones too) and versions.
    private static func clearVersionSelections(of itemID: UUID, in tx: Transaction) async throws {
        for column in ["selected_image_id", "selected_video_id"] {
            try await tx.clips.updateAll(.equals(column, DatabaseValue(itemID)), Changes([column: .null]), includeDeleted: true)
            try await tx.clipVersions.updateAll(.equals(column, DatabaseValue(itemID)), Changes([column: .null]), includeDeleted: true)
        }
    }

    /// Deletes the media files no row refers to any more (after the purge has committed).
    func collectMedia() async {
        guard let media else { return }
        await MediaCatalog(store: media, database: database).collectGarbage(graceSeconds: media.orphanGraceSeconds)
    }
}
