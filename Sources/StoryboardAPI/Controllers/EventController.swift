import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Server-Sent Events of jobs: `GET /api/batches/{id}/events` and `GET /api/events?project_id=`.
/// Each event carries `id:`; a client that reconnects with `Last-Event-ID` (EventSource does
/// this by itself) gets what it missed, read from the event log. Any process sharing the
/// database serves any stream.
struct EventController {
    let database: Database
    /// Seconds between looks at the log.
    let interval: Double
    /// A project stream ends after this long (the client reconnects and resumes); a batch
    /// stream ends when the batch has finished and everything was sent.
    let maxDuration: Double

    func register(_ routes: Routes) {
        routes.add(.get, "/api/batches/{id}/events") { request, context in
            let id = try context.uuidParameter()
            _ = try await database.batches.get(id: id)
            return stream(position: try Self.position(request), batchID: id, projectID: nil)
        }
        routes.add(.get, "/api/events") { request, _ in
            guard let text = request.query("project_id") else { throw AppError.validation(["project_id": "is required"]) }
            guard let id = UUID(parsing: text) else { throw AppError.invalidParameter("project_id", "must be a UUID") }
            _ = try await database.projects.get(id: id)
            return stream(position: try Self.position(request), batchID: nil, projectID: id)
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

    func stream(position start: Int64, batchID: UUID?, projectID: UUID?) -> Response {
        let database = self.database
        let interval = self.interval
        let maxDuration = self.maxDuration
        let body = ResponseBody { writer in
            var position = start
            let clock = ContinuousClock()
            let began = clock.now
            var lastWrite = clock.now
            // Tell EventSource how soon to reconnect.
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            while !Task.isCancelled {
                let events = try await database.jobEvents.after(position, batchID: batchID, projectID: projectID)
                if !events.isEmpty {
                    var buffer = ByteBuffer()
                    for event in events {
                        buffer.writeString("id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(event.data)\n\n")
                        position = event.id
                    }
                    try await writer.write(buffer)
                    lastWrite = clock.now
                    if events.count == 500 { continue }
                }
                if let batchID, let batch = try await database.batches.find(id: batchID, includeDeleted: true), batch.status.isFinished,
                    try await database.jobEvents.after(position, batchID: batchID, limit: 1).isEmpty
                {
                    break
                }
                if clock.now - began > .seconds(maxDuration) { break }
                if clock.now - lastWrite > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = clock.now
                }
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
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
