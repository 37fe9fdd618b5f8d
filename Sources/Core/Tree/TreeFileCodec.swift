/// A compact binary form of decoded tree files, for what a run keeps out of memory (its
/// ``ContentSpill``) and for the layer outlines a store keeps (``LayerOutline``).
///
/// Not an interchange format: it is read back only by the same program, and a store drops an
/// outline it cannot read. Strings are a varint length and UTF-8; lists a varint count.
public enum TreeFileCodec {
    /// Why bytes do not decode.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String { "a stored tree file outline is unreadable" }
    }

    public static func encode(_ file: TreeFile) -> [UInt8] {
        var writer = Writer()
        writer.append(file)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(Malformed) -> TreeFile {
        try bytes.withUnsafeBufferPointer { (buffer) throws(Malformed) -> TreeFile in
            var reader = Reader(buffer)
            let file = try reader.file()
            guard reader.atEnd else { throw Malformed() }
            return file
        }
    }

    /// Appends values to a byte buffer.
    struct Writer {
        var bytes: [UInt8] = []

        mutating func varint(_ value: Int) {
            var v = UInt64(value)
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7f) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                varint(utf8.count)
                bytes.append(contentsOf: utf8)
            }
        }

        mutating func optional(_ text: String?) {
            if let text { bytes.append(1); string(text) } else { bytes.append(0) }
        }

        mutating func strings(_ list: [String]) {
            varint(list.count)
            for item in list { string(item) }
        }

        mutating func append(_ file: TreeFile) {
            switch file {
            case .version(let v):
                bytes.append(0)
                string(v.name); string(v.label); optional(v.endOfSupport)
            case .release(let r):
                bytes.append(1)
                string(r.name); string(r.version); string(r.status.rawValue); string(r.date)
            case .service(let release, let s):
                bytes.append(2)
                string(release); string(s.name); string(s.description); strings(s.packages); strings(s.depends)
            case .model(let release, let m):
                bytes.append(3)
                string(release); string(m.name); string(m.description); optional(m.parent); strings(m.services)
                varint(m.variables.count)
                for variable in m.variables {
                    string(variable.name); string(variable.type.rawValue); optional(variable.defaultValue)
                    bytes.append(variable.mandatory ? 1 : 0)
                    string(variable.description)
                    if let choices = variable.choices { bytes.append(1); strings(choices) } else { bytes.append(0) }
                }
            }
        }
    }

    /// Reads values back, checking every length against the buffer.
    struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var position = 0

        init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

        var atEnd: Bool { position == buffer.count }

        mutating func byte() throws(Malformed) -> UInt8 {
            guard position < buffer.count else { throw Malformed() }
            defer { position += 1 }
            return buffer[position]
        }

        mutating func varint() throws(Malformed) -> Int {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                value |= UInt64(b & 0x7f) << shift
                if b < 0x80 { break }
                shift += 7
                guard shift < 63 else { throw Malformed() }
            }
            guard value <= UInt64(Int32.max) else { throw Malformed() }
            return Int(value)
        }

        mutating func string() throws(Malformed) -> String {
            let count = try varint()
            guard count <= buffer.count - position else { throw Malformed() }
            let start = position
            position += count
            guard count > 0 else { return "" }
            let source = UnsafeBufferPointer(rebasing: buffer[start..<start + count])
            return String(unsafeUninitializedCapacity: count) { target in
                _ = target.initialize(from: source)
                return count
            }
        }

        mutating func optional() throws(Malformed) -> String? {
            switch try byte() {
            case 0: return nil
            case 1: return try string()
            default: throw Malformed()
            }
        }

        mutating func strings() throws(Malformed) -> [String] {
            let count = try varint()
            guard count <= buffer.count - position else { throw Malformed() }
            var list: [String] = []
            list.reserveCapacity(count)
            for _ in 0..<count { list.append(try string()) }
            return list
        }

        mutating func file() throws(Malformed) -> TreeFile {
            switch try byte() {
            case 0:
                return .version(Version(name: try string(), label: try string(), endOfSupport: try optional()))
            case 1:
                let name = try string(), version = try string()
                guard let status = Release.Status(rawValue: try string()) else { throw Malformed() }
                return .release(Release(name: name, version: version, status: status, date: try string()))
            case 2:
                let release = try string()
                return .service(release: release, ApplicationService(name: try string(), description: try string(), packages: try strings(),
                                                                     depends: try strings()))
            case 3:
                let release = try string(), name = try string(), description = try string(), parent = try optional(), services = try strings()
                let count = try varint()
                guard count <= buffer.count - position else { throw Malformed() }
                var variables: [Variable] = []
                variables.reserveCapacity(count)
                for _ in 0..<count {
                    let name = try string()
                    guard let type = VariableType(rawValue: try string()) else { throw Malformed() }
                    let defaultValue = try optional()
                    let mandatory = try byte()
                    guard mandatory <= 1 else { throw Malformed() }
                    let description = try string()
                    var choices: [String]?
                    switch try byte() {
                    case 0: choices = nil
                    case 1: choices = try strings()
                    default: throw Malformed()
                    }
                    variables.append(Variable(name: name, type: type, defaultValue: defaultValue, mandatory: mandatory == 1,
                                              description: description, choices: choices))
                }
                return .model(release: release, ServerModel(name: name, description: description, parent: parent, services: services,
                                                            variables: variables))
            default:
                throw Malformed()
            }
        }
    }
}

