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
        var variables = VariableList()
        guard let header = read(bytes, expected: expected, into: &variables) else { return nil }
        return ServerModel(name: header.name, description: header.description, parent: header.parent, services: header.services,
                           variables: variables.variables)
    }

    /// The model `bytes` hold as a run spills it: its outline (no variables) and the
    /// ``TreeFileCodec`` record of the whole model, built as the events come, without the
    /// model's values; `nil` to let the strict path decide.
    func record(_ bytes: [UInt8], release: String, expected: String) -> (outline: ServerModel, record: [UInt8])? {
        // A record is smaller than its YAML: one buffer of the file's size holds it, header included.
        var variables = VariableRecords()
        variables.writer.bytes.reserveCapacity(bytes.count + 4096)
        guard let header = read(bytes, expected: expected, into: &variables) else { return nil }
        var writer = TreeFileCodec.Writer()
        writer.bytes.append(3)
        writer.string(release); writer.string(header.name); writer.string(header.description); writer.optional(header.parent)
        writer.strings(header.services)
        writer.varint(variables.count)
        var record = variables.writer.bytes
        variables.writer.bytes = []
        record.insert(contentsOf: writer.bytes, at: 0)
        return (ServerModel(name: header.name, description: header.description, parent: header.parent, services: header.services), record)
    }

    private func read<Sink: VariableSink>(_ bytes: [UInt8], expected: String, into sink: inout Sink) -> EventStream.Header? {
        guard bytes.count <= limits.maxDocumentBytes else { return nil }
        let stream = EventStream(limits: limits)
        return bytes.withUnsafeBufferPointer { buffer in
            guard stream.start(buffer) else { return nil }
            return stream.model(expected: expected, into: &sink)
        }
    }
}

/// Where the variables of a model go, in order, once each is checked.
protocol VariableSink {
    /// `description` is the description's UTF-8 (valid during the call only).
    mutating func add(name: String, type: VariableType, defaultValue: String?, mandatory: Bool, description: UnsafeBufferPointer<UInt8>,
                      choices: [String]?)
}

/// Variables as values.
struct VariableList: VariableSink {
    var variables: [Variable] = []

    mutating func add(name: String, type: VariableType, defaultValue: String?, mandatory: Bool, description: UnsafeBufferPointer<UInt8>,
                      choices: [String]?) {
        variables.append(Variable(name: name, type: type, defaultValue: defaultValue, mandatory: mandatory,
                                  description: EventStream.string(description), choices: choices))
    }
}

/// Variables as ``TreeFileCodec`` writes them in a model's record.
struct VariableRecords: VariableSink {
    var writer = TreeFileCodec.Writer()
    var count = 0

