import Foundation
@testable import ZephirCore
import ZephirTestSupport

/// Fixed signing keys: the publisher's two keys and an attacker's.
enum Keys {
    static let eole = key(1)
    static let eoleB = key(2)
    static let mallory = key(66)

    static func key(_ byte: UInt8) -> PrivateKey { try! PrivateKey(seed: Data(repeating: byte, count: 32)) }
}

/// The fixed clock of the attack tests: every index is created before it and expires after it.
enum Clock {
    static let now = RFC3339.parse("2026-06-01T12:00:00Z")!
    static let created = RFC3339.parse("2026-05-01T00:00:00Z")!
    static let expires = RFC3339.parse("2026-07-01T00:00:00Z")!
}

/// A small valid EOLE tree; `amonDefault` changes one file without changing its size
/// (`souple` and `strict` have the same length), so that two versions differ only by digest.
func sampleTree(amonDefault: String = "souple") -> [String: [UInt8]] {
    smallEOLETree(amonDefault: amonDefault).mapValues { Array($0.utf8) }
}

/// A signed bundle built in memory, which an attack then alters: its files as a transport
/// serves them (`index.json`, `tree/…`), or written to a folder.
struct ForgedBundle {
    var source = "eole"
    var version = 2
    var created = Clock.created
    var expires = Clock.expires
    var tree = sampleTree()
    var signers = [Keys.eole]

    /// The index that describes `tree`.
    var index: BundleIndex {
        let files = tree.keys.sorted().map { BundleIndex.File(path: $0, sha256: SHA256Digest.hex(tree[$0]!), size: tree[$0]!.count) }
        return BundleIndex(source: source, version: version, created: created, expires: expires, files: files)
    }

    /// `index` (or another one) signed by `signers`.
    func envelope(_ index: BundleIndex? = nil, signers: [PrivateKey]? = nil) -> Envelope {
        try! Envelope.sign(payload: (index ?? self.index).encoded(), keys: signers ?? self.signers)
    }

    /// What a transport serves: `index.json` and `tree/PATH` for every file of the tree.
    var served: [String: Data] {
        var files = ["index.json": envelope().encoded()]
        for (path, bytes) in tree { files["tree/" + path] = Data(bytes) }
        return files
    }

    /// The served files in bundle order (`index.json`, then the tree in the index's order), as an
    /// archive holds them and a pusher takes them.
    var ordered: [(path: String, bytes: [UInt8])] {
        let served = self.served
        return [(path: "index.json", bytes: [UInt8](served["index.json"]!))]
            + index.files.map { (path: "tree/" + $0.path, bytes: [UInt8](served["tree/" + $0.path]!)) }
    }

    /// Served files whose index was changed by `change`, then signed again by `signers`.
    func served(resigning change: (inout BundleIndex) -> Void, signers: [PrivateKey]? = nil) -> [String: Data] {
        var index = self.index
        change(&index)
        var files = served
        files["index.json"] = envelope(index, signers: signers).encoded()
        return files
    }

    /// Writes the served files under `folder`.
    func write(to folder: URL, files: [String: Data]? = nil) throws {
        for (path, data) in files ?? served {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
    }

    /// The record of this bundle installed, as a store would return it.
    var installed: InstalledSource {
        InstalledSource(name: source, version: version, digest: SHA256Digest.hex(index.encoded()), expires: RFC3339.format(expires),
                        installedAt: RFC3339.format(Clock.created))
    }
}

extension SignaturePolicy {
    /// Required, trusting `keys`.
    static func requiring(_ threshold: Int = 1, of keys: [PrivateKey] = [Keys.eole]) -> SignaturePolicy {
        SignaturePolicy(mode: .required, threshold: threshold, keys: keys.map(\.publicKey))
    }
}
