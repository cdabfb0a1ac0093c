import Foundation
import StoryboardCore

/// Checks a JSON value against a JSON Schema (the 2020-12 keywords OpenAPI 3.1 documents use),
/// resolving `$ref`s inside one document. It knows the keywords the served document uses and
/// reports any other keyword as a problem, so a schema the checker cannot read fails loudly
/// instead of passing everything.
public struct JSONSchemaValidator: Sendable {
    public let document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    /// Every place `value` breaks `schema`, as `path: reason` lines; empty when it conforms.
    public func problems(_ value: JSONValue, against schema: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, schema, path: "$", depth: 0, into: &problems)
        return problems
    }

    private static let annotations: Set<String> = [
        "description", "default", "example", "examples", "title", "deprecated", "readOnly", "writeOnly", "$comment",
    ]

    private func check(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int, into problems: inout [String]) {
        guard depth < 64 else {
            problems.append("\(path): schema nests too deep (a $ref cycle?)")
            return
        }
        if case .bool(let allowed) = schema {
            if !allowed { problems.append("\(path): no value is allowed here") }
            return
        }
        guard let keywords = schema.objectValue else {
            problems.append("\(path): the schema is not an object")
            return
        }
        for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) {
            switch keyword {
            case "$ref":
                guard let target = argument.stringValue.flatMap(resolve) else {
                    problems.append("\(path): cannot resolve $ref \(argument.text)")
                    continue
                }
                check(value, target, path: path, depth: depth + 1, into: &problems)
            case "type":
                let allowed = argument.arrayValue?.compactMap(\.stringValue) ?? argument.stringValue.map { [$0] } ?? []
                if !allowed.contains(where: { Self.has(value, type: $0) }) {
                    problems.append("\(path): expected \(allowed.joined(separator: " or ")), found \(Self.describe(value))")
                }
            case "enum":
                if !(argument.arrayValue ?? []).contains(value) {
                    problems.append("\(path): \(Self.clip(value.text)) is not one of \(Self.clip(argument.text))")
                }
            case "const":
                if value != argument { problems.append("\(path): expected \(argument.text)") }
            case "properties":
                guard case .object(let object) = value, let properties = argument.objectValue else { continue }
                for (name, propertySchema) in properties {
                    if let member = object[name] {
                        check(member, propertySchema, path: "\(path).\(name)", depth: depth + 1, into: &problems)
                    }
                }
            case "required":
                guard case .object(let object) = value else { continue }
                for name in argument.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                    problems.append("\(path): required member \"\(name)\" is missing")
                }
            case "additionalProperties":
                guard case .object(let object) = value else { continue }
                let declared = Set(keywords["properties"]?.objectValue?.keys.map { $0 } ?? [])
                for (name, member) in object.sorted(by: { $0.key < $1.key }) where !declared.contains(name) {
                    check(member, argument, path: "\(path).\(name)", depth: depth + 1, into: &problems)
                }
            case "minProperties":
                if case .object(let object) = value, let minimum = argument.doubleValue, Double(object.count) < minimum {
                    problems.append("\(path): fewer than \(Int(minimum)) members")
                }
            case "items":
                guard case .array(let elements) = value else { continue }
                for (index, element) in elements.enumerated() {
                    check(element, argument, path: "\(path)[\(index)]", depth: depth + 1, into: &problems)
                }
            case "minItems", "maxItems":
                guard case .array(let elements) = value, let bound = argument.doubleValue else { continue }
                let count = Double(elements.count)
                if keyword == "minItems" ? count < bound : count > bound {
                    problems.append("\(path): \(elements.count) items, \(keyword) is \(Int(bound))")
                }
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard case .number(let number) = value, let bound = argument.doubleValue else { continue }
                let fits: Bool
                switch keyword {
                case "minimum": fits = number >= bound
                case "maximum": fits = number <= bound
                case "exclusiveMinimum": fits = number > bound
                default: fits = number < bound
                }
                if !fits { problems.append("\(path): \(value.text) breaks \(keyword) \(argument.text)") }
            case "multipleOf":
                guard case .number(let number) = value, let step = argument.doubleValue, step > 0 else { continue }
                let quotient = number / step
                if abs(quotient - quotient.rounded()) > 1e-9 {
                    problems.append("\(path): \(value.text) is not a multiple of \(argument.text)")
                }
            case "uniqueItems":
                guard case .array(let elements) = value, argument == .bool(true) else { continue }
                if Set(elements).count != elements.count { problems.append("\(path): items are not unique") }
            case "contentEncoding", "contentMediaType":
                // Annotations in JSON Schema 2020-12: they describe a string's content, they do not constrain it.
                continue
            case "minLength", "maxLength":
                guard case .string(let string) = value, let bound = argument.doubleValue else { continue }
                // Code points, as JSON Schema (and the server's limits) count them, not graphemes.
                let count = string.unicodeScalars.count
                if keyword == "minLength" ? Double(count) < bound : Double(count) > bound {
                    problems.append("\(path): length \(count) breaks \(keyword) \(Int(bound))")
                }
            case "pattern":
                guard case .string(let string) = value, let pattern = argument.stringValue else { continue }
                if string.range(of: pattern, options: .regularExpression) == nil {
                    problems.append("\(path): \(Self.clip(value.text)) does not match /\(pattern)/")
                }
            case "format":
                guard case .string(let string) = value, let format = argument.stringValue else { continue }
                if !Self.conforms(string, format: format) {
                    problems.append("\(path): \(Self.clip(value.text)) is not a valid \(format)")
                }
            case "allOf":
                for part in argument.arrayValue ?? [] {
                    check(value, part, path: path, depth: depth + 1, into: &problems)
                }
            case "anyOf", "oneOf":
                let outcomes = (argument.arrayValue ?? []).map { problemsOf(value, $0, path: path, depth: depth) }
                // A branch the checker cannot read is the checker's failure, not a non-match.
                problems += outcomes.joined().filter { $0.contains("the checker does not know the keyword") }
                let matches = outcomes.filter(\.isEmpty).count
                if matches == 0 || (keyword == "oneOf" && matches > 1) {
                    problems.append("\(path): matches \(matches) of the \(keyword) schemas")
                }
            default:
                if !Self.annotations.contains(keyword) {
                    problems.append("\(path): the checker does not know the keyword \"\(keyword)\"")
                }
            }
        }
    }

    private func problemsOf(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int) -> [String] {
        var problems: [String] = []
        check(value, schema, path: path, depth: depth + 1, into: &problems)
        return problems
    }

    /// `#/a/b` inside the document (JSON Pointer, with `~1` and `~0` escapes).
    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = document
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { return nil }
            node = next
        }
        return node
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func conforms(_ string: String, format: String) -> Bool {
        switch format {
        case "uuid":
            return UUID(uuidString: string) != nil
        case "date-time":
            return string.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#, options: .regularExpression)
                != nil
        case "uri":
            return URL(string: string)?.scheme != nil
        default:
            // Formats that only annotate (binary, byte, int64, password, …) constrain nothing here.
            return true
        }
    }

    private static func clip(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(77)) + "…" : text
    }
}
