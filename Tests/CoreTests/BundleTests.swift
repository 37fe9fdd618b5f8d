import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

@Suite struct BundleTests {
    let key = PrivateKey()
    let now = Date()

    func publish(_ tree: URL, to out: URL, version: Int = 1, source: String = "eole", expires: TimeInterval = 86400) throws -> BundleIndex {
        try BundleWriter.publish(tree: tree, .init(source: source, keys: [key], version: version, expires: now.addingTimeInterval(expires), now: now, output: out))
    }

    func verify(_ out: URL, keys: [PublicKey]? = nil, threshold: Int = 1, source: String? = nil, at time: Date? = nil) async throws -> BundleVerification.Report {
        try await BundleVerification.verify(location: out.path, trusted: keys ?? [key.publicKey], threshold: threshold, expectedSource: source, now: time ?? now)
    }

    /// Re-signs `out`'s index after `change` edits it.
    func resign(_ out: URL, _ change: (inout BundleIndex) -> Void) throws {
        let envelope = try Envelope.parse(Data(contentsOf: out.appendingPathComponent("index.json")))
        var index = try BundleIndex.parse(envelope.payloadBytes())
        change(&index)
        try Envelope.sign(payload: index.encoded(), keys: [key]).encoded().write(to: out.appendingPathComponent("index.json"))
    }

    func rejection(_ out: URL, source: String? = nil, at time: Date? = nil) async -> TrustError? {
        do {
            _ = try await verify(out, source: source, at: time)
            return nil
        } catch let error as TrustError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func publishThenVerifyRoundTrips() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        let index = try publish(fixtureTree(), to: out)
        #expect(index.files.count == 6)
        let report = try await verify(out, source: "eole")
        #expect(report.version == 1 && report.models == 2 && report.variables == 9)
        #expect(report.signedBy == [key.publicKey.keyID])
        // The tree is copied byte for byte.
        let original = try Data(contentsOf: fixtureTree().appendingPathComponent("releases/2.7.1/servermodels/amon.yml"))
        #expect(try Data(contentsOf: out.appendingPathComponent("tree/releases/2.7.1/servermodels/amon.yml")) == original)
    }

    @Test func publishRefusesAnInvalidTreeAndWritesNothing() throws {
        let tree = fixtureTree()
        try Data("name: wrong\n".utf8).write(to: tree.appendingPathComponent("releases/2.7.1/servermodels/amon.yml"))
        let out = temporaryFolder().appendingPathComponent("bundle")
        #expect(throws: TreeValidationError.self) { try publish(tree, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func publishRefusesAVersionNotGreaterThanThePublishedOne() throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out, version: 5)
        #expect(throws: PublishError.versionNotGreater(path: out.path, existing: 5, requested: 5)) { try publish(fixtureTree(), to: out, version: 5) }
        #expect(throws: PublishError.versionNotGreater(path: out.path, existing: 5, requested: 4)) { try publish(fixtureTree(), to: out, version: 4) }
        #expect(try publish(fixtureTree(), to: out, version: 6).version == 6)
    }

