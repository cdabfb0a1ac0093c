import Foundation
import StoryboardCore
import StoryboardDatabase

extension MediaStore {
    /// The common part of every upload use case: receive the body (type and size checked as it
    /// streams), put the file in the store, then `attach` it (the rows that refer to it). When
    /// anything fails the received file is dropped; a file already in place with no row pointing
    /// at it is an orphan the clean-up removes after the grace period.
    public func accept<Chunks: AsyncSequence, T: Sendable>(
        _ chunks: Chunks, expected: MediaExpectation, declaredLength: Int?, database: Database,
        attach: (ReceivedMedia) async throws -> T
    ) async throws -> T where Chunks.Element == [UInt8] {
        let received = try await receive(chunks, expected: expected, declaredLength: declaredLength)
        do {
            try await commit(received, database: database)
            return try await attach(received)
        } catch {
            discard(received)
            throw error
        }
    }
}
