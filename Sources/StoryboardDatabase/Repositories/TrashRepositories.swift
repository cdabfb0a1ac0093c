import Foundation
import SQLKit
import StoryboardCore

/// The trash's index: one row per delete (its root), newest first.
public struct DeletionRepository: Sendable {
    let executor: any SQLExecutor
    static let columns = ["id", "root_type", "root_id", "root_name", "project_id", "deleted_at", "deleted_by", "item_count"]

    public init(_ executor: any SQLExecutor) { self.executor = executor }

    public func create(_ deletion: Deletion) async throws {
        try await executor.write { sql in
            try await sql.insert(into: "deletions").columns(Self.columns).values(
                [
                    DatabaseValue(deletion.id), .text(deletion.rootType.rawValue), DatabaseValue(deletion.rootID), .text(deletion.rootName),
                    DatabaseValue(deletion.projectID), DatabaseValue(deletion.deletedAt), DatabaseValue(deletion.deletedBy),
                    .integer(deletion.itemCount),
                ].map(\.expression)
            ).run()
        }
    }

    public func find(id: UUID) async throws -> Deletion? {
        try await executor.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("deletions")
                .where("id", .equal, SQLBind(id.uuidString.lowercased())).first().map(Self.decode)
        }
    }

    /// The delete whose root is `rootID`, if it is in the trash as a root.
    public func find(rootID: UUID) async throws -> Deletion? {
        try await executor.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("deletions")
                .where("root_id", .equal, SQLBind(rootID.uuidString.lowercased())).orderBy("deleted_at", .descending).limit(1).first()
                .map(Self.decode)
        }
    }

    /// Newest first; `type` narrows to one kind of root. Keyset paging on (deleted_at, id).
    public func list(type: TrashKind?, limit: Int, cursor: (deletedAt: String, id: String)?) async throws -> [Deletion] {
        try await executor.read { sql in
            let select = sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("deletions")
            if let type { select.where("root_type", .equal, SQLBind(type.rawValue)) }
            if let cursor {
                select.where(
                    SQLBinaryExpression(
                        SQLGroupExpression(SQLList([SQLIdentifier("deleted_at"), SQLIdentifier("id")])), .lessThan,
                        SQLGroupExpression(SQLList([SQLBind(cursor.deletedAt), SQLBind(cursor.id)]))
                    )
                )
            }
            return try await select.orderBy("deleted_at", .descending).orderBy("id", .descending).limit(limit).all().map(Self.decode)
        }
    }

    /// Deletes older than `cutoff` (RFC 3339 text compares as time).
    public func olderThan(_ cutoff: Timestamp, limit: Int = 500) async throws -> [Deletion] {
        try await executor.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("deletions")
                .where("deleted_at", .lessThan, SQLBind(cutoff.description)).orderBy("deleted_at").limit(limit).all().map(Self.decode)
        }
    }

    public func remove(id: UUID) async throws {
        try await executor.write { sql in
            try await sql.delete(from: "deletions").where("id", .equal, SQLBind(id.uuidString.lowercased())).run()
        }
    }

    /// Drops the index rows of deletes none of whose rows remain (purged, or restored with a parent).
    public func removeEmpty() async throws {
        let tables = [
            "projects", "scenes", "clips", "characters", "style_templates", "gallery_items", "clip_versions", "character_images",
            "pool_items", "workflows", "comfyui_servers",
        ]
        let conditions = tables.map { "NOT EXISTS (SELECT 1 FROM \($0) WHERE \($0).deletion_id = deletions.id)" }.joined(separator: " AND ")
        try await executor.write { sql in
            try await sql.raw("DELETE FROM deletions WHERE \(unsafeRaw: conditions)").run()
        }
    }

    static func decode(_ row: any SQLRow) throws -> Deletion {
        let type = try row.decode(column: "root_type", as: String.self)
        guard let kind = TrashKind(rawValue: type) else { throw StoredDataError(column: "root_type", problem: "is \(type)") }
        return Deletion(
            id: try row.uuid("id"), rootType: kind, rootID: try row.uuid("root_id"),
            rootName: try row.decode(column: "root_name", as: String.self),
            projectID: try row.optionalUUID("project_id"), deletedAt: try row.timestamp("deleted_at"),
            deletedBy: try row.optional("deleted_by", as: String.self), itemCount: try row.decode(column: "item_count", as: Int.self)
        )
    }
}