    @Test func publishReplacesTheBundleAtomicallyAndLeavesNoStaging() throws {
        let parent = temporaryFolder()
        let out = parent.appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out, version: 1)
        let tree = fixtureTree()
        try FileManager.default.removeItem(at: tree.appendingPathComponent("releases/2.7.1/servermodels/amon.yml"))
        _ = try publish(tree, to: out, version: 2)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("tree/releases/2.7.1/servermodels/amon.yml").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["bundle"])
    }

    @Test func publishRefusesToReplaceAFolderThatIsNotABundle() throws {
        let out = temporaryFolder()
        try Data("precious".utf8).write(to: out.appendingPathComponent("notes.txt"))
        #expect(throws: PublishError.notABundle(out.path)) { try publish(fixtureTree(), to: out) }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("notes.txt").path))
    }

    @Test func publishRefusesAnotherSourcesBundle() throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out, source: "eole")
        #expect(throws: PublishError.otherSource(path: out.path, existing: "eole", requested: "acme")) { try publish(fixtureTree(), to: out, version: 2, source: "acme") }
    }

    @Test func verifyRejectsATamperedFile() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        let file = out.appendingPathComponent("tree/releases/2.7.1/servermodels/amon.yml")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.startIndex + 6] = UInt8(ascii: "X")   // same size, other content
        try bytes.write(to: file)
        guard case .digestMismatch(let path, _, _)? = await rejection(out) else { Issue.record("tampered file accepted"); return }
        #expect(path == "releases/2.7.1/servermodels/amon.yml")
    }

    @Test func verifyRejectsAFileOfAnotherSize() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        let file = out.appendingPathComponent("tree/versions/2.7.yml")
        let original = try Data(contentsOf: file)
        try (original + Data("# more\n".utf8)).write(to: file)
        #expect(await rejection(out) == .sizeMismatch(path: "versions/2.7.yml", declared: original.count, actual: "more"))
        try original.dropLast(3).write(to: file)
        #expect(await rejection(out) == .sizeMismatch(path: "versions/2.7.yml", declared: original.count, actual: "\(original.count - 3)"))
    }

    @Test func verifyRejectsATamperedIndex() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        let url = out.appendingPathComponent("index.json")
        var envelope = try Envelope.parse(Data(contentsOf: url))
        var index = try BundleIndex.parse(envelope.payloadBytes())
        index.version = 99
        envelope.payload = Base64.encode(index.encoded())
        try envelope.encoded().write(to: url)
        #expect(await rejection(out) == .badSignature(keyIDs: [key.publicKey.keyID]))
    }

    @Test func verifyRejectsAnUnknownKeyAndBelowThreshold() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        let other = PrivateKey()
        await #expect(throws: TrustError.unknownKey(keyIDs: [key.publicKey.keyID])) { try await verify(out, keys: [other.publicKey]) }
        await #expect(throws: TrustError.belowThreshold(valid: 1, required: 2)) {
            try await verify(out, keys: [key.publicKey, other.publicKey], threshold: 2)
        }
    }

    @Test(arguments: ["../etc/passwd", "versions/../../x.yml", "/etc/passwd", "releases/./2.7.1/release.yml", "tree/x.yml", "releases//x.yml", "versions\\..\\x.yml", "versions/.x.yml"])
    func verifyRejectsAPathOutsideTheTree(path: String) async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        try resign(out) { $0.files.append(BundleIndex.File(path: path, sha256: String(repeating: "0", count: 64), size: 1)) }
        #expect(await rejection(out) == .unsafePath(path))
    }

    @Test func verifyRejectsAnExpiredIndex() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        let index = try publish(fixtureTree(), to: out, expires: 3600)
        guard case .expired(let expires, _)? = await rejection(out, at: now.addingTimeInterval(7200)) else { Issue.record("expired index accepted"); return }
        #expect(expires == index.expires)
    }

    @Test func verifyRejectsAnotherSourcesIndex() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out, source: "acme")
        #expect(await rejection(out, source: "eole") == .wrongSource(expected: "eole", found: "acme"))
    }

    @Test func verifyRejectsAnInvalidTreeEvenWhenSigned() async throws {
        let out = temporaryFolder().appendingPathComponent("bundle")
        _ = try publish(fixtureTree(), to: out)
        let bad = Data("name: amon\nparent: ghost\n".utf8)
        let path = "releases/2.7.1/servermodels/amon.yml"
        try bad.write(to: out.appendingPathComponent("tree/" + path))
        try resign(out) { index in
            index.files = index.files.map { $0.path == path ? BundleIndex.File(path: path, sha256: Hex.encode(SHA256Digest.of(bad)), size: bad.count) : $0 }
        }
        guard case .invalidTree(let text)? = await rejection(out) else { Issue.record("invalid tree accepted"); return }
        #expect(text.contains("ghost"))
    }

    @Test func verifyReportsAMissingBundleAsUnavailable() async throws {
        await #expect(throws: FetchError.notFound(url: "/nonexistent/bundle/index.json")) { try await verify(URL(fileURLWithPath: "/nonexistent/bundle")) }
    }
}
