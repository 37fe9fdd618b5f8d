import Crypto
import Foundation

/// An Ed25519 signing key; its file holds the 32-byte seed in base64 and must be mode 0600.
public struct PrivateKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The key of a 32-byte seed (RFC 8032's secret key).
    public init(seed: Data, origin: String = "key") throws(KeyError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw .malformed(origin: origin, reason: "a private key file holds a 32-byte seed in base64, this one holds \(seed.count) bytes")
        }
        self.key = key
    }

    /// Reads a private key file, refusing it when group or others may read it.
    public init(contentsOf path: String) throws(KeyError) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        guard mode & 0o077 == 0 else { throw .insecurePermissions(path: path, mode: mode) }
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("ed25519:") {
            throw .malformed(origin: path, reason: "this is a public key; give the .key file made by `zephir-models keygen`")
        }
        guard let seed = Base64.decode(text) else { throw .malformed(origin: path, reason: "the file is not base64") }
        try self.init(seed: seed, origin: path)
    }

    public var seed: Data { key.rawRepresentation }

    public var publicKey: PublicKey {
        // A Curve25519 public key always has 32 bytes.
        try! PublicKey(raw: key.publicKey.rawRepresentation)
    }

    public func sign(_ message: Data) throws -> Data {
        try key.signature(for: message)
    }

    /// Writes `PREFIX.key` (mode 0600, created exclusively) and `PREFIX.pub`.
    /// - Throws: ``KeyError`` or a file error; never overwrites an existing key.
    public func write(prefix: String) throws {
        let keyPath = prefix + ".key", pubPath = prefix + ".pub"
        for path in [keyPath, pubPath] where FileManager.default.fileExists(atPath: path) {
            throw KeyFileExists(path: path)
        }
        let folder = URL(fileURLWithPath: keyPath).deletingLastPathComponent()
        try FileOutput.createDirectory(folder, mode: 0o700)
        try FileOutput.writeExclusive(Data((Base64.encode(seed) + "\n").utf8), to: keyPath, mode: 0o600)
        try FileOutput.writeExclusive(Data((publicKey.text + "\n").utf8), to: pubPath, mode: 0o644)
    }
}

/// `keygen` refuses to overwrite a key.
public struct KeyFileExists: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) already exists; keygen never overwrites a key: choose another --out prefix or move the old key away" }
}
