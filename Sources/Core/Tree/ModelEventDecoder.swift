import CLibYAML

/// Decodes a server model file straight from libyaml's events, building no ``YAMLNode`` tree:
/// the files of a bundle are almost all models, and their variables almost all of its bytes.
///
/// It accepts exactly the files the strict path (``YAMLReader``, then ``TreeFileDecoder``)
/// accepts in the usual layout, checks everything that path checks, and returns the same model.
/// On anything else, an error or a form it does not take (a flow mapping is fine, an anchor is
/// not), it returns `nil` and ``TreeFileDecoder`` takes the strict path, whose error explains
/// the problem. `ModelEventDecoderTests` holds both paths to the same answers.
struct ModelEventDecoder {
    let limits: YAMLLimits

    /// The model `bytes` hold, named `expected`; `nil` to let the strict path decide.
    func decode(_ bytes: [UInt8], expected: String) -> ServerModel? {
        guard bytes.count <= limits.maxDocumentBytes else { return nil }
        let stream = EventStream(limits: limits)
        return bytes.withUnsafeBufferPointer { buffer in
            guard stream.start(buffer) else { return nil }
            return stream.model(expected: expected)
        }
    }
}

/// One pass over a document's events, with the limits of ``YAMLReader`` counted as it goes.
private final class EventStream {
    let limits: YAMLLimits
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private var event = yaml_event_t()
    private var hasEvent = false
    private var ready = false
    /// Nodes so far, counted as ``YAMLReader`` counts them (each scalar, each closed collection).
    private var nodes = 0

    init(limits: YAMLLimits) { self.limits = limits }

    deinit {
        if hasEvent { yaml_event_delete(&event) }
        if ready { yaml_parser_delete(parser) }
        parser.deallocate()
    }

