import Crypto
import Foundation

/// A trusted Ed25519 public key, in the text form `ed25519:BASE64` (SPEC §5).
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The raw 32 bytes.
    public let raw: Data
    /// Lowercase hex SHA-256 of ``raw``: the key's name in envelopes and messages.
    public let keyID: String

    public init(raw: Data) throws(KeyError) {
        guard raw.count == 32 else { throw .malformed(origin: "key", reason: "an Ed25519 public key has 32 bytes, this one has \(raw.count)") }
        self.raw = raw
        self.keyID = Hex.encode(SHA256.hash(data: raw))
    }

    /// Parses the text form; `origin` names where it came from, for the error message.
    public init(text: String, origin: String) throws(KeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("ed25519:") else {
            throw .malformed(origin: origin, reason: "a public key reads 'ed25519:' followed by base64; run `zephir-models keygen` to make one")
        }
        guard let raw = Base64.decode(String(trimmed.dropFirst("ed25519:".count))) else {
            throw .malformed(origin: origin, reason: "the text after 'ed25519:' is not base64")
        }
        do { try self.init(raw: raw) } catch { throw .malformed(origin: origin, reason: "an Ed25519 public key has 32 bytes, this one has \(raw.count)") }
    }

    /// Reads a public key file.
    public init(contentsOf path: String) throws(KeyError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        try self.init(text: String(decoding: data, as: UTF8.self), origin: path)
    }

    /// The text form.
    public var text: String { "ed25519:" + Base64.encode(raw) }

    public var description: String { keyID }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// Why a key could not be used.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case malformed(origin: String, reason: String)
    case insecurePermissions(path: String, mode: Int)

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "\(path): cannot read the key file; check the path and its permissions"
        case .malformed(let origin, let reason):
            return "\(origin): not a usable key: \(reason)"
        case .insecurePermissions(let path, let mode):
            return "\(path): the private key is readable by others (mode \(String(mode, radix: 8))); run `chmod 600 \(path)`"
        }
    }
}

/// Lowercase hexadecimal.
public enum Hex {
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> Data? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = Data(capacity: chars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
