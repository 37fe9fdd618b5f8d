import EOLESource
import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// ARCHITECTURE "Carriers": a folder, an HTTP server, mirrors, an archive and an OCI registry are
/// all "a place that serves `index.json`, `root/N.json` and files", and each passes the same
/// cases here — through the real URL dispatch (``Transports/make(for:options:)``) and the real
/// pipeline — so that the carrier never changes what is trusted.
extension RealProcesses {
@Suite(.serialized) struct CarrierContractTests {
    static let carriers: [CarrierKind] = CarrierKind.allCases

    /// Version 1, and version 2 that changes one file (amon's default).
    static let v1: ForgedBundle = {
        var bundle = ForgedBundle()
        bundle.version = 1
        return bundle
    }()
    static let v2: ForgedBundle = {
        var bundle = ForgedBundle()
        bundle.version = 2
        bundle.tree = sampleTree(amonDefault: "strict")
        return bundle
    }()

    /// The tree `bundle` holds, read from memory through the same pipeline.
    static func tree(_ bundle: ForgedBundle) async -> DatasourceTree? {
        if case .updated(let snapshot) = await FetchRun().run(MemoryTransport(name: "memory", files: bundle.served), scratch: Scratch()) { return snapshot.tree }
        return nil
    }

    /// One fetch through the carrier's URLs, each mirror's transport recorded.
    static func fetch(_ urls: [String], scratch: Scratch, installed: InstalledSource? = nil, timeout: Duration = .seconds(20))
        async throws -> (result: SourceFetcher.FetchResult, recorded: [RecordingTransport]) {
        var config = SourceConfig(name: "eole", kind: RecordingAdapter.kind, urls: urls, priority: 100, signature: .requiring())
        config.timeout = timeout
        let adapter = RecordingAdapter(config: config, options: {
            var options = config.transportOptions
            options.connectTimeout = min(options.connectTimeout, timeout)
            options.readTimeout = min(options.readTimeout, timeout)
            return options
        }())
        let fetcher = SourceFetcher(cache: FetchCache(root: scratch.cache.path))
        let result = try await Bounded.run("carrier fetch", seconds: 90) { [config] in
            await fetcher.fetchWithRoots(config, adapter: adapter, installed: installed, floor: installed?.version, storedRoot: nil, now: Clock.now,
                                         clockSkew: 300, outline: { nil })
        }
        return (result, adapter.recorded)
    }

    /// Writes `bundle` into a folder (as `publish` does), lets `alter` damage it, and carries it.
    static func carry(_ bundle: ForgedBundle, on carrier: any Carrier, alter: (URL) throws -> Void = { _ in }) async throws -> [String] {
        let folder = carrier.workspace.root.appendingPathComponent("published-\(UUID().uuidString)")
        try bundle.write(to: folder)
        try alter(folder)
        return try await carrier.carry(folder)
    }

    static func observed(_ outcome: SourceFetcher.Outcome) -> String {
        switch outcome {
        case .updated(let snapshot): return "updated \(snapshot.verified.index.version)"
        case .unchanged(let verified): return "unchanged \(verified.index.version)"
        case .rejected(let error): return "rejected \(error.reason)"
        case .unavailable(let error): return "unavailable \(error.reason)"
        }
    }

    static let amon = "tree/" + AttackTests.amon

