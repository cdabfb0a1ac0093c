import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// What the issue asks of every view (reachable by keyboard, every control named), and the
/// studio's queue, scene, version, trash and batch controls driven as a user would.
@Suite(
    "Web studio in Chromium: keyboard, labels and workflows", .serialized, .enabled(if: BrowserEnvironment.enabled), .timeLimit(.minutes(5))
)
struct StudioWorkflowBrowserTests {
    /// Every visible control must have an accessible name and be reachable with Tab. The name
    /// is computed the way the accessibility tree does for these elements (aria-labelledby,
    /// aria-label, a label, the text, an image's alt, title); placeholders do not count.
    static let audit = """
        const visible = (el) => {
          if (el.closest('[hidden], [aria-hidden="true"], [inert]')) return false;
          const style = getComputedStyle(el);
          if (style.display === 'none' || style.visibility === 'hidden') return false;
          const box = el.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        };
        const nameOf = (el) => {
          const ids = el.getAttribute('aria-labelledby');
          if (ids) {
            const text = ids.split(/\\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
            if (text) return text;
          }
          const aria = (el.getAttribute('aria-label') || '').trim();
          if (aria) return aria;
          if (el.labels && el.labels.length) {
            const text = [...el.labels].map((label) => label.textContent).join(' ').trim();
            if (text) return text;
          }
          if (el.matches('input[type=submit], input[type=button], input[type=reset]')) return el.value.trim();
          if (!el.matches('input, select, textarea')) {
            const text = (el.innerText || el.textContent || '').trim();
            if (text) return text;
            const image = el.querySelector('img[alt]');
            if (image && image.alt.trim()) return image.alt.trim();
          }
          return (el.getAttribute('title') || '').trim();
        };
        const offenders = [];
        let checked = 0;
        const controls = 'button, a[href], input, select, textarea, summary, [role=button]';
        for (const el of document.querySelectorAll(controls + ', [tabindex]')) {
          if (el.type === 'hidden' || !visible(el)) continue;
          checked += 1;
          const what = el.outerHTML.replace(/\\s+/g, ' ').slice(0, 200);
          if (!nameOf(el)) offenders.push('no accessible name: ' + what);
          // A container with tabindex=-1 (main, the presentation) is where the app moves the
          // focus on purpose; a control with it is one the keyboard cannot reach.
          if (el.getAttribute('tabindex') === '-1' && el.matches(controls)) offenders.push('not reachable with Tab: ' + what);
        }
        return { checked, offenders };
        """

