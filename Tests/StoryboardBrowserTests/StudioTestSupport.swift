import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

// Helpers every browser suite uses: a server with a browser, waits on the API, the page's errors.

func fastGeneration(_ configuration: inout StoryboardConfiguration) {
    configuration.generation.dispatcherEnabled = true
    configuration.generation.pollInterval = 0.05
    configuration.generation.retryBaseDelay = 0.05
    configuration.generation.retryMaxDelay = 0.2
    configuration.generation.checkInterval = 0
    configuration.generation.eventStreamDuration = 5
}

func addClip(_ browser: Browser, scene: String, name: String, length: String) async throws {
    let field = try await browser.element("input[aria-label='New clip in \(scene)']")
    try await field.type(name)
    let lengthField = try await browser.run(
        "return document.querySelector(\"input[aria-label='New clip in \(scene)']\").form.querySelector('input[name=length]');"
    )
    let lengthElement = Element(browser: browser, id: lengthField[Browser.elementKey]?.stringValue ?? "")
    try await lengthElement.clear()
    try await lengthElement.type(length)
    try await browser.run("document.querySelector(\"input[aria-label='New clip in \(scene)']\").form.requestSubmit();")
    try await browser.element(".clip-block .label", containing: name)
    try await browser.element(".clip-panel h2", containing: name)
}

func waitForClip(_ server: TestServer, _ id: String, _ condition: (JSONValue) -> Bool) async throws {
    let deadline = Date().addingTimeInterval(20)
    var last: JSONValue = .null
    while Date() < deadline {
        last = try await server.request(.get, "/api/clips/\(id)?include_deleted=true").json ?? .null
        if condition(last) { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("clip \(id) never reached the expected state: \(last)")
}

/// No page errors and no console errors or warnings, but for the failed requests a test
/// provoked on purpose (Chromium logs every 4xx answer to fetch as a console error).
func expectNoPageErrors(_ browser: Browser, expectedStatuses: [Int] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let errors = try await browser.pageErrors().filter { message in
        !expectedStatuses.contains { message.contains("status of \($0)") }
    }
    #expect(errors.isEmpty, "page errors: \(errors)", sourceLocation: sourceLocation)
}

/// A fresh server on `engine` and a browser session against it.
func withStudio(
    _ engine: TestEngine, configure: @escaping @Sendable (inout StoryboardConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (TestServer, Browser) async throws -> Void
) async throws {
    try await withTestServer(engine, configure: configure) { server in
        try await Browser.with { browser in try await body(server, browser) }
    }
}

extension TestServer {
    /// GET that must answer 200; its JSON.
    func body(_ path: String) async throws -> JSONValue {
        let reply = try await request(.get, path)
        guard reply.status == 200, let json = reply.json else {
            throw WebDriverError(description: "GET \(path): \(reply.status) \(reply.body)")
        }
        return json
    }

    /// POST that must answer 201; the new resource's id.
    func createdID(_ path: String, _ body: String) async throws -> String {
        let reply = try await request(.post, path, body: body)
        guard reply.status == 201, let id = reply.json?["id"]?.stringValue else {
            throw WebDriverError(description: "POST \(path): \(reply.status) \(reply.body)")
        }
        return id
    }
}

extension Browser {
    /// Focuses the element for `selector` (looked up afresh, so a redraw a moment ago does not
    /// matter), selects what it holds and types `text` key by key, as a user replacing a value.
    func retype(_ selector: String, _ text: String) async throws {
        try await waitFor(
            selector,
            "const el = document.querySelector(arguments[0]); if (!el) return false; el.focus(); return document.activeElement === el;",
            [.string(selector)]
        )
        let control = "\u{E009}"
        var keys: [JSONValue] = [
            ["type": "keyDown", "value": .string(control)], ["type": "keyDown", "value": "a"], ["type": "keyUp", "value": "a"],
            ["type": "keyUp", "value": .string(control)],
        ]
        for character in text {
            keys.append(["type": "keyDown", "value": .string(String(character))])
            keys.append(["type": "keyUp", "value": .string(String(character))])
        }
        try await command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": .array(keys)]]])
    }
}

/// A studio whose dispatcher runs jobs on a ComfyUI stand-in, registered and checked online.
func withGeneratingStudio(_ body: @escaping @Sendable (TestServer, Browser, ComfyUIStandIn) async throws -> Void) async throws {
    try await withComfyUIStandIns { standIns in
        try await withStudio(.sqlite, configure: fastGeneration) { server, browser in
            let box = try await server.createdID(
                "/api/servers", #"{"name": "box", "url": "\#(standIns[0].url)", "server_type": "comfyui"}"#)
            guard try await server.request(.post, "/api/servers/\(box)/check").json?["online"] == true else {
                throw WebDriverError(description: "the ComfyUI stand-in is not online")
            }
            try await body(server, browser, standIns[0])
        }
    }
}

extension Browser {
    /// Clicks the element for `selector` whose text contains `text`, looking it up again when a
    /// redraw (live events) replaced it between the lookup and the click.
    func click(_ selector: String, containing text: String, attempts: Int = 5) async throws {
        for attempt in 1...attempts {
            do {
                try await element(selector, containing: text).click()
                return
            } catch let error as WebDriverError where error.description.contains("stale element") && attempt < attempts {
                continue
            }
        }
    }
}
