/// Why a YAML document was refused, with the position where the reader stopped.
public enum YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    case syntax(problem: String, at: YAMLMark?)
    case aliasNotAllowed(at: YAMLMark)
    case tagNotAllowed(String, at: YAMLMark)
    case tooDeep(limit: Int, at: YAMLMark)
    case scalarTooLarge(limit: Int, at: YAMLMark)
    case documentTooLarge(size: Int, limit: Int)
    case tooManyNodes(limit: Int, at: YAMLMark)
    case duplicateKey(String, at: YAMLMark, first: YAMLMark)
    case nonScalarKey(at: YAMLMark)
    case notOneDocument(count: Int)

    public var mark: YAMLMark? {
        switch self {
        case .syntax(_, let m): return m
        case .aliasNotAllowed(let m), .tagNotAllowed(_, let m), .tooDeep(_, let m), .scalarTooLarge(_, let m),
             .tooManyNodes(_, let m), .duplicateKey(_, let m, _), .nonScalarKey(let m):
            return m
        case .documentTooLarge, .notOneDocument: return nil
        }
    }

    public var description: String {
        switch self {
        case .syntax(let problem, _):
            return "YAML syntax error: \(problem)"
        case .aliasNotAllowed:
            return "anchors and aliases (& and *) are not allowed in a datasource tree; write the value out"
        case .tagNotAllowed(let tag, _):
            return "the YAML tag \(tag) is not allowed; remove it (quote the value if it must stay a string)"
        case .tooDeep(let limit, _):
            return "nesting deeper than \(limit) levels; a datasource file never needs that"
        case .scalarTooLarge(let limit, _):
            return "a value longer than \(limit) bytes; shorten it"
        case .documentTooLarge(let size, let limit):
            return "the file has \(size) bytes, more than the limit of \(limit)"
        case .tooManyNodes(let limit, _):
            return "more than \(limit) values in one file; split it"
        case .duplicateKey(let key, _, let first):
            return "the key '\(key)' appears twice in the same mapping (first at line \(first.line)); keep one"
        case .nonScalarKey:
            return "a mapping key must be a plain name, not a list or a mapping"
        case .notOneDocument(let count):
            return count == 0 ? "the file is empty; it must hold one YAML mapping" : "the file holds \(count) YAML documents; it must hold exactly one"
        }
    }
}
