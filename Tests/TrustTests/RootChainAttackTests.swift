import EOLESource
import Foundation
import SQLiteStore
import Testing
@testable import ZephirCore

/// TUF's root-role threats against a source with a pinned root (SPEC §5.1), each through a
/// whole sync on SQLite: rejected with its named reason, and the database left as it was
/// (trusted root, installed layer, version floor, models).
@Suite struct RootChainAttackTests {
    /// A publisher (root keys A and B with threshold 2, index key 1) and an instance that
    /// pinned its root 1 and synced version 1.
    final class World: @unchecked Sendable {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zm-roots-\(UUID().uuidString)")
        var bundle: URL { folder.appendingPathComponent("bundle") }
        let rootA = PrivateKey(), rootB = PrivateKey(), rootC = PrivateKey()
        let index1 = PrivateKey(), index2 = PrivateKey()
        let store: SQLiteStore
        let now = Date()

        init() async throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            store = try SQLiteStore(path: folder.appendingPathComponent("state.db").path)
            try writeRoot(1, rootKeys: [rootA, rootB], index: [index1], signers: [rootA, rootB])
            try FileManager.default.copyItem(at: bundle.appendingPathComponent("root/1.json"), to: folder.appendingPathComponent("eole.root.json"))
            try publish(version: 1, key: index1)
            let first = try await sync()
            #expect(first.sources.map(\.result) == [.updated], "\(first.sources)")
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        /// A root document, signed by `signers` (each once unless listed twice).
        func rootBytes(_ version: Int, source: String = "eole", rootKeys: [PrivateKey], threshold: Int? = nil, index: [PrivateKey],
                       expires: Date? = nil, signers: [PrivateKey]) throws -> Data {
            let document = RootDocument(source: source, version: version, expires: expires ?? now.addingTimeInterval(365 * 86400),
                                        root: RootDocument.Role(keys: rootKeys.map(\.publicKey), threshold: threshold ?? rootKeys.count),
                                        index: RootDocument.Role(keys: index.map(\.publicKey), threshold: 1))
            return try Envelope.sign(payload: document.encoded(), payloadType: Envelope.rootPayloadType, keys: signers).encoded()
        }

        func writeRoot(_ version: Int, source: String = "eole", rootKeys: [PrivateKey], threshold: Int? = nil, index: [PrivateKey], expires: Date? = nil,
                       signers: [PrivateKey]) throws {
            try place(RootChain.path(version), try rootBytes(version, source: source, rootKeys: rootKeys, threshold: threshold, index: index,
                                                             expires: expires, signers: signers))
        }

        func place(_ path: String, _ bytes: Data) throws {
            let url = bundle.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: url)
        }

        /// Publishes a small tree at `version`, signed by `key` (whatever the roots say: an attacker's index too).
        func publish(version: Int, key: PrivateKey) throws {
            let files: [(path: String, bytes: [UInt8])] = [
                ("releases/2.7.1/release.yml", Array("name: 2.7.1\nversion: \"2.7\"\nstatus: stable\ndate: \"2025-02-12\"\n".utf8)),
                ("releases/2.7.1/servermodels/eolebase.yml", Array("name: eolebase\ndescription: Module de base v\(version)\nservices: []\nvariables: {}\n".utf8)),
                ("versions/2.7.yml", Array("name: \"2.7\"\nlabel: EOLE 2.7\n".utf8)),
            ]
            let staging = folder.appendingPathComponent("publish-\(UUID().uuidString)")
            _ = try BundleWriter.publish(files: files, .init(source: "eole", keys: [key], version: version, expires: now.addingTimeInterval(90 * 86400),
                                                              now: now, output: staging))
            try? FileManager.default.removeItem(at: bundle.appendingPathComponent("index.json"))
            try? FileManager.default.removeItem(at: bundle.appendingPathComponent("tree"))
            try FileManager.default.copyItem(at: staging.appendingPathComponent("index.json"), to: bundle.appendingPathComponent("index.json"))
            try FileManager.default.copyItem(at: staging.appendingPathComponent("tree"), to: bundle.appendingPathComponent("tree"))
        }

