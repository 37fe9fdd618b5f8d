import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// SPEC §5.1 end to end, with the commands a publisher and an operator type: root create →
/// publish v1 → sync → root rotate (new index key) → publish v2 with the new key → sync applies
/// it with the configuration untouched → v3 signed with the old index key → rejected, models
/// unchanged; and `rollback` never restores the older root.
@Suite(.serialized) struct RootRotationEndToEndTests {
    func writeTree(_ w: Workspace, _ folder: String, amonDefault: String) throws {
        for (path, text) in eoleTree(amonDefault: amonDefault) { try w.write("\(folder)/\(path)", text) }
    }

    func rootStatus(_ w: Workspace) async throws -> [String: Any] {
        let status = try await w.zm(["status", "--json"])
        #expect(status.code == 0, "\(status.stderr)")
        let sources = (try status.json() as? [String: Any])?["sources"] as? [[String: Any]] ?? []
        return sources.first?["root"] as? [String: Any] ?? [:]
    }

    @Test func rotationEndToEnd() async throws {
        let w = Workspace()
        for name in ["root-a", "index-1", "index-2"] {
            let made = try await w.cli.run(["keygen", "--out", "keys/\(name)"])
            #expect(made.code == 0, "\(made.stderr)")
            #expect(!made.stdout.contains(try String(contentsOf: w.file("keys/\(name).key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        func keyID(_ name: String) throws -> String { try PublicKey(contentsOf: w.file("keys/\(name).pub").path).keyID }

        let created = try await w.cli.run(["root", "create", "--source", "eole", "--root-key", "keys/root-a.key", "--root-threshold", "1",
                                     "--index-pub", "keys/index-1.pub", "--index-threshold", "1", "--expires", "365d", "--out", "bundle"])
        #expect(created.code == 0, "\(created.stderr)")
        #expect(created.stdout.contains("root 1 of eole"))
        #expect(!created.stdout.contains(try String(contentsOf: w.file("keys/root-a.key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try FileManager.default.createDirectory(at: w.file("pinned"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: w.file("bundle/root/1.json"), to: w.file("pinned/eole.root.json"))

        try writeTree(w, "tree-v1", amonDefault: "souple")
        let v1 = try await w.cli.run(["publish", "tree-v1", "--source", "eole", "--key", "keys/index-1.key", "--version", "1", "--expires", "90d", "--out", "bundle"])
        #expect(v1.code == 0, "\(v1.stderr)")
        try w.configure(["""
              - name: eole
                kind: eole
                url: file:bundle
                priority: 100
                signature: {policy: required, root: pinned/eole.root.json}

            """])
        let configBefore = try Data(contentsOf: w.file("config.yml")) + Data(contentsOf: w.file("pinned/eole.root.json"))

        let first = try await w.sync()
        #expect(first.code == 0, "\(first.stderr)")
        #expect(try await w.model("2.7.1/amon")["variables"].map { "\($0)" }?.contains("souple") == true)
        #expect(try await rootStatus(w)["version"] as? Int == 1)

        // A rotation signed by the index key only: refused, naming the missing root key.
        let refused = try await w.cli.run(["root", "rotate", "bundle", "--key", "keys/index-1.key", "--index-pub", "keys/index-2.pub", "--expires", "365d"])
        #expect(refused.code == 65)
        #expect(refused.stderr.contains(try keyID("root-a")), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.file("bundle/root/2.json").path))

        let rotated = try await w.cli.run(["root", "rotate", "bundle", "--key", "keys/root-a.key", "--index-pub", "keys/index-2.pub", "--expires", "365d"])
        #expect(rotated.code == 0, "\(rotated.stderr)")
        // publish refuses the old index key now that the newest root does not name it.
        try writeTree(w, "tree-v2", amonDefault: "strict")
        let oldKey = try await w.cli.run(["publish", "tree-v2", "--source", "eole", "--key", "keys/index-1.key", "--version", "2", "--expires", "90d", "--out", "bundle"])
        #expect(oldKey.code == 65)
        #expect(oldKey.stderr.contains(try keyID("index-1")), "\(oldKey.stderr)")
        let v2 = try await w.cli.run(["publish", "tree-v2", "--source", "eole", "--key", "keys/index-2.key", "--version", "2", "--expires", "90d", "--out", "bundle"])
        #expect(v2.code == 0, "\(v2.stderr)")
        #expect(FileManager.default.fileExists(atPath: w.file("bundle/root/2.json").path), "publish keeps the roots")
        let verified = try await w.cli.run(["verify", "bundle", "--root", "pinned/eole.root.json"])
        #expect(verified.code == 0 && verified.stdout.contains("root 2"), "\(verified.stdout) \(verified.stderr)")

        let second = try await w.sync()
        #expect(second.code == 0, "\(second.stderr)")
        #expect(try await w.model("2.7.1/amon")["variables"].map { "\($0)" }?.contains("strict") == true)
        let root = try await rootStatus(w)
        #expect(root["version"] as? Int == 2)
        #expect(root["indexKeyIDs"] as? [String] == [try keyID("index-2")])
        #expect(root["rootKeyIDs"] as? [String] == [try keyID("root-a")])
        #expect(root["expiryWarning"] == nil)
        #expect(try Data(contentsOf: w.file("config.yml")) + Data(contentsOf: w.file("pinned/eole.root.json")) == configBefore)

        // The old index key leaked: v3 signed with it (publish refuses it, so forged beside) is rejected.
        try writeTree(w, "tree-v3", amonDefault: "aucun")
        let forged = try await w.cli.run(["publish", "tree-v3", "--source", "eole", "--key", "keys/index-1.key", "--version", "3", "--expires", "90d", "--out", "forged"])
        #expect(forged.code == 0, "\(forged.stderr)")
        try FileManager.default.removeItem(at: w.file("bundle/index.json"))
        try FileManager.default.removeItem(at: w.file("bundle/tree"))
        try FileManager.default.copyItem(at: w.file("forged/index.json"), to: w.file("bundle/index.json"))
        try FileManager.default.copyItem(at: w.file("forged/tree"), to: w.file("bundle/tree"))
        let before = try await w.snapshot()
        let third = try await w.sync()
        #expect(third.code == 3, "\(third.stderr)")
        let conflicts = third.report["conflicts"] as? [[String: Any]] ?? []
        #expect(conflicts.map { "\($0["kind"] ?? "") \($0["reason"] ?? "")" } == ["source-rejected unknown-key"], "\(conflicts)")
        #expect(try await w.snapshot() == before)

        // Trust only moves forward: rolling back to run 1 keeps root 2.
        let rollback = try await w.zm(["rollback", "--to", "1", "--json"])
        #expect(rollback.code == 0, "\(rollback.stderr)")
        #expect(try await rootStatus(w)["version"] as? Int == 2)
    }
}
