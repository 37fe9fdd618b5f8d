import Foundation
import GRDB
import SQLiteStore
import Testing
@testable import ZephirCore

/// Streaming runs (outlined layers, a spill, layer outlines kept between runs) write exactly
/// what runs with whole layers in memory write: the same scenario is synced into two SQLite
/// databases, one by a streaming ``SyncEngine`` and one by a whole-layer one.
@Suite struct OutlinedSyncTests {
    static let release = "2.7.1"

    /// An authority and an add-on read from `file:` bundles.
    struct Authority: URLSourceAdapter {
        static let kind = "test-authority"
        static let role = SourceRole.authority
        let config: SourceConfig
        init(config: SourceConfig) throws(ConfigError) { self.config = config }
    }

    struct Addon: URLSourceAdapter {
        static let kind = "test-addon"
        static let role = SourceRole.addon
        let config: SourceConfig
        init(config: SourceConfig) throws(ConfigError) { self.config = config }
    }

    static let registry = SourceRegistry([Authority.self, Addon.self])

    /// A workspace: bundles, a cache per database, the two databases.
    final class World: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zm-outlined-\(UUID().uuidString)")
        let key = PrivateKey()
        let streaming: SQLiteStore
        let plain: SQLiteStore
        var priorities = ["eole": 100, "acme": 50]
        var scopes = ["eole": ["*"], "acme": ["2.7.*/acme-*", "2.7.*/amon", "2.7.*/scribe"]]
        var versions = ["eole": 0, "acme": 0]
        let now = Date()

        init() throws {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            streaming = try SQLiteStore(path: root.appendingPathComponent("streaming.db").path)
            plain = try SQLiteStore(path: root.appendingPathComponent("plain.db").path)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func publish(_ source: String, _ files: [String: String]) throws {
            versions[source, default: 0] += 1
            _ = try BundleWriter.publish(
                files: files.sorted { $0.key < $1.key }.map { (path: $0.key, bytes: Array($0.value.utf8)) },
                .init(source: source, keys: [key], version: versions[source]!, expires: now.addingTimeInterval(86400), now: now,
                      output: root.appendingPathComponent("bundles/\(source)")))
        }

        func config(cache: String) -> Config {
            let sources = ["eole", "acme"].map { name in
                SourceConfig(name: name, kind: name == "eole" ? Authority.kind : Addon.kind, url: "file:" + root.appendingPathComponent("bundles/\(name)").path,
                             priority: priorities[name]!, signature: SignaturePolicy(mode: .required, keys: [key.publicKey]),
                             scope: scopes[name]!.map { ScopeGlob($0)! })
            }
            return Config(file: "test", database: "sqlite:x", cache: root.appendingPathComponent(cache).path, sources: sources)
        }

        /// Syncs both databases; returns both reports.
        func sync(_ only: [String] = []) async throws -> (SyncReport, SyncReport) {
            let a = try await SyncEngine(config: config(cache: "cache-streaming"), registry: OutlinedSyncTests.registry, store: streaming)
                .run(.init(sources: only, now: now))
            let b = try await SyncEngine(config: config(cache: "cache-plain"), registry: OutlinedSyncTests.registry, store: plain, streaming: false)
                .run(.init(sources: only, now: now))
            return (a, b)
        }

        /// Checks that both databases hold the same, and that both reports say the same.
        func expectSame(_ reports: (SyncReport, SyncReport), _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(reports.0.status == reports.1.status, "\(step)", sourceLocation: sourceLocation)
            #expect(reports.0.changes == reports.1.changes, "\(step)", sourceLocation: sourceLocation)
            #expect(reports.0.conflicts == reports.1.conflicts, "\(step)", sourceLocation: sourceLocation)
            let a = try await Contents(streaming), b = try await Contents(plain)
            #expect(a == b, "\(step)", sourceLocation: sourceLocation)
        }
    }

    /// What a database holds, without times and ids.
    struct Contents: Equatable {
        var current: [String]
        var roots: [ModelKey: Resolved<ServerModel>]
        var summaries: [ModelSummary]
        var installed: [String: Int]
        var conflicts: [String]
        var files: [String: [String]]