        func config() throws -> Config {
            let text = """
                database: sqlite:state.db
                cache: \(folder.appendingPathComponent("cache").path)
                sources:
                  - name: eole
                    kind: eole
                    url: file:bundle
                    priority: 100
                    signature: {policy: required, root: eole.root.json}
                """
            let path = folder.appendingPathComponent("config.yml")
            try Data(text.utf8).write(to: path)
            return try ConfigLoader(registry: RootChainAttackTests.registry).load(path: path.path)
        }

        func sync(at time: Date? = nil) async throws -> SyncReport {
            try await SyncEngine(config: try config(), registry: RootChainAttackTests.registry, store: store).run(.init(now: time ?? now))
        }

        /// What an attack must leave unchanged.
        struct State: Equatable {
            var rootVersion: Int?
            var rootEnvelope: Data?
            var installed: InstalledSource?
            var floor: Int?
            var models: [String]
        }

        func state() async throws -> State {
            let root = try await store.trustedRoots()["eole"]
            let models = try await store.listModels(release: nil, origin: nil).map { "\($0.release)/\($0.name) v\($0.sourceVersion ?? 0)" }
            let model = try await store.rootModel(ModelKey(release: "2.7.1", name: "eolebase"))
            return State(rootVersion: root?.version, rootEnvelope: root?.envelope, installed: try await store.installedSources()["eole"],
                         floor: try await store.sourceStates()["eole"]?.versionFloor, models: models + [model?.model.description ?? "-"])
        }

