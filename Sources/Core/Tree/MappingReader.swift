/// Reads the keys of one YAML mapping strictly: unknown keys, missing keys and wrong types
/// are ``TreeError``s naming the file and line.
struct MappingReader {
    let file: String
    let mark: YAMLMark
    /// The pairs in file order; keys are unique (``YAMLReader`` refuses duplicates) and few, so a
    /// linear search beats hashing.
    private let pairs: [(key: YAMLScalar, value: YAMLNode)]

    init(_ node: YAMLNode, file: String, allowed: [String], context: @autoclosure () -> String? = nil) throws(TreeError) {
        guard case .mapping(let pairs, let mark) = node else {
            if let context = context() {
                throw TreeError(file: file, line: node.mark.line, .wrongType(key: context, expected: "a mapping", found: node.kindDescription))
            }
            throw TreeError(file: file, line: node.mark.line, .notAMapping(found: node.kindDescription))
        }
        self.file = file
        self.mark = mark
        for i in pairs.indices {
            let key = pairs[i].key
            guard allowed.contains(key.text) else { throw TreeError(file: file, line: key.mark.line, .unknownKey(key.text, allowed: allowed)) }
        }
        self.pairs = pairs
    }

    private func index(_ key: String) -> Int? {
        for i in pairs.indices where pairs[i].key.text == key { return i }
        return nil
    }

    func has(_ key: String) -> Bool { index(key) != nil }

    func node(_ key: String) -> YAMLNode? { index(key).map { pairs[$0].value } }

    func line(_ key: String) -> Int { index(key).map { pairs[$0].key.mark.line } ?? mark.line }

    /// A required scalar read as text (a name, a label): null, booleans, lists and mappings are refused.
    func text(_ key: String) throws(TreeError) -> String {
        guard let node = node(key) else { throw TreeError(file: file, line: mark.line, .missingKey(key)) }
        return try Self.text(node, key: key, file: file)
    }

    func optionalText(_ key: String) throws(TreeError) -> String? {
        guard let node = node(key) else { return nil }
        return try Self.text(node, key: key, file: file)
    }

    /// A name that must match ``EntityName/pattern``.
    func name(_ key: String) throws(TreeError) -> String {
        let value = try text(key)
        guard EntityName.isValid(value) else { throw TreeError(file: file, line: line(key), .invalidName(key: key, value: value)) }
        return value
    }

    func optionalName(_ key: String) throws(TreeError) -> String? {
        guard has(key) else { return nil }
        return try name(key)
    }

    func optionalBool(_ key: String) throws(TreeError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let s) = node, s.isPlain, case .bool(let b) = PlainScalar.resolve(s.text) else {
            throw TreeError(file: file, line: node.mark.line, .wrongType(key: key, expected: "true or false", found: node.kindDescription))
        }
        return b
    }

    /// An optional list of names, each valid and listed once.
    func nameList(_ key: String) throws(TreeError) -> [String] {
        let items = try textList(key)
        var seen = Set<String>()
        for (value, line) in items {
            guard EntityName.isValid(value) else { throw TreeError(file: file, line: line, .invalidName(key: key, value: value)) }
            guard seen.insert(value).inserted else { throw TreeError(file: file, line: line, .duplicateItem(key: key, value: value)) }
        }
        return items.map(\.0)
    }

    /// An optional list of scalars, as text, with the line of each.
    func textList(_ key: String) throws(TreeError) -> [(String, Int)] {
        guard let node = node(key) else { return [] }
        guard case .sequence(let items, _) = node else {
            if case .scalar(let s) = node, s.isPlain, PlainScalar.resolve(s.text) == .null { return [] }
            throw TreeError(file: file, line: node.mark.line, .wrongType(key: key, expected: "a list", found: node.kindDescription))
        }
        var result: [(String, Int)] = []
        result.reserveCapacity(items.count)
        for item in items {
            result.append((try Self.text(item, key: key, file: file), item.mark.line))
        }
        return result
    }

    static func text(_ node: YAMLNode, key: String, file: String) throws(TreeError) -> String {
        guard case .scalar(let s) = node else {
            throw TreeError(file: file, line: node.mark.line, .wrongType(key: key, expected: "a text value", found: node.kindDescription))
        }
        if s.isPlain {
            switch PlainScalar.resolve(s.text) {
            case .null, .bool:
                throw TreeError(file: file, line: s.mark.line, .wrongType(key: key, expected: "a text value", found: node.kindDescription))
            case .int, .float, .string:
                break
            }
        }
        return s.text
    }
}
