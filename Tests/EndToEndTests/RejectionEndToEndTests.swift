import Foundation
import Testing
@testable import ZephirCore

/// Each way a source's new snapshot can fail its checks: exit 2, a source-rejected conflict
/// naming the reason, and the database as it was.
@Suite(.serialized) struct RejectionEndToEndTests {
    enum Attack: String, CaseIterable, Sendable {
        case badSignature = "bad-signature"
        case unknownKey = "unknown-key"
        case belowThreshold = "below-threshold"
        case rollback
        case equivocation
        case expired
        case wrongSource = "wrong-source"
        case digestMismatch = "digest-mismatch"
        case sizeMismatch = "size-mismatch"
        case unsafePath = "unsafe-path"
        case invalidTree = "invalid-tree"
        case unsigned
    }

    /// eole (threshold 2 of eole and eole-b) and a vendor, synced once at version 2.
    func setUp() async throws -> (Workspace, String) {
        let w = Workspace()
        try w.publish("eole", version: 2, files: eoleTree(), signers: ["eole", "eole-b"])
        try w.publish("acme", version: 1, files: ["releases/2.7.1/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\n"])
        try w.configure([fileSource("eole", priority: 100, signers: ["eole", "eole-b"], threshold: 2),
                         fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]")])
        let first = try await w.sync()
        #expect(first.code == 0, "\(first.stderr)")
        return await (w, try w.snapshot())
    }

    func mount(_ w: Workspace, _ attack: Attack) throws {
        let changed = eoleTree(amonDefault: "strict")
        switch attack {
        case .badSignature:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            let url = w.file("bundles/eole/index.json")
            var envelope = try Envelope.parse(Data(contentsOf: url))
            var index = try BundleIndex.parse(envelope.payloadBytes())
            index.version = 4
            envelope.payload = Base64.encode(index.encoded())
            try envelope.encoded().write(to: url)
        case .unknownKey:
            try w.publish("eole", version: 3, files: changed, signers: ["mallory"])
        case .belowThreshold:
            try w.publish("eole", version: 3, files: changed, signers: ["eole"])
            let url = w.file("bundles/eole/index.json")
            var envelope = try Envelope.parse(Data(contentsOf: url))
            envelope.signatures += envelope.signatures + envelope.signatures   // one key, three signatures
            envelope.signatures[1].keyid = w.key("eole-b").publicKey.keyID       // and a false claim
            try envelope.encoded().write(to: url)
        case .rollback:
            try FileManager.default.removeItem(at: w.file("bundles/eole"))
            try w.publish("eole", version: 1, files: changed, signers: ["eole", "eole-b"])
        case .equivocation:
            try FileManager.default.removeItem(at: w.file("bundles/eole"))
            try w.publish("eole", version: 2, files: changed, signers: ["eole", "eole-b"])
        case .expired:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            try resign(w) { $0.expires = "2020-01-01T00:00:00Z" }
        case .wrongSource:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            try resign(w) { $0.source = "acme" }
        case .digestMismatch:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            let file = w.file("bundles/eole/tree/releases/2.7.1/servermodels/amon.yml")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "strict,", with: "sTrIcT,")
            try Data(text.utf8).write(to: file)
        case .sizeMismatch:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            // A file new in this version: unchanged files come from the cache, already verified.
            let handle = try FileHandle(forWritingTo: w.file("bundles/eole/tree/releases/2.7.1/servermodels/amon.yml"))
            handle.seekToEndOfFile()
            handle.write(Data(String(repeating: "# padding\n", count: 1000).utf8))
            try handle.close()
        case .unsafePath:
            try w.publish("eole", version: 3, files: changed, signers: ["eole", "eole-b"])
            try resign(w) { $0.files.append(BundleIndex.File(path: "releases/../../../etc/passwd", sha256: String(repeating: "a", count: 64), size: 10)) }
        case .invalidTree:
            var invalid = changed
            invalid["releases/2.7.1/servermodels/amon.yml"] = "name: amon\nparent: ghost\n"
            try w.publish("eole", version: 3, files: invalid, signers: ["eole", "eole-b"])
        case .unsigned:
            try w.publish("eole", version: 3, files: changed, signers: ["eole"])
            try resign(w, keys: []) { _ in }
        }
    }

    func resign(_ w: Workspace, keys: [PrivateKey]? = nil, _ change: (inout BundleIndex) -> Void) throws {
        let url = w.file("bundles/eole/index.json")
        let envelope = try Envelope.parse(Data(contentsOf: url))
        var index = try BundleIndex.parse(envelope.payloadBytes())
        change(&index)
        try Envelope.sign(payload: index.encoded(), keys: keys ?? [w.key("eole"), w.key("eole-b")]).encoded().write(to: url)
    }

    @Test(arguments: Attack.allCases)
    func aRejectedSnapshotLeavesTheDatabaseUnchanged(attack: Attack) async throws {
        let (w, before) = try await setUp()
        try mount(w, attack)
        let run = try await w.sync()
        #expect(run.code == 2, "\(attack): \(run.stderr)")
        #expect(run.report.result(of: "eole") == "rejected")
        #expect(run.report.result(of: "acme") == "unchanged")
        let rejected = run.report.conflicts(kind: "source-rejected")
        #expect(rejected.count == 1)
        #expect(rejected.first?["subject"] as? String == "eole")
        #expect(rejected.first?["reason"] as? String == attack.rawValue, "\(rejected)")
        #expect((rejected.first?["detail"] as? String)?.contains("version 2 kept") == true)
        #expect(try await w.snapshot() == before)
        // Nothing of the attack reached the cache under a path of its choosing.
        #expect(!FileManager.default.fileExists(atPath: "/etc/passwd.zephir"))
        let status = try await w.zm(["status", "--json"]).json() as? [String: Any]
        let eole = (status?["sources"] as? [[String: Any]])?.first { $0["name"] as? String == "eole" }
        #expect(eole?["installedVersion"] as? Int == 2)
        #expect(eole?["lastResult"] as? String == "rejected")
    }
}
