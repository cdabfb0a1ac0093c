import Foundation
import Testing

@testable import StoryboardCore

@Suite("JSON parser")
struct JSONParserTests {
    static let valid = [
        #"{}"#, #"[]"#, #""""#, "0", "-0", "12", "-7", "1.5", "-0.25", "1e3", "1E-2", "2.5e+10", "123456789012345", "12345678901234567890",
        "0.1", "9007199254740993", "true", "false", "null", " \t\r\n 42 \n",
        #"{"a": 1, "b": [true, false, null, "x"], "c": {"d": -1.5e-3, "e": {}}, "f": []}"#,
        #""plain ascii and ünïcödé 日本語 🎬""#,
        #""escapes: \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u65e5 \ud83c\udfac end""#,
        #"[1,2,3,[4,[5,[6]]],{"k":"v"}]"#,
        #"{"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": "0c2a", "node": "3"}}"#,
        #"{"nested": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}"#,
    ]

    @Test("valid documents parse to what JSONDecoder makes of them", arguments: valid)
    func matchesFoundation(text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(JSONValue(text: text) == expected)
        #expect(JSONValue(bytes: Array(text.utf8)) == expected)
        #expect(JSONValue(bytes: Data(text.utf8)) == expected)
    }

    static let invalid = [
        "", " ", "{", "}", "[", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a: 1}"#, "{'a': 1}", "01", "1.", ".5", "+1", "-", "1e", "1e+",
        "NaN", "Infinity", "-Infinity", "1e400", "tru", "nul", "falsey", "[1 2]", #"{"a":1} x"#, "{} {}", #""unterminated"#,
        "\"tab\tinside\"", "\"line\nbreak\"", #""\x41""#, #""\u12""#, #""\u12G4""#, #""\ud800""#, #""\udc00 alone""#, #""\ud800\u0041""#,
        "// comment\n1", "/* c */ 1", "[1] // trailing",
    ]

    @Test("malformed documents are refused", arguments: invalid)
    func refuses(text: String) {
        #expect(JSONValue(text: text) == nil, "\(text.debugDescription)")
        #expect(JSONValue(bytes: Array(text.utf8)) == nil)
    }

    @Test("invalid UTF-8 in a string is refused; nesting deeper than 512 is refused, 512 is not")
    func bytesAndDepth() {
        #expect(JSONValue(bytes: [0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue(bytes: [0x22, 0xFF, 0x22]) == nil)
        #expect(JSONValue(bytes: [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]) == nil, "an encoded surrogate after an escape")
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(JSONValue(text: ok) != nil)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(JSONValue(text: deep) == nil)
        let hostile = String(repeating: "[", count: 100_000)
        #expect(JSONValue(text: hostile) == nil)
    }

    @Test("a duplicated key keeps the last value; numbers keep their value")
    func details() {
        #expect(JSONValue(text: #"{"a": 1, "a": 2}"#) == ["a": 2])
        #expect(JSONValue(text: "123456789012345")?.doubleValue == 123_456_789_012_345)
        #expect(JSONValue(text: "-123456789012345")?.doubleValue == -123_456_789_012_345)
        #expect(JSONValue(text: "0.30000000000000004")?.doubleValue == 0.30000000000000004)
        #expect(JSONValue(text: #""\u0000""#) == .string("\u{0}"))
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("every valid document written back parses to the same value, and JSONDecoder agrees", arguments: JSONParserTests.valid)
    func roundTrips(text: String) throws {
        let value = try #require(JSONValue(text: text))
        #expect(JSONValue(text: value.text) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.utf8)) == value)
    }

    @Test("compact output: whole numbers without a fraction, escapes only where JSON needs them, non-finite numbers as null")
    func exactText() {
        #expect(
            JSONValue.array([
                12, -7, 1.5, 0.1, -0.0, 1e300, .number(Double.leastNonzeroMagnitude), 9_007_199_254_740_993, .null, true, false,
            ]).text == "[12,-7,1.5,0.1,0,1e+300,5e-324,9007199254740992.0,null,true,false]")
        #expect(
            JSONValue.string("quote \" backslash \\ slash / tab \t nl \n cr \r bs \u{08} ff \u{0C} nul \u{00} esc \u{1B} é 🎬").text
                == #""quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \u0000 esc \u001b é 🎬""#)
        #expect(JSONValue.array([.number(.nan), .number(.infinity), .number(-.infinity)]).text == "[null,null,null]")
        #expect(JSONValue.object([:]).text == "{}")
        #expect(JSONValue.array([]).text == "[]")
        #expect(JSONValue.object(["a": ["b": [1, "2"]]]).text == #"{"a":{"b":[1,"2"]}}"#)
        let object: JSONValue = ["k1": 1, "k2": "two", "k3": [3], "k4": ["five": 5]]
        #expect(JSONValue(text: object.text) == object, "every member, once")
    }
}
