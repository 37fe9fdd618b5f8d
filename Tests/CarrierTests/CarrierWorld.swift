import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// The publisher's signing key in these tests.
enum PublisherKey {
    static let key = try! PrivateKey(seed: Data(repeating: 7, count: 32))
}

/// A small valid EOLE tree; `amon` changes one file without changing its size (`souple` and
/// `strict` have the same length), so that two versions differ by one file's digest.
func sampleTree(amon: String = "souple") -> [(path: String, bytes: [UInt8])] {
    smallEOLETree(amonDefault: amon).sorted { $0.key < $1.key }.map { ($0.key, Array($0.value.utf8)) }
}

/// A temporary folder holding a publisher's bundle folder (`bundle/`), a fetch cache
/// (`cache/`) and whatever a test writes (`config.json`); removed when released.
final class CarrierWorld: @unchecked Sendable {
    let folder = temporaryFolder("zm-carrier")
    var bundle: URL { folder.appendingPathComponent("bundle") }
    var cache: URL { folder.appendingPathComponent("cache") }
    let now = Date()

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Publishes `tree` as `version` into `bundle/` and returns the bundle's files in bundle
    /// order (`root/…`, `index.json`, `tree/…`), as a pusher takes them.
    @discardableResult
    func publish(version: Int, tree: [(path: String, bytes: [UInt8])] = sampleTree()) throws -> [(path: String, bytes: [UInt8])] {
        _ = try BundleWriter.publish(files: tree, .init(source: "eole", keys: [PublisherKey.key], version: version,
                                                         expires: now.addingTimeInterval(30 * 86400), now: now, output: bundle))
        return try bundleFiles()
    }

    /// The files of `bundle/` in bundle order.
    func bundleFiles() throws -> [(path: String, bytes: [UInt8])] { try bundleFolderFiles(bundle) }

    /// Writes a docker `config.json` giving `registry` the basic credentials `user:password`.
    func authFile(registry: String, user: String, password: String, name: String = "config.json") throws -> String {
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        return try write(name, "{\"auths\": {\"\(registry)\": {\"auth\": \"\(auth)\"}}}")
    }

    /// Writes `text` to `name` in the folder; its path.
    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Options for a registry in these tests (the default timeouts are minutes long).
    func options(authFile: String? = nil) -> TransportOptions {
        var options = TransportOptions(connectTimeout: .seconds(5), requestTimeout: .seconds(30), readTimeout: .seconds(10))
        options.authFile = authFile
        return options
    }

    /// One run of the trust pipeline (``SourceFetcher``) on `url`, as the sync engine runs it,
    /// with the world's cache; `installed` is what the store would hold.
    func fetch(_ url: String, authFile: String? = nil, installed: InstalledSource? = nil) async -> SourceFetcher.Outcome {
        let config = SourceConfig(name: "eole", kind: CarrierAdapter.kind, url: url, authFile: authFile, priority: 100,
                                  signature: SignaturePolicy(mode: .required, keys: [PublisherKey.key.publicKey]), timeout: .seconds(30))
        let fetcher = SourceFetcher(cache: FetchCache(root: cache.path))
        return await fetcher.fetch(config, adapter: CarrierAdapter(config: config), installed: installed, floor: installed?.version,
                                   now: Date(), clockSkew: 300)
    }

    /// The same for a source that pins `pinned` (SPEC §5.1), the store trusting `stored`.
    func fetch(_ url: String, pinned: TrustedRoot, stored: TrustedRoot?, installed: InstalledSource? = nil) async -> SourceFetcher.FetchResult {
        let config = SourceConfig(name: "eole", kind: CarrierAdapter.kind, url: url, priority: 100,
                                  signature: SignaturePolicy(mode: .required, root: pinned), timeout: .seconds(30))
        let fetcher = SourceFetcher(cache: FetchCache(root: cache.path))
        return await fetcher.fetchWithRoots(config, adapter: CarrierAdapter(config: config), installed: installed, floor: installed?.version,
                                            storedRoot: stored, now: Date(), clockSkew: 300, outline: { nil })
    }
}

/// The adapter of these tests: a source read from its URL by ``Transports/make(for:options:)``.
struct CarrierAdapter: URLSourceAdapter {
    static let kind = "test-carrier"
    static let role = SourceRole.authority
    let config: SourceConfig

    init(config: SourceConfig) { self.config = config }
}

extension SourceFetcher.Outcome {
    /// What the store would hold after installing this snapshot.
    var installed: InstalledSource? {
        guard let verified = snapshot?.verified else { return nil }
        return InstalledSource(name: verified.index.source, version: verified.index.version, digest: verified.digest,
                               expires: verified.index.expires, installedAt: RFC3339.format(Date()))
    }
}
