import EOLESource
import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// SPEC §5.2 mirrors, against real local HTTP servers: the highest version that verifies wins
/// whatever the order; a mirror that is down, stale, forged or dies in the middle of a file is
/// named for what it did, and the source is unavailable or rejected only when every mirror fails.
extension RealProcesses {
@Suite(.serialized) struct MirrorTests {
    /// Version 2, with a file large enough that a reset in its middle is a real partial body.
    static func bundle(version: Int = 2, signers: [PrivateKey] = [Keys.eole], amon: String = "souple") -> ForgedBundle {
        var bundle = ForgedBundle()
        bundle.version = version
        bundle.signers = signers
        bundle.tree = sampleTree(amonDefault: amon)
        bundle.tree[AttackTests.amon]! += Array(String(repeating: "# padding\n", count: 2_000).utf8)
        return bundle
    }

    /// Servers of one scenario, each serving its own folder.
    final class Servers: @unchecked Sendable {
        let scratch = Scratch("zm-mirrors")
        var running: [AnyObject] = []

        func serve(_ bundle: ForgedBundle) throws -> StaticHTTPServer {
            let folder = scratch.root.appendingPathComponent("served-\(UUID().uuidString)")
            try bundle.write(to: folder)
            let server = try StaticHTTPServer(serving: folder)
            running.append(server)
            return server
        }

        /// A server that serves `bundle`'s index but resets every tree file half-way.
        func dying(_ bundle: ForgedBundle) throws -> (MisbehavingServer, String) {
            let folder = scratch.root.appendingPathComponent("dying-\(UUID().uuidString)")
            try bundle.write(to: folder)
            let server = try MisbehavingServer(serving: folder)
            running.append(server)
            return (server, server.url(.reset, on: "tree"))
        }

        /// A URL where nothing listens.
        func down() throws -> String {
            let server = try MisbehavingServer(serving: scratch.bundle)
            server.stop()
            return "http://127.0.0.1:\(server.port)/ok~any/"
        }

        func fetch(_ urls: [String], installed: InstalledSource? = nil) async throws -> SourceFetcher.FetchResult {
            var config = SourceConfig(name: "eole", kind: EOLESourceAdapter.kind, urls: urls, priority: 100, signature: .requiring())
            config.timeout = .seconds(10)
            let adapter = try EOLESourceAdapter(config: config)
            let fetcher = SourceFetcher(cache: FetchCache(root: scratch.cache.path))
            // Each step is bounded by the 10 s timeouts; the rest is slack for a loaded two-core CI
            // machine (one run there took 20 times as long as on a quiet one).
            return try await Bounded.run("mirrors", seconds: 180) { [config] in
                await fetcher.fetchWithRoots(config, adapter: adapter, installed: installed, floor: installed?.version, storedRoot: nil, now: Clock.now,
                                             clockSkew: 300, outline: { nil })
            }
        }

        deinit {
            for server in running {
                (server as? StaticHTTPServer)?.stop()
                (server as? MisbehavingServer)?.stop()
            }
        }
    }

    /// The tree `bundle` holds, read from memory through the same pipeline.
    static func tree(_ bundle: ForgedBundle) async -> DatasourceTree? {
        if case .updated(let snapshot) = await FetchRun().run(MemoryTransport(name: "memory", files: bundle.served), scratch: Scratch()) { return snapshot.tree }
        return nil
    }

    /// Each mirror's status, version and reason. A refused connection is retried until the
    /// connect timeout, so a mirror that is down is `network` or `timeout`: both read `down`.
    static func statuses(_ result: SourceFetcher.FetchResult) -> [String] {
        result.mirrors.map { mirror in
            let reason = mirror.mirror.hasSuffix("/ok~any/") && ["network", "timeout"].contains(mirror.reason ?? "") ? "down" : mirror.reason
            return [mirror.status.rawValue, mirror.version.map(String.init), reason].compactMap { $0 }.joined(separator: " ")
        }
    }

