import Foundation

/// A setting that could not be used. Start-up prints `description` as its one line and stops.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "configuration error: \(variable) \(reason)" }
}

/// Where the data lives.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresSettings)

    public var engineName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgresql"
        }
    }
}

public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    /// Never logged or printed; `redactedURL` stands in for it.
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    public var redactedURL: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}

/// How animatics are rendered (README lists the variables).
public struct RenderSettings: Sendable, Equatable {
    /// Whether this process renders queued animatics (STORYBOARD_RENDERER=off for API-only processes).
    public var enabled = true
    /// The ffmpeg to run (STORYBOARD_FFMPEG): a path, or a name looked up in PATH.
    public var ffmpeg = "ffmpeg"
    /// Seconds a claimed render is held without renewal before another process may take it.
    public var leaseSeconds: Double = 60

    public init() {}

    init(_ reader: EnvironmentReader) throws(ConfigurationError) {
        if let text = reader.string("STORYBOARD_RENDERER") {
            switch text.lowercased() {
            case "on", "true", "1": enabled = true
            case "off", "false", "0": enabled = false
            default: throw ConfigurationError(variable: "STORYBOARD_RENDERER", reason: "must be on or off (got \(text))")
            }
        }
        if let path = reader.string("STORYBOARD_FFMPEG") {
            guard !path.isEmpty, !path.hasPrefix("-") else {
                throw ConfigurationError(variable: "STORYBOARD_FFMPEG", reason: "must be a path or a program name")
            }
            ffmpeg = path
        }
        leaseSeconds = try reader.seconds("STORYBOARD_RENDER_LEASE", in: 1...3600) ?? 60
    }
}

/// How generation runs (README lists the variables).
public struct GenerationSettings: Sendable, Equatable {
    /// Whether this process runs the dispatcher (STORYBOARD_DISPATCHER=off for API-only processes).
    public var dispatcherEnabled = true
    /// Seconds a claimed job is held without a heartbeat before another process may take it.
    public var leaseSeconds: Double = 60
    /// Seconds between looks at a running prompt's state.
    public var pollInterval: Double = 1
    /// Seconds without any sign of progress after which a job is interrupted and retried.
    public var stallTimeout: Double = 900
    /// Seconds before the first retry; doubled each time up to `retryMaxDelay`, with jitter.
    public var retryBaseDelay: Double = 2
    public var retryMaxDelay: Double = 120
    /// Failures in a row that take a server out of rotation, and seconds before it is tried again.
    public var failureThreshold = 3
    public var offlineRetryAfter: Double = 30
    /// Seconds between scheduled server checks (0: only on demand).
    public var checkInterval: Double = 30
    /// Seconds for one call to a generation server, and for downloading one output.
    public var requestTimeout: Double = 30
    public var downloadTimeout: Double = 300
    /// Seconds a project's event stream stays open before the client reconnects (and resumes).
    public var eventStreamDuration: Double = 300

    public init() {}

    init(_ reader: EnvironmentReader) throws(ConfigurationError) {
        if let text = reader.string("STORYBOARD_DISPATCHER") {
            switch text.lowercased() {
            case "on", "true", "1": dispatcherEnabled = true
            case "off", "false", "0": dispatcherEnabled = false
            default: throw ConfigurationError(variable: "STORYBOARD_DISPATCHER", reason: "must be on or off (got \(text))")
            }
        }
        leaseSeconds = try reader.seconds("STORYBOARD_JOB_LEASE", in: 1...3600) ?? 60
        pollInterval = try reader.seconds("STORYBOARD_JOB_POLL_INTERVAL", in: 0.01...60) ?? 1
        stallTimeout = try reader.seconds("STORYBOARD_JOB_STALL_TIMEOUT", in: 1...86400) ?? 900
        retryBaseDelay = try reader.seconds("STORYBOARD_JOB_RETRY_DELAY", in: 0...3600) ?? 2
        retryMaxDelay = try reader.seconds("STORYBOARD_JOB_RETRY_MAX_DELAY", in: 0...86400) ?? 120
        failureThreshold = try reader.int("STORYBOARD_SERVER_FAILURE_THRESHOLD", in: 1...1000) ?? 3
        offlineRetryAfter = try reader.seconds("STORYBOARD_SERVER_RETRY_AFTER", in: 0...86400) ?? 30
        checkInterval = try reader.seconds("STORYBOARD_SERVER_CHECK_INTERVAL", in: 0...86400) ?? 30
        requestTimeout = try reader.seconds("STORYBOARD_UPSTREAM_TIMEOUT", in: 0.1...3600) ?? 30
        downloadTimeout = try reader.seconds("STORYBOARD_DOWNLOAD_TIMEOUT", in: 1...86400) ?? 300
        eventStreamDuration = try reader.seconds("STORYBOARD_EVENT_STREAM_DURATION", in: 1...86400) ?? 300
    }
}

