import CSupport
import Crypto
import Foundation

/// Writes a signed bundle (SPEC §5) atomically: the new bundle is built beside the output
/// folder and swapped in with one rename, so a half-written bundle is never visible there.
public enum BundleWriter {
    /// What to publish.
    public struct Request: Sendable {
        public var source: String
        public var keys: [PrivateKey]
        public var version: Int
        public var expires: Date
        public var now: Date
        public var output: URL

        public init(source: String, keys: [PrivateKey], version: Int, expires: Date, now: Date = Date(), output: URL) {
            self.source = source
            self.keys = keys
            self.version = version
            self.expires = expires
            self.now = now
            self.output = output
        }
    }

    /// Validates the tree under `tree` and publishes it.
    /// - Throws: ``TreeValidationError``, ``PublishError`` or a file error.
    public static func publish(tree: URL, _ request: Request) throws -> BundleIndex {
        try publishTree(tree, request).index
    }

    /// What ``publishTree(_:_:)`` wrote, and the references the tree leaves for other sources.
    public struct Publication: Sendable {
        public var index: BundleIndex
        public var openReferences: [TreeValidator.OpenReference]
    }

    /// Validates and publishes the tree at `tree`; the open references are warnings, not errors.
    public static func publishTree(_ tree: URL, _ request: Request) throws -> Publication {
        let loaded = try TreeLoader().load(from: tree)
        let index = try publish(files: loaded.files, request)
        return Publication(index: index, openReferences: TreeValidator.openReferences(in: loaded.tree))
    }

    /// A signed bundle in memory, its files in bundle order (SPEC §5.2): `root/N.json` by
    /// version, `index.json`, then `tree/…` by path, as archives and registries carry them.
    public struct Signed: Sendable {
        public var index: BundleIndex
        public var files: [(path: String, bytes: [UInt8])]
    }

    /// What is already where a bundle is published, as far as publishing must know it.
    public struct Existing: Sendable {
        /// Where, for messages.
        public var location: String
        /// Its `index.json`; `nil` when nothing is there yet.
        public var index: Data?
        /// Something is there that is not a bundle.
        public var foreign: Bool
        /// Its root documents, `root/1.json` first.
        public var roots: [Data]

        public init(location: String, index: Data? = nil, foreign: Bool = false, roots: [Data] = []) {
            self.location = location
            self.index = index
            self.foreign = foreign
            self.roots = roots
        }

        /// What is in the bundle folder `folder`.
        public static func folder(_ folder: URL) throws(PublishError) -> Existing {
            let fm = FileManager.default
            var existing = Existing(location: folder.path)
            guard fm.fileExists(atPath: folder.path) else { return existing }
            existing.index = fm.contents(atPath: folder.appendingPathComponent("index.json").path)
            if existing.index == nil {
                let contents = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? ["?"]
                existing.foreign = !(contents.isEmpty || contents == ["root"])
            }
            return existing
        }
    }

    /// Checks the request against what is at the destination (a greater version of the same
    /// source, signed by index keys of the newest root) and signs the files.
    /// - Parameter newestRoot: the newest root of the destination, its chain already verified.
    public static func sign(files: [(path: String, bytes: [UInt8])], _ request: Request, existing: Existing, roots: [Data],
                            newestRoot: TrustedRoot?) throws -> Signed {
        try check(request)
        try checkExisting(request, existing)
        try checkRoot(request, newestRoot, location: existing.location)
        var entries: [BundleIndex.File] = []
        entries.reserveCapacity(files.count)
        for file in files {
            entries.append(BundleIndex.File(path: file.path, sha256: Hex.encode(SHA256.hash(data: file.bytes)), size: file.bytes.count))
        }
        let index = BundleIndex(source: request.source, version: request.version, created: request.now, expires: request.expires, files: entries)
        let envelope = try Envelope.sign(payload: index.encoded(), keys: request.keys)
        var ordered = roots.enumerated().map { (path: "root/\($0.offset + 1).json", bytes: [UInt8]($0.element)) }
        ordered.append((path: "index.json", bytes: [UInt8](envelope.encoded())))
        ordered += files.map { (path: "tree/" + $0.path, bytes: $0.bytes) }
        return Signed(index: index, files: ordered)
    }

    /// Publishes files already validated as a tree, sorted by path, into the bundle folder `request.output`.
    public static func publish(files: [(path: String, bytes: [UInt8])], _ request: Request) throws -> BundleIndex {
        let fm = FileManager.default
        let output = request.output.standardizedFileURL
        let newestRoot: TrustedRoot?
        do { newestRoot = try RootWriter.newest(in: output) } catch { throw PublishError.invalidRoots(error.description) }
        let signed = try sign(files: files, request, existing: try Existing.folder(output), roots: [], newestRoot: newestRoot)
        let parent = output.deletingLastPathComponent()
        try FileOutput.createDirectory(parent)
        let staging = parent.appendingPathComponent(".\(output.lastPathComponent).staging-\(getpid())")
        try? fm.removeItem(at: staging)
        defer { try? fm.removeItem(at: staging) }

        for file in signed.files {
            let target = staging.appendingPathComponent(file.path)
            try FileOutput.createDirectory(target.deletingLastPathComponent())
            try FileOutput.writeExclusive(Data(file.bytes), to: target.path, mode: 0o644)
        }
        // The roots stay with the bundle: copied into the new one before the swap.
        let roots = output.appendingPathComponent("root")
        if fm.fileExists(atPath: roots.path) {
            try fm.copyItem(at: roots, to: staging.appendingPathComponent("root"))
        }
        FileOutput.syncDirectory(staging.path)

        // Check again just before the swap: another publisher may have written meanwhile.
        try checkExisting(request, try Existing.folder(output))
        if fm.fileExists(atPath: output.path) {
            guard zm_exchange_paths(staging.path, output.path) == 0 else {
                throw FileOutputError(path: output.path, errno: errno)
            }
        } else {
            guard rename(staging.path, output.path) == 0 else { throw FileOutputError(path: output.path, errno: errno) }
        }
        FileOutput.syncDirectory(parent.path)
        return signed.index
    }