    @Test(arguments: carriers)
    func aGoodBundleIsInstalledWithTheTreeItHolds(_ kind: CarrierKind) async throws {
        let scratch = Scratch("zm-carrier")
        let carrier = try kind.make()
        defer { carrier.stop() }
        let urls = try await Self.carry(Self.v1, on: carrier)
        scratch.seal()
        let (result, _) = try await Self.fetch(urls, scratch: scratch)
        #expect(Self.observed(result.outcome) == "updated 1")
        if case .updated(let snapshot) = result.outcome { #expect(snapshot.tree == (await Self.tree(Self.v1))) }
        #expect(result.mirrors.allSatisfy { $0.status == .served }, "\(result.mirrors)")
        scratch.audit()
    }

    @Test(arguments: carriers)
    func aNoChangeSyncFetchesOnlyTheIndexOfEachMirror(_ kind: CarrierKind) async throws {
        try await Self.afterVersion1(on: kind) { carrier, urls, scratch in
            await carrier.resetRequests()
            let (result, recorded) = try await Self.fetch(urls, scratch: scratch, installed: Self.v1.installed)
            #expect(Self.observed(result.outcome) == "unchanged 1")
            #expect(recorded.map(\.paths) == urls.map { _ in ["index.json"] }, "what the pipeline asked each mirror for")
            if let seen = await carrier.requests() {
                #expect(seen == urls.map { _ in 1 }, "\(kind): requests each mirror's server saw for a no-change sync")
            }
        }
    }

    @Test(arguments: carriers)
    func oneChangedFileIsTheOnlyFileFetched(_ kind: CarrierKind) async throws {
        try await Self.afterVersion1(on: kind) { carrier, urls, scratch in
            _ = try await Self.carry(Self.v2, on: carrier)
            let (result, recorded) = try await Self.fetch(urls, scratch: scratch, installed: Self.v1.installed)
            #expect(Self.observed(result.outcome) == "updated 2")
            if case .updated(let snapshot) = result.outcome {
                #expect(snapshot.filesFetched == 1)
                #expect(snapshot.tree == (await Self.tree(Self.v2)))
            }
            #expect(recorded.flatMap(\.paths).filter { $0.hasPrefix("tree/") } == [Self.amon])
        }
    }

    /// Carries version 1, fetches it once into the scratch cache, then runs `next` with the
    /// carrier still up.
    static func afterVersion1(on kind: CarrierKind, _ next: (any Carrier, [String], Scratch) async throws -> Void) async throws {
        let scratch = Scratch("zm-carrier")
        let carrier = try kind.make()
        defer { carrier.stop() }
        let urls = try await carry(v1, on: carrier)
        #expect(observed(try await fetch(urls, scratch: scratch).result.outcome) == "updated 1")
        try await next(carrier, urls, scratch)
    }

    /// Carries version 1 damaged by `alter` (amon's file in hand), fetches it once into an
    /// empty cache, and checks that nothing but the cache was written.
    static func damaged(_ kind: CarrierKind, _ alter: @escaping (URL) throws -> Void) async throws -> String {
        let scratch = Scratch("zm-carrier")
        let carrier = try kind.make()
        defer { carrier.stop() }
        let urls = try await carry(v1, on: carrier) { folder in try alter(folder.appendingPathComponent(amon)) }
        scratch.seal()
        let (result, _) = try await fetch(urls, scratch: scratch)
        scratch.audit()
        return observed(result.outcome)
    }

    @Test(arguments: carriers)
    func aTamperedFileRejectsTheSource(_ kind: CarrierKind) async throws {
        let outcome = try await Self.damaged(kind) { file in
            var bytes = try Data(contentsOf: file)
            bytes[bytes.startIndex + 5] ^= 0x20
            try bytes.write(to: file)
        }
        #expect(outcome == "rejected digest-mismatch")
    }

    @Test(arguments: carriers)
    func aFileLongerThanItsIndexSaysRejectsTheSource(_ kind: CarrierKind) async throws {
        let outcome = try await Self.damaged(kind) { file in
            try (try Data(contentsOf: file) + Data(String(repeating: "# more\n", count: 100).utf8)).write(to: file)
        }
        #expect(outcome == "rejected size-mismatch")
    }

    @Test(arguments: carriers)
    func aMissingFileLeavesTheSourceUnavailable(_ kind: CarrierKind) async throws {
        let outcome = try await Self.damaged(kind) { file in try FileManager.default.removeItem(at: file) }
        #expect(outcome == "unavailable not-found")
    }

    @Test(arguments: carriers.filter(\.isNetwork))
    func aCarrierThatNeverAnswersTimesOut(_ kind: CarrierKind) async throws {
        let scratch = Scratch("zm-carrier")
        let silent = try SilentServer(in: scratch.root)
        defer { silent.stop() }
        let start = ContinuousClock.now
        let (result, _) = try await Self.fetch(kind.silentURLs(silent), scratch: scratch, timeout: .seconds(2))
        #expect(Self.observed(result.outcome) == "unavailable timeout")
        #expect(ContinuousClock.now - start < .seconds(30), "\(kind) took \(ContinuousClock.now - start)")
    }
}
}

/// A source adapter that reads the configured URLs through the real dispatch and records what
/// each mirror's transport is asked for.
final class RecordingAdapter: SourceAdapter, @unchecked Sendable {
    static let kind = "test-recording"
    static let role = SourceRole.authority
    static let needsURL = true

    let config: SourceConfig
    let options: TransportOptions
    private let lock = NSLock()
    private var transports: [RecordingTransport] = []

    init(config: SourceConfig) throws(ConfigError) {
        self.config = config
        options = config.transportOptions
    }

    init(config: SourceConfig, options: TransportOptions) {
        self.config = config
        self.options = options
    }

    /// The transports made, in the configured order of their mirrors.
    var recorded: [RecordingTransport] { lock.withLock { transports } }

    func makeTransport() throws(FetchError) -> any BundleTransport { throw .unsupportedURL("use makeTransports") }

    func makeTransports() -> [SourceMirror] {
        config.urls.map { url in
            SourceMirror(name: url, transport: Result { () throws(FetchError) in
                let transport = RecordingTransport(try Transports.make(for: url, options: options))
                lock.withLock { transports.append(transport) }
                return transport
            })
        }
    }
}

/// How a test carries a bundle folder to the client.
protocol Carrier: AnyObject, Sendable {
    /// Where the carrier keeps what it serves, apart from the client's scratch folder.
    var workspace: Scratch { get }
    /// Makes the bundle folder `folder` (`index.json`, `tree/…`) available, replacing what was
    /// carried before; returns the source's URLs (several for mirrors).
    func carry(_ folder: URL) async throws -> [String]
    /// How many requests each mirror's server saw since ``resetRequests()``; `nil` without a server.
    func requests() async -> [Int]?
    func resetRequests() async
    func stop()
}

/// The carriers of SPEC §5.2.
enum CarrierKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case directory, http, mirrors, archive, archiveOverHTTP = "archive-over-http", oci

