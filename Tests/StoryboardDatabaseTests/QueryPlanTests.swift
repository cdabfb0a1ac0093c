import Foundation
import SQLKit
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

/// The plans of the hot queries: listings, the project tree, trash and ordering. A full scan
/// of a content table fails the test (docs/architecture.md: every query path has an index).
@Suite("Query plans", .timeLimit(.minutes(2)))
struct QueryPlanTests {
    @Test("listing, tree, timeline, trash and ordering statements use indexes", arguments: TestEngine.available)
    func plans(engine: TestEngine) async throws {
        try await withTestDatabase(engine) { test in
            let explain = ExplainingExecutor(database: test.database)
            let project = UUID()
            let scene = UUID()
            let clip = UUID()
            let projectFilter = Filter.equals("project_id", DatabaseValue(project))
            let projects = Filter([.oneOf("project_id", [DatabaseValue(project), DatabaseValue(UUID())])])
            let deletion = Filter.equals("deletion_id", DatabaseValue(UUID()))

            // Listings (first pages and later ones, through a cursor).
            _ = try await explain.projects.findMany(limit: 50)
            _ = try await explain.projects.findMany(sort: .recentlyUpdated, limit: 50)
            _ = try await explain.projects.find(id: project)
            _ = try await explain.scenes.findMany(projectFilter.and(.isNull("parent_scene_id")), sort: Sort("order", descending: false))
            _ = try await explain.clips.findMany(
                Filter.equals("scene_id", DatabaseValue(scene)).and(.isNull("parent_clip_id")), sort: Sort("order", descending: false))
            _ = try await explain.clips.findMany(projectFilter, sort: Sort("created_at", descending: false))
            _ = try await explain.clips.findMany(
                projectFilter.and(.equals("character_id", DatabaseValue(UUID()))), sort: Sort("created_at", descending: false))
            _ = try await explain.characters.findMany(projectFilter, sort: Sort("created_at", descending: false))
            _ = try await explain.styleTemplates.findMany(Filter([.isNull("project_id")]), sort: Sort("use_count", descending: true))
            _ = try await explain.styleTemplates.findMany(
                Filter([.equalsOrNull("project_id", DatabaseValue(project))]), sort: Sort("use_count", descending: true))
            _ = try await explain.galleryItems.all(.equals("clip_id", DatabaseValue(clip)))
            _ = try await explain.clipVersions.all(.equals("clip_id", DatabaseValue(clip)), orderBy: "number")
            _ = try await explain.deletions.list(type: nil, limit: 50, cursor: nil)
            _ = try await explain.deletions.list(type: .clip, limit: 50, cursor: ("2026-01-01T00:00:00.000000Z", UUID().uuidString))
            _ = try await explain.servers.findMany(.equals("is_active", .bool(true)), sort: Sort("created_at", descending: false))
            _ = try await explain.servers.findOne(.equals("url", .text("http://gpu.local:8188")))
            // The tree and the timeline: one statement per table, by project.
            _ = try await explain.scenes.all(projects, orderBy: "order")
            _ = try await explain.clips.all(projects, orderBy: "order")
            _ = try await explain.galleryItems.all(projects)
            _ = try await explain.projects.treeStamp(project)
            _ = try await explain.scenes.primaries(in: project)
            _ = try await explain.clips.primaries(in: scene)
            // Trash: cascades, restores and purges are set-based on indexed columns.
            _ = try await explain.clips.softDeleteAll(projectFilter, deletionID: UUID())
            _ = try await explain.galleryItems.softDeleteAll(
                Filter([.inSelect("clip_id", table: "clips", selecting: "id", whereColumn: "deletion_id", value: DatabaseValue(UUID()))]),
                deletionID: UUID()
            )
            _ = try await explain.scenes.restoreAll(deletion)
            _ = try await explain.clips.restoreAll(deletion)
            _ = try await explain.galleryItems.purgeAll(projectFilter)
            try await explain.clips.shiftOrders(in: scene, from: 3, by: 1)
            try await explain.clips.applyOrder(in: scene, ids: [UUID(), UUID()])
            // The queue: the claim, lease recovery, load per server, listings, cascades.
            _ = try await explain.jobs.claim(owner: "bench", leaseSeconds: 30)
            _ = try await explain.jobs.claim(
                forServer: UUID(), checkpoints: ["a.safetensors", "b.safetensors"], owner: "bench", leaseSeconds: 30)
            _ = try await explain.jobs.recoverExpiredLeases()
            _ = try await explain.jobs.runningCountByServer()
            _ = try await explain.servers.dispatchable()
            let newest = Sort("created_at", descending: true)
            _ = try await explain.jobs.findMany(.equals("clip_id", DatabaseValue(clip)), sort: newest, limit: 50)
            _ = try await explain.jobs.findMany(.equals("status", .text("failed")), sort: newest, limit: 50)
            _ = try await explain.jobs.findMany(projectFilter, sort: newest, limit: 50)
            _ = try await explain.jobs.findMany(.equals("character_id", DatabaseValue(UUID())), sort: newest, limit: 50)
            _ = try await explain.jobs.findMany(limit: 50)
            _ = try await explain.jobs.cancelUnfinished(projectFilter, reason: "test")
            // Renders: the claim, lease recovery, a project's listing, the delete's cancel.
            _ = try await explain.renders.claim(owner: "bench", leaseSeconds: 30)
            _ = try await explain.renders.recoverExpiredLeases()
            _ = try await explain.renders.findMany(projectFilter, sort: newest, limit: 50)
            _ = try await explain.renders.cancelUnfinished(projectFilter, reason: "test")
            _ = try await explain.characterImages.all(
                Filter.equals("character_id", DatabaseValue(UUID())).and(.equals("kind", .text("sample"))))

            let plans = explain.plans
            #expect(plans.count == 47, "every call was explained (\(plans.count))")
            let content: Set<String> = [
                "projects", "scenes", "clips", "gallery_items", "clip_versions", "characters", "character_images", "style_templates",
                "deletions", "comfyui_servers",
                "generation_jobs", "renders",
            ]
            for plan in plans {
                let scans = plan.fullScans.filter { content.contains($0) || content.contains(String($0.split(separator: ".").last ?? "")) }
                #expect(scans.isEmpty, "full scan of \(scans) in:\n\(plan)")
            }
            // Both claims (the dispatcher's and a pull worker's) read the next job off the claim
            // index: no sort of the whole queue.
            let claims = plans.filter { $0.statement.contains("SET status = 'running', lease_until") }
            #expect(claims.count == 2)
            for claim in claims {
                #expect(!claim.sortsRows && claim.lines.contains { $0.contains("generation_jobs_claim") }, "\(claim)")
            }
            // A batch's counts, taken at every finish of one of its jobs, come from an index
            // alone (on SQLite, where the plan says so; PostgreSQL explains it through its lock).
            if engine == .sqlite {
                explain.reset()
                _ = try await explain.batches.refresh(UUID())
                let counts = try #require(explain.plans.first)
                #expect(counts.lines.contains { $0.contains("COVERING INDEX generation_jobs_batch_counts") }, "\(counts)")
            }
            // The detector itself: a filter on a column without an index is caught.
            explain.reset()
            _ = try await explain.clips.findOne(.equals("lyrics", .text("la")))
            #expect(explain.plans.first?.fullScans == ["clips"], "\(explain.plans)")
        }
    }
}