    func start(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard yaml_parser_initialize(parser) == 1 else { return false }
        ready = true
        yaml_parser_set_input_string(parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        return true
    }

    // MARK: - Events

    /// Moves to the next event; `false` on a syntax error.
    private func next() -> Bool {
        if hasEvent { yaml_event_delete(&event); hasEvent = false }
        guard yaml_parser_parse(parser, &event) == 1 else { return false }
        hasEvent = true
        return true
    }

    private var type: yaml_event_type_t { event.type }

    /// The current event is a scalar without anchor or tag, within the size limit; counted.
    private func isScalar() -> Bool {
        guard event.type == YAML_SCALAR_EVENT, event.data.scalar.anchor == nil, event.data.scalar.tag == nil,
              event.data.scalar.length <= limits.maxScalarBytes else { return false }
        nodes += 1
        return true
    }

    /// The current event opens a collection without anchor or tag, at `depth` (0 for the root).
    private func opens(_ kind: yaml_event_type_t, depth: Int) -> Bool {
        guard event.type == kind, depth < limits.maxDepth else { return false }
        if kind == YAML_MAPPING_START_EVENT {
            return event.data.mapping_start.anchor == nil && event.data.mapping_start.tag == nil
        }
        return event.data.sequence_start.anchor == nil && event.data.sequence_start.tag == nil
    }

    /// The current event closes a collection; counted.
    private func closes(_ kind: yaml_event_type_t) -> Bool {
        guard event.type == kind else { return false }
        nodes += 1
        return true
    }

    private var isPlain: Bool { event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE }

    private var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length)
    }

    /// The current scalar's text, as ``YAMLReader`` builds it.
    private var text: String {
        let length = event.data.scalar.length
        guard let value = event.data.scalar.value, length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { target in
            _ = target.initialize(from: UnsafeBufferPointer(start: value, count: length))
            return length
        }
    }

    private func isKey(_ name: StaticString) -> Bool {
        let key = bytes
        guard key.count == name.utf8CodeUnitCount, let base = key.baseAddress else { return false }
        return memcmp(base, name.utf8Start, key.count) == 0
    }

    /// A scalar accepted as text (``MappingReader``): a plain one must not read as null or a boolean.
    private static func isText(_ text: String, plain: Bool) -> Bool {
        guard plain else { return true }
        switch PlainScalar.resolve(text) {
        case .null, .bool: return false
        case .int, .float, .string: return true
        }
    }

    /// `VariableType(rawValue:)` without a string switch: the first byte picks the one name to compare.
    private static func variableType(_ text: String) -> VariableType? {
        let candidate: VariableType
        switch text.utf8.first {
        case UInt8(ascii: "s"): candidate = .string
        case UInt8(ascii: "i"): candidate = text.utf8.count == 2 ? .ip : .integer
        case UInt8(ascii: "b"): candidate = .boolean
        case UInt8(ascii: "n"): candidate = text.utf8.dropFirst(3).first == UInt8(ascii: "m") ? .netmask : .network
        case UInt8(ascii: "d"): candidate = .domain
        case UInt8(ascii: "p"): candidate = .port
        case UInt8(ascii: "c"): candidate = .choice
        default: return nil
        }
        return text == candidate.rawValue ? candidate : nil
    }

    /// The current scalar is plain and reads as null.
    private var isNull: Bool { isPlain && PlainScalar.resolve(text) == .null }

    // MARK: - The model

    func model(expected: String) -> ServerModel? {
        guard next(), type == YAML_STREAM_START_EVENT, next(), type == YAML_DOCUMENT_START_EVENT, next(),
              opens(YAML_MAPPING_START_EVENT, depth: 0) else { return nil }
        var name: String?, description: String?, parent: String?
        var services: [String] = [], variables: [Variable] = []
        var seen = 0
        while true {
            guard next() else { return nil }
            if closes(YAML_MAPPING_END_EVENT) { break }
            guard isScalar() else { return nil }
            let key: Int
            if isKey("name") { key = 1 } else if isKey("description") { key = 2 } else if isKey("parent") { key = 4 }
            else if isKey("services") { key = 8 } else if isKey("variables") { key = 16 } else { return nil }
            guard seen & key == 0 else { return nil }
            seen |= key
            guard next() else { return nil }
            switch key {
            case 1, 2, 4:
                guard isScalar() else { return nil }
                let value = text
                guard Self.isText(value, plain: isPlain) else { return nil }
                if key == 1 { name = value } else if key == 2 { description = value } else { parent = value }
            case 8:
                guard let list = textList(depth: 1) else { return nil }
                var unique = Set<String>()
                for item in list { guard EntityName.isValid(item), unique.insert(item).inserted else { return nil } }
                services = list
            default:
                guard let list = self.variables() else { return nil }
                variables = list
            }
        }
        guard next(), type == YAML_DOCUMENT_END_EVENT, next(), type == YAML_STREAM_END_EVENT, nodes <= limits.maxNodes else { return nil }
        guard let name, name == expected else { return nil }
        if let parent { guard EntityName.isValid(parent), parent != name else { return nil } }
        return ServerModel(name: name, description: description ?? "", parent: parent, services: services, variables: variables)
    }

    /// A list of text scalars, or a plain null for none; the current event is its first.
    private func textList(depth: Int) -> [String]? {
        if isScalar() { return isNull ? [] : nil }
        guard opens(YAML_SEQUENCE_START_EVENT, depth: depth) else { return nil }
        var items: [String] = []
        while true {
            guard next() else { return nil }
            if closes(YAML_SEQUENCE_END_EVENT) { return items }
            guard isScalar() else { return nil }
            let item = text
            guard Self.isText(item, plain: isPlain) else { return nil }
            items.append(item)
        }
    }

    /// The `variables` mapping, or a plain null for none; the current event is its first.
    private func variables() -> [Variable]? {
        if isScalar() { return isNull ? [] : nil }
        guard opens(YAML_MAPPING_START_EVENT, depth: 1) else { return nil }
        var result: [Variable] = []
        var names = Set<String>()
        while true {
            guard next() else { return nil }
            if closes(YAML_MAPPING_END_EVENT) { return result }
            guard isScalar() else { return nil }
            let name = text
            guard EntityName.isValid(name), names.insert(name).inserted, next(), let variable = variable(named: name) else { return nil }
            result.append(variable)
        }
    }

    /// One variable's mapping; the current event opens it.
    private func variable(named name: String) -> Variable? {
        guard opens(YAML_MAPPING_START_EVENT, depth: 2) else { return nil }
        var typeText: String?, defaultScalar: (text: String, plain: Bool)?, mandatory: Bool?, description: String?, choices: [String]?
        var seen = 0
        while true {
            guard next() else { return nil }
            if closes(YAML_MAPPING_END_EVENT) { break }
            guard isScalar() else { return nil }
            let key: Int
            if isKey("type") { key = 1 } else if isKey("default") { key = 2 } else if isKey("description") { key = 4 }
            else if isKey("mandatory") { key = 8 } else if isKey("choices") { key = 16 } else { return nil }
            guard seen & key == 0 else { return nil }
            seen |= key
            guard next() else { return nil }
            if key == 16 {
                guard let list = textList(depth: 3) else { return nil }
                choices = list
                continue
            }
            guard isScalar() else { return nil }
            switch key {
            case 1:
                let value = text
                guard Self.isText(value, plain: isPlain) else { return nil }
                typeText = value
            case 2:
                defaultScalar = (text, isPlain)
            case 4:
                let value = text
                guard Self.isText(value, plain: isPlain) else { return nil }
                description = value
            default:
                guard isPlain, case .bool(let b) = PlainScalar.resolve(text) else { return nil }
                mandatory = b
            }
        }
        guard let typeText, let type = Self.variableType(typeText) else { return nil }
        if type == .choice {
            guard let list = choices, !list.isEmpty, Set(list).count == list.count else { return nil }
        } else if choices != nil {
            return nil
        }
        var defaultValue: String?
        if let scalar = defaultScalar {
            guard case .success(let value) = TreeFileDecoder.canonicalDefault(scalar.text, isPlain: scalar.plain, type: type),
                  type.problem(with: value, choices: choices ?? []) == nil else { return nil }
            defaultValue = value
        }
        return Variable(name: name, type: type, defaultValue: defaultValue, mandatory: mandatory ?? false, description: description ?? "",
                        choices: type == .choice ? choices : nil)
    }
}