/// The media store's index: one row per stored file (content address), so purge can find the
/// files nothing refers to any more with one set-based statement.
public struct MediaFileRepository: Sendable {
    let executor: any SQLExecutor

    public init(_ executor: any SQLExecutor) { self.executor = executor }

    /// Records `file`; if the same bytes are known already, marks them as just used, so a
    /// clean-up running at the same moment (which spares recent files) leaves them alone.
    public func register(_ file: MediaFile) async throws {
        try await executor.write { sql in
            try await sql.insert(into: "media_files").columns(["id", "content_type", "file_extension", "size_bytes", "created_at"])
                .values(
                    [
                        .text(file.id), .text(file.contentType), .text(file.fileExtension), .integer(file.sizeBytes),
                        DatabaseValue(Timestamp.now()),
                    ].map(\.expression)
                )
                .onConflict(with: ["id"]) { $0.set(excludedValueOf: "created_at") }
                .run()
        }
    }

    public func exists(id: String) async throws -> Bool {
        try await find(id: id) != nil
    }

    public func find(id: String) async throws -> MediaFile? {
        try await executor.read { sql in
            try await sql.select().columns(["id", "content_type", "file_extension", "size_bytes", "created_at"].map { SQLIdentifier($0) })
                .from("media_files").where("id", .equal, SQLBind(id)).first()
                .map {
                    MediaFile(
                        id: try $0.decode(column: "id", as: String.self),
                        contentType: try $0.decode(column: "content_type", as: String.self),
                        fileExtension: try $0.decode(column: "file_extension", as: String.self),
                        sizeBytes: try $0.decode(column: "size_bytes", as: Int.self),
                        createdAt: try $0.timestamp("created_at")
                    )
                }
        }
    }

    /// Removes the index rows of files no row refers to (live or trashed) and returns them, so
    /// the caller deletes the files once the transaction has committed.
    public func removeUnreferenced(registeredBefore cutoff: Timestamp) async throws -> [MediaFile] {
        try await executor.write { sql in
            try await sql.raw(
                """
                DELETE FROM media_files WHERE created_at <= \(bind: cutoff.description)
                    AND
                    NOT EXISTS (SELECT 1 FROM projects WHERE projects.music_media_id = media_files.id)
                    AND NOT EXISTS (SELECT 1 FROM gallery_items WHERE gallery_items.media_file_id = media_files.id)
                    AND NOT EXISTS (SELECT 1 FROM character_images WHERE character_images.media_file_id = media_files.id)
                    AND NOT EXISTS (SELECT 1 FROM pool_items WHERE pool_items.media_file_id = media_files.id)
                    AND NOT EXISTS (SELECT 1 FROM generation_jobs WHERE generation_jobs.source_media_id = media_files.id)
                    AND NOT EXISTS (SELECT 1 FROM renders WHERE renders.media_file_id = media_files.id)
                RETURNING id, content_type, file_extension, size_bytes, created_at
                """
            ).all().map {
                MediaFile(
                    id: try $0.decode(column: "id", as: String.self), contentType: try $0.decode(column: "content_type", as: String.self),
                    fileExtension: try $0.decode(column: "file_extension", as: String.self),
                    sizeBytes: try $0.decode(column: "size_bytes", as: Int.self),
                    createdAt: try $0.timestamp("created_at")
                )
            }
        }
    }
}

extension SQLExecutor {
    public var deletions: DeletionRepository { DeletionRepository(self) }
    public var mediaFiles: MediaFileRepository { MediaFileRepository(self) }
}
