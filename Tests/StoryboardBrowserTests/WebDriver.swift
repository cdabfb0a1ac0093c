import Foundation
import HTTPTypes
import StoryboardCore
import StoryboardTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where Debian puts Chromium and its driver, and whether the browser tests must run.
enum BrowserEnvironment {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let isRequired = ProcessInfo.processInfo.environment["STORYBOARD_TEST_BROWSER"] == "required"
    static var isAvailable: Bool { chromium != nil && chromedriver != nil }

    /// Skips quietly without a browser unless CI requires one (then a missing one fails).
    static let enabled: Bool = {
        if isAvailable || isRequired { return true }
        FileHandle.standardError.write(
            Data(
                "note: chromium/chromedriver not installed; the browser suite is skipped (STORYBOARD_TEST_BROWSER=required makes this a failure)\n"
                    .utf8))
        return false
    }()

    /// Screenshots for review land here (`.build` is ignored by git).
    static let screenshotDirectory: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/ui-screenshots", isDirectory: true)
    }()
}

struct WebDriverError: Error, CustomStringConvertible {
    let description: String
}

/// A W3C WebDriver session with headless Chromium, spoken over HTTP to a chromedriver this
/// test started. Only the handful of commands the tests use.
final class Browser: Sendable {
    let driverURL: String
    let session: String
    let pid: pid_t

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    private init(driverURL: String, session: String, pid: pid_t) {
        self.driverURL = driverURL
        self.session = session
        self.pid = pid
    }

