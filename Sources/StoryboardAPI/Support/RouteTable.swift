import HTTPTypes
import Synchronization

/// The routes the router has, by method and path template (`/api/projects/{id}`): answers
/// 405 with `Allow`, and tells which routes take a raw (non-JSON) body.
final class RouteTable: Sendable {
    struct Entry: Sendable, Hashable {
        var method: HTTPRequest.Method
        var path: String
    }

    private let state = Mutex<(entries: [Entry], raw: Set<Entry>)>(([], []))

    func record(_ method: HTTPRequest.Method, _ path: String, rawBody: Bool = false) {
        state.withLock {
            let entry = Entry(method: method, path: path)
            $0.entries.append(entry)
            if rawBody { $0.raw.insert(entry) }
        }
    }

    var entries: [Entry] { state.withLock { $0.entries } }

    func takesRawBody(method: HTTPRequest.Method, path: String?) -> Bool {
        guard let path else { return false }
        return state.withLock { $0.raw.contains(Entry(method: method, path: path)) }
    }

    /// Methods registered for a template matching `path`; empty when no route has that path.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = state.withLock { state in
            state.entries.filter { Self.matches(template: $0.path, segments: segments) }.map(\.method)
        }
        return Array(Set(methods)).sorted { $0.rawValue < $1.rawValue }
    }

    private static func matches(template: String, segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in
            (part.hasPrefix("{") && part.hasSuffix("}")) || part.hasPrefix(":") || part == segment
        }
    }
}