        init(_ store: SQLiteStore) async throws {
            let state = try await store.currentState()
            current = state.versions.map { "v \($0)=\($1)" }.sorted() + state.releases.map { "r \($0)=\($1)" }.sorted()
                + state.services.map { "s \($0)=\($1)" }.sorted() + state.models.map { "m \($0)=\($1)" }.sorted()
            roots = try await store.rootModels(release: OutlinedSyncTests.release)
            summaries = try await store.listModels(release: nil, origin: nil).sorted { ($0.release, $0.name) < ($1.release, $1.name) }
            installed = try await store.installedSources().mapValues(\.version)
            conflicts = try await store.conflicts(all: false).map { "\($0.conflict.kind) \($0.conflict.severity) \($0.conflict.subject) \($0.conflict.detail) \($0.conflict.fields)" }.sorted()
            var files: [String: [String]] = [:]
            for source in installed.keys { files[source] = try await store.layerFiles(source: source)?.map { "\($0.path) \($0.sha256) \($0.bytes.count)" } }
            self.files = files
        }
    }

    static func model(_ name: String, parent: String? = nil, services: [String] = ["web"], description: String = "", variables: [String]) -> String {
        var text = "name: \(name)\ndescription: \"\(description)\"\n"
        if let parent { text += "parent: \(parent)\n" }
        text += "services: [\(services.joined(separator: ", "))]\nvariables:\n"
        for variable in variables { text += "  \(variable)\n" }
        return text
    }

    static func eole(amonPort: Int = 8080, withScribe: Bool = true, extra: Bool = false) -> [String: String] {
        var files = [
            "versions/2.7.yml": "name: \"2.7\"\nlabel: EOLE 2.7\n",
            "releases/2.7.1/release.yml": "name: 2.7.1\nversion: \"2.7\"\nstatus: stable\ndate: 2025-01-31\n",
            "releases/2.7.1/applicationservices/web.yml": "name: web\npackages: [apache2]\n",
            "releases/2.7.1/servermodels/eolebase.yml": model("eolebase", variables: ["nom_machine: {type: string, default: eole}",
                                                                                      "ip_eth0: {type: ip, default: 192.168.0.1, mandatory: true}"]),
            "releases/2.7.1/servermodels/amon.yml": model("amon", parent: "eolebase", variables: [
                "port_http: {type: port, default: \(amonPort)}", "mode: {type: choice, choices: [strict, \"a/b\"], default: strict}"]),
        ]
        if withScribe {
            files["releases/2.7.1/servermodels/scribe.yml"] = model("scribe", parent: "eolebase", description: "Scribe",
                                                                    variables: ["quota: {type: integer, default: 100}"])
        }
        if extra {
            files["releases/2.7.1/servermodels/horus.yml"] = model("horus", parent: "amon", variables: ["domaine: {type: domain, default: ac-dijon.fr}"])
        }
        return files
    }

    static func acme(fwDefault: String = "on") -> [String: String] {
        [
            // Shadowed by eole's amon, then winning when acme's priority rises: the same outline, other variables.
            "releases/2.7.1/servermodels/amon.yml": model("amon", parent: "eolebase", variables: ["port_http: {type: port, default: 81}"]),
            // The same content as eole's: an identical shadow (info).
            "releases/2.7.1/servermodels/scribe.yml": model("scribe", parent: "eolebase", description: "Scribe",
                                                            variables: ["quota: {type: integer, default: 100}"]),
            "releases/2.7.1/servermodels/acme-fw.yml": model("acme-fw", parent: "amon", variables: ["fw: {type: string, default: \(fwDefault)}"]),
        ]
    }

