/// A position in a YAML file, 1-based, as a person counts lines.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

/// One scalar as written: its text, whether it was plain (unquoted, untagged), and where it is.
public struct YAMLScalar: Sendable, Hashable {
    public let text: String
    public let isPlain: Bool
    public let mark: YAMLMark
}

/// A node of a YAML document, built by ``YAMLReader`` under strict limits.
///
/// Mappings keep their keys in file order; keys are always scalars and never repeat.
public enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], YAMLMark)
    case mapping([(key: YAMLScalar, value: YAMLNode)], YAMLMark)

    public var mark: YAMLMark {
        switch self {
        case .scalar(let s): return s.mark
        case .sequence(_, let m), .mapping(_, let m): return m
        }
    }

    /// What kind of value this is, in the words of an error message.
    public var kindDescription: String {
        switch self {
        case .scalar(let s):
            guard s.isPlain else { return "a string" }
            switch PlainScalar.resolve(s.text) {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a number"
            case .string: return "a string"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// How a plain scalar reads under YAML 1.2's core schema.
public enum PlainScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float
    case string

    public static func resolve(_ text: String) -> PlainScalar {
        // Most scalars are words: only these first bytes can start a null, a boolean or a number.
        if let first = text.utf8.first, !Self.mayStartNonString(first) { return .string }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let utf8 = text.utf8
        guard let first = utf8.first else { return .string }
        let isNumberStart = (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
            || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        guard isNumberStart else { return .string }
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }),
           digits.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }), digits != "-" {
            if let value = Int(digits) { return .int(value) }
            return .float
        }
        if text.hasPrefix("0x"), let value = Int(text.dropFirst(2), radix: 16) { return .int(value) }
        if text.hasPrefix("0o"), let value = Int(text.dropFirst(2), radix: 8) { return .int(value) }
        if Double(text) != nil || [".inf", "-.inf", "+.inf", ".nan", ".Inf", ".NaN"].contains(text) { return .float }
        return .string
    }

    /// Whether a plain scalar starting with `c` may read as something else than a string.
    static func mayStartNonString(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "~"),
             UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }
}
