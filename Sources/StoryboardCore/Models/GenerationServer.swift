import Foundation

/// A credential that must never be shown: its `description` is a mask, so string
/// interpolation into a log line or an error message cannot leak it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

public enum ServerType: String, Sendable, CaseIterable {
    case comfyui, runpod
}

/// A ComfyUI server, or a RunPod serverless endpoint, that generation jobs can go to
/// (the audit's `comfyui_servers`).
public struct GenerationServer: Sendable, Equatable {
    public var meta: RecordMetadata
    public var name: String
    /// As given, normalised: lower-case scheme and host, no trailing slash.
    public var url: String
    public var serverType: ServerType
    /// Write-only: stored, used to call the server, never returned.
    public var apiKey: Secret?
    public var endpointID: String?
    public var isActive: Bool
    /// Jobs the dispatcher may run on it at once.
    public var maxConcurrent: Int
    /// A GPU box this server cannot reach (behind NAT): it calls in for work
    /// (`/api/workers/{id}/claim`) and is never called by the dispatcher or the checks.
    public var pullMode: Bool

    public init(
        meta: RecordMetadata = RecordMetadata(), name: String, url: String, serverType: ServerType, apiKey: Secret? = nil,
        endpointID: String? = nil,
        isActive: Bool = true, maxConcurrent: Int = 1, pullMode: Bool = false
    ) {
        self.meta = meta
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

extension FieldErrors {
    /// An http(s) URL with a host and no credentials in it; normalised (lower-case scheme and
    /// host, no trailing slash, no query or fragment).
    public mutating func serverURL(_ text: String, field: String = "url") -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 2000, let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            add(field, "must be an http or https URL with a host")
            return trimmed
        }
        if components.user != nil || components.password != nil {
            add(field, "must not contain credentials; send them as api_key")
            return trimmed
        }
        if components.query != nil || components.fragment != nil {
            add(field, "must not have a query or fragment")
            return trimmed
        }
        var normalised = URLComponents()
        normalised.scheme = scheme
        normalised.host = host.lowercased()
        normalised.port = components.port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        normalised.percentEncodedPath = path
        return normalised.string ?? trimmed
    }
}