    @Test func oneMirrorDownOneStaleOneForgedOneDyingMidFileAndTheGoodOneServesTheSource() async throws {
        let servers = Servers()
        let down = try servers.down()
        let stale = try servers.serve(Self.bundle(version: 1))
        let forged = try servers.serve(Self.bundle(version: 3, signers: [Keys.mallory], amon: "evil"))
        let (_, dying) = try servers.dying(Self.bundle())
        let good = try servers.serve(Self.bundle())
        let urls = [down, stale.base + "/", forged.base + "/", dying, good.base + "/"]

        let result = try await servers.fetch(urls)
        guard case .updated(let snapshot) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(snapshot.verified.index.version == 2)
        #expect(snapshot.tree == (await Self.tree(Self.bundle())), "the tree is the good mirror's")
        #expect(Self.statuses(result) == ["unavailable down", "stale 1", "rejected unknown-key", "unavailable 2 network", "served 2"],
                "\(result.mirrors)")
        #expect(result.mirrors.map(\.mirror) == urls)
        #expect(result.mirrors[3].detail?.contains("failed on a file") == true, "\(result.mirrors[3])")
        // The dying mirror was asked for one file; the good one took over and served every file.
        let goodTree = good.requests().filter { $0.hasPrefix("/tree/") }
        #expect(Set(goodTree).count == Self.bundle().tree.count, "\(goodTree)")
        // The stale and forged mirrors were asked for their index only.
        #expect(stale.requests() == ["/index.json"])
        #expect(forged.requests() == ["/index.json"])
    }

    @Test func aStaleMirrorFirstInTheListNeverKeepsTheInstanceBehind() async throws {
        let servers = Servers()
        let stale = try servers.serve(Self.bundle(version: 1))
        let good = try servers.serve(Self.bundle(version: 2))
        let result = try await servers.fetch([stale.base + "/", good.base + "/"])
        guard case .updated(let snapshot) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(snapshot.verified.index.version == 2)
        #expect(Self.statuses(result) == ["stale 1", "served 2"])
        #expect(stale.requests() == ["/index.json"], "files come from the mirror that serves the winning index")
    }

    @Test func aMirrorBehindWhatIsInstalledIsStaleNotARollbackWhenAnotherServesTheSource() async throws {
        let servers = Servers()
        let stale = try servers.serve(Self.bundle(version: 1))
        let good = try servers.serve(Self.bundle(version: 2))
        let result = try await servers.fetch([stale.base + "/", good.base + "/"], installed: Self.bundle().installed)
        guard case .unchanged = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(Self.statuses(result) == ["stale 1", "served 2"])
        // A no-change sync asks each mirror for its index and nothing else.
        #expect(stale.requests() == ["/index.json"])
        #expect(good.requests() == ["/index.json"])
    }

    @Test func everyMirrorBehindIsStillARollback() async throws {
        let servers = Servers()
        let stale = try servers.serve(Self.bundle(version: 1))
        let result = try await servers.fetch([stale.base + "/", try servers.down()], installed: Self.bundle().installed)
        guard case .rejected(.rollback) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(Self.statuses(result) == ["rejected rollback", "unavailable down"])
    }

    @Test func aForgedMirrorRejectsTheSourceOnlyWhenNoOtherServesIt() async throws {
        let servers = Servers()
        let forged = try servers.serve(Self.bundle(version: 3, signers: [Keys.mallory]))
        let result = try await servers.fetch([try servers.down(), forged.base + "/"])
        guard case .rejected(let error) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(error.reason == "unknown-key", "the forgery decides over the mirror that is down")
        #expect(Self.statuses(result) == ["unavailable down", "rejected unknown-key"])
    }

    @Test func theSourceIsUnavailableOnlyWhenEveryMirrorIs() async throws {
        let servers = Servers()
        let result = try await servers.fetch([try servers.down(), try servers.down()])
        guard case .unavailable(let error) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(["network", "timeout"].contains(error.reason))
        #expect(Self.statuses(result) == ["unavailable down", "unavailable down"])
    }

    @Test func twoMirrorsServingDifferentIndexesForOneVersionNameTheOddOneOut() async throws {
        let servers = Servers()
        let first = try servers.serve(Self.bundle(version: 2, amon: "souple"))
        let other = try servers.serve(Self.bundle(version: 2, amon: "strict"))
        let result = try await servers.fetch([first.base + "/", other.base + "/"])
        guard case .updated(let snapshot) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(snapshot.tree == (await Self.tree(Self.bundle(version: 2, amon: "souple"))))
        #expect(Self.statuses(result) == ["served 2", "rejected 2 equivocation"])
    }

    @Test func aMirrorServingATamperedFileIsRejectedAndTheNextServesTheFile() async throws {
        let servers = Servers()
        var tampered = Self.bundle()
        let served = tampered.served
        tampered.tree[AttackTests.amon]![10] ^= 1
        let folder = servers.scratch.root.appendingPathComponent("tampered")
        var files = served
        files["tree/" + AttackTests.amon] = Data(tampered.tree[AttackTests.amon]!)
        try tampered.write(to: folder, files: files)
        let bad = try StaticHTTPServer(serving: folder)
        servers.running.append(bad)
        let good = try servers.serve(Self.bundle())
        let result = try await servers.fetch([bad.base + "/", good.base + "/"])
        guard case .updated = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(Self.statuses(result) == ["rejected 2 digest-mismatch", "served 2"])
    }