    /// Starts chromedriver and a browser session at `width`×`height`; ends both after `body`.
    static func with<T: Sendable>(width: Int = 1280, height: Int = 800, _ body: (Browser) async throws -> T) async throws -> T {
        guard let chromium = BrowserEnvironment.chromium, let chromedriver = BrowserEnvironment.chromedriver else {
            throw WebDriverError(description: "chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        }
        let (port, pid) = try await startDriver(chromedriver)
        let driverURL = "http://127.0.0.1:\(port)"
        do {
            let capabilities: JSONValue = [
                "capabilities": [
                    "alwaysMatch": [
                        "browserName": "chrome",
                        "goog:loggingPrefs": ["browser": "ALL"],
                        "goog:chromeOptions": [
                            "binary": .string(chromium),
                            "args": [
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                .string("--window-size=\(width),\(height)"), "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                                .string("--user-data-dir=\(FileManager.default.temporaryDirectory.path)/chromium-\(port)"),
                            ],
                        ],
                    ]
                ]
            ]
            let reply = try await call(driverURL, "POST", "/session", capabilities)
            guard let session = reply["sessionId"]?.stringValue else { throw WebDriverError(description: "no session: \(reply)") }
            let browser = Browser(driverURL: driverURL, session: session, pid: pid)
            // Collects page errors from the first line of every document on: the CSP forbids
            // inline scripts, so the page itself could not be given such a collector.
            _ = try await browser.command(
                "POST", "/goog/cdp/execute",
                [
                    "cmd": "Page.addScriptToEvaluateOnNewDocument",
                    "params": ["source": .string(Self.errorCollector)],
                ])
            do {
                // Chromium will not make a window narrower than about 500 px; a phone-sized
                // viewport is emulated instead.
                if width < 500 {
                    _ = try await browser.command(
                        "POST", "/goog/cdp/execute",
                        [
                            "cmd": "Emulation.setDeviceMetricsOverride",
                            "params": [
                                "width": .number(Double(width)), "height": .number(Double(height)), "deviceScaleFactor": 1, "mobile": false,
                            ],
                        ])
                }
                let result = try await body(browser)
                await browser.quit()
                return result
            } catch {
                try? await browser.screenshot("failure-\(Int(Date().timeIntervalSince1970))")
                await browser.quit()
                throw error
            }
        } catch {
            stop(pid)
            throw error
        }
    }

    static let errorCollector = """
        window.__storyboardErrors = [];
        window.addEventListener('error', (event) => window.__storyboardErrors.push(String(event.message || event.type)));
        window.addEventListener('unhandledrejection', (event) => window.__storyboardErrors.push('unhandled rejection: ' + String(event.reason && event.reason.message || event.reason)));
        document.addEventListener('securitypolicyviolation', (event) => window.__storyboardErrors.push('CSP: ' + event.violatedDirective + ' ' + event.blockedURI));
        """

    private func quit() async {
        // Ending the session closes Chromium; then the driver can go.
        _ = try? await Self.call(driverURL, "DELETE", "/session/\(session)", nil)
        Self.stop(pid)
    }

    /// SIGKILL, not SIGTERM: the test process ignores SIGTERM (the server's graceful shutdown
    /// handles it) and a spawned child inherits that, so chromedriver would never exit.
    private static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        Task.detached { _ = await ProcessRunner.wait(for: pid) }
    }

    /// chromedriver on a free port. The port probe sees IPv4 only and chromedriver also binds
    /// IPv6 (and exits when that is taken), so a driver that dies is replaced on another port.
    private static func startDriver(_ chromedriver: String) async throws -> (port: Int, pid: pid_t) {
        for _ in 0..<5 {
            let port = try await unusedPort()
            let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(port).log").path
            let pid = try ProcessRunner.spawn(chromedriver, ["--port=\(port)", "--allowed-ips=127.0.0.1"], logPath: logPath)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }
                if let ready = try? await call("http://127.0.0.1:\(port)", "GET", "/status", nil), ready["ready"] == true {
                    return (port, pid)
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            stop(pid)
        }
        throw WebDriverError(
            description: "chromedriver did not start (logs: \(FileManager.default.temporaryDirectory.path)/chromedriver-*.log)")
    }

    /// One WebDriver call on loopback, through the same client the API tests use.
    @discardableResult
    private static func call(_ base: String, _ method: String, _ path: String, _ body: JSONValue?) async throws -> JSONValue {
        guard let port = base.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw WebDriverError(description: "bad driver URL \(base)")
        }
        let reply = try await LoopbackClient(port: port, checksContract: false).send(
            HTTPRequest.Method(method) ?? .get, path, headers: [:], body: body.map { Data($0.text.utf8) }, host: nil,
            contentType: body == nil ? nil : "application/json; charset=utf-8"
        )
        let decoded = (try? JSONDecoder().decode(JSONValue.self, from: reply.data)) ?? .null
        let value = decoded["value"] ?? .null
        if reply.status >= 400 {
            throw WebDriverError(
                description: "\(method) \(path): \(value["error"]?.stringValue ?? "") \(value["message"]?.stringValue?.prefix(600) ?? "")")
        }
        return value
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await Self.call(driverURL, method, "/session/\(session)\(path)", body ?? (method == "POST" ? [:] : nil))
    }

    // MARK: - Pages and scripts

    func open(_ url: String) async throws {
        try await command("POST", "/url", ["url": .string(url)])
    }

