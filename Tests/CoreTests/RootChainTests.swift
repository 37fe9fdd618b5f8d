import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// The pure root-chain verifier (SPEC §5.1) and the publisher's `root create` / `root rotate`,
/// which refuse to write what the verifier would reject.
@Suite struct RootChainTests {
    let a = PrivateKey(), b = PrivateKey(), c = PrivateKey(), index1 = PrivateKey(), index2 = PrivateKey()
    let now = Date()

    func root(_ version: Int, rootKeys: [PrivateKey], threshold: Int, index: [PrivateKey], signers: [PrivateKey]) throws -> Data {
        let document = RootDocument(source: "eole", version: version, expires: now.addingTimeInterval(86400),
                                    root: .init(keys: rootKeys.map(\.publicKey), threshold: threshold), index: .init(keys: index.map(\.publicKey), threshold: 1))
        return try Envelope.sign(payload: document.encoded(), payloadType: Envelope.rootPayloadType, keys: signers).encoded()
    }

    @Test func aChainOfRotationsEndsAtTheNewestRoot() throws {
        let first = try TrustedRoot.pinned(try root(1, rootKeys: [a, b], threshold: 2, index: [index1], signers: [a, b]), file: "1.json")
        // 2: same keys; 3: root keys {b, c} (2 of {a, b} and 2 of {b, c}) and a new index key.
        let walk = try RootChain.verify(from: first, candidates: [
            try root(2, rootKeys: [a, b], threshold: 2, index: [index1], signers: [b, a]),
            try root(3, rootKeys: [b, c], threshold: 2, index: [index2], signers: [a, b, c]),
        ], now: now)
        #expect(walk.newest.version == 3)
        #expect(walk.advanced == 2)
        #expect(walk.indexKeysChanged)
        #expect(try walk.newest.indexPolicy().keys == [index2.publicKey])
        #expect(try RootChain.verify(from: first, candidates: [], now: now).indexKeysChanged == false)
    }