/// Every setting the server reads, from the environment, in one place (README lists them).
public struct StoryboardConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var dataDirectory: String
    public var poolSize: Int
    public var connectRetries: Int
    public var connectRetryDelay: Double
    public var connectTimeout: Double
    /// Seconds; 0 means no limit. PostgreSQL only (`statement_timeout`); SQLite has no per-statement limit.
    public var statementTimeout: Double
    /// How long SQLite waits on a lock held by another process before answering busy.
    public var sqliteBusyTimeout: Double
    public var apiToken: String?
    public var logLevel: String
    /// Extra names the server answers to in `Host` (a reverse proxy's public name), lower-cased.
    public var publicHosts: [String]
    public var maxBodyBytes: Int
    public var shutdownTimeout: Double
    /// Largest music or image upload (STORYBOARD_MAX_UPLOAD_MB), checked while it streams in.
    public var maxUploadBytes: Int = 200 << 20
    /// Space an upload must leave free on the data disk (STORYBOARD_MIN_FREE_MB); less is 507.
    public var minimumFreeBytes: Int = 100 << 20
    /// How long trashed items stay before the scheduled purge (STORYBOARD_TRASH_RETENTION_DAYS).
    public var trashRetentionDays: Double = 30
    /// Seconds between scheduled purges (STORYBOARD_TRASH_PURGE_INTERVAL); 0 turns them off.
    public var trashPurgeInterval: Double = 3600
    /// A stored file nothing refers to is removed only once it is this old (seconds,
    /// STORYBOARD_MEDIA_ORPHAN_GRACE): uploads still being attached are younger.
    public var mediaOrphanGrace: Double = 600
    /// The job queue, dispatcher and server checks.
    public var generation = GenerationSettings()
    /// Animatic renders (ffmpeg).
    public var render = RenderSettings()
    /// Development only (STORYBOARD_STUDIO_DIR): serve the web studio's files from this folder,
    /// read on every request, instead of the copies built into the binary's resources.
    public var studioDirectory: String?

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        database: DatabaseLocation = .sqlite(path: "./data/storyboard.sqlite"),
        dataDirectory: String = "./data",
        poolSize: Int = 10,
        connectRetries: Int = 5,
        connectRetryDelay: Double = 3,
        connectTimeout: Double = 10,
        statementTimeout: Double = 30,
        sqliteBusyTimeout: Double = 5,
        apiToken: String? = nil,
        logLevel: String = "info",
        publicHosts: [String] = [],
        maxBodyBytes: Int = 1 << 20,
        shutdownTimeout: Double = 10
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.dataDirectory = dataDirectory
        self.poolSize = poolSize
        self.connectRetries = connectRetries
        self.connectRetryDelay = connectRetryDelay
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.sqliteBusyTimeout = sqliteBusyTimeout
        self.apiToken = apiToken
        self.logLevel = logLevel
        self.publicHosts = publicHosts
        self.maxBodyBytes = maxBodyBytes
        self.shutdownTimeout = shutdownTimeout
    }

    /// Reads the environment; the first bad value throws, naming the variable and what is allowed.
    public init(environment env: [String: String]) throws(ConfigurationError) {
        let reader = EnvironmentReader(env)
        let dataDirectory = reader.string("STORYBOARD_DATA_DIR") ?? "./data"
        self.init(
            host: try reader.host("HOST") ?? "127.0.0.1",
            port: try reader.int("PORT", in: 0...65535) ?? 8080,
            database: try reader.databaseLocation("DATABASE_URL", dataDirectory: dataDirectory),
            dataDirectory: dataDirectory,
            poolSize: try reader.int("DB_POOL_SIZE", in: 1...500) ?? 10,
            connectRetries: try reader.int("DB_CONNECT_RETRIES", in: 0...1000) ?? 5,
            connectRetryDelay: try reader.seconds("DB_CONNECT_RETRY_DELAY", in: 0...3600) ?? 3,
            connectTimeout: try reader.seconds("DB_CONNECT_TIMEOUT", in: 0.1...3600) ?? 10,
            statementTimeout: try reader.seconds("DB_STATEMENT_TIMEOUT", in: 0...86400) ?? 30,
            sqliteBusyTimeout: try reader.seconds("DB_BUSY_TIMEOUT", in: 0...3600) ?? 5,
            apiToken: try reader.token("STORYBOARD_API_TOKEN"),
            logLevel: try reader.choice("LOG_LEVEL", Self.logLevels) ?? "info",
            publicHosts: try reader.hostList("STORYBOARD_PUBLIC_HOSTS"),
            maxBodyBytes: (try reader.int("STORYBOARD_MAX_BODY_KB", in: 1...1_048_576) ?? 1024) * 1024,
            shutdownTimeout: try reader.seconds("STORYBOARD_SHUTDOWN_TIMEOUT", in: 0...3600) ?? 10
        )
        maxUploadBytes = (try reader.int("STORYBOARD_MAX_UPLOAD_MB", in: 1...65536) ?? 200) << 20
        minimumFreeBytes = (try reader.int("STORYBOARD_MIN_FREE_MB", in: 0...100_000_000) ?? 100) << 20
        trashRetentionDays = try reader.seconds("STORYBOARD_TRASH_RETENTION_DAYS", in: 0...36500) ?? 30
        trashPurgeInterval = try reader.seconds("STORYBOARD_TRASH_PURGE_INTERVAL", in: 0...604_800) ?? 3600
        mediaOrphanGrace = try reader.seconds("STORYBOARD_MEDIA_ORPHAN_GRACE", in: 0...604_800) ?? 600
        generation = try GenerationSettings(reader)
        render = try RenderSettings(reader)
        studioDirectory = reader.string("STORYBOARD_STUDIO_DIR")
    }

    /// The media store of this configuration.
    public var mediaDirectory: String { "\(dataDirectory)/media" }

    /// The server is only reachable from this machine.
    public var isLoopbackBind: Bool { Self.isLoopback(host: host) }

    public static func isLoopback(host: String) -> Bool {
        let lowered = host.lowercased()
        return lowered == "localhost" || lowered == "::1" || lowered == "[::1]" || lowered.hasPrefix("127.")
    }
}

