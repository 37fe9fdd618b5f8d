import FakeSource
import Foundation
import Testing
import ZephirCore

private func config(_ options: [String: String], name: String = "fake", seed: UInt64? = nil, policy: SignaturePolicy.Mode = .required) -> SourceConfig {
    let keySeed = seed ?? options["seed"].flatMap { UInt64($0) } ?? 1
    return SourceConfig(name: name, kind: "fake", priority: 10,
                        signature: SignaturePolicy(mode: policy, threshold: 1, keys: [FakeSourceAdapter.publicKey(seed: keySeed)]),
                        kindOptions: options)
}

private func fetch(_ options: [String: String], installed: InstalledSource? = nil) async throws -> SourceFetcher.Outcome {
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("fake-cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: cache) }
    let c = config(options)
    let adapter = try FakeSourceAdapter(config: c)
    return await SourceFetcher(cache: FetchCache(root: cache.path))
        .fetch(c, adapter: adapter, installed: installed, floor: installed?.version, now: Date(), clockSkew: 300)
}

@Suite struct FakeSourceAdapterTests {
    @Test func kind() {
        #expect(FakeSourceAdapter.kind == "fake")
        #expect(FakeSourceAdapter.role == .authority)
        #expect(FakeSourceAdapter.needsURL == false)
    }

    @Test func defaultsVerifyUnderRequiredPolicy() async throws {
        let c = config([:])
        let adapter = try FakeSourceAdapter(config: c)
        #expect(adapter.parameters == FakeTreeParameters(seed: 1, releases: 1, models: 10, variables: 20))
        #expect(adapter.version == 1)
        let transport = try adapter.makeTransport()
        let verified = try await BundleReader(transport: transport).readIndex(policy: c.signature, expectedSource: "fake", now: Date())
        #expect(verified.index.version == 1)
        #expect(verified.index.source == "fake")
        #expect(verified.index.created == "2026-01-01T00:00:00Z")
        #expect(verified.index.expires == "2100-01-01T00:00:00Z")
        #expect(verified.signatures.validKeyIDs == [FakeSourceAdapter.publicKey(seed: 1).keyID])
        let tree = try await BundleReader(transport: transport).readTree(verified.index)
        #expect(tree.releases["2.7.0"]?.models.count == 10)
        // Another seed's key does not verify it.
        let other = SignaturePolicy(mode: .required, keys: [FakeSourceAdapter.publicKey(seed: 2)])
        await #expect(throws: TrustError.self) {
            _ = try await BundleReader(transport: transport).readIndex(policy: other, expectedSource: "fake", now: Date())
        }
    }

    @Test func fetchedSnapshotThenUnchanged() async throws {
        let options = ["seed": "42", "releases": "2", "models": "12", "variables": "8", "version": "3"]
        guard case .updated(let snapshot) = try await fetch(options) else { Issue.record("not updated"); return }
        #expect(snapshot.verified.index.version == 3)
        #expect(snapshot.tree.releases.count == 2)
        #expect(snapshot.tree.modelCount == 24)
        // Deterministic: same options, same digest, so a second sync has nothing to do.
        let installed = InstalledSource(name: "fake", version: 3, digest: snapshot.verified.digest, expires: snapshot.verified.index.expires,
                                        installedAt: "2026-01-02T00:00:00Z")
        guard case .unchanged = try await fetch(options, installed: installed) else { Issue.record("not unchanged"); return }
        // A new version is an update.
        var newer = options
        newer["version"] = "4"
        guard case .updated = try await fetch(newer, installed: installed) else { Issue.record("not updated"); return }
    }

    @Test(arguments: FakeSourceAdapter.Misbehaviour.allCases)
    func misbehaviourIsRejected(_ misbehave: FakeSourceAdapter.Misbehaviour) async throws {
        let options = ["seed": "5", "models": "6", "variables": "5", "version": "2"]
        var installed: InstalledSource?
        if misbehave == .equivocation {
            guard case .updated(let good) = try await fetch(options) else { Issue.record("the good bundle was not accepted"); return }
            installed = InstalledSource(name: "fake", version: 2, digest: good.verified.digest, expires: good.verified.index.expires, installedAt: "2026-01-02T00:00:00Z")
        }
        var bad = options
        bad["misbehave"] = misbehave.rawValue
        let outcome = try await fetch(bad, installed: installed)
        switch (misbehave, outcome) {
        case (.badSignature, .rejected(.badSignature)), (.unsigned, .rejected(.unsigned)), (.expired, .rejected(.expired)),
             (.tamperedFile, .rejected(.digestMismatch)), (.oversizedFile, .rejected(.sizeMismatch(_, _, "more"))),
             (.wrongSource, .rejected(.wrongSource(expected: "fake", found: _))), (.equivocation, .rejected(.equivocation(version: 2, _, _))),
             (.unavailable, .unavailable(.network)):
            break
        default:
            Issue.record("\(misbehave.rawValue): unexpected outcome \(outcome)")
        }
    }

    @Test func misbehavingBundlesStillParse() async throws {
        // Only the announced fault: the tampered bundle's index is otherwise well signed.
        let c = config(["misbehave": "tampered-file"])
        let transport = try FakeSourceAdapter(config: c).makeTransport()
        let verified = try await BundleReader(transport: transport).readIndex(policy: c.signature, expectedSource: "fake", now: Date())
        #expect(verified.index.files.count > 10)
    }

    @Test(arguments: [
        (["models": "0"], "fake.models"),
        (["models": "100001"], "fake.models"),
        (["models": "ten"], "fake.models"),
        (["releases": "-1"], "fake.releases"),
        (["variables": "1.5"], "fake.variables"),
        (["version": "0"], "fake.version"),
        (["seed": "-3"], "fake.seed"),
        (["misbehave": "explode"], "fake.misbehave"),
        (["colour": "blue"], "colour"),
    ])
    func invalidOptions(_ options: [String: String], _ named: String) {
        do {
            _ = try FakeSourceAdapter(config: config(options, seed: 1))
            Issue.record("accepted \(options)")
        } catch {
            #expect(error.message.contains(named), "\(error.message)")
        }
    }

    @Test func unknownOptionListsKnownOnes() {
        #expect(throws: ConfigError.self) { _ = try FakeSourceAdapter(config: config(["sede": "1"], seed: 1)) }
        do {
            _ = try FakeSourceAdapter(config: config(["sede": "1"], seed: 1))
        } catch {
            #expect(error.message.contains("seed, releases, models, variables, version, misbehave"))
        }
    }

    @Test func registryWrapsErrors() {
        let registry = SourceRegistry([FakeSourceAdapter.self])
        #expect(throws: ConfigError.self) { _ = try registry.adapter(for: config(["models": "x"]), file: "zm.yml") }
        #expect((try? registry.adapter(for: config(["models": "3"]), file: "zm.yml")) != nil)
    }
}