    mutating func add(name: String, type: VariableType, defaultValue: String?, mandatory: Bool, description: UnsafeBufferPointer<UInt8>,
                      choices: [String]?) {
        writer.string(name)
        writer.string(type.rawValue)
        writer.optional(defaultValue)
        writer.bytes.append(mandatory ? 1 : 0)
        writer.varint(description.count)
        writer.bytes.append(contentsOf: description)
        if let choices { writer.bytes.append(1); writer.strings(choices) } else { writer.bytes.append(0) }
        count += 1
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
    private var text: String { Self.string(bytes) }

    /// UTF-8 bytes as a string, built as ``YAMLReader`` builds it.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let value = bytes.baseAddress, bytes.count > 0 else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count) { target in
            _ = target.initialize(from: UnsafeBufferPointer(start: value, count: bytes.count))
            return bytes.count
        }
    }

    /// Whether the current scalar is accepted as text, making a string only when its first
    /// byte could start a null or a boolean.
    private var isTextScalar: Bool {
        guard isPlain else { return true }
        guard let first = bytes.first else { return false }   // an empty plain scalar is null
        guard PlainScalar.mayStartNonString(first) else { return true }
        return Self.isText(text, plain: true)
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

    struct Header {
        var name: String
        var description: String
        var parent: String?
        var services: [String]
    }

    func model<Sink: VariableSink>(expected: String, into sink: inout Sink) -> Header? {
        guard next(), type == YAML_STREAM_START_EVENT, next(), type == YAML_DOCUMENT_START_EVENT, next(),
              opens(YAML_MAPPING_START_EVENT, depth: 0) else { return nil }
        var name: String?, description: String?, parent: String?
        var services: [String] = []
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
                guard self.variables(into: &sink) else { return nil }
            }
        }
        guard next(), type == YAML_DOCUMENT_END_EVENT, next(), type == YAML_STREAM_END_EVENT, nodes <= limits.maxNodes else { return nil }
        guard let name, name == expected else { return nil }
        if let parent { guard EntityName.isValid(parent), parent != name else { return nil } }
        return Header(name: name, description: description ?? "", parent: parent, services: services)
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

    /// The `variables` mapping, or a plain null for none, into `sink`; the current event is its first.
    private func variables<Sink: VariableSink>(into sink: inout Sink) -> Bool {
        if isScalar() { return isNull }
        guard opens(YAML_MAPPING_START_EVENT, depth: 1) else { return false }
        var names = Set<String>()
        while true {
            guard next() else { return false }
            if closes(YAML_MAPPING_END_EVENT) { return true }
            guard isScalar() else { return false }
            let name = text
            guard EntityName.isValid(name), names.insert(name).inserted, next(), variable(named: name, into: &sink) else { return false }
        }
    }

    /// The current variable's description, kept until its mapping ends.
    private var descriptionBytes: [UInt8] = []

    /// One variable's mapping, into `sink`; the current event opens it.
    private func variable<Sink: VariableSink>(named name: String, into sink: inout Sink) -> Bool {
        guard opens(YAML_MAPPING_START_EVENT, depth: 2) else { return false }
        var typeText: String?, defaultScalar: (text: String, plain: Bool)?, mandatory: Bool?, choices: [String]?
        descriptionBytes.removeAll(keepingCapacity: true)
        var seen = 0
        while true {
            guard next() else { return false }
            if closes(YAML_MAPPING_END_EVENT) { break }
            guard isScalar() else { return false }
            let key: Int
            if isKey("type") { key = 1 } else if isKey("default") { key = 2 } else if isKey("description") { key = 4 }
            else if isKey("mandatory") { key = 8 } else if isKey("choices") { key = 16 } else { return false }
            guard seen & key == 0 else { return false }
            seen |= key
            guard next() else { return false }
            if key == 16 {
                guard let list = textList(depth: 3) else { return false }
                choices = list
                continue
            }
            guard isScalar() else { return false }
            switch key {
            case 1:
                let value = text
                guard Self.isText(value, plain: isPlain) else { return false }
                typeText = value
            case 2:
                defaultScalar = (text, isPlain)
            case 4:
                guard isTextScalar else { return false }
                descriptionBytes.append(contentsOf: bytes)
            default:
                guard isPlain, case .bool(let b) = PlainScalar.resolve(text) else { return false }
                mandatory = b
            }
        }
        guard let typeText, let type = Self.variableType(typeText) else { return false }
        if type == .choice {
            guard let list = choices, !list.isEmpty, Set(list).count == list.count else { return false }
        } else if choices != nil {
            return false
        }
        var defaultValue: String?
        if let scalar = defaultScalar {
            guard case .success(let value) = TreeFileDecoder.canonicalDefault(scalar.text, isPlain: scalar.plain, type: type),
                  type.problem(with: value, choices: choices ?? []) == nil else { return false }
            defaultValue = value
        }
        descriptionBytes.withUnsafeBufferPointer { description in
            sink.add(name: name, type: type, defaultValue: defaultValue, mandatory: mandatory ?? false, description: description,
                     choices: type == .choice ? choices : nil)
        }
        return true
    }
}
