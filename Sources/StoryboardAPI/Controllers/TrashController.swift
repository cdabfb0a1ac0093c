import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// The trash: what was deleted (one entry per delete), restore and purge.
struct TrashController {
    let trash: TrashService

    func register(_ routes: Routes) {
        routes.add(.get, "/api/trash") { request, _ in
            let type = try request.query("type").map(Self.kind)
            let page = try await trash.list(type: type, limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.deletion($1) }
            return writer.response()
        }
        routes.add(.delete, "/api/trash/{type}/{id}") { _, context in
            try await trash.purge(try Self.kind(context.parameters.get("type") ?? ""), id: try context.uuidParameter())
            return Response(status: .noContent)
        }
        routes.add(.post, "/api/trash/{type}/{id}/restore") { _, context in
            try await trash.restore(try Self.kind(context.parameters.get("type") ?? ""), id: try context.uuidParameter())
            return Response(status: .noContent)
        }
        routes.add(.post, "/api/trash/purge") { request, _ in
            let age = try Self.age(request.query("older_than") ?? "30d")
            let purged = try await trash.purge(deletedBefore: Timestamp(Date().addingTimeInterval(-age)))
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("purged")
            writer.int(purged)
            writer.endObject()
            return writer.response()
        }
    }

    static func kind(_ text: String) throws -> TrashKind {
        guard let kind = TrashKind(rawValue: text) else {
            throw AppError.invalidParameter("type", "must be one of \(TrashKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// `30d`, `12h`, `90m`, `45s` → seconds.
    static func age(_ text: String) throws -> Double {
        let units: [Character: Double] = ["d": 86400, "h": 3600, "m": 60, "s": 1]
        guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0,
            value <= 36500 * 86400 / factor
        else {
            throw AppError.invalidParameter("older_than", "must be a duration such as 30d, 12h, 90m or 45s")
        }
        return value * factor
    }
}