        /// Runs a sync expected to reject the source with `reason`, and checks that nothing changed.
        func expectRejected(_ reason: String, at time: Date? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let before = try await state()
            let report = try await sync(at: time)
            #expect(report.sources.map(\.result) == [.rejected], "\(report.sources)", sourceLocation: sourceLocation)
            let reasons = report.conflicts.filter { $0.kind == .sourceRejected }.compactMap { $0.fields.reason }
            #expect(reasons == [reason], "\(report.conflicts.map(\.detail))", sourceLocation: sourceLocation)
            #expect(try await state() == before, sourceLocation: sourceLocation)
        }
    }

    static let registry = SourceRegistry([EOLESourceAdapter.self])

    @Test func newRootSignedOnlyByItsNewKeys() async throws {
        let world = try await World()
        try world.writeRoot(2, rootKeys: [world.rootC], index: [world.index2], signers: [world.rootC])
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-signature")
    }

    @Test func newRootSignedOnlyByTheOldKeys() async throws {
        let world = try await World()
        try world.writeRoot(2, rootKeys: [world.rootC], index: [world.index2], signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-signature")
    }

    @Test func duplicateSignaturesCountOnce() async throws {
        let world = try await World()
        // Root 1 needs 2 of {A, B}: A's signature twice is one key.
        try world.writeRoot(2, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootA])
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-signature")
    }

    @Test func versionGap() async throws {
        let world = try await World()
        try world.place("root/2.json", try world.rootBytes(3, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB]))
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-version-gap")
    }

    @Test func sameVersionWithOtherContent() async throws {
        let world = try await World()
        // Root 1 again (other index key), served where root 2 belongs: properly signed, still refused.
        try world.place("root/2.json", try world.rootBytes(1, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB]))
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-version-gap")
    }

    @Test func anotherSourcesRoot() async throws {
        let world = try await World()
        try world.writeRoot(2, source: "acme", rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index2)
        try await world.expectRejected("root-wrong-source")
    }

    @Test func expiredIntermediateRootIsAllowed() async throws {
        let world = try await World()
        try world.writeRoot(2, rootKeys: [world.rootA, world.rootB], index: [world.index1], expires: world.now.addingTimeInterval(-86400),
                            signers: [world.rootA, world.rootB])
        try world.writeRoot(3, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index2)
        let report = try await world.sync()
        #expect(report.sources.map(\.result) == [.updated], "\(report.sources)")
        let state = try await world.state()
        #expect(state.rootVersion == 3)
        #expect(state.installed?.version == 2)
        #expect(state.floor == 2)
    }

    @Test func expiredNewestRootIsAFreeze() async throws {
        let world = try await World()
        try world.writeRoot(2, rootKeys: [world.rootA, world.rootB], index: [world.index1], expires: world.now.addingTimeInterval(-86400),
                            signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index1)
        try await world.expectRejected("root-expired")
    }

    @Test func pinnedRootExpiredLaterIsAFreeze() async throws {
        let world = try await World()
        try world.publish(version: 2, key: world.index1)
        try await world.expectRejected("root-expired", at: world.now.addingTimeInterval(400 * 86400))
    }

    @Test func chainOf2000RootsIsBounded() async throws {
        let world = try await World()
        for version in 2...2001 {
            try world.writeRoot(version, rootKeys: [world.rootA, world.rootB], index: [world.index1], signers: [world.rootA, world.rootB])
        }
        try world.publish(version: 2, key: world.index1)
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await world.expectRejected("root-chain-too-long") }
        #expect(elapsed < .seconds(60), "walking 1,025 roots took \(elapsed)")
    }

    @Test func leakedIndexKeyAfterRotation() async throws {
        let world = try await World()
        try world.writeRoot(2, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index2)
        let rotated = try await world.sync()
        #expect(rotated.sources.map(\.result) == [.updated])
        #expect(try await world.state().rootVersion == 2)
        // The old index key leaked: it signs a newer index, which the newest root no longer names.
        try world.publish(version: 3, key: world.index1)
        try await world.expectRejected("unknown-key")
    }

    @Test func fastForwardRecoveredByRotatingTheIndexKey() async throws {
        let world = try await World()
        // A leaked index key signed version 1,000,000, and the instance installed it.
        try world.publish(version: 1_000_000, key: world.index1)
        _ = try await world.sync()
        #expect(try await world.state().floor == 1_000_000)
        // The publisher rotates the index key and goes on at version 2: the floor is cleared, then set again.
        try world.writeRoot(2, rootKeys: [world.rootA, world.rootB], index: [world.index2], signers: [world.rootA, world.rootB])
        try world.publish(version: 2, key: world.index2)
        let recovered = try await world.sync()
        #expect(recovered.sources.map(\.result) == [.updated], "\(recovered.sources)")
        let state = try await world.state()
        #expect(state.installed?.version == 2)
        #expect(state.floor == 2)
        // And rollback protection holds again from there.
        try world.publish(version: 1, key: world.index2)
        try await world.expectRejected("rollback")
    }

    @Test func rootOverTheSizeLimit() async throws {
        let world = try await World()
        try world.place("root/2.json", Data(repeating: 0x20, count: TrustedRoot.maxBytes + 1))
        try await world.expectRejected("root-too-large")
    }

    @Test func malformedRootJSON() async throws {
        let world = try await World()
        try world.place("root/2.json", Data("{\"payloadType\": \"application/vnd.zephir-models.root+json\", \"payload\": ".utf8))
        try await world.expectRejected("malformed-root")
    }

    @Test(arguments: [
        ("{policy: warn, root: eole.root.json}", "http://eole.example/zephir", "policy: required"),
        ("{policy: required, root: eole.root.json, keys: [\"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}", "file:bundle", "both 'root' and 'keys'"),
        ("{policy: required, root: missing.root.json}", "file:bundle", "cannot read the pinned root"),
        ("{policy: required, root: forged.root.json}", "file:bundle", "root-signature"),
    ])
    func rootConfigurationErrors(signature: String, url: String, message: String) async throws {
        let world = try await World()
        // A root 1 whose root keys did not sign it.
        try world.rootBytes(1, rootKeys: [world.rootC], index: [world.index1], signers: [world.rootA]).write(to: world.folder.appendingPathComponent("forged.root.json"))
        let path = world.folder.appendingPathComponent("bad.yml")
        try Data("""
            sources:
              - name: eole
                kind: eole
                url: \(url)
                priority: 100
                signature: \(signature)
            """.utf8).write(to: path)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader(registry: RootChainAttackTests.registry).load(path: path.path) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("source 'eole'") == true)
    }
}
