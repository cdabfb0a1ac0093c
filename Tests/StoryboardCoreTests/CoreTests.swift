import Foundation
import StoryboardCore
import Testing

@Suite("Errors", .timeLimit(.minutes(2)))
struct ErrorCodeTests {
    /// docs/api.md's table, written out again on purpose: a code or status changed by mistake fails here.
    static let contract: [(String, Int)] = [
        ("VALIDATION_ERROR", 400), ("INVALID_PARAMETER", 400), ("UNAUTHORIZED", 401), ("FORBIDDEN", 403),
        ("RESOURCE_NOT_FOUND", 404), ("PROJECT_NOT_FOUND", 404), ("SCENE_NOT_FOUND", 404), ("CLIP_NOT_FOUND", 404),
        ("CHARACTER_NOT_FOUND", 404), ("STYLE_TEMPLATE_NOT_FOUND", 404), ("SERVER_NOT_FOUND", 404), ("JOB_NOT_FOUND", 404),
        ("BATCH_NOT_FOUND", 404), ("MODEL_NOT_FOUND", 404), ("CONFLICT", 409), ("DUPLICATE_RESOURCE", 409),
        ("PRECONDITION_FAILED", 412), ("FILE_TOO_LARGE", 413), ("UNSUPPORTED_MEDIA_TYPE", 415), ("INVALID_FILE_TYPE", 422),
        ("INTERNAL_SERVER_ERROR", 500), ("DATABASE_ERROR", 500), ("EXTERNAL_SERVICE_ERROR", 500), ("GENERATION_ERROR", 500),
        ("SERVICE_UNAVAILABLE", 503), ("DATABASE_UNAVAILABLE", 503), ("INSUFFICIENT_STORAGE", 507),
    ]

    @Test("every code of the contract exists with its status")
    func contractCodes() throws {
        for (code, status) in Self.contract {
            let errorCode = try #require(ErrorCode(rawValue: code), "\(code) is missing")
            #expect(errorCode.status == status, "\(code)")
        }
    }

    @Test("not-found errors name the resource and id")
    func notFound() {
        let error = AppError.notFound(.clip, id: "3f2")
        #expect(error.code == .clipNotFound)
        #expect(error.message == "Clip 3f2 was not found")
        #expect(error.details == ["resource": "clip", "id": "3f2"])
    }

    @Test("secrets compare in constant time, and correctly")
    func constantTime() {
        #expect(constantTimeEquals("abcdef0123456789", "abcdef0123456789"))
        #expect(!constantTimeEquals("abcdef0123456789", "abcdef0123456788"))
        #expect(!constantTimeEquals("abc", "abcd"))
        #expect(!constantTimeEquals("", "a"))
        #expect(constantTimeEquals("", ""))
    }
}

@Suite("Timestamp", .timeLimit(.minutes(2)))
struct TimestampTests {
    @Test("formats as fixed-width RFC 3339 UTC and parses back exactly")
    func roundTrip() throws {
        let stamp = Timestamp(microseconds: 1_795_000_000_123_456)
        #expect(stamp.description == "2026-11-18T11:06:40.123456Z")
        #expect(Timestamp(rfc3339: stamp.description) == stamp)
        let now = Timestamp.now()
        #expect(Timestamp(rfc3339: now.description) == now)
        #expect(Timestamp(microseconds: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
    }

    @Test(
        "accepts other RFC 3339 spellings",
        arguments: [
            ("2026-11-18T08:26:40Z", 1_794_990_400_000_000 as Int64),
            ("2026-11-18T08:26:40.5Z", 1_794_990_400_500_000),
            ("2026-11-18T09:26:40+01:00", 1_794_990_400_000_000),
            ("2026-11-18T08:26:40.123456789Z", 1_794_990_400_123_456),
        ])
    func parse(text: String, micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == micros)
    }

    @Test(
        "refuses what is not a time",
        arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-18T08:26:40", "2026-11-18T08:26:40.Z", "2026-11-18T08:26:40Zjunk"])
    func invalid(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("sorting the text sorts the times")
    func textOrder() {
        let stamps = (0..<50).map { _ in Timestamp(microseconds: Int64.random(in: 0...4_000_000_000_000_000)) }
        #expect(stamps.sorted().map(\.description) == stamps.map(\.description).sorted())
    }
}

@Suite("Field validation", .timeLimit(.minutes(2)))
struct FieldErrorsTests {
    @Test("names are trimmed and must be 1–200 characters")
    func names() {
        var errors = FieldErrors()
        #expect(errors.name("  Intro  ") == "Intro")
        #expect(errors.isEmpty)
        _ = errors.name("   ")
        _ = errors.name(String(repeating: "x", count: 201), field: "other")
        #expect(errors.fields == ["name": "must not be empty", "other": "must be at most 200 characters"])
        #expect(throws: AppError.self) { try errors.throwIfAny() }
    }
}

@Suite("UUID parsing")
struct UUIDParsingTests {
    @Test("agrees with Foundation on valid and invalid ids")
    func agreesWithFoundation() {
        var samples = (0..<200).map { _ in UUID().uuidString }
        samples += samples.prefix(50).map { $0.lowercased() }
        samples += [
            "", "x", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000", "00000000000000000000000000000000",
            "0000000-00000-0000-0000-000000000000", "g0000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-00000000000G",
            "00000000_0000_0000_0000_000000000000", " 00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000 ",
            "{00000000-0000-0000-0000-000000000000}", "ffffffff-ffff-ffff-ffff-ffffffffffff", "FfFfFfFf-0000-0000-0000-00000000000a",
            "00000000-0000-0000-0000-0000000000é0",
        ]
        for sample in samples {
            #expect(UUID(parsing: sample) == UUID(uuidString: sample), "\(sample)")
        }
    }
}