    @Test("every view: each visible control has an accessible name and is reachable with Tab; no console errors")
    func labelsAndKeyboard() async throws {
        try await withStudio(.sqlite) { server, browser in
            let project = try await server.createdID("/api/projects", #"{"name": "Audit"}"#)
            #expect(try await server.upload(.put, "/api/projects/\(project)/music", data: try MediaFixtures.data("tone.wav")).status == 200)
            let scene = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "Intro"}"#)
            _ = try await server.createdID("/api/scenes/\(scene)/alternates", "{}")
            let clip = try await server.createdID(
                "/api/scenes/\(scene)/clips", #"{"name": "Opening", "length": 2, "image_prompt": "a road"}"#)
            _ = try await server.createdID("/api/scenes/\(scene)/clips", #"{"name": "Second", "length": 2, "timeline_position": 3}"#)
            _ = try await server.createdID("/api/clips/\(clip)/alternates", "{}")
            #expect(try await server.upload(.post, "/api/clips/\(clip)/gallery", data: try MediaFixtures.data("still.png")).status == 201)
            #expect(try await server.request(.post, "/api/clips/\(clip)/versions", body: "{}").status == 201)
            _ = try await server.createdID("/api/projects/\(project)/characters", #"{"name": "Mira", "trigger_words": ["mira"]}"#)
            _ = try await server.createdID("/api/style-templates", #"{"name": "Noir", "prompt_template": "{prompt}, noir"}"#)
            let away = try await server.createdID(
                "/api/servers", #"{"name": "Away", "url": "http://away.invalid:8188", "server_type": "comfyui"}"#)
            #expect(try await server.request(.post, "/api/servers/\(away)/check").json?["online"] == false)
            // Never checked: the Servers view shows it so without a failed request in the console.
            _ = try await server.createdID(
                "/api/servers", #"{"name": "New box", "url": "http://new.invalid:8188", "server_type": "comfyui"}"#)
            let queued =
                try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"count": 2}"#).json?["jobs"]?.arrayValue ?? []
            let cancelled = try #require(queued.last?["id"]?.stringValue)
            #expect(try await server.request(.post, "/api/jobs/\(cancelled)/cancel").status == 200)
            let gone = try await server.createdID("/api/projects", #"{"name": "Old song"}"#)
            #expect(try await server.request(.delete, "/api/projects/\(gone)").status == 204)

            let views: [(path: String, ready: String)] = [
                ("/", ".project-row a"),
                ("/projects/\(project)", ".clip-block"),
                ("/projects/\(project)/clips/\(clip)", ".clip-panel .gallery-item"),
                ("/queue", "tr[data-status=queued] input.priority"),
                ("/servers", ".server-row"),
                ("/projects/\(project)/characters", "article.character"),
                ("/styles", "article h2"),
                ("/models", "main h1"),
                ("/trash", ".trash-row"),
                ("/projects/\(project)/present", ".present"),
            ]
            for view in views {
                try await browser.open(server.origin + view.path)
                try await browser.element(view.ready)
                // Requests that fill the view in after its first element settle within a moment.
                try await Task.sleep(for: .milliseconds(300))
                let audit = try await browser.run(Self.audit)
                let offenders = audit["offenders"]?.arrayValue?.compactMap(\.stringValue) ?? ["the audit did not run"]
                #expect((audit["checked"]?.doubleValue ?? 0) >= 2, "\(view.path): the audit found the view's controls")
                #expect(
                    offenders.isEmpty,
                    "\(view.path): \(offenders.count) controls without a name or out of the Tab order:\n\(offenders.joined(separator: "\n"))"
                )
                try await expectNoPageErrors(browser)
            }

            // The timeline by keyboard alone: Tab reaches a clip block, Enter selects it, → nudges it.
            try await browser.open(server.origin + "/projects/\(project)")
            try await browser.element(".clip-block")
            try await browser.run("document.querySelector('.timeline-tools button').focus();")
            var reached = false
            for _ in 0..<8 where !reached {
                try await browser.press("\u{E004}")  // Tab
                reached = try await browser.run("return document.activeElement.classList.contains('clip-block');") == true
            }
            #expect(reached, "Tab reaches the clip blocks")
            #expect(
                try await browser.run("return document.activeElement.getAttribute('aria-label');").stringValue?.contains("Opening") == true)
            try await browser.press("\u{E007}")  // Enter
            try await browser.element(".clip-panel h2", containing: "Opening")
            #expect(try await browser.run("return location.pathname;").stringValue == "/projects/\(project)/clips/\(clip)")
            try await browser.run("document.activeElement.blur();")
            try await browser.press("\u{E014}")  // →
            try await waitForClip(server, clip) { $0["timeline_position"]?.doubleValue == 0.1 }
            try await expectNoPageErrors(browser)
        }
    }

    @Test(
        "queue: raise a queued job's priority (a bad one is refused with the server's words), then clear the finished jobs",
        arguments: TestEngine.available)
    func queuePriorityAndClear(engine: TestEngine) async throws {
        try await withStudio(engine) { server, browser in
            let project = try await server.createdID("/api/projects", #"{"name": "Queue"}"#)
            let scene = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "One"}"#)
            let clip = try await server.createdID("/api/scenes/\(scene)/clips", #"{"name": "Shot", "length": 2, "image_prompt": "a face"}"#)
            let jobs =
                try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"count": 3}"#).json?["jobs"]?.arrayValue?.compactMap
            { $0["id"]?.stringValue } ?? []
            try #require(jobs.count == 3)
            let (waiting, done) = (jobs[0], jobs[1])
            #expect(try await server.request(.post, "/api/jobs/\(done)/cancel").status == 200)

            try await browser.open(server.origin + "/queue")
            let field = "tr[data-id='\(waiting)'] input.priority"
            try await browser.element(field)
            #expect(try await browser.element("tr[data-id='\(done)'] .job-badge", containing: "cancelled").text == "cancelled")
            #expect(
                try await browser.run("return !document.querySelector(\"tr[data-id='\(done)'] input.priority\");") == true,
                "only queued jobs can change")
            // Rows are redrawn after each change: the mark says when the new ones are in.
            try await browser.run("document.querySelectorAll('tbody tr').forEach((row) => { row.dataset.drawn = 'before'; });")
            try await browser.retype(field, "40\u{E007}")
            try await browser.element(".toast", containing: "Priority 40")
            #expect(try await server.body("/api/jobs/\(waiting)")["priority"] == 40)
            try await browser.waitFor("the redrawn rows", "return !document.querySelector('tbody tr[data-drawn]');")

            try await browser.retype(field, "500\u{E007}")
            let refusal = try await browser.element(".toast.error", containing: "must be from -100 to 100")
            #expect(try await refusal.text.contains("The priority could not change"))
            #expect(try await server.body("/api/jobs/\(waiting)")["priority"] == 40, "nothing changed")
            try await browser.waitFor(
                "the field back at the stored value",
                "return document.querySelector(\"tr[data-id='\(waiting)'] input.priority\").value === '40';")

            try await browser.element("button.clear-finished").click()
            try await browser.element("dialog button", containing: "Clear").click()
            try await browser.element(".toast", containing: "Cleared 1 finished job")
            try await browser.waitFor("the cancelled job to leave the list", "return !document.querySelector(\"tr[data-id='\(done)']\");")
            #expect(try await browser.run("return document.querySelectorAll('tbody tr').length;") == 2)
            #expect(try await server.request(.get, "/api/jobs/\(done)").status == 404)
            try await browser.screenshot("queue-priority")
            try await expectNoPageErrors(browser, expectedStatuses: [400])
        }
    }

    @Test(
        "project page: reorder scenes by drag, promote a scene's and a clip's alternate, activate an older version, apply a character and a template"
    )
    func contentControls() async throws {
        try await withStudio(.sqlite) { server, browser in
            let project = try await server.createdID("/api/projects", #"{"name": "Takes"}"#)
            var scenes: [String] = []
            for name in ["Intro", "Verse", "Outro"] {
                scenes.append(try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "\#(name)"}"#))
            }
            let verseTake = try await server.createdID("/api/scenes/\(scenes[1])/alternates", #"{"name": "Verse take 2"}"#)
            let shot = try await server.createdID(
                "/api/scenes/\(scenes[0])/clips", #"{"name": "Shot", "length": 2, "image_prompt": "first light"}"#)
            let shotTake = try await server.createdID("/api/clips/\(shot)/alternates", #"{"name": "Shot take 2"}"#)
            #expect(try await server.request(.post, "/api/clips/\(shot)/versions", body: "{}").status == 201)
            #expect(try await server.request(.put, "/api/clips/\(shot)/prompts", body: #"{"image_prompt": "a road"}"#).status == 200)
            #expect(try await server.request(.post, "/api/clips/\(shot)/versions", body: "{}").status == 201)
            _ = try await server.createdID("/api/projects/\(project)/characters", #"{"name": "Mira", "trigger_words": ["mira_tw"]}"#)
            _ = try await server.createdID("/api/style-templates", #"{"name": "Noir", "prompt_template": "{prompt}, film noir"}"#)
            // The primary scenes in order, and the first one's primary clips.
            func tree() async throws -> [JSONValue] {
                try await server.body("/api/projects/\(project)?include=scenes.clips")["scenes"]?.arrayValue ?? []
            }
            func order() async throws -> [String] { try await tree().compactMap { $0["id"]?.stringValue } }

            // Drag "Outro" onto "Intro": HTML drag and drop, dispatched as the browser would
            // (WebDriver's pointer actions do not start a native drag in Chromium).
            try await browser.open(server.origin + "/projects/\(project)")
            try await browser.element(".scene-name", containing: "Outro")
            try await browser.run(
                """
                const [from, to] = [arguments[0], arguments[1]].map((id) => document.querySelector(`li.scene[data-id='${id}']`));
                const data = new DataTransfer();
                from.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer: data }));
                to.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
                to.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
                from.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: data }));
                """, [.string(scenes[2]), .string(scenes[0])])
            try await browser.waitFor(
                "Outro first in the list", "return document.querySelector('.scene-name')?.textContent === '1. Outro';")
            #expect(try await order() == [scenes[2], scenes[0], scenes[1]])

            try await browser.element("button[aria-label='Promote Verse take 2']").click()
            try await browser.element(".scene-name", containing: "Verse take 2")
            #expect(try await order() == [scenes[2], scenes[0], verseTake], "the alternate took its primary's place")

            // The clip panel: version 1 back, then the character and the template composed in.
            try await browser.open(server.origin + "/projects/\(project)/clips/\(shot)")
            try await browser.element(".clip-panel h2", containing: "Shot")
            try await browser.element("button[aria-label='Activate version 1']").click()
            try await waitForClip(server, shot) { $0["image_prompt"] == "first light" && $0["active_version"] == 1 }
            try await browser.waitFor(
                "the prompt field reloaded", "return document.querySelector('textarea[name=image_prompt]').value === 'first light';")
            try await browser.run(
                "const select = document.querySelector(\"select[name=character]\"); select.value = [...select.options].find((o) => o.textContent.includes('Mira')).value;"
            )
            try await browser.element("button", containing: "Apply character").click()
            try await waitForClip(server, shot) { $0["image_prompt"]?.stringValue?.contains("mira_tw") == true }
            // The panel is drawn again after an apply: choose the template in the new one.
            try await browser.waitFor(
                "the panel redrawn with the character",
                "return document.querySelector('textarea[name=image_prompt]').value.includes('mira_tw');")
            try await browser.run(
                "const select = document.querySelector(\"select[name=template]\"); select.value = [...select.options].find((o) => o.textContent.includes('Noir')).value;"
            )
            try await browser.element("button", containing: "Apply template").click()
            try await waitForClip(server, shot) { $0["image_prompt"]?.stringValue?.hasSuffix("film noir") == true }
            try await browser.waitFor(
                "the composed prompt in the field",
                "return document.querySelector('textarea[name=image_prompt]').value.endsWith('film noir');")

            try await browser.element("button[aria-label='Promote Shot take 2']").click()
            try await browser.element(".clip-panel h2", containing: "Shot take 2")
            let intro = try await tree().first { $0["id"]?.stringValue == scenes[0] }
            #expect(
                intro?["clips"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [shotTake], "the alternate is the scene's clip now")
            try await expectNoPageErrors(browser)
        }
    }

    @Test("clip panel: a clip moves later in its scene and into another scene without dragging")
    func clipPlacement() async throws {
        try await withStudio(.sqlite) { server, browser in
            let project = try await server.createdID("/api/projects", #"{"name": "Places"}"#)
            let first = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "First"}"#)
            let second = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "Second"}"#)
            let a = try await server.createdID("/api/scenes/\(first)/clips", #"{"name": "A", "length": 2}"#)
            let b = try await server.createdID("/api/scenes/\(first)/clips", #"{"name": "B", "length": 2}"#)
            func clips(of scene: String) async throws -> [String] {
                let scenes = try await server.body("/api/projects/\(project)?include=scenes.clips")["scenes"]?.arrayValue ?? []
                return scenes.first { $0["id"]?.stringValue == scene }?["clips"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            }

            try await browser.open(server.origin + "/projects/\(project)/clips/\(a)")
            try await browser.element(".clip-panel h2", containing: "A")
            try await browser.element("button[aria-label='Later in the scene']").click()
            try await browser.waitFor(
                "A second in its scene", "return !document.querySelector(\"button[aria-label='Earlier in the scene']\").disabled;")
            #expect(try await clips(of: first) == [b, a])

            try await browser.run("document.querySelector('select[name=scene]').value = arguments[0];", [.string(second)])
            try await browser.element(".placement button", containing: "Move").click()
            // The select shows the value set above at once; the move itself is done when the server says so.
            let deadline = ContinuousClock.now + .seconds(15)
            while try await clips(of: second) != [a], ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await clips(of: second) == [a])
            #expect(try await clips(of: first) == [b])
            try await expectNoPageErrors(browser)
        }
    }

    @Test("characters: Generate samples queues portraits that land in the character's samples")
    func characterSamples() async throws {
        try await withGeneratingStudio { server, browser, _ in
            let project = try await server.createdID("/api/projects", #"{"name": "Cast"}"#)
            let character = try await server.createdID("/api/projects/\(project)/characters", #"{"name": "Mira"}"#)
            try await browser.open(server.origin + "/projects/\(project)/characters")
            try await browser.element("article.character button", containing: "Generate samples").click()
            try await browser.element(".toast", containing: "2 sample job(s) queued")
            let deadline = Date().addingTimeInterval(60)
            var samples = 0
            while samples < 2, Date() < deadline {
                samples = try await server.body("/api/characters/\(character)/samples")["items"]?.arrayValue?.count ?? 0
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(samples == 2)
            try await browser.open(server.origin + "/projects/\(project)/characters")
            try await browser.waitFor(
                "two sample images", timeout: 30,
                "const imgs = [...document.querySelectorAll(\"article.character [aria-label='Samples'] img\")]; return imgs.length === 2 && imgs.every((img) => img.complete && img.naturalWidth > 0);"
            )
            try await expectNoPageErrors(browser)
        }
    }

    @Test("batch: Cancel on a running batch's bar cancels its jobs; the bar says so")
    func batchCancel() async throws {
        try await withGeneratingStudio { server, browser, comfyUI in
            comfyUI.setFault(.hang)
            let project = try await server.createdID("/api/projects", #"{"name": "Long batch"}"#)
            let scene = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "All"}"#)
            for index in 0..<2 {
                _ = try await server.createdID(
                    "/api/scenes/\(scene)/clips",
                    #"{"name": "Shot \#(index)", "length": 2, "timeline_position": \#(index * 2), "image_prompt": "shot \#(index)"}"#)
            }
            try await browser.open(server.origin + "/projects/\(project)")
            try await browser.element(".event-state", containing: "Live")
            try await browser.element("button", containing: "Generate all images").click()
            try await browser.element(".batch[data-status=running]", timeout: 30)
            try await browser.click(".batch button", containing: "Cancel")
            try await browser.element(".batch[data-status=cancelled] .batch-text", containing: "cancelled", timeout: 30)
            let batch = try #require(try await server.body("/api/projects/\(project)/batches")["items"]?.arrayValue?.first)
            #expect(batch["status"] == "cancelled")
            #expect(batch["cancelled"] == 2)
            comfyUI.setFault(.none)
            try await expectNoPageErrors(browser)
        }
    }

    @Test("trash: delete for good after confirming; the item and its clips are gone for good")
    func purgeFromTrash() async throws {
        try await withStudio(.sqlite) { server, browser in
            let project = try await server.createdID("/api/projects", #"{"name": "Doomed"}"#)
            let scene = try await server.createdID("/api/projects/\(project)/scenes", #"{"name": "One"}"#)
            let clip = try await server.createdID("/api/scenes/\(scene)/clips", #"{"name": "Shot", "length": 2}"#)
            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            try await browser.open(server.origin + "/trash")
            try await browser.element("button[aria-label='Delete Doomed for good']").click()
            try await browser.element("dialog button.danger").click()
            try await browser.element("[role=status]", containing: "The Trash is empty")
            #expect(try await server.request(.get, "/api/projects/\(project)?include_deleted=true").status == 404)
            #expect(try await server.request(.get, "/api/clips/\(clip)?include_deleted=true").status == 404)
            try await expectNoPageErrors(browser)
        }
    }
}
