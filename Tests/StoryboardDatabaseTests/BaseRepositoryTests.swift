import Foundation
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Base repository", .timeLimit(.minutes(2)))
struct BaseRepositoryTests {
    @Test("create, find, find one, update by id bumps version and updated_at", arguments: TestEngine.available)
    func crud(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            // Setup
            let repository = test.database.widgets
            let created = try await repository.create(Widget(name: "lamp", kind: "light", rank: 3))

            // The calls under test
            let found = try await repository.find(id: created.meta.id)
            let byName = try await repository.findOne(.equals("name", .text("lamp")))
            try await Task.sleep(for: .milliseconds(2))
            var changes = Changes()
            changes.set("kind", .null)
            changes.set("rank", .integer(4))
            let updated = try await repository.update(id: created.meta.id, changes)

            // Checks
            #expect(found == created)
            #expect(byName?.meta.id == created.meta.id)
            #expect(updated.kind == nil)
            #expect(updated.rank == 4)
            #expect(updated.meta.version == 2)
            #expect(updated.meta.updatedAt > created.meta.updatedAt)
            #expect(updated.meta.createdAt == created.meta.createdAt)
            #expect(try await repository.find(id: UUID()) == nil)
            let missing = await appError { _ = try await repository.update(id: UUID(), changes) }
            #expect(missing?.status == 404)
        }
    }

    @Test("update with a stale expected version is 412 and changes nothing", arguments: TestEngine.available)
    func staleVersion(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            let widget = try await repository.create(Widget(name: "chair"))
            _ = try await repository.update(id: widget.meta.id, Changes(["rank": .integer(1)]), expectedVersion: 1)

            let error = await appError {
                _ = try await repository.update(id: widget.meta.id, Changes(["rank": .integer(99)]), expectedVersion: 1)
            }

            #expect(error?.code == .preconditionFailed)
            #expect(error?.details?["current_version"]?.doubleValue == 2)
            #expect(try await repository.get(id: widget.meta.id).rank == 1)
        }
    }

    @Test("soft delete hides from every read; restore shows; purge removes only trashed rows", arguments: TestEngine.available)
    func trash(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            let keep = try await repository.create(Widget(name: "keep"))
            let gone = try await repository.create(Widget(name: "gone"))
            let deletion = UUID()

            let deleted = try await repository.softDelete(id: gone.meta.id, deletedBy: "tester", deletionID: deletion)

            #expect(deleted.meta.deletedAt != nil)
            #expect(deleted.meta.deletionID == deletion)
            #expect(deleted.meta.deletedBy == "tester")
            #expect(try await repository.find(id: gone.meta.id) == nil)
            #expect(try await repository.findOne(.equals("name", .text("gone"))) == nil)
            #expect(try await repository.count() == 1)
            #expect(try await repository.findMany().items.map(\.meta.id) == [keep.meta.id])
            #expect(try await repository.count(includeDeleted: true) == 2)
            #expect(try await repository.find(id: gone.meta.id, includeDeleted: true)?.name == "gone")
            #expect(await appError { _ = try await repository.update(id: gone.meta.id, Changes(["rank": .integer(1)])) }?.status == 404)
            #expect(await appError { try await repository.softDelete(id: gone.meta.id) }?.status == 404)

            // Purge never touches a live row.
            #expect(try await repository.purge(id: keep.meta.id) == false)
            #expect(try await repository.find(id: keep.meta.id) != nil)

            let restored = try await repository.restore(id: gone.meta.id)
            #expect(restored.meta.deletedAt == nil && restored.meta.deletionID == nil)
            #expect(restored.meta.version == deleted.meta.version + 1)
            #expect(try await repository.count() == 2)
            #expect(await appError { try await repository.restore(id: keep.meta.id) }?.code == .conflict)
            #expect(await appError { try await repository.restore(id: UUID()) }?.status == 404)

            try await repository.softDelete(id: gone.meta.id)
            #expect(try await repository.purge(id: gone.meta.id))
            #expect(try await repository.find(id: gone.meta.id, includeDeleted: true) == nil)
        }
    }

    @Test("set-based soft delete and restore by deletion id bring back exactly one delete", arguments: TestEngine.available)
    func setBasedTrash(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            for index in 0..<5 { try await repository.create(Widget(name: "w\(index)", kind: index < 3 ? "a" : "b")) }
            let earlier = try await repository.softDelete(id: try #require(await repository.findOne(.equals("name", .text("w0")))).meta.id)
            let deletion = UUID()

            let trashed = try await repository.softDeleteAll(.equals("kind", .text("a")), deletionID: deletion)
            let restored = try await repository.restoreAll(.equals("deletion_id", DatabaseValue(deletion)))

            #expect(Set(trashed.map(\.name)) == ["w1", "w2"])
            #expect(Set(restored.map(\.name)) == ["w1", "w2"])
            #expect(try await repository.find(id: earlier.meta.id) == nil, "an earlier, separate delete stays deleted")
        }
    }

    @Test("unique and foreign-key violations become 409s without SQL text", arguments: TestEngine.available)
    func errorTranslation(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let widgets = test.database.widgets
            let first = try await widgets.create(Widget(name: "unique"))

            let duplicate = await appError { try await widgets.create(Widget(name: "unique")) }
            let orphan = await appError { try await test.database.widgetParts.create(WidgetPart(widgetID: UUID(), label: "x")) }

            #expect(duplicate?.code == .duplicateResource)
            #expect(duplicate?.status == 409)
            #expect(duplicate?.details?["fields"]?.arrayValue == ["name"])
            #expect(orphan?.code == .conflict)
            for error in [duplicate, orphan] {
                let text = "\(error?.message ?? "") \(String(describing: error?.details))".lowercased()
                #expect(!text.contains("insert") && !text.contains("constraint") && !text.contains("test_widget"))
            }
            // Unique constraints ignore the trash: the name can be reused after a delete.
            try await widgets.softDelete(id: first.meta.id)
            #expect(try await widgets.create(Widget(name: "unique")).name == "unique")
        }
    }

    @Test("keyset pages are stable while rows are inserted concurrently", arguments: TestEngine.available)
    func keysetPagination(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            var originals: [UUID] = []
            for index in 0..<60 { originals.append(try await repository.create(Widget(name: "n\(index)", rank: index % 7)).meta.id) }

            // Page through oldest-first while another task keeps inserting newer rows.
            let inserter = Task {
                for index in 0..<40 { _ = try await repository.create(Widget(name: "late\(index)")) }
            }
            var seen: [UUID] = []
            var cursor: String?
            repeat {
                let page = try await repository.findMany(sort: Sort("created_at", descending: false), limit: 7, cursor: cursor)
                seen += page.items.map(\.meta.id)
                cursor = page.nextCursor
            } while cursor != nil
            try await inserter.value

            #expect(Array(seen.prefix(60)) == originals, "every original row once, in order, none skipped")
            #expect(Set(seen).count == seen.count, "no row twice")

            // Sorting by another column pages through everything exactly once too.
            var byRank: [Widget] = []
            cursor = nil
            repeat {
                let page = try await repository.findMany(sort: Sort("rank", descending: true), limit: 9, cursor: cursor)
                byRank += page.items
                cursor = page.nextCursor
            } while cursor != nil
            #expect(byRank.count == 100)
            #expect(Set(byRank.map(\.meta.id)).count == 100)
            #expect(zip(byRank, byRank.dropFirst()).allSatisfy { $0.rank >= $1.rank })
        }
    }

    @Test("a cursor from another order or not from us is a 400", arguments: TestEngine.available)
    func badCursor(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            for index in 0..<3 { try await repository.create(Widget(name: "c\(index)")) }
            let page = try await repository.findMany(limit: 1)
            let cursor = try #require(page.nextCursor)

            let otherOrder = await appError {
                _ = try await repository.findMany(sort: Sort("name", descending: false), limit: 1, cursor: cursor)
            }
            let garbage = await appError { _ = try await repository.findMany(limit: 1, cursor: "not-a-cursor") }
            let badSort = await appError { _ = try await repository.findMany(sort: Sort("kind", descending: false)) }

            // A hand-made cursor with a number for a text column is refused, not sent to the database.
            let forged = Data("created_at\u{1F}d\u{1F}n\u{1F}42\u{1F}\(UUID().uuidString)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let wrongKind = await appError { _ = try await repository.findMany(limit: 1, cursor: forged) }
            #expect(wrongKind?.code == .invalidParameter)
            #expect(otherOrder?.code == .invalidParameter)
            #expect(garbage?.code == .invalidParameter)
            #expect(badSort?.code == .invalidParameter)
        }
    }

    @Test("contains matches case-insensitively and treats % and _ literally", arguments: TestEngine.available)
    func containsFilter(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            for name in ["Big Lamp", "lamp_post", "50% off", "table"] { try await repository.create(Widget(name: name)) }

            let lamps = try await repository.findMany(Filter([.contains("name", "LAMP")]))
            let underscore = try await repository.findMany(Filter([.contains("name", "_")]))
            let percent = try await repository.findMany(Filter([.contains("name", "%")]))

            #expect(Set(lamps.items.map(\.name)) == ["Big Lamp", "lamp_post"])
            #expect(underscore.items.map(\.name) == ["lamp_post"])
            #expect(percent.items.map(\.name) == ["50% off"])
        }
    }

    @Test("a transaction commits all or nothing", arguments: TestEngine.available)
    func transactions(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let database = test.database
            struct Abort: Error {}

            await #expect(throws: Abort.self) {
                try await database.transaction { tx in
                    let widget = try await tx.widgets.create(Widget(name: "parent"))
                    try await tx.widgetParts.create(WidgetPart(widgetID: widget.meta.id, label: "child"))
                    throw Abort()
                }
            }
            let failed = await appError {
                try await database.transaction { tx in
                    try await tx.widgets.create(Widget(name: "kept-out"))
                    try await tx.widgetParts.create(WidgetPart(widgetID: UUID(), label: "orphan"))
                }
            }
            let committed = try await database.transaction { tx in
                let widget = try await tx.widgets.create(Widget(name: "parent"))
                return try await tx.widgetParts.create(WidgetPart(widgetID: widget.meta.id, label: "child"))
            }

            #expect(failed?.code == .conflict)
            #expect(try await database.widgets.count() == 1)
            #expect(try await database.widgets.findOne(.equals("name", .text("kept-out"))) == nil)
            #expect(try await database.widgetParts.find(id: committed.meta.id)?.label == "child")
        }
    }

    @Test("concurrent writers all succeed (SQLite queues them behind its one writer)", arguments: TestEngine.available)
    func concurrentWrites(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            let widget = try await repository.create(Widget(name: "counter"))

            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        if index % 2 == 0 {
                            _ = try await repository.create(Widget(name: "parallel\(index)"))
                        } else {
                            _ = try await test.database.transaction { tx in
                                let current = try await tx.widgets.get(id: widget.meta.id, forUpdate: true)
                                return try await tx.widgets.update(id: widget.meta.id, Changes(["rank": .integer(current.rank + 1)]))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }

            let final = try await repository.get(id: widget.meta.id)
            #expect(final.rank == 25, "every read-modify-write transaction saw the previous one")
            #expect(final.meta.version == 26)
            #expect(try await repository.count() == 26)
        }
    }

    @Test("concurrent updates with the same expected version: exactly one wins, the rest are 412", arguments: TestEngine.available)
    func concurrentVersionedUpdates(engine: TestEngine) async throws {
        try await withWidgetDatabase(engine) { test in
            let repository = test.database.widgets
            let widget = try await repository.create(Widget(name: "contended"))

            let outcomes = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await repository.update(id: widget.meta.id, Changes(["rank": .integer(index + 1)]), expectedVersion: 1)
                            return 200
                        } catch let error as AppError {
                            return error.status
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }

            #expect(outcomes.filter { $0 == 200 }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == 412 }.count == 11)
            #expect(try await repository.get(id: widget.meta.id).meta.version == 2)
        }
    }

    @Test("a caller cancelled while waiting for a connection never runs its statement")
    func cancelledWaiter() async throws {
        try await withWidgetDatabase(.sqlite) { test in
            let database = test.database
            // The one SQLite writer is busy in a transaction for a while.
            let blocker = Task {
                try await database.transaction { tx in
                    try await tx.widgets.create(Widget(name: "blocker"))
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let victim = Task { try await database.widgets.create(Widget(name: "abandoned")) }
            try await Task.sleep(for: .milliseconds(100))

            victim.cancel()

            await #expect(throws: CancellationError.self) { try await victim.value }
            try await blocker.value
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await database.widgets.findOne(.equals("name", .text("abandoned"))) == nil)
            #expect(try await database.widgets.count() == 1)
            // The pool still works afterwards.
            #expect(try await database.widgets.create(Widget(name: "after")).name == "after")
        }
    }
}
