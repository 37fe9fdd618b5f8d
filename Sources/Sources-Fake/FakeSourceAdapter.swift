import Foundation
import ZephirCore

/// The `fake` kind (SPEC §6): stands in for an `eole` source with a deterministic tree
/// generated in process, signed with a key derived from the seed, and can be told to misbehave
/// so that tests see every rejection the trust pipeline makes.
///
/// ```yaml
/// - name: fake
///   kind: fake
///   priority: 10
///   fake: {seed: 42, releases: 2, models: 10, variables: 20, version: 1}
///   signature: {policy: off}
/// ```
public struct FakeSourceAdapter: SourceAdapter {
    public static let kind = "fake"
    public static let role = SourceRole.authority
    public static let needsURL = false

    /// What a fake source can be told to do wrong.
    public enum Misbehaviour: String, Sendable, Hashable, CaseIterable {
        /// The signature's bytes are altered.
        case badSignature = "bad-signature"
        /// The envelope has no signature.
        case unsigned
        /// The index expired on 2020-01-01.
        case expired
        /// One file is served with a byte changed.
        case tamperedFile = "tampered-file"
        /// One file is served longer than the index declares.
        case oversizedFile = "oversized-file"
        /// The index names another source.
        case wrongSource = "wrong-source"
        /// The same version with other content (a model's description changed).
        case equivocation
        /// Every fetch fails as a network error would.
        case unavailable
    }

    public static let knownOptions = ["seed", "releases", "models", "variables", "version", "misbehave"]
    public static let maxVersion = 1_000_000_000

    /// When every fake index was created: fixed, so that the same options give the same digest.
    public static let created = RFC3339.parse("2026-01-01T00:00:00Z")!
    public static let expires = RFC3339.parse("2100-01-01T00:00:00Z")!
    /// The expiry of a `misbehave: expired` index.
    public static let expiredAt = RFC3339.parse("2020-01-01T00:00:00Z")!

    public let name: String
    public let parameters: FakeTreeParameters
    public let version: Int
    public let misbehave: Misbehaviour?

