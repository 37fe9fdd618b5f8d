import Foundation

/// The publisher's side of trust roots (SPEC §5.1): `root create` writes `DIR/root/1.json`,
/// `root rotate` the next root. Each document is checked with the client's own verifier
/// (``RootChain``) before it is written, so a publisher never writes a root a client would reject.
public enum RootWriter {
    /// What `root create` writes.
    public struct Creation: Sendable {
        public var source: String
        /// The root keys: they sign root 1 and will sign its successor.
        public var rootKeys: [PrivateKey]
        public var rootThreshold: Int
        public var indexKeys: [PublicKey]
        public var indexThreshold: Int
        public var expires: Date
        public var now: Date
        /// The bundle folder.
        public var output: URL

        public init(source: String, rootKeys: [PrivateKey], rootThreshold: Int, indexKeys: [PublicKey], indexThreshold: Int, expires: Date,
                    now: Date = Date(), output: URL) {
            self.source = source
            self.rootKeys = rootKeys
            self.rootThreshold = rootThreshold
            self.indexKeys = indexKeys
            self.indexThreshold = indexThreshold
            self.expires = expires
            self.now = now
            self.output = output
        }
    }

    /// What `root rotate` changes; `nil` keeps the newest root's value.
    public struct Rotation: Sendable {
        public var output: URL
        /// The private keys that sign the new root: a threshold of the current root keys and of the new ones.
        public var keys: [PrivateKey]
        public var rootKeys: [PublicKey]?
        public var rootThreshold: Int?
        public var indexKeys: [PublicKey]?
        public var indexThreshold: Int?
        public var expires: Date
        public var now: Date

        public init(output: URL, keys: [PrivateKey], rootKeys: [PublicKey]? = nil, rootThreshold: Int? = nil, indexKeys: [PublicKey]? = nil,
                    indexThreshold: Int? = nil, expires: Date, now: Date = Date()) {
            self.output = output
            self.keys = keys
            self.rootKeys = rootKeys
            self.rootThreshold = rootThreshold
            self.indexKeys = indexKeys
            self.indexThreshold = indexThreshold
            self.expires = expires
            self.now = now
        }
    }

