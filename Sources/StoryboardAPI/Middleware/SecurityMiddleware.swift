import HTTPTypes
import Hummingbird
import StoryboardCore

/// Headers that make every response safe to reach from a browser, errors included.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The web studio's page: its own modules and style sheets only (no inline script or style),
    /// decoded audio and pasted images as blob:/data: URLs, API calls to this origin only.
    static let htmlPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    static let otherPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        // Other sites may not embed our media or JSON (no <img src>, <script src> reads).
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        let isHTML = response.headers[.contentType]?.lowercased().hasPrefix("text/html") ?? false
        response.headers[.contentSecurityPolicy] = isHTML ? Self.htmlPolicy : Self.otherPolicy
        return response
    }
}

/// Refuses requests a web page could make against a server on loopback:
/// a foreign `Host` (DNS rebinding), and state-changing requests from another origin.
struct CrossSiteMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let allowedHosts: AllowedHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authority = request.head.authority, let host = AllowedHosts.hostPart(of: authority) else {
            throw AppError(.forbidden, "A Host header is required")
        }
        // Empty segments (`//api/…`) match routes whose raw-path checks they would slip past.
        guard !request.uri.path.contains("//") else {
            throw AppError.invalidParameter("path", "must not contain empty segments (//)")
        }
        guard allowedHosts.allows(host) else {
            throw AppError(
                .forbidden, "Requests for host '\(Self.printable(host))' are not served here", details: ["reason": "host_not_allowed"])
        }
        if Self.changesState(request.method) {
            if request.headers[.secFetchSite]?.lowercased() == "cross-site" {
                throw AppError(.forbidden, "Cross-site requests may not change data", details: ["reason": "cross_site"])
            }
            if let origin = request.headers[.origin] {
                guard origin != "null", let originAuthority = AllowedHosts.authority(ofOrigin: origin),
                    originAuthority.lowercased() == authority.lowercased() || allowedHosts.isPublicOrigin(originAuthority)
                else {
                    throw AppError(.forbidden, "Requests from another origin may not change data", details: ["reason": "foreign_origin"])
                }
            }
        }
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        !(method == .get || method == .head || method == .options)
    }

    private static func printable(_ text: String) -> String {
        String(text.prefix(100).filter { $0.isASCII && !$0.isNewline })
    }
}

/// Which `Host` values this server answers to.
struct AllowedHosts: Sendable {
    let names: Set<String>
    let publicHosts: Set<String>

    init(bindHost: String, publicHosts: [String]) {
        var names: Set<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]
        let bound = bindHost.lowercased()
        if bound != "0.0.0.0", bound != "::", bound != "[::]" {
            names.insert(bound)
        }
        self.wildcardBind = bound == "0.0.0.0" || bound == "::" || bound == "[::]"
        names.formUnion(publicHosts)
        self.names = names
        self.publicHosts = Set(publicHosts)
    }

    /// Bound to every interface: any IP literal names this machine (a DNS name would not be
    /// needed for that, and DNS names are what rebinding abuses).
    let wildcardBind: Bool

    func allows(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if names.contains(lowered) { return true }
        return wildcardBind && Self.isIPLiteral(lowered)
    }

    /// A page served under a configured public name (behind a proxy the ports may differ).
    func isPublicOrigin(_ authority: String) -> Bool {
        guard let host = Self.hostPart(of: authority) else { return false }
        return publicHosts.contains(host.lowercased())
    }

    /// `example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`.
    static func hostPart(of authority: String) -> String? {
        let text = authority.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, !text.contains("@"), !text.contains("/") else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            return String(text[...close])
        }
        let host = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return host.isEmpty ? nil : host
    }

    /// `http://localhost:8080` → `localhost:8080`.
    static func authority(ofOrigin origin: String) -> String? {
        guard let schemeEnd = origin.range(of: "://") else { return nil }
        let rest = origin[schemeEnd.upperBound...]
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return String(rest)
    }

    static func isIPLiteral(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.allSatisfy(\.isASCIIDigit) && UInt8(part) != nil }
    }
}

/// When a token is configured, every `/api` route but health needs it.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Decide by the route the router matched, not the raw path: `//api/projects` matches
        // `/api/projects` but does not start with `/api/`. Unmatched paths fall back to the raw
        // path (and are 404s anyway).
        let route = context.coreContext.endpointPath.value ?? request.uri.path
        guard Self.needsToken(route) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer ",
            constantTimeEquals(header.dropFirst(7), token)
        else {
            throw AppError(.unauthorized, "A valid API token is required: Authorization: Bearer <token>")
        }
        return try await next(request, context)
    }

    /// Every `/api` route but health, and the metrics.
    static func needsToken(_ route: String) -> Bool {
        (route.hasPrefix("/api/") && route != "/api/health") || route == "/metrics"
    }
}

/// JSON routes take only `application/json`, so no cross-site HTML form (which can only send
/// form encodings or text/plain) can reach them.
struct JSONContentTypeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.coreContext.endpointPath.value ?? request.uri.path
        guard route.hasPrefix("/api/"), request.method == .post || request.method == .put || request.method == .patch,
            !routes.takesRawBody(method: request.method, path: context.coreContext.endpointPath.value)
        else {
            return try await next(request, context)
        }
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mediaType == "application/json" else {
                throw AppError(
                    .unsupportedMediaType, "This route accepts only Content-Type: application/json",
                    details: ["content_type": .string(String(mediaType.prefix(100)))]
                )
            }
        } else if let length = request.headers[.contentLength].flatMap(Int.init), length > 0 {
            throw AppError(.unsupportedMediaType, "This route accepts only Content-Type: application/json")
        }
        return try await next(request, context)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