    // MARK: - Mirror lists mixing carriers

    /// `bundle` as an archive in the scenario's folder, with `change` applied to its members
    /// (roots and index first, then the tree in index order); its path.
    static func archive(_ bundle: ForgedBundle, in servers: Servers, change: (inout [(path: String, bytes: [UInt8])]) -> Void = { _ in }) throws -> String {
        var members = bundle.ordered
        change(&members)
        let url = servers.scratch.root.appendingPathComponent("mirror-\(UUID().uuidString).tar.gz")
        try ArchiveWriter.write(members, to: url, gzip: true)
        return url.path
    }

    /// An archive beside a web mirror: a member failing its digest makes the archive `rejected`
    /// while the web mirror serves the file; the other way round, the archive serves the source
    /// when the web mirror is down.
    @Test func anArchiveMirrorIsOneMirrorAmongOthers() async throws {
        let servers = Servers()
        let tampered = try Self.archive(Self.bundle(), in: servers) { members in
            let index = members.firstIndex { $0.path == "tree/" + AttackTests.amon }!
            members[index].bytes[10] ^= 1
        }
        let good = try servers.serve(Self.bundle())
        let result = try await servers.fetch([tampered, good.base + "/"])
        guard case .updated(let snapshot) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(snapshot.tree == (await Self.tree(Self.bundle())))
        #expect(Self.statuses(result) == ["rejected 2 digest-mismatch", "served 2"], "\(result.mirrors)")
        #expect(good.requests().contains("/tree/" + AttackTests.amon), "the web mirror served the file the archive failed")

        let offline = try await servers.fetch([try servers.down(), try Self.archive(Self.bundle(version: 3), in: servers)])
        guard case .updated(let fromArchive) = offline.outcome else { Issue.record("\(offline.outcome.summary)"); return }
        #expect(fromArchive.verified.index.version == 3)
        #expect(Self.statuses(offline) == ["unavailable down", "served 3"], "\(offline.mirrors)")
    }

    /// A registry beside a web mirror: a blob whose stored bytes were altered makes the registry
    /// `rejected` while the web mirror serves that file; with the web mirror down, the registry
    /// serves the source.
    @Test func aRegistryMirrorIsOneMirrorAmongOthers() async throws {
        let servers = Servers()
        let registry = try Registry()
        defer { registry.stop() }
        let bundle = Self.bundle()
        let reference = try OCIReference(registry.url())
        _ = try await OCIPusher.push(bundle.ordered, to: reference, options: TransportOptions(connectTimeout: .seconds(5), requestTimeout: .seconds(30)))

        let offline = try await servers.fetch([try servers.down(), registry.url()])
        guard case .updated(let fromRegistry) = offline.outcome else { Issue.record("\(offline.outcome.summary)"); return }
        #expect(fromRegistry.tree == (await Self.tree(bundle)))
        #expect(Self.statuses(offline) == ["unavailable down", "served 2"], "\(offline.mirrors)")

        let amon = try #require(bundle.index.files.first { $0.path == AttackTests.amon })
        let stored = registry.blobData("sha256:" + amon.sha256)
        var bytes = try Data(contentsOf: stored)
        bytes[10] ^= 1
        try bytes.write(to: stored)
        let good = try servers.serve(bundle)
        // Another scenario's empty cache, so that the altered blob is fetched.
        let result = try await Servers().fetch([registry.url(), good.base + "/"])
        guard case .updated = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(Self.statuses(result) == ["rejected 2 digest-mismatch", "served 2"], "\(result.mirrors)")
        #expect(good.requests().contains("/tree/" + AttackTests.amon), "the web mirror served the file the registry altered")
    }

    /// An archive whose index is older than a web mirror's is `stale`; the web mirror serves.
    @Test func anArchiveMirrorBehindTheOthersIsStale() async throws {
        let servers = Servers()
        let stale = try Self.archive(Self.bundle(version: 1), in: servers)
        let good = try servers.serve(Self.bundle())
        let result = try await servers.fetch([stale, good.base + "/"])
        guard case .updated(let snapshot) = result.outcome else { Issue.record("\(result.outcome.summary)"); return }
        #expect(snapshot.verified.index.version == 2)
        #expect(Self.statuses(result) == ["stale 1", "served 2"], "\(result.mirrors)")
    }
}
}