    /// Writes `DIR/root/1.json`.
    /// - Throws: ``RootWriteError``, or a file error.
    public static func create(_ request: Creation) throws -> TrustedRoot {
        guard EntityName.isValid(request.source) else { throw RootWriteError.invalidSource(request.source) }
        let folder = request.output.appendingPathComponent("root")
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: folder.path), !existing.isEmpty {
            throw RootWriteError.alreadyCreated(folder.path)
        }
        let document = RootDocument(source: request.source, version: 1, expires: request.expires,
                                    root: RootDocument.Role(keys: request.rootKeys.map(\.publicKey), threshold: request.rootThreshold),
                                    index: RootDocument.Role(keys: request.indexKeys, threshold: request.indexThreshold))
        let bytes = try sign(document, with: request.rootKeys, now: request.now)
        let root: TrustedRoot
        do { root = try TrustedRoot.pinned(bytes, file: RootChain.path(1)) } catch { throw RootWriteError.wouldBeRejected(error) }
        try write(bytes, version: 1, in: request.output)
        return root
    }

    /// Writes the root after the newest one in `DIR/root/`.
    /// - Throws: ``RootWriteError`` (naming the missing signatures when too few keys signed), or a file error.
    public static func rotate(_ request: Rotation) throws -> TrustedRoot {
        guard let current = try newest(in: request.output) else { throw RootWriteError.noRoot(request.output.path) }
        let old = current.document
        let rootKeys = try request.rootKeys ?? old.root.publicKeys()
        let indexKeys = try request.indexKeys ?? old.index.publicKeys()
        let document = RootDocument(source: old.source, version: old.version + 1, expires: request.expires,
                                    root: RootDocument.Role(keys: rootKeys, threshold: request.rootThreshold ?? old.root.threshold),
                                    index: RootDocument.Role(keys: indexKeys, threshold: request.indexThreshold ?? old.index.threshold))
        let bytes = try sign(document, with: request.keys, now: request.now)
        let root: TrustedRoot
        do { root = try RootChain.next(after: current, bytes: bytes, file: RootChain.path(document.version)) } catch {
            throw RootWriteError.wouldBeRejected(error)
        }
        try write(bytes, version: document.version, in: request.output)
        return root
    }

    /// The newest root of the bundle folder `dir`, its chain verified from `root/1.json`
    /// (expiry aside: a publisher rotates an expired root); `nil` when it has no roots.
    /// - Throws: ``RootWriteError``.
    public static func newest(in dir: URL) throws(RootWriteError) -> TrustedRoot? {
        try newest(chain: try chain(in: dir), location: dir.appendingPathComponent("root").path)
    }

    /// The documents `root/1.json`, `root/2.json`… of the bundle folder `dir`, in version order
    /// (not verified); empty when it has no roots.
    /// - Throws: ``RootWriteError/versionGap(_:found:)`` when a version is missing between
    ///   them, ``RootWriteError/unreadable(_:)``.
    public static func chain(in dir: URL) throws(RootWriteError) -> [Data] {
        let folder = dir.appendingPathComponent("root")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let versions = names.compactMap { RootChain.version(ofPath: "root/" + $0) }.sorted()
        guard !versions.isEmpty else { return [] }
        guard versions == Array(1...versions.count) else {
            throw .versionGap(folder.path, found: versions)
        }
        var chain: [Data] = []
        for version in versions {
            let path = folder.appendingPathComponent("\(version).json").path
            guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
            chain.append(data)
        }
        return chain
    }

    /// The newest root of a chain given in version order (`root/1.json` first), as read from an
    /// archive or a registry; `nil` when the chain is empty.
    /// - Throws: ``RootWriteError/invalidChain(_:_:)``.
    public static func newest(chain: [Data], location: String) throws(RootWriteError) -> TrustedRoot? {
        guard let first = chain.first else { return nil }
        do {
            var root = try TrustedRoot.pinned(first, file: RootChain.path(1))
            for (offset, bytes) in chain.dropFirst().enumerated() {
                root = try RootChain.next(after: root, bytes: bytes, file: RootChain.path(offset + 2))
            }
            return root
        } catch {
            throw .invalidChain(location, error)
        }
    }

    private static func sign(_ document: RootDocument, with keys: [PrivateKey], now: Date) throws -> Data {
        guard !keys.isEmpty else { throw RootWriteError.noKey }
        guard document.expiryDate.map({ $0 > now }) == true else { throw RootWriteError.expiresInPast(document.expires) }
        return try Envelope.sign(payload: document.encoded(), payloadType: Envelope.rootPayloadType, keys: keys).encoded()
    }

    private static func write(_ bytes: Data, version: Int, in dir: URL) throws {
        let folder = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("\(version).json").path
        guard !FileManager.default.fileExists(atPath: path) else { throw RootWriteError.alreadyExists(path) }
        try FileOutput.writeExclusive(bytes, to: path, mode: 0o644)
        FileOutput.syncDirectory(folder.path)
    }
}

/// Why `root create` or `root rotate` wrote nothing.
public enum RootWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSource(String)
    case noKey
    case expiresInPast(String)
    case alreadyCreated(String)
    case alreadyExists(String)
    case noRoot(String)
    case unreadable(String)
    case versionGap(String, found: [Int])
    case invalidChain(String, TrustError)
    /// The new root would fail a client's checks.
    case wouldBeRejected(TrustError)

    public var description: String {
        switch self {
        case .invalidSource(let name): return "--source '\(name)' is not a valid name (\(EntityName.pattern))"
        case .noKey: return "give at least one private key to sign the root with"
        case .expiresInPast(let when): return "--expires \(when) is not in the future"
        case .alreadyCreated(let path): return "\(path) already holds roots; use `zephir-models root rotate` to write the next one"
        case .alreadyExists(let path): return "\(path) already exists; a root is never overwritten"
        case .noRoot(let path): return "\(path) has no root/1.json; run `zephir-models root create` first"
        case .unreadable(let path): return "\(path): cannot read the root documents; check the path and its permissions"
        case .versionGap(let path, let found):
            return "\(path) holds roots \(found.map(String.init).joined(separator: ", ")), not 1 to \(found.count) without a gap; clients would stop at the gap: restore the missing roots"
        case .invalidChain(let path, let error): return "\(path): the existing roots do not verify (\(error.reason)): \(error.description)"
        case .wouldBeRejected(let error):
            if case .rootSignature(_, let signers, let valid, let required, let missing) = error {
                return "refused, clients would reject this root: signed by \(valid) of \(signers) root keys, \(required) required; add --key for the missing keys among \(missing.joined(separator: ", ")) (nothing written)"
            }
            if case .malformedRoot(_, let reason) = error { return "refused, clients would reject this root: \(reason) (nothing written)" }
            return "refused, clients would reject this root (\(error.reason)): \(error.description) (nothing written)"
        }
    }
}