    public init(config: SourceConfig) throws(ConfigError) {
        let options = config.kindOptions
        let unknown = options.keys.filter { !Self.knownOptions.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw ConfigError(file: "", line: config.line,
                              "unknown fake option\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); known options: \(Self.knownOptions.joined(separator: ", "))")
        }
        func number(_ key: String, default value: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard let text = options[key] else { return value }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw ConfigError(file: "", line: config.line, "fake.\(key) is '\(text)'; expected an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        var seed: UInt64 = 1
        if let text = options["seed"] {
            guard let s = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError(file: "", line: config.line, "fake.seed is '\(text)'; expected a non-negative integer (up to \(UInt64.max))")
            }
            seed = s
        }
        let releases = try number("releases", default: 1, range: 1...FakeTreeParameters.maxReleases)
        let models = try number("models", default: 10, range: 1...FakeTreeParameters.maxModels)
        let variables = try number("variables", default: 20, range: 0...FakeTreeParameters.maxVariables)
        version = try number("version", default: 1, range: 1...Self.maxVersion)
        if let text = options["misbehave"] {
            guard let m = Misbehaviour(rawValue: text) else {
                throw ConfigError(file: "", line: config.line,
                                  "fake.misbehave is '\(text)'; expected one of \(Misbehaviour.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            misbehave = m
        } else {
            misbehave = nil
        }
        name = config.name
        parameters = FakeTreeParameters(seed: seed, releases: releases, models: models, variables: variables)
    }

    /// The signing key of the fake sources of `seed`: its seed is SHA-256 of a fixed text.
    public static func privateKey(seed: UInt64) -> PrivateKey {
        let digest = SHA256Digest.of(Data("zephir-models fake source key \(seed)".utf8))
        // 32 bytes always make a key.
        return try! PrivateKey(seed: Data(digest))
    }

    /// The public key to trust for a fake source of `seed`.
    public static func publicKey(seed: UInt64) -> PublicKey { privateKey(seed: seed).publicKey }

    public func makeTransport() throws(FetchError) -> any BundleTransport {
        let location = "memory:fake-\(name)"
        if misbehave == .unavailable {
            return MemoryTransport(name: "fake-\(name)", files: [:],
                                   failure: .network(url: location, reason: "the fake source is configured to be unavailable (misbehave: unavailable)"))
        }
        return MemoryTransport(name: "fake-\(name)", files: Self.bundle(source: name, parameters: parameters, version: version, misbehave: misbehave))
    }

    // MARK: - Bundle

    struct BundleKey: Hashable {
        var source: String
        var parameters: FakeTreeParameters
        var version: Int
        var misbehave: Misbehaviour?
    }

    /// Recently built bundles, so that repeated runs of one process do not rebuild them.
    final class BundleCache: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(key: BundleKey, files: [String: Data])] = []
        private let capacity = 8

        func get(_ key: BundleKey) -> [String: Data]? {
            lock.lock(); defer { lock.unlock() }
            return entries.first { $0.key == key }?.files
        }

        func put(_ key: BundleKey, _ files: [String: Data]) {
            lock.lock(); defer { lock.unlock() }
            entries.removeAll { $0.key == key }
            entries.append((key, files))
            if entries.count > capacity { entries.removeFirst() }
        }
    }

    static let cache = BundleCache()

    /// The bundle's files: `index.json` and `tree/<path>`, as a bundle folder holds them.
    public static func bundle(source: String, parameters: FakeTreeParameters, version: Int, misbehave: Misbehaviour? = nil) -> [String: Data] {
        let key = BundleKey(source: source, parameters: parameters, version: version, misbehave: misbehave)
        if let files = cache.get(key) { return files }
        let files = build(key)
        cache.put(key, files)
        return files
    }

    private static func build(_ key: BundleKey) -> [String: Data] {
        var served: [String: Data] = [:]
        var entries: [BundleIndex.File] = []
        var changed = false
        FakeTreeGenerator.forEachFile(key.parameters) { file in
            var bytes = file.contents
            if key.misbehave == .equivocation, !changed, file.path.contains("/servermodels/"),
               let altered = alterDescription(bytes) {
                bytes = altered
                changed = true
            }
            entries.append(BundleIndex.File(path: file.path, sha256: SHA256Digest.hex(bytes), size: bytes.count))
            served["tree/" + file.path] = Data(bytes)
        }
        // The file served wrong: the first server model (or the first file).
        let victim = entries.first { $0.path.contains("/servermodels/") } ?? entries.first
        if let victim, var data = served["tree/" + victim.path] {
            switch key.misbehave {
            case .tamperedFile where !data.isEmpty:
                data[data.startIndex + data.count / 2] ^= 0x01
                served["tree/" + victim.path] = data
            case .oversizedFile:
                data.append(contentsOf: Array("# one line more than the index declares\n".utf8))
                served["tree/" + victim.path] = data
            default:
                break
            }
        }
        let index = BundleIndex(source: key.misbehave == .wrongSource ? "\(key.source)-impostor" : key.source, version: key.version,
                                created: created, expires: key.misbehave == .expired ? expiredAt : expires, files: entries)
        var envelope: Envelope
        do {
            envelope = try Envelope.sign(payload: index.encoded(), keys: [privateKey(seed: key.parameters.seed)])
        } catch {
            // Ed25519 signing does not fail with a valid key; serve an unsigned index if it ever did.
            envelope = Envelope(payload: index.encoded().base64EncodedString(), signatures: [])
        }
        switch key.misbehave {
        case .unsigned:
            envelope.signatures = []
        case .badSignature:
            envelope.signatures = envelope.signatures.map { signature in
                var sig = Data(base64Encoded: signature.sig) ?? Data(count: 64)
                if !sig.isEmpty { sig[sig.startIndex] ^= 0xFF }
                return Envelope.Signature(keyid: signature.keyid, sig: sig.base64EncodedString())
            }
        default:
            break
        }
        served["index.json"] = envelope.encoded()
        return served
    }

    /// The model file with its top-level description changed, still valid.
    private static func alterDescription(_ bytes: [UInt8]) -> [UInt8]? {
        let marker = Array("\ndescription: \"".utf8)
        guard bytes.count > marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] && Array(bytes[start..<start + marker.count]) == marker {
            let end = start + marker.count
            return Array(bytes[..<end]) + Array("Modifié sans changer de version : ".utf8) + Array(bytes[end...])
        }
        return nil
    }
}
