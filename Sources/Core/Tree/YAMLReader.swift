import CLibYAML

/// Reads one YAML document into a ``YAMLNode`` through libyaml's event parser.
///
/// Strict and bounded: anchors, aliases and tags are refused, duplicate keys are an error,
/// and the ``YAMLLimits`` are checked as events arrive, so a hostile file costs at most its size.
public struct YAMLReader: Sendable {
    public let limits: YAMLLimits

    public init(limits: YAMLLimits = .default) { self.limits = limits }

    /// Parses `bytes` as exactly one YAML document.
    /// - Throws: ``YAMLError``.
    public func read(_ bytes: [UInt8]) throws(YAMLError) -> YAMLNode {
        guard bytes.count <= limits.maxDocumentBytes else {
            throw .documentTooLarge(size: bytes.count, limit: limits.maxDocumentBytes)
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw .syntax(problem: "libyaml could not start", at: nil) }
        defer { yaml_parser_delete(&parser) }
        let result: Result<YAMLNode, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = Builder(limits: limits)
            do throws(YAMLError) {
                return .success(try builder.run(&parser))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private struct Builder {
        let limits: YAMLLimits
        var nodes = 0

        /// An open collection; a class so that appending never copies what came before.
        private final class Frame {
            let isMapping: Bool
            let mark: YAMLMark
            var items: [YAMLNode] = []
            var pairs: [(key: YAMLScalar, value: YAMLNode)] = []
            /// The text of every key in `pairs`, for duplicate checks without copying pairs.
            var keys: [String] = []
            var pendingKey: YAMLScalar?
            /// The keys seen so far, by text: built only once a mapping outgrows a linear search.
            var seen: [String: YAMLMark]?
            init(isMapping: Bool, mark: YAMLMark) { self.isMapping = isMapping; self.mark = mark }
            var node: YAMLNode { isMapping ? .mapping(pairs, mark) : .sequence(items, mark) }

            /// Where `key` was first seen in this mapping, if it was; remembers it otherwise.
            func firstMark(of key: YAMLScalar) -> YAMLMark? {
                if seen == nil {
                    if keys.count < Self.linearSearchLimit {
                        for i in keys.indices where keys[i] == key.text { return pairs[i].key.mark }
                        return nil
                    }
                    var index = [String: YAMLMark](minimumCapacity: keys.count * 2)
                    for i in keys.indices { index[keys[i]] = pairs[i].key.mark }
                    seen = index
                }
                if let first = seen![key.text] { return first }
                seen![key.text] = key.mark
                return nil
            }

            static let linearSearchLimit = 12
        }
        private var stack: [Frame] = []

        init(limits: YAMLLimits) { self.limits = limits }

        mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> YAMLNode {
            var documents = 0
            var root: YAMLNode?
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.parserError(parser) }
                defer { yaml_event_delete(&event) }
                let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    guard documents == 1, let root else { throw .notOneDocument(count: documents) }
                    return root
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 { throw .notOneDocument(count: documents) }
                case YAML_ALIAS_EVENT:
                    throw .aliasNotAllowed(at: mark)
                case YAML_SCALAR_EVENT:
                    let data = event.data.scalar
                    if data.anchor != nil { throw .aliasNotAllowed(at: mark) }
                    if let tag = data.tag { throw .tagNotAllowed(String(cString: tag), at: mark) }
                    guard data.length <= limits.maxScalarBytes else { throw .scalarTooLarge(limit: limits.maxScalarBytes, at: mark) }
                    // libyaml has checked the UTF-8 already; this copies it into a native string.
                    let text = String(unsafeUninitializedCapacity: data.length) { buffer in
                        guard let value = data.value, data.length > 0 else { return 0 }
                        _ = buffer.initialize(from: UnsafeBufferPointer(start: value, count: data.length))
                        return data.length
                    }
                    let scalar = YAMLScalar(text: text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE, mark: mark)
                    try add(.scalar(scalar), root: &root, keyCandidate: scalar)
                case YAML_SEQUENCE_START_EVENT:
                    let data = event.data.sequence_start
                    if data.anchor != nil { throw .aliasNotAllowed(at: mark) }
                    if let tag = data.tag { throw .tagNotAllowed(String(cString: tag), at: mark) }
                    try push(Frame(isMapping: false, mark: mark))
                case YAML_MAPPING_START_EVENT:
                    let data = event.data.mapping_start
                    if data.anchor != nil { throw .aliasNotAllowed(at: mark) }
                    if let tag = data.tag { throw .tagNotAllowed(String(cString: tag), at: mark) }
                    try push(Frame(isMapping: true, mark: mark))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let frame = stack.removeLast()
                    try add(frame.node, root: &root, keyCandidate: nil)
                default:
                    break
                }
            }
        }

        private mutating func push(_ frame: Frame) throws(YAMLError) {
            guard stack.count < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth, at: frame.mark) }
            if let top = stack.last, top.isMapping, top.pendingKey == nil { throw .nonScalarKey(at: frame.mark) }
            stack.append(frame)
        }

        private mutating func add(_ node: YAMLNode, root: inout YAMLNode?, keyCandidate: YAMLScalar?) throws(YAMLError) {
            nodes += 1
            guard nodes <= limits.maxNodes else { throw .tooManyNodes(limit: limits.maxNodes, at: node.mark) }
            guard let top = stack.last else { root = node; return }
            guard top.isMapping else { top.items.append(node); return }
            if let key = top.pendingKey {
                top.pairs.append((key: key, value: node))
                top.keys.append(key.text)
                top.pendingKey = nil
                return
            }
            guard let key = keyCandidate else { throw .nonScalarKey(at: node.mark) }
            if let first = top.firstMark(of: key) { throw .duplicateKey(key.text, at: key.mark, first: first) }
            top.pendingKey = key
        }

        private static func parserError(_ parser: yaml_parser_t) -> YAMLError {
            let problem = parser.problem.map { String(cString: $0) } ?? "unreadable YAML"
            let context = parser.context.map { String(cString: $0) + ": " } ?? ""
            let mark = YAMLMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            return .syntax(problem: context + problem, at: mark)
        }
    }
}
