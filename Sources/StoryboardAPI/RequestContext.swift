import Hummingbird
import Logging

/// Per-request state: Hummingbird's core storage plus the request id every log line and error carries.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are read through `JSONBody`, which applies the configured limit itself.
    public var maxUploadSize: Int { 1 << 20 }
}
