import Foundation
import StoryboardCore
import StoryboardDatabase

/// A partial change: nil leaves a field alone; `.some(nil)` clears `api_key` or `endpoint_id`.
public struct ServerPatch: Sendable {
    public var name: String?
    public var url: String?
    public var serverType: ServerType?
    public var apiKey: Secret??
    public var endpointID: String??
    public var isActive: Bool?
    public var maxConcurrent: Int?
    public var pullMode: Bool?

    public init(
        name: String? = nil, url: String? = nil, serverType: ServerType? = nil, apiKey: Secret?? = nil, endpointID: String?? = nil,
        isActive: Bool? = nil, maxConcurrent: Int? = nil, pullMode: Bool? = nil
    ) {
        self.name = name
        self.url = url
        self.serverType = serverType
        self.apiKey = apiKey
        self.endpointID = endpointID
        self.isActive = isActive
        self.maxConcurrent = maxConcurrent
        self.pullMode = pullMode
    }
}

/// Generation servers: register, change, list, trash. The API key is stored and never shown.
public struct ServerService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func list(activeOnly: Bool, limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<GenerationServer> {
        let filter = activeOnly ? Filter.equals("is_active", .bool(true)) : .all
        return try await database.servers.findMany(
            filter, sort: Sort("created_at", descending: false), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> GenerationServer {
        try await database.servers.get(id: id, includeDeleted: includeDeleted)
    }

    /// Registers `input` (its metadata is ignored: a new id and times are given).
    public func create(_ input: GenerationServer) async throws -> GenerationServer {
        var errors = FieldErrors()
        let server = GenerationServer(
            name: errors.name(input.name), url: errors.serverURL(input.url), serverType: input.serverType,
            apiKey: Self.apiKey(input.apiKey, &errors), endpointID: Self.endpoint(input.endpointID, &errors), isActive: input.isActive,
            maxConcurrent: Self.concurrency(input.maxConcurrent, &errors), pullMode: input.pullMode
        )
        Self.checkType(server, &errors)
        try errors.throwIfAny()
        return try await database.servers.create(server)
    }

    public func update(id: UUID, _ patch: ServerPatch, expectedVersion: Int?) async throws -> GenerationServer {
        try await database.transaction { tx in
            let current = try await tx.servers.get(id: id, forUpdate: true)
            var errors = FieldErrors()
            var changes = Changes()
            var merged = current
            if let name = patch.name { merged.name = errors.name(name) }
            if let url = patch.url { merged.url = errors.serverURL(url) }
            if let type = patch.serverType { merged.serverType = type }
            if let key = patch.apiKey { merged.apiKey = Self.apiKey(key, &errors) }
            if let endpoint = patch.endpointID { merged.endpointID = Self.endpoint(endpoint, &errors) }
            if let active = patch.isActive { merged.isActive = active }
            if let limit = patch.maxConcurrent { merged.maxConcurrent = Self.concurrency(limit, &errors) }
            if let pull = patch.pullMode { merged.pullMode = pull }
            Self.checkType(merged, &errors)
            try errors.throwIfAny()
            for (column, value) in zip(GenerationServer.columns, merged.values) {
                changes.set(column, value)
            }
            let updated = try await tx.servers.update(id: id, changes, expectedVersion: expectedVersion)
            // The status row keeps copies of both (the audit's denormalised backend name and URL).
            if updated.name != current.name || updated.url != current.url {
                try await tx.serverStatuses.rename(id: id, name: updated.name, url: updated.url, urlChanged: updated.url != current.url)
            }
            return updated
        }
    }

    /// A RunPod endpoint is reached through its id and key; both are required for one.
    static func checkType(_ server: GenerationServer, _ errors: inout FieldErrors) {
        // A RunPod endpoint is always called; it never calls in.
        if server.pullMode, server.serverType == .runpod {
            errors.add("pull_mode", "is for ComfyUI boxes that call in; a runpod endpoint is called")
        }
        guard server.serverType == .runpod else { return }
        if server.endpointID == nil { errors.add("endpoint_id", "is required for a runpod server") }
        if server.apiKey == nil { errors.add("api_key", "is required for a runpod server") }
    }

    static func apiKey(_ key: Secret?, _ errors: inout FieldErrors) -> Secret? {
        guard let key else { return nil }
        let trimmed = key.value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 500 || trimmed.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            errors.add("api_key", "must be 1 to 500 printable characters")
        }
        return Secret(trimmed)
    }

    static func endpoint(_ id: String?, _ errors: inout FieldErrors) -> String? {
        guard let id else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_"))
        if id.isEmpty || id.count > 200 || id.unicodeScalars.contains(where: { !allowed.contains($0) || !$0.isASCII }) {
            errors.add("endpoint_id", "must be 1 to 200 letters, digits, - or _")
        }
        return id
    }

    static func concurrency(_ value: Int, _ errors: inout FieldErrors) -> Int {
        if !(1...64).contains(value) { errors.add("max_concurrent", "must be from 1 to 64") }
        return value
    }
}
