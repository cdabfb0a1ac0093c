import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoryboardCore
import StoryboardServices

/// Server-Sent Events of jobs: `GET /api/batches/{id}/events` and `GET /api/events?project_id=`.
/// Each event carries `id:`; a client that reconnects with `Last-Event-ID` (EventSource does
/// this by itself) gets what it missed. What to send and when to stop is `JobEventFeed`'s.
struct EventController {
    let feed: JobEventFeed

    func register(_ routes: Routes) {
        routes.add(.get, "/api/batches/{id}/events") { request, context in
            let scope = JobEventFeed.Scope.batch(try context.uuidParameter())
            try await feed.checkExists(scope)
            return stream(scope, after: try Self.position(request))
        }
        routes.add(.get, "/api/events") { request, _ in
            guard let text = request.query("project_id") else { throw AppError.validation(["project_id": "is required"]) }
            guard let id = UUID(parsing: text) else { throw AppError.invalidParameter("project_id", "must be a UUID") }
            try await feed.checkExists(.project(id))
            return stream(.project(id), after: try Self.position(request))
        }
    }

    /// Where to resume: `Last-Event-ID`, or `?last_event_id=` for clients that cannot set headers.
    static func position(_ request: Request) throws -> Int64 {
        let header = HTTPField.Name("Last-Event-ID").flatMap { request.headers[$0] }
        guard let text = header ?? request.query("last_event_id") else { return 0 }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw AppError.invalidParameter("Last-Event-ID", "must be an event id this server sent")
        }
        return value
    }

    /// The feed's messages in the Server-Sent Events format.
    func stream(_ scope: JobEventFeed.Scope, after position: Int64) -> Response {
        let feed = self.feed
        let body = ResponseBody { writer in
            // Tell EventSource how soon to reconnect.
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            try await feed.follow(scope, after: position) { message in
                switch message {
                case .events(let events):
                    var buffer = ByteBuffer()
                    for event in events {
                        buffer.writeString("id: \(event.id)\nevent: \(event.kind)\ndata: \(event.data)\n\n")
                    }
                    try await writer.write(buffer)
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
            body: body
        )
    }
}
