import Foundation
import Testing
@testable import ZephirCore

/// A source adapter that hands the fetcher a transport the test built.
struct StaticAdapter: SourceAdapter {
    static let kind = "test-static"
    static let role = SourceRole.authority
    static let needsURL = false

    let make: @Sendable () throws(FetchError) -> any BundleTransport

    init(config: SourceConfig) throws(ConfigError) { make = { () throws(FetchError) in throw .unsupportedURL("(none)") } }
    init(_ transport: any BundleTransport) { make = { transport } }
    init(_ make: @escaping @Sendable () throws(FetchError) -> any BundleTransport) { self.make = make }

    func makeTransport() throws(FetchError) -> any BundleTransport { try make() }
}

/// Wraps a transport and records every request and how many bytes it returned.
final class RecordingTransport: BundleTransport, @unchecked Sendable {
    struct Request: Equatable { var path: String; var maxBytes: Int; var returned: Int }

    let inner: any BundleTransport
    private let lock = NSLock()
    private var log: [Request] = []

    init(_ inner: any BundleTransport) { self.inner = inner }

    var location: String { inner.location }

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return log }
    var paths: [String] { requests.map(\.path) }

    func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        do {
            let data = try await inner.fetch(relativePath, maxBytes: maxBytes)
            record(Request(path: relativePath, maxBytes: maxBytes, returned: data.count))
            return data
        } catch {
            record(Request(path: relativePath, maxBytes: maxBytes, returned: -1))
            throw error
        }
    }

    func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {
        try await inner.prepare(files: files, needed: needed)
    }

    func shutdown() async { await inner.shutdown() }

    private func record(_ request: Request) { lock.withLock { log.append(request) } }
}

/// A scratch folder for one scenario: `cache/` for the fetch cache, `bundle/` for bundles read
/// from disk, and nothing else; ``audit()`` checks that nothing was written outside the cache.
final class Scratch: @unchecked Sendable {
    let root: URL
    var cache: URL { root.appendingPathComponent("cache") }
    var bundle: URL { root.appendingPathComponent("bundle") }
    private var before: [String: String] = [:]

    init(_ name: String = "zm-trust") {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        try! FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Remembers every file outside the cache (call after setting up the bundle).
    func seal() { before = listing(excludingCache: true) }

    /// Checks that the files outside the cache are as sealed, and that every file in the cache
    /// is `XX/SHA256` holding bytes with that digest.
    func audit(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(listing(excludingCache: true) == before, "files outside the cache changed", sourceLocation: sourceLocation)
        for (path, _) in listing(excludingCache: false) where path.hasPrefix("cache/") {
            let parts = path.split(separator: "/")
            let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) ?? Data()
            let ok = parts.count == 3 && parts[2].count == 64 && parts[2].hasPrefix(parts[1]) && SHA256Digest.hex(data) == parts[2]
            #expect(ok, "unexpected cache entry \(path)", sourceLocation: sourceLocation)
        }
    }

    /// Cached files, by digest.
    var cachedDigests: Set<String> {
        Set(listing(excludingCache: false).keys.filter { $0.hasPrefix("cache/") }.map { String($0.split(separator: "/").last!) })
    }

    /// Relative path → digest of every regular file (symbolic links by their target).
    private func listing(excludingCache: Bool) -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return [:] }
        while let path = walker.nextObject() as? String {
            if excludingCache, path == "cache" || path.hasPrefix("cache/") { continue }
            let full = root.appendingPathComponent(path).path
            if let target = try? fm.destinationOfSymbolicLink(atPath: full) { result[path] = "-> " + target; continue }
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            result[path] = SHA256Digest.hex(fm.contents(atPath: full) ?? Data())
        }
        return result
    }
}

/// One run of the trust pipeline against a transport, as the sync engine runs it.
struct FetchRun {
    var source = "eole"
    var policy = SignaturePolicy.requiring()
    var installed: InstalledSource?
    var floor: Int?
    var now = Clock.now
    var clockSkew: TimeInterval = 300
    var limits = BundleReader.Limits()

    func run(_ transport: any BundleTransport, scratch: Scratch) async -> SourceFetcher.Outcome {
        let config = SourceConfig(name: source, kind: StaticAdapter.kind, priority: 100, signature: policy)
        let fetcher = SourceFetcher(cache: FetchCache(root: scratch.cache.path), limits: limits)
        return await fetcher.fetch(config, adapter: StaticAdapter(transport), installed: installed, floor: floor ?? installed?.version,
                                   now: now, clockSkew: clockSkew)
    }
}