    var testDescription: String { rawValue }
    var isNetwork: Bool { self != .directory && self != .archive }

    func make() throws -> any Carrier {
        switch self {
        case .directory: return DirectoryCarrier()
        case .http: return try HTTPCarrier(mirrors: 1)
        case .mirrors: return try HTTPCarrier(mirrors: 2)
        case .archive: return ArchiveCarrier()
        case .archiveOverHTTP: return try ArchiveCarrier(overHTTP: true)
        case .oci: return try OCICarrier()
        }
    }

    /// URLs of this carrier's kind at a server that never answers.
    func silentURLs(_ silent: SilentServer) -> [String] {
        switch self {
        case .directory, .archive: return []
        case .archiveOverHTTP: return ["http://\(silent.address)/eole.tar.gz"]
        case .http: return ["http://\(silent.address)/eole/"]
        case .mirrors: return ["http://\(silent.address)/a/eole/", "http://\(silent.address)/b/eole/"]
        case .oci: return ["oci+http://\(silent.address)/zm/eole:latest"]
        }
    }
}

/// Replaces `target` with a copy of `folder`.
func replace(_ target: URL, with folder: URL) throws {
    try? FileManager.default.removeItem(at: target)
    try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: folder, to: target)
}

final class DirectoryCarrier: Carrier, @unchecked Sendable {
    let workspace = Scratch("zm-carrier-directory")
    let target: URL
    init() { target = workspace.root.appendingPathComponent("carried/eole") }
    func carry(_ folder: URL) async throws -> [String] {
        try replace(target, with: folder)
        return ["file:" + target.path]
    }
    func requests() async -> [Int]? { nil }
    func resetRequests() async {}
    func stop() {}
}

/// One static web server per mirror, each serving its own copy (as mirrors kept with rsync).
final class HTTPCarrier: Carrier, @unchecked Sendable {
    let workspace = Scratch("zm-carrier-http")
    let roots: [URL]
    let servers: [StaticHTTPServer]
    private var seen: [Int]

    init(mirrors: Int) throws {
        roots = (0..<mirrors).map { [workspace] in workspace.root.appendingPathComponent("www-\($0)") }
        for root in roots { try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true) }
        servers = try roots.map { try StaticHTTPServer(serving: $0) }
        seen = servers.map { _ in 0 }
    }

    func carry(_ folder: URL) async throws -> [String] {
        for root in roots { try replace(root.appendingPathComponent("eole"), with: folder) }
        return servers.map { $0.base + "/eole/" }
    }

    func requests() async -> [Int]? { zip(servers, seen).map { $0.requests().count - $1 } }
    func resetRequests() async { seen = servers.map { $0.requests().count } }
    func stop() { servers.forEach { $0.stop() } }
}

/// Debian's registry (the CNCF distribution registry) on 127.0.0.1, the bundle pushed as an OCI artifact.
final class OCICarrier: Carrier, @unchecked Sendable {
    let workspace = Scratch("zm-carrier-oci")
    let registry: Registry
    private var mark = 0

    init() throws { registry = try Registry() }

    func carry(_ folder: URL) async throws -> [String] {
        let url = registry.url()
        _ = try await OCIPusher.push(try bundleFolderFiles(folder), to: try OCIReference(url), options: TransportOptions())
        return [url]
    }

    func requests() async -> [Int]? { [await registry.requests(since: mark).count] }
    func resetRequests() async { mark = await registry.mark() }
    func stop() { registry.stop() }
}

/// The bundle as one `.tar.gz` (``ArchiveWriter``), read from disk or from a static web server.
final class ArchiveCarrier: Carrier, @unchecked Sendable {
    let workspace = Scratch("zm-carrier-archive")
    let server: StaticHTTPServer?
    private var seen = 0
    var file: URL { workspace.root.appendingPathComponent("www/eole.tar.gz") }

    init(overHTTP: Bool = false) throws {
        try FileManager.default.createDirectory(at: workspace.root.appendingPathComponent("www"), withIntermediateDirectories: true)
        server = overHTTP ? try StaticHTTPServer(serving: workspace.root.appendingPathComponent("www")) : nil
    }

    convenience init() { try! self.init(overHTTP: false) }

    func carry(_ folder: URL) async throws -> [String] {
        try ArchiveWriter.write(try bundleFolderFiles(folder), to: file, gzip: true)   // what the folder holds, damaged or not
        return [server.map { $0.base + "/eole.tar.gz" } ?? file.path]
    }

    func requests() async -> [Int]? { server.map { [$0.requests().count - seen] } }
    func resetRequests() async { seen = server?.requests().count ?? 0 }
    func stop() { server?.stop() }
}
