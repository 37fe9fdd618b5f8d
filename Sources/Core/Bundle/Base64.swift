import Foundation

/// Base64 as the bundle format takes it: standard or URL-safe alphabet, padding optional.
enum Base64 {
    static func decode(_ text: String) -> Data? {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if s.count % 4 == 1 { return nil }
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s)
    }

    static func encode<D: DataProtocol>(_ bytes: D) -> String { Data(bytes).base64EncodedString() }
}
