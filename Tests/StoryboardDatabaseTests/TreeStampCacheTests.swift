import Foundation
import Logging
import Metrics
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

/// On PostgreSQL a server keeps project tree stamps in memory while it listens for changes
/// (migration 0011). These run two `Database`s on one PostgreSQL database, as two server
/// processes would.
@Suite("Tree stamps in memory on PostgreSQL", .timeLimit(.minutes(2)))
struct TreeStampCacheTests {
    let logger = Logger(label: "test")

    @Test(
        "another process's change, delete and purge reach this process's stamp; its own change at once; a dropped listener is replaced",
        arguments: TestEngine.available.filter { $0 == .postgresql }
    )
    func followsChanges(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { test in
            let here = test.database
            let other = try await Database.connect(configuration: test.configuration, logger: logger, metrics: NOOPMetricsHandler.instance)
            let id = try await here.projects.create(Project(name: "followed")).meta.id
            let key = id.uuidString.lowercased()
            let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { group in
                group.addTask { await here.followTreeChanges() }
                defer { group.cancelAll() }
                do {
                    try await Self.eventually("listening") { here.isFollowingTreeChanges }
                    let first = try await here.treeStamp(of: id)
                    #expect(first != nil)
                    let statements = here.statements.count
                    #expect(try await here.treeStamp(of: id) == first)
                    #expect(here.statements.count == statements, "the second read is answered from memory")

                    // Another process changes the project: this one sees the new stamp soon after.
                    _ = try await other.transaction { try await $0.projects.lockForChange(id: id) }
                    let theirs = try await other.projects.treeStamp(id)
                    try await Self.eventually("another process's change") { try await here.treeStamp(of: id) == theirs }
                    #expect(theirs != first)

                    // This process's own change is seen by the very next read.
                    let before = try await here.treeStamp(of: id)
                    _ = try await here.transaction { try await $0.projects.lockForChange(id: id) }
                    let after = try await here.treeStamp(of: id)
                    #expect(after != before)
                    #expect(after == (try await other.projects.treeStamp(id)))

                    // A result attached elsewhere counts outside the project row, and is followed too.
                    try await other.transaction { try await $0.projects.countResult(of: id) }
                    let counted = try await other.projects.treeStamp(id)
                    #expect(counted != after && counted?.hasSuffix(".1") == true, "\(String(describing: counted))")
                    try await Self.eventually("another process's result") { try await here.treeStamp(of: id) == counted }
                    try await here.transaction { try await $0.projects.countResult(of: id) }
                    #expect(try await here.treeStamp(of: id)?.hasSuffix(".2") == true, "this process's own count at once")

                    // The listener's connection is killed: nothing is kept until it is back, and
                    // changes made meanwhile are not missed.
                    try await other.write { sql in
                        try await sql.raw(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                        ).run()
                    }
                    try await Self.eventually("listener noticed it was dropped") { !here.isFollowingTreeChanges }
                    _ = try await other.transaction { try await $0.projects.lockForChange(id: id) }
                    try await Self.eventually("listening again") { here.isFollowingTreeChanges }
                    #expect(try await here.treeStamp(of: id) == (try await other.projects.treeStamp(id)))

                    // Trashed and then purged elsewhere: no stamp, so no 304 for a tree that is gone.
                    _ = try await here.treeStamp(of: id)
                    try await other.write { sql in
                        try await sql.raw("UPDATE projects SET deleted_at = \(bind: Timestamp.now().description) WHERE id = \(bind: key)")
                            .run()
                    }
                    try await Self.eventually("trashed elsewhere") { try await here.treeStamp(of: id) == nil }
                    try await other.write { sql in try await sql.raw("UPDATE projects SET deleted_at = NULL WHERE id = \(bind: key)").run()
                    }
                    try await Self.eventually("restored elsewhere") { try await here.treeStamp(of: id) != nil }
                    try await other.write { sql in try await sql.raw("DELETE FROM projects WHERE id = \(bind: key)").run() }
                    try await Self.eventually("purged elsewhere") { try await here.treeStamp(of: id) == nil }
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            await other.close()
            try outcome.get()
            #expect(!here.isFollowingTreeChanges, "stopped with its task")
        }
    }

    @Test(
        "without the trigger (migration 0011 not applied) nothing is kept in memory",
        arguments: TestEngine.available.filter { $0 == .postgresql })
    func noTriggerNoCache(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { test in
            try await test.database.write { sql in try await sql.raw("DROP TRIGGER projects_tree_changed ON projects").run() }
            let id = try await test.database.projects.create(Project(name: "unannounced")).meta.id
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await test.database.followTreeChanges() }
                try? await Task.sleep(for: .seconds(1))
                #expect(!test.database.isFollowingTreeChanges)
                let statements = test.database.statements.count
                _ = try? await test.database.treeStamp(of: id)
                _ = try? await test.database.treeStamp(of: id)
                #expect(test.database.statements.count - statements == 2, "each stamp read from the database")
                group.cancelAll()
            }
        }
    }

    static func eventually(_ what: String, within seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("not within \(seconds) s: \(what)")
    }
}
