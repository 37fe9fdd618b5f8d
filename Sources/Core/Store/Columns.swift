import Foundation

/// How the stores code their columns: JSON text (lists of names, source attempts), checked enum
/// values, and lists of strings written byte for byte. One coding for SQLite and PostgreSQL.
public enum Columns {
    /// `value` as compact JSON with sorted keys.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes a JSON column; ``StoreError/corrupt(_:)`` naming `what` when it is not valid.
    public static func decode<T: Decodable>(_ type: T.Type, json text: String, _ what: @autoclosure () -> String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError.corrupt("\(what()) is not valid JSON: \(text)")
        }
    }

    /// An enum column's value; ``StoreError/corrupt(_:)`` naming `what` when it is unknown.
    public static func `enum`<T: RawRepresentable>(_ type: T.Type, _ raw: String, _ what: @autoclosure () -> String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else { throw StoreError.corrupt("\(what()) has an unknown value '\(raw)'") }
        return value
    }
}

extension Columns {
    /// `value` as `JSONEncoder` writes a list of strings, byte for byte, without its machinery:
    /// the `choices` of a million variables add up.
    public static func jsonList(_ value: [String]) -> String {
        jsonList(value.map { Array($0.utf8) })
    }

    /// The same for UTF-8 strings given as bytes.
    public static func jsonList<Item: Collection<UInt8>>(_ value: [Item]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, item) in value.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            for byte in item {
                switch byte {
                case UInt8(ascii: "\""): out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case UInt8(ascii: "/"): out += [0x5C, 0x2F]
                case 0x08: out += [0x5C, UInt8(ascii: "b")]
                case 0x09: out += [0x5C, UInt8(ascii: "t")]
                case 0x0A: out += [0x5C, UInt8(ascii: "n")]
                case 0x0C: out += [0x5C, UInt8(ascii: "f")]
                case 0x0D: out += [0x5C, UInt8(ascii: "r")]
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}
