import Foundation
import StoryboardCore
import StoryboardDatabase

/// The media store's files and their `media_files` rows, kept in step: every way a file comes
/// in (an upload, a generation output, a render) and the clean-up of files nothing refers to.
/// `MediaStore` knows only files; the order between a row and its file is kept here.
public struct MediaCatalog: Sendable {
    public let store: MediaStore
    public let database: Database

    public init(store: MediaStore, database: Database) {
        self.store = store
        self.database = database
    }

    /// Registers a received file's row (committed on its own), then moves the file to its
    /// content address, so a file in the store always has a row the clean-up can find: if the
    /// transaction that should point at it then fails, the file is an orphan removed after the
    /// grace period, never one that stays forever.
    public func commit(_ media: ReceivedMedia) async throws {
        do {
            try await database.mediaFiles.register(media.file)
        } catch {
            store.discard(media)
            throw error
        }
        try store.place(media)
    }

    /// The common part of every upload use case: receive the body (type and size checked as it
    /// streams), commit the file, then `attach` it (the rows that refer to it). When anything
    /// fails the received file is dropped; a file already in place with no row pointing at it is
    /// an orphan the clean-up removes after the grace period.
    public func accept<Chunks: AsyncSequence, T: Sendable>(
        _ chunks: Chunks, expected: MediaExpectation, declaredLength: Int?, attach: (ReceivedMedia) async throws -> T
    ) async throws -> T where Chunks.Element == [UInt8] {
        let received = try await store.receive(chunks, expected: expected, declaredLength: declaredLength)
        do {
            try await commit(received)
            return try await attach(received)
        } catch {
            store.discard(received)
            throw error
        }
    }

    /// Removes the files no row refers to and that were registered at least `graceSeconds`
    /// ago (uploads whose transaction is still running are younger). Runs after purges;
    /// failures are logged, never thrown (a file left behind is retried next time).
    ///
    /// A file is first renamed aside, then its row is looked for again: an upload of the same
    /// bytes registers its row before its own rename, so either the row is seen (the file is
    /// put back) or the upload's rename lands after ours (its copy is the one in place).
    public func collectGarbage(graceSeconds: Double) async {
        do {
            let cutoff = Timestamp(Date().addingTimeInterval(-graceSeconds))
            let unreferenced = try await database.transaction { tx in try await tx.mediaFiles.removeUnreferenced(registeredBefore: cutoff) }
            for file in unreferenced {
                let destination = store.path(of: file)
                let aside = "\(store.root)/tmp/\(UUID().uuidString.lowercased()).removed"
                try? FileManager.default.createDirectory(atPath: "\(store.root)/tmp", withIntermediateDirectories: true)
                guard rename(destination, aside) == 0 else { continue }
                if try await database.mediaFiles.exists(id: file.id), !FileManager.default.fileExists(atPath: destination) {
                    _ = rename(aside, destination)
                }
                try? FileManager.default.removeItem(atPath: aside)
            }
            if !unreferenced.isEmpty { store.logger.info("media files removed", metadata: ["count": "\(unreferenced.count)"]) }
        } catch {
            store.logger.warning("media clean-up failed; it runs again after the next purge", metadata: ["error": "\(error)"])
        }
    }

}
