import StoryboardCore
import Testing

@Suite("Configuration", .timeLimit(.minutes(2)))
struct ConfigurationTests {
    @Test("defaults: SQLite under ./data, loopback, documented values")
    func defaults() throws {
        let configuration = try StoryboardConfiguration(environment: [:])

        #expect(configuration.database == .sqlite(path: "./data/storyboard.sqlite"))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.connectRetries == 5)
        #expect(configuration.connectRetryDelay == 3)
        #expect(configuration.connectTimeout == 10)
        #expect(configuration.poolSize == 10)
        #expect(configuration.apiToken == nil)
        #expect(configuration.logLevel == "info")
        #expect(configuration.isLoopbackBind)
    }

    @Test("DATABASE_URL forms")
    func databaseURLs() throws {
        let sqlite = try StoryboardConfiguration(environment: ["DATABASE_URL": "sqlite:///var/lib/sb/db.sqlite"])
        let dataDir = try StoryboardConfiguration(environment: ["STORYBOARD_DATA_DIR": "/srv/sb"])
        let postgres = try StoryboardConfiguration(environment: ["DATABASE_URL": "postgres://me:p%40ss@db.local:6543/story?sslmode=require"]
        )

        #expect(sqlite.database == .sqlite(path: "/var/lib/sb/db.sqlite"))
        #expect(dataDir.database == .sqlite(path: "/srv/sb/storyboard.sqlite"))
        #expect(
            postgres.database
                == .postgres(
                    PostgresSettings(host: "db.local", port: 6543, username: "me", password: "p@ss", database: "story", tls: .require))
        )
        if case .postgres(let settings) = postgres.database {
            #expect(settings.redactedURL == "postgres://me:***@db.local:6543/story")
        }
    }

    @Test(
        "a bad value names the variable and what is allowed",
        arguments: [
            ("PORT", "http", "a whole number from 0 to 65535"),
            ("PORT", "70000", "a whole number from 0 to 65535"),
            ("DB_POOL_SIZE", "0", "a whole number from 1 to 500"),
            ("DB_CONNECT_RETRIES", "-1", "a whole number from 0 to 1000"),
            ("DB_CONNECT_RETRY_DELAY", "soon", "seconds from 0 to 3600"),
            ("DB_CONNECT_TIMEOUT", "0", "seconds from"),
            ("DB_STATEMENT_TIMEOUT", "1h", "seconds from 0 to 86400"),
            ("LOG_LEVEL", "loud", "trace, debug, info, notice, warning, error, critical"),
            ("STORYBOARD_API_TOKEN", "short", "at least 16 printable ASCII characters"),
            ("DATABASE_URL", "mysql://x@y/z", "sqlite:///path/to/file.sqlite or postgres://"),
            ("DATABASE_URL", "postgres://user@host", "names no database"),
            ("DATABASE_URL", "postgres://host/db", "names no user"),
            ("DATABASE_URL", "postgres://u@h/d?sslmode=maybe", "allowed: disable, prefer, require"),
            ("HOST", "exa mple", "an IP address or host name"),
            ("STORYBOARD_PUBLIC_HOSTS", "https://x.example", "comma-separated host names"),
            ("STORYBOARD_RENDERER", "sometimes", "on or off"),
            ("STORYBOARD_FFMPEG", "-version", "a path or a program name"),
            ("STORYBOARD_RENDER_LEASE", "0", "seconds from 1 to 3600"),
        ]
    )
    func badValues(variable: String, value: String, allowed: String) {
        #expect {
            _ = try StoryboardConfiguration(environment: [variable: value])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.contains(variable) && error.description.contains(allowed)
                && !error.description.contains("\n")
        }
    }

    @Test("a database URL with a password is never echoed in the error")
    func passwordNotEchoed() {
        #expect {
            _ = try StoryboardConfiguration(environment: ["DATABASE_URL": "postgres://me:hunter2-secret@/db"])
        } throws: { error in
            !"\(error)".contains("hunter2-secret")
        }
    }

    @Test("renders: on, ffmpeg from PATH by default; a path and off are taken")
    func renderSettings() throws {
        let defaults = try StoryboardConfiguration(environment: [:]).render
        #expect(defaults.enabled && defaults.ffmpeg == "ffmpeg" && defaults.leaseSeconds == 60)
        let set = try StoryboardConfiguration(environment: [
            "STORYBOARD_RENDERER": "off", "STORYBOARD_FFMPEG": "/opt/ffmpeg/bin/ffmpeg", "STORYBOARD_RENDER_LEASE": "2m",
        ]).render
        #expect(!set.enabled && set.ffmpeg == "/opt/ffmpeg/bin/ffmpeg" && set.leaseSeconds == 120)
    }

    @Test("durations take units")
    func durations() throws {
        let configuration = try StoryboardConfiguration(environment: [
            "DB_CONNECT_RETRY_DELAY": "500ms", "DB_CONNECT_TIMEOUT": "2m", "DB_STATEMENT_TIMEOUT": "0",
        ])
        #expect(configuration.connectRetryDelay == 0.5)
        #expect(configuration.connectTimeout == 120)
        #expect(configuration.statementTimeout == 0)
    }

    @Test(
        "loopback detection",
        arguments: [("127.0.0.1", true), ("localhost", true), ("::1", true), ("0.0.0.0", false), ("192.168.1.4", false)])
    func loopback(host: String, expected: Bool) {
        #expect(StoryboardConfiguration.isLoopback(host: host) == expected)
    }
}