    /// Runs `script` (a function body; `arguments` are its arguments) and returns its value.
    @discardableResult
    func run(_ script: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "/execute/sync", ["script": .string(script), "args": .array(arguments)])
    }

    /// Polls `script` until it returns something truthy; that value.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ script: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await run(script, arguments)
            switch last {
            case .null, .bool(false): break
            case .string(let text) where text.isEmpty: break
            default: return last
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError(description: "timed out waiting for \(what) (last: \(last)); page errors: \(try await pageErrors())")
    }

    /// The element for a CSS selector, waiting until it is there.
    @discardableResult
    func element(_ selector: String, timeout: Double = 20) async throws -> Element {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let found = try await command("POST", "/elements", ["using": "css selector", "value": .string(selector)])
            if let first = found.arrayValue?.first?[Self.elementKey]?.stringValue { return Element(browser: self, id: first) }
            guard Date() < deadline else {
                throw WebDriverError(description: "no element \(selector) after \(timeout) s; page errors: \(try await pageErrors())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The first element matching `selector` whose text contains `text`.
    @discardableResult
    func element(_ selector: String, containing text: String, timeout: Double = 20) async throws -> Element {
        let found = try await waitFor(
            "\(selector) containing '\(text)'", timeout: timeout,
            "return [...document.querySelectorAll(arguments[0])].find((e) => e.textContent.includes(arguments[1])) || null;",
            [.string(selector), .string(text)]
        )
        guard let id = found[Self.elementKey]?.stringValue else { throw WebDriverError(description: "not an element: \(found)") }
        return Element(browser: self, id: id)
    }

    func screenshot(_ name: String) async throws {
        let base64 = try await command("GET", "/screenshot").stringValue ?? ""
        guard let data = Data(base64Encoded: base64) else { throw WebDriverError(description: "the screenshot was not base64") }
        try FileManager.default.createDirectory(at: BrowserEnvironment.screenshotDirectory, withIntermediateDirectories: true)
        try data.write(to: BrowserEnvironment.screenshotDirectory.appendingPathComponent("\(name).png"))
    }

    /// Errors the page threw, and console errors and warnings (CSP refusals show up there).
    func pageErrors() async throws -> [String] {
        let collected = (try? await run("return window.__storyboardErrors || [];"))?.arrayValue?.compactMap(\.stringValue) ?? []
        let log = (try? await command("POST", "/se/log", ["type": "browser"]))?.arrayValue ?? []
        let console = log.compactMap { entry -> String? in
            guard let level = entry["level"]?.stringValue, level == "SEVERE" || level == "WARNING" else { return nil }
            return "\(level): \(entry["message"]?.stringValue ?? "")"
        }
        return collected + console
    }

    // MARK: - Input

    /// Presses a key on whatever has focus (`\u{E00D}` is space in WebDriver's key table).
    func press(_ key: String) async throws {
        try await command(
            "POST", "/actions",
            [
                "actions": [
                    [
                        "type": "key", "id": "keyboard",
                        "actions": [["type": "keyDown", "value": .string(key)], ["type": "keyUp", "value": .string(key)]],
                    ]
                ]
            ])
    }

    /// Drags the element for `selector`. The timeline redraws its blocks as new nodes, so one
    /// found a moment ago may be gone: the action then fails before any input happens, and the
    /// element is looked up again.
    func drag(_ selector: String, startOffset: Int = 0, by dx: Int) async throws {
        for attempt in 1...5 {
            do {
                try await drag(try await element(selector), startOffset: startOffset, by: dx)
                return
            } catch let error as WebDriverError where error.description.contains("stale element") && attempt < 5 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Drags with the mouse from `from`'s centre (plus `startOffset`) by `dx` pixels.
    func drag(_ from: Element, startOffset: Int = 0, by dx: Int) async throws {
        let origin: JSONValue = [Self.elementKey: .string(from.id)]
        try await command(
            "POST", "/actions",
            [
                "actions": [
                    [
                        "type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"],
                        "actions": [
                            ["type": "pointerMove", "duration": 0, "origin": origin, "x": .number(Double(startOffset)), "y": 0],
                            ["type": "pointerDown", "button": 0],
                            ["type": "pointerMove", "duration": 150, "origin": "pointer", "x": .number(Double(dx / 2)), "y": 0],
                            ["type": "pointerMove", "duration": 150, "origin": "pointer", "x": .number(Double(dx - dx / 2)), "y": 0],
                            ["type": "pointerUp", "button": 0],
                        ],
                    ]
                ]
            ])
    }
}

struct Element: Sendable {
    let browser: Browser
    let id: String

    func click() async throws { try await browser.command("POST", "/element/\(id)/click") }

    func type(_ text: String) async throws { try await browser.command("POST", "/element/\(id)/value", ["text": .string(text)]) }

    func clear() async throws { try await browser.command("POST", "/element/\(id)/clear") }

    var text: String { get async throws { try await browser.command("GET", "/element/\(id)/text").stringValue ?? "" } }

    var asArgument: JSONValue { [Browser.elementKey: .string(id)] }
}