    private static func check(_ request: Request) throws(PublishError) {
        guard EntityName.isValid(request.source) else { throw .invalidSource(request.source) }
        guard !request.keys.isEmpty else { throw .noKey }
        guard request.version >= 1 else { throw .invalidVersion(request.version) }
        guard request.expires > request.now else { throw .expiresInPast(RFC3339.format(request.expires)) }
    }

    /// Where the destination has roots (SPEC §5.1), the signing keys must be index keys of the
    /// newest root, at least its index threshold of them: clients would reject anything else.
    private static func checkRoot(_ request: Request, _ root: TrustedRoot?, location: String) throws(PublishError) {
        guard let root else { return }
        guard root.document.source == request.source else {
            throw .otherSource(path: location, existing: root.document.source, requested: request.source)
        }
        let named = Set(root.document.index.keyIDs)
        let signing = Set(request.keys.map(\.publicKey.keyID))
        let unknown = signing.subtracting(named)
        guard unknown.isEmpty else { throw .keyNotInRoot(version: root.version, keyIDs: unknown.sorted(), indexKeys: named.sorted()) }
        guard signing.count >= root.document.index.threshold else {
            throw .belowRootThreshold(version: root.version, signing: signing.count, threshold: root.document.index.threshold)
        }
    }

    /// Refuses a version not greater than the bundle already at the destination, another
    /// source's bundle, and a destination that holds something else than a bundle.
    private static func checkExisting(_ request: Request, _ existing: Existing) throws(PublishError) {
        guard !existing.foreign else { throw .notABundle(existing.location) }
        guard let data = existing.index else { return }
        guard let index = try? BundleIndex.unverified(envelope: data) else { throw .notABundle(existing.location) }
        guard index.source == request.source else { throw .otherSource(path: existing.location, existing: index.source, requested: request.source) }
        guard request.version > index.version else {
            throw .versionNotGreater(path: existing.location, existing: index.version, requested: request.version)
        }
    }
}

/// Why `publish` refused.
public enum PublishError: Error, Sendable, Equatable, CustomStringConvertible {
    case versionNotGreater(path: String, existing: Int, requested: Int)
    case otherSource(path: String, existing: String, requested: String)
    case notABundle(String)
    case expiresInPast(String)
    case invalidSource(String)
    case invalidVersion(Int)
    case noKey
    /// A signing key the newest root does not name as an index key.
    case keyNotInRoot(version: Int, keyIDs: [String], indexKeys: [String])
    case belowRootThreshold(version: Int, signing: Int, threshold: Int)
    case invalidRoots(String)
    /// `--roots` given for a folder output, which keeps the roots of its own `root/`.
    case rootsForFolder(folder: String, roots: String)
    /// The archive or registry to publish to cannot be read or written (unreachable, credentials refused).
    case destinationUnavailable(FetchError)

    public var description: String {
        switch self {
        case .versionNotGreater(let path, let existing, let requested):
            return "\(path) already holds version \(existing); publish a greater version than \(existing) (got \(requested)), clients refuse anything older"
        case .otherSource(let path, let existing, let requested):
            return "\(path) holds a bundle of source '\(existing)', not '\(requested)'; choose another --out folder"
        case .notABundle(let path):
            return "\(path) exists and is not a bundle; publish replaces a bundle, never another folder: choose another --out"
        case .expiresInPast(let when):
            return "--expires \(when) is not in the future"
        case .invalidSource(let name):
            return "--source '\(name)' is not a valid name (\(EntityName.pattern))"
        case .invalidVersion(let v):
            return "--version \(v) must be a positive integer"
        case .noKey:
            return "give at least one --key to sign with"
        case .keyNotInRoot(let version, let ids, let named):
            return "root \(version) of this bundle does not name key\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")) as an index key (it names \(named.joined(separator: ", "))); clients would reject the index: sign with the index keys of the newest root, or rotate the root first (`zephir-models root rotate`)"
        case .belowRootThreshold(let version, let signing, let threshold):
            return "root \(version) of this bundle requires \(threshold) index keys, \(signing) given; add --key"
        case .invalidRoots(let what):
            return what
        case .destinationUnavailable(let error):
            return "\(error.description); check --out (and --auth-file for a registry), then publish again"
        case .rootsForFolder(let folder, let roots):
            return "--roots \(roots) carries roots into an archive or a registry; the folder \(folder) publishes the roots of its own root/ (written there by `zephir-models root create` and `root rotate`): drop --roots, or rotate the roots in that folder"
        }
    }
}