    @Test func outlinedRunsWriteWhatWholeRunsWrite() async throws {
        let world = try World()
        try world.publish("eole", Self.eole())
        try world.publish("acme", Self.acme())
        try await world.expectSame(try await world.sync(), "first sync")

        // A local child of acme-fw, overriding variables of two of its root ancestors.
        let roots = try await world.streaming.rootModels(release: Self.release)
        let digest = try #require(ModelInheritance.rootChainDigest(of: ModelKey(release: Self.release, name: "acme-fw"), in: roots))
        let child = LocalModel(release: Self.release, name: "site-fw", parent: "acme-fw", overrides: [.init(name: "port_http", value: "8080"), .init(name: "nom_machine", value: "eole")],
                               parentDigest: digest, createdAt: "2026-01-01T00:00:00Z")
        try await world.streaming.createLocalModel(child)
        try await world.plain.createLocalModel(child)
        try await world.expectSame(try await world.sync(), "a local child")

        // A new version: one model changed (the child's ancestor), one added, one removed.
        try world.publish("eole", Self.eole(amonPort: 8443, withScribe: false, extra: true))
        try await world.expectSame(try await world.sync(), "eole version 2")

        // Priorities swap: nothing fetched, winners change, so models are written that this run did not decode.
        world.priorities = ["eole": 50, "acme": 100]
        try await world.expectSame(try await world.sync(), "priorities swapped")

        // Back again with an empty cache: the content comes from the database.
        try FileManager.default.removeItem(at: world.root.appendingPathComponent("cache-streaming"))
        try FileManager.default.removeItem(at: world.root.appendingPathComponent("cache-plain"))
        world.priorities = ["eole": 100, "acme": 50]
        try await world.expectSame(try await world.sync(), "priorities back, no cache")

        // Only acme fetched, eole resolved from its kept outline.
        try world.publish("acme", Self.acme(fwDefault: "off"))
        try world.publish("eole", Self.eole(amonPort: 1, withScribe: true, extra: true))
        try await world.expectSame(try await world.sync(["acme"]), "only acme")
        try await world.expectSame(try await world.sync(), "both again")
        try await world.expectSame(try await world.sync(), "unchanged")
    }

    @Test func anUnreadableOutlineIsReadAroundAndSaidSo() async throws {
        let world = try World()
        try world.publish("eole", Self.eole())
        try world.publish("acme", Self.acme())
        try await world.expectSame(try await world.sync(), "first sync")
        // Damage the kept outlines: a new eole version and a resolution of acme need them.
        try await DatabaseQueue(path: world.root.appendingPathComponent("streaming.db").path).write { db in
            try db.execute(sql: "UPDATE layer_outline SET outline = x'0102'")
        }
        try world.publish("eole", Self.eole(amonPort: 8443))
        let reports = try await world.sync()
        try await world.expectSame(reports, "outlines unreadable")
        #expect(reports.0.notes.count == 2, "\(reports.0.notes)")
        #expect(reports.0.notes.contains { $0.hasPrefix("source 'eole'") && $0.contains("every file of the new version was read") })
        #expect(reports.0.notes.contains { $0.hasPrefix("source 'acme'") && $0.contains("read in full instead") })
    }

    @Test func aNewVersionDecodesOnlyTheFilesThatChanged() async throws {
        let world = try World()
        try world.publish("eole", Self.eole())
        try world.publish("acme", Self.acme())
        _ = try await world.sync()
        let outline = try #require(try await world.streaming.layerOutline(source: "eole"))
        #expect(outline.digest == (try await world.streaming.installedSources())["eole"]?.digest)

        try world.publish("eole", Self.eole(amonPort: 8443))
        let cache = FetchCache(root: world.root.appendingPathComponent("cache-streaming").path)
        let source = world.config(cache: "unused").sources[0]
        let outcome = await SourceFetcher(cache: cache, outlining: true)
            .fetch(source, adapter: try Authority(config: source), installed: (try await world.streaming.installedSources())["eole"], floor: nil,
                   now: world.now, clockSkew: 0, previous: outline)
        guard case .updated(let snapshot) = outcome, let content = snapshot.content else { Issue.record("\(outcome)"); return }
        #expect(snapshot.files.isEmpty)
        #expect(content.outline.entries.map(\.file.path).filter(content.wasFetched) == ["releases/2.7.1/servermodels/amon.yml"])
        #expect(snapshot.tree.releases[Self.release]?.models.values.allSatisfy(\.variables.isEmpty) == true)
        let amon = try #require(try content.model(at: "releases/2.7.1/servermodels/amon.yml"))
        #expect(amon.variables.first?.defaultValue == "8443")
    }
}