/// Parsing helpers that keep the error messages uniform.
struct EnvironmentReader {
    let env: [String: String]

    init(_ env: [String: String]) { self.env = env }

    func string(_ name: String) -> String? {
        guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: name, reason: "is '\(text)'; allowed: a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Seconds as a number (`3`, `0.5`) or with a unit (`500ms`, `3s`, `2m`).
    func seconds(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        var value: Double?
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            value = Double(text.dropLast(suffix.count)).map { $0 * factor }
            break
        }
        if value == nil { value = Double(text) }
        guard let seconds = value, seconds.isFinite, range.contains(seconds) else {
            throw ConfigurationError(
                variable: name,
                reason:
                    "is '\(text)'; allowed: seconds from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)) (e.g. 3, 0.5, 500ms, 2m)"
            )
        }
        return seconds
    }

    func choice(_ name: String, _ allowed: [String]) throws(ConfigurationError) -> String? {
        guard let text = string(name) else { return nil }
        guard allowed.contains(text.lowercased()) else {
            throw ConfigurationError(variable: name, reason: "is '\(text)'; allowed: \(allowed.joined(separator: ", "))")
        }
        return text.lowercased()
    }

    func token(_ name: String) throws(ConfigurationError) -> String? {
        guard let raw = env[name] else { return nil }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !raw.isEmpty else { return nil }
        guard text.count >= 16, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ConfigurationError(
                variable: name, reason: "is not usable; allowed: at least 16 printable ASCII characters without spaces")
        }
        return text
    }

    func host(_ name: String) throws(ConfigurationError) -> String? {
        guard let text = string(name) else { return nil }
        guard Self.isHostName(text) else {
            throw ConfigurationError(variable: name, reason: "is '\(text)'; allowed: an IP address or host name to bind, e.g. 127.0.0.1")
        }
        return text
    }

    func hostList(_ name: String) throws(ConfigurationError) -> [String] {
        guard let text = string(name) else { return [] }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for host in names where !Self.isHostName(host) {
            throw ConfigurationError(
                variable: name, reason: "contains '\(host)'; allowed: comma-separated host names without scheme or port")
        }
        return names
    }

    func databaseLocation(_ name: String, dataDirectory: String) throws(ConfigurationError) -> DatabaseLocation {
        guard let text = string(name) else {
            return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("storyboard.sqlite"))
        }
        let allowed = "allowed: sqlite:///path/to/file.sqlite or postgres://user:password@host:port/database"
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw ConfigurationError(variable: name, reason: "has no file path; \(allowed)") }
            return .sqlite(path: path)
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text), let host = components.host, !host.isEmpty
        else {
            // Never echo the value: it may hold a password.
            throw ConfigurationError(variable: name, reason: "is not a database URL this server understands; \(allowed)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ConfigurationError(variable: name, reason: "names no database (the path after host:port); \(allowed)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ConfigurationError(variable: name, reason: "names no user; \(allowed)")
        }
        var tls = PostgresSettings.TLSMode.disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = PostgresSettings.TLSMode(rawValue: value) else {
                    throw ConfigurationError(variable: name, reason: "has sslmode '\(item.value ?? "")'; allowed: disable, prefer, require")
                }
                tls = mode
            default:
                throw ConfigurationError(variable: name, reason: "has the unknown option '\(item.name)'; allowed: sslmode")
            }
        }
        return .postgres(
            PostgresSettings(
                host: host,
                port: components.port ?? 5432,
                username: user,
                password: components.password,
                database: database,
                tls: tls
            )
        )
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253
            && text.allSatisfy {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]")
            }
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
