import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardServices
import Synchronization

/// The real server (`buildApplication`) on a real socket on 127.0.0.1, port chosen by the OS.
public struct TestServer: APIClient {
    public let port: Int
    public let database: Database
    public let configuration: StoryboardConfiguration
    public let metrics: AppMetrics
    public let logs: LogCapture
    /// How long one request may take before the client gives up with `readTimeout`. Tests that
    /// queue many requests on one lock raise it: on a loaded machine the last one waits for all.
    public var requestTimeout: Duration = .seconds(30)

    public func requestTimeout(_ timeout: Duration) -> TestServer {
        var copy = self
        copy.requestTimeout = timeout
        return copy
    }

    /// The Host a browser on this machine would send.
    public var authority: String { "127.0.0.1:\(port)" }
    public var origin: String { "http://\(authority)" }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPFields
        public var body: String
        /// The body's bytes, for binary responses.
        public var data: Data = Data()

        public var json: JSONValue? { JSONValue(bytes: data) }
        /// `error.code` of the envelope.
        public var errorCode: String? { json?["error"]?["code"]?.stringValue }
        public func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    }

    public func send(
        _ method: HTTPRequest.Method, _ path: String, headers: [String: String], body: Data?, host: String?, contentType: String?
    ) async throws -> Reply {
        try await LoopbackClient(port: port, timeout: requestTimeout).send(
            method, path, headers: headers, body: body, host: host, contentType: contentType)
    }
}

/// Something that answers API requests on loopback: a server in this process, or a
/// `storyboard serve` process started by a test.
public protocol APIClient: Sendable {
    func send(
        _ method: HTTPRequest.Method, _ path: String, headers: [String: String], body: Data?, host: String?, contentType: String?
    ) async throws -> TestServer.Reply
}

extension APIClient {
    /// One request on a new connection. `host` replaces the Host header (nil: the server's).
    public func request(
        _ method: HTTPRequest.Method,
        _ path: String,
        headers: [String: String] = [:],
        body: String? = nil,
        host: String? = nil,
        json: Bool = true
    ) async throws -> TestServer.Reply {
        try await send(
            method, path, headers: headers, body: body.map { Data($0.utf8) }, host: host,
            contentType: json && body != nil ? "application/json" : nil)
    }

    /// A raw (binary) body, e.g. an upload.
    public func upload(
        _ method: HTTPRequest.Method, _ path: String, data: Data, headers: [String: String] = [:]
    ) async throws -> TestServer.Reply {
        try await send(method, path, headers: headers, body: data, host: nil, contentType: nil)
    }
}

/// Requests to a server on 127.0.0.1:`port`, each on a new connection.
public struct LoopbackClient: APIClient {
    public let port: Int
    public let timeout: Duration
    /// Each response is checked against the served OpenAPI document (`ResponseContract`), and a
    /// mismatch throws `ContractViolation`. Off only for load generators, whose cost it would skew.
    public let checksContract: Bool

    public init(port: Int, timeout: Duration = .seconds(30), checksContract: Bool = true) {
        self.port = port
        self.timeout = timeout
        self.checksContract = checksContract
    }

    public func send(
        _ method: HTTPRequest.Method, _ path: String, headers: [String: String], body: Data?, host: String?, contentType: String?
    ) async throws -> TestServer.Reply {
        var fields = HTTPFields()
        if let contentType { fields[.contentType] = contentType }
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields[fieldName] = value
        }
        let request = TestClient.Request(
            path, method: method, authority: host ?? "127.0.0.1:\(port)", headers: fields, body: body.map { ByteBuffer(bytes: $0) })
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout))
        client.connect()
        do {
            let response = try await client.execute(request)
            try? await client.shutdown()
            let bytes = response.body.map { Data($0.readableBytesView) } ?? Data()
            if checksContract {
                let problems = ResponseContract.served.problems(
                    method: method.rawValue, target: path, status: Int(response.status.code),
                    contentType: response.headers[.contentType], body: bytes)
                if !problems.isEmpty { throw ContractViolation(problems: problems) }
            }
            return TestServer.Reply(
                status: Int(response.status.code), headers: response.headers, body: String(decoding: bytes, as: UTF8.self), data: bytes)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Starts the server on `database`, runs `body`, shuts the server down gracefully.
public func withTestServer<T: Sendable>(
    database testDatabase: TestDatabase,
    metrics: AppMetrics = AppMetrics(),
    configure: (inout StoryboardConfiguration) -> Void = { _ in },
    _ body: @Sendable (TestServer) async throws -> T
) async throws -> T {
    var configuration = testDatabase.configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    // Generation runs only in the tests that ask for it (it would add statements to counts).
    configuration.generation.dispatcherEnabled = false
    configuration.generation.checkInterval = 0
    configuration.render.enabled = false
    configure(&configuration)
    let logs = LogCapture()
    let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
    let wakeup = JobWakeup()
    let app = buildApplication(
        configuration: configuration, database: testDatabase.database, metrics: metrics, logger: logs.logger, wakeup: wakeup
    ) { channel in
        portContinuation.yield(channel.localAddress?.port ?? 0)
        portContinuation.finish()
    }
    let services = generationServices(
        configuration: configuration, database: testDatabase.database, wakeup: wakeup, metrics: metrics, logger: logs.logger)
    let group = ServiceGroup(
        configuration: .init(
            services: services + [.init(service: TreeChangeService(database: testDatabase.database)), .init(service: app)],
            logger: logs.logger))
    return try await withRunningGroup(group) {
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestServerError(description: "the server did not start") }
        return try await body(
            TestServer(port: port, database: testDatabase.database, configuration: configuration, metrics: metrics, logs: logs))
    }
}

/// Runs `group` while `body` runs, then shuts it down gracefully (also when `body` throws).
/// `stopErrorsMatter` false: how the group ends is not what the caller tests (stand-ins).
func withRunningGroup<T: Sendable>(_ group: ServiceGroup, stopErrorsMatter: Bool = true, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            if stopErrorsMatter { try await tasks.waitForAll() } else { try? await tasks.waitForAll() }
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// A fresh database on `engine` and a server on it.
public func withTestServer<T: Sendable>(
    _ engine: TestEngine,
    configure: (inout StoryboardConfiguration) -> Void = { _ in },
    _ body: @Sendable (TestServer) async throws -> T
) async throws -> T {
    // The database reports into the server's registry, as in `storyboard serve`.
    let metrics = AppMetrics()
    return try await withTestDatabase(engine, metrics: metrics.factory) { testDatabase in
        try await withTestServer(database: testDatabase, metrics: metrics, configure: configure, body)
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// A loopback port with nothing listening on it (a refused connection, for fault tests).
public func unusedPort() async throws -> Int {
    for _ in 0..<20 {
        let port = Int.random(in: 20_000...60_000)
        let probe = try await ProcessRunner.run("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"])
        if probe.status != 0 { return port }
    }
    throw TestServerError(description: "no free port found")
}