    @Test func missingSignaturesAreNamed() throws {
        let first = try TrustedRoot.pinned(try root(1, rootKeys: [a, b], threshold: 2, index: [index1], signers: [a, b]), file: "1.json")
        let error = #expect(throws: TrustError.self) {
            try RootChain.next(after: first, bytes: try root(2, rootKeys: [a, b], threshold: 2, index: [index1], signers: [a, a]), file: "root/2.json")
        }
        #expect(error == .rootSignature(file: "root/2.json", signers: "root 1's", valid: 1, required: 2, missing: [b.publicKey.keyID]))
    }

    @Test func moreThanTheLimitIsRefusedBeforeAnyIsChecked() throws {
        let first = try TrustedRoot.pinned(try root(1, rootKeys: [a], threshold: 1, index: [index1], signers: [a]), file: "1.json")
        #expect(throws: TrustError.rootChainTooLong(from: 1, limit: 2)) {
            try RootChain.verify(from: first, candidates: [Data(), Data(), Data()], now: now, limit: 2)
        }
    }

    @Test func rotateRefusesWhatAClientWouldReject() throws {
        let folder = temporaryFolder("zm-rootwriter")
        defer { try? FileManager.default.removeItem(at: folder) }
        let created = try RootWriter.create(.init(source: "eole", rootKeys: [a, b], rootThreshold: 2, indexKeys: [index1.publicKey], indexThreshold: 1,
                                                  expires: now.addingTimeInterval(86400), now: now, output: folder))
        #expect(created.version == 1)
        func rotate(_ keys: [PrivateKey], rootKeys: [PublicKey]? = nil, rootThreshold: Int? = nil) throws -> TrustedRoot {
            try RootWriter.rotate(.init(output: folder, keys: keys, rootKeys: rootKeys, rootThreshold: rootThreshold, indexKeys: [index2.publicKey],
                                        expires: now.addingTimeInterval(86400), now: now))
        }
        // One old root key of the two required.
        let tooFew = #expect(throws: RootWriteError.self) { try rotate([a]) }
        #expect(tooFew?.description.contains(b.publicKey.keyID) == true, "\(tooFew?.description ?? "")")
        // New root keys {c} signed only by the old ones.
        #expect(throws: RootWriteError.self) { try rotate([a, b], rootKeys: [c.publicKey], rootThreshold: 1) }
        // A threshold above the key count.
        let above = #expect(throws: RootWriteError.self) { try rotate([a, b], rootThreshold: 3) }
        #expect(above?.description.contains("threshold 3") == true, "\(above?.description ?? "")")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("root/2.json").path))
        // Old and new: written, and the chain in the folder verifies.
        #expect(try rotate([a, b, c], rootKeys: [b.publicKey, c.publicKey], rootThreshold: 2).version == 2)
        #expect(try RootWriter.newest(in: folder)?.version == 2)
        // A gap in the folder is refused.
        try FileManager.default.moveItem(at: folder.appendingPathComponent("root/2.json"), to: folder.appendingPathComponent("root/3.json"))
        #expect(throws: RootWriteError.versionGap(folder.appendingPathComponent("root").path, found: [1, 3])) { try rotate([b, c]) }
    }

    @Test func theWalkEndsAtAMissingRootAndOtherFailuresAreUnavailability() async throws {
        let first = try TrustedRoot.pinned(try root(1, rootKeys: [a], threshold: 1, index: [index1], signers: [a]), file: "1.json")
        let served = MemoryTransport(name: "eole", files: ["root/2.json": try root(2, rootKeys: [a], threshold: 1, index: [index1], signers: [a])])
        let walk = try await RootChain.walk(from: first, transport: served, now: now)
        #expect(walk.newest.version == 2 && !walk.indexKeysChanged)
        let failing = MemoryTransport(name: "eole", files: [:], failure: .timeout(url: "memory:eole/root/2.json", seconds: 10))
        await #expect(throws: FetchError.timeout(url: "memory:eole/root/2.json", seconds: 10)) {
            _ = try await RootChain.walk(from: first, transport: failing, now: now)
        }
    }

    @Test func statusWarnsThirtyDaysBeforeTheRootExpires() throws {
        let pinned = try TrustedRoot.pinned(try root(1, rootKeys: [a], threshold: 1, index: [index1], signers: [a]), file: "1.json")
        let source = SourceConfig(name: "eole", kind: "eole", url: "file:/x", priority: 1, signature: SignaturePolicy(mode: .required, root: pinned))
        // The root expires a day after `now`.
        #expect(StatusReport.rootStatus(source, stored: nil, now: now.addingTimeInterval(-40 * 86400))?.expiryWarning == nil)
        let soon = StatusReport.rootStatus(source, stored: nil, now: now.addingTimeInterval(-19.5 * 86400))
        #expect(soon?.expiryWarning?.hasPrefix("root 1 expires in 20 days") == true, "\(soon?.expiryWarning ?? "")")
        #expect(soon?.version == 1 && soon?.indexKeyIDs == [index1.publicKey.keyID] && soon?.rootKeyIDs == [a.publicKey.keyID])
        #expect(StatusReport.rootStatus(source, stored: nil, now: now.addingTimeInterval(2 * 86400))?.expiryWarning?.contains("expired") == true)
        // A stored newer root is the one shown.
        let stored = StoredRoot(source: "eole", version: 2, expires: "2030-01-01T00:00:00Z",
                                envelope: try root(2, rootKeys: [a], threshold: 1, index: [index2], signers: [a]), trustedAt: "2026-01-01T00:00:00Z")
        #expect(StatusReport.rootStatus(source, stored: stored, now: now)?.indexKeyIDs == [index2.publicKey.keyID])
        #expect(StatusReport.rootStatus(SourceConfig(name: "acme", kind: "external", priority: 2, signature: SignaturePolicy(mode: .off)), stored: nil, now: now) == nil)
    }
}