/// A model as the spill keeps it, read in place: what a store writes, without turning every
/// variable's fields into strings first.
public struct ModelRecord: Sendable {
    /// One variable's fields: UTF-8 slices of the record, valid only inside ``ModelRecord/forEachBatch(size:_:)``.
    public struct RawVariable {
        public var name: UnsafeBufferPointer<UInt8>
        public var type: UnsafeBufferPointer<UInt8>
        public var defaultValue: UnsafeBufferPointer<UInt8>?
        public var mandatory: Bool
        public var description: UnsafeBufferPointer<UInt8>
        public var choices: [UnsafeBufferPointer<UInt8>]?
    }

    public let name: String
    public let description: String
    public let parent: String?
    public let services: [String]
    public let variableCount: Int
    private let bytes: [UInt8]
    private let variablesOffset: Int

    /// - Throws: ``TreeFileCodec/Malformed`` when `bytes` are not an encoded model.
    public init(_ bytes: [UInt8]) throws(TreeFileCodec.Malformed) {
        let header = try bytes.withUnsafeBufferPointer { (buffer) throws(TreeFileCodec.Malformed) in
            var reader = TreeFileCodec.Reader(buffer)
            guard try reader.byte() == 3 else { throw TreeFileCodec.Malformed() }
            _ = try reader.string()
            let name = try reader.string(), description = try reader.string(), parent = try reader.optional(), services = try reader.strings()
            let count = try reader.varint()
            return (name, description, parent, services, count, reader.position)
        }
        (name, description, parent, services, variableCount, variablesOffset) = header
        self.bytes = bytes
    }

    /// Calls `body` with the variables `size` at a time, in order, with the position of the
    /// first of each batch; the slices are valid only during the call.
    public func forEachBatch(size: Int, _ body: ([RawVariable], Int) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = TreeFileCodec.Reader(buffer)
            reader.position = variablesOffset
            var batch: [RawVariable] = []
            batch.reserveCapacity(min(size, variableCount))
            for position in 0..<variableCount {
                let name = try reader.slice(), type = try reader.slice()
                let defaultValue: UnsafeBufferPointer<UInt8>? = try reader.byte() == 1 ? try reader.slice() : nil
                let mandatory = try reader.byte() == 1
                let description = try reader.slice()
                var choices: [UnsafeBufferPointer<UInt8>]?
                if try reader.byte() == 1 {
                    let count = try reader.varint()
                    guard count <= buffer.count else { throw TreeFileCodec.Malformed() }
                    choices = try (0..<count).map { _ in try reader.slice() }
                }
                batch.append(RawVariable(name: name, type: type, defaultValue: defaultValue, mandatory: mandatory, description: description,
                                         choices: choices))
                if batch.count == size || position == variableCount - 1 {
                    try body(batch, position + 1 - batch.count)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            guard reader.atEnd else { throw TreeFileCodec.Malformed() }
        }
    }
}

extension TreeFileCodec.Reader {
    /// A string's bytes, in place.
    mutating func slice() throws(TreeFileCodec.Malformed) -> UnsafeBufferPointer<UInt8> {
        let count = try varint()
        guard count <= buffer.count - position else { throw TreeFileCodec.Malformed() }
        defer { position += count }
        return UnsafeBufferPointer(rebasing: buffer[position..<position + count])
    }
}
