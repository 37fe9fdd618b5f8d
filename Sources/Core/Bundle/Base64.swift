import Foundation

/// Base64 as the bundle format takes it: standard or URL-safe alphabet, padding optional.
enum Base64 {
    static func decode(_ text: String) -> Data? {
        // An index payload is hundreds of kilobytes: normalize its bytes, not NSString's
        // characters, whenever the answer is the same (ASCII, no "\r\n" character inside).
        var bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return decodeCharacters(text) }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        let end = (bytes.lastIndex { !isSpace($0) } ?? -1) + 1
        guard start < end else { return decodeCharacters(text) }
        bytes = Array(bytes[start..<end])
        for i in bytes.indices {
            switch bytes[i] {
            case UInt8(ascii: "-"): bytes[i] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): bytes[i] = UInt8(ascii: "/")
            case 0x0D where i + 1 < bytes.count && bytes[i + 1] == 0x0A: return decodeCharacters(text)
            default: break
            }
        }
        if bytes.count % 4 == 1 { return nil }
        bytes += Array(repeating: UInt8(ascii: "="), count: (4 - bytes.count % 4) % 4)
        return Data(base64Encoded: Data(bytes))
    }

    /// The same normalization on characters, for any other text.
    static func decodeCharacters(_ text: String) -> Data? {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if s.count % 4 == 1 { return nil }
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s)
    }

    static func encode<D: DataProtocol>(_ bytes: D) -> String { Data(bytes).base64EncodedString() }
}
