import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// SPEC §5.2 with the commands publishers and operators type: `publish --out FILE.tar.gz` then
/// `sync --source NAME --from FILE.tar.gz` (an air-gapped site), and `publish --out oci://…`
/// then a sync from the registry, with the requests a one-file change costs, as the registry
/// logged them.
extension CarrierProcesses {
@Suite(.serialized) struct CarrierEndToEndTests {
    func writeTree(_ w: Workspace, _ folder: String, amonDefault: String) throws {
        for (path, text) in eoleTree(amonDefault: amonDefault) { try w.write("\(folder)/\(path)", text) }
    }

    func publish(_ w: Workspace, tree: String, version: Int, out: String, extra: [String] = []) async throws -> CLI.Result {
        if !FileManager.default.fileExists(atPath: w.file("keys/eole.key").path) {
            let made = try await w.cli.run(["keygen", "--out", "keys/eole"])
            #expect(made.code == 0, "\(made.stderr)")
            try FileManager.default.copyItem(at: w.file("keys/eole.pub"), to: w.file("eole.pub"))
        }
        return try await w.cli.run(["publish", tree, "--source", "eole", "--key", "keys/eole.key", "--version", "\(version)", "--expires", "30d",
                              "--out", out, "--json"] + extra)
    }

    @Test func anAirGappedSiteSyncsFromAnArchiveOnRemovableMedia() async throws {
        let w = Workspace()
        try writeTree(w, "tree", amonDefault: "souple")
        let published = try await publish(w, tree: "tree", version: 1, out: "usb/eole-1.tar.gz")
        #expect(published.code == 0, "\(published.stderr)")
        // The configured URL cannot be reached from the site.
        try w.configure([fileSource("eole", priority: 100, url: "https://eole.invalid/zephir/eole")])
        let offline = try await w.sync()
        #expect(offline.code == 3, "\(offline.stderr)")

        let synced = try await w.sync(["--source", "eole", "--from", "usb/eole-1.tar.gz"])
        #expect(synced.code == 0, "\(synced.stderr)")
        #expect(synced.report.result(of: "eole") == "updated")
        #expect(try await amonDefault(w) == "souple")

        // Version 2 on the key; an older archive is then a rollback.
        try writeTree(w, "tree", amonDefault: "strict")
        #expect(try await publish(w, tree: "tree", version: 2, out: "usb/eole-2.tar.gz").code == 0)
        #expect(try await w.sync(["--source", "eole", "--from", "usb/eole-2.tar.gz"]).code == 0)
        #expect(try await amonDefault(w) == "strict")
        let old = try await w.sync(["--source", "eole", "--from", "usb/eole-1.tar.gz"])
        #expect(old.code == 3)
        #expect(old.report.conflicts(kind: "source-rejected").first?["reason"] as? String == "rollback")

        // A tampered archive (one byte of a tree member flipped) is refused, the models untouched.
        try writeTree(w, "tree", amonDefault: "aucun")
        #expect(try await publish(w, tree: "tree", version: 3, out: "usb/eole-3.tar").code == 0)
        var bytes = [UInt8](try Data(contentsOf: w.file("usb/eole-3.tar")))
        let marker = Array("aucun}".utf8)
        let at = (0...(bytes.count - marker.count)).last { Array(bytes[$0..<$0 + marker.count]) == marker }!
        bytes[at] = UInt8(ascii: "L")
        try Data(bytes).write(to: w.file("usb/eole-3.tar"))
        let tampered = try await w.sync(["--source", "eole", "--from", "usb/eole-3.tar"])
        #expect(tampered.code == 3)
        #expect(tampered.report.conflicts(kind: "source-rejected").first?["reason"] as? String == "digest-mismatch")
        #expect(try await amonDefault(w) == "strict")

        // Publishing an older version into an existing archive is refused like into a folder.
        let older = try await publish(w, tree: "tree", version: 1, out: "usb/eole-2.tar.gz")
        #expect(older.code == 65)
        #expect(older.stderr.contains("already holds version 2"), "\(older.stderr)")
    }

    @Test func aPublicationToARegistryUploadsAndFetchesOnlyWhatChanged() async throws {
        let w = Workspace()
        let registry = try Registry()
        defer { registry.stop() }
        let url = registry.url("zephir/eole", tag: "stable")
        try writeTree(w, "tree", amonDefault: "souple")
        let first = try await publish(w, tree: "tree", version: 1, out: url)
        #expect(first.code == 0, "\(first.stderr)")
        try w.configure([fileSource("eole", priority: 100, url: url)])
        let synced = try await w.sync()
        #expect(synced.code == 0, "\(synced.stderr)")
        #expect(try await amonDefault(w) == "souple")

        // No change: one request, the manifest.
        var mark = await registry.mark()
        #expect(try await w.sync().code == 0)
        let idle = await registry.requests(since: mark)
        #expect(idle.map(\.method) == ["GET"] && idle.first?.path.contains("/manifests/") == true, "\(idle)")

        // One file changed: the publication uploads it and the new index only, the sync downloads it alone.
        try writeTree(w, "tree", amonDefault: "strict")
        mark = await registry.mark()
        let second = try await publish(w, tree: "tree", version: 2, out: url)
        #expect(second.code == 0, "\(second.stderr)")
        let push = (try second.json() as? [String: Any])?["push"] as? [String: Any] ?? [:]
        #expect(push["uploaded"] as? Int == 2, "\(push)")
        let pushed = await registry.requests(since: mark)
        #expect(pushed.filter { $0.method == "PUT" && $0.path.contains("/blobs/") }.count == 2, "\(pushed)")
        mark = await registry.mark()
        let update = try await w.sync()
        #expect(update.code == 0, "\(update.stderr)")
        #expect(update.report.sources.first?["filesFetched"] as? Int == 1)
        let fetched = await registry.requests(since: mark)
        #expect(fetched.map(\.method) == ["GET", "GET"], "the manifest, then the one blob: \(fetched)")
        #expect(try await amonDefault(w) == "strict")

        // An older version is refused by the registry's current content.
        let older = try await publish(w, tree: "tree", version: 1, out: url)
        #expect(older.code == 65, "\(older.stderr)")
    }

    /// SPEC §3 for `publish` to an archive or a registry: a malformed `oci://` reference, or `--roots`
    /// for a folder (which publishes its own roots), is a usage error (64); an output that cannot
    /// be written — a folder that is a file, a registry that is unreachable or refuses the upload —
    /// is 73; an existing file that is not a bundle is invalid input (65). Each message names the
    /// output.
    @Test func publishingToAnArchiveOrARegistryExitsAsSPECSays() async throws {
        let w = Workspace()
        try writeTree(w, "tree", amonDefault: "souple")

        let rootsForFolder = try await publish(w, tree: "tree", version: 1, out: "bundle", extra: ["--roots", "elsewhere"])
        #expect(rootsForFolder.code == 64, "\(rootsForFolder.stderr)")
        #expect(rootsForFolder.stderr.contains("the folder") && rootsForFolder.stderr.contains("drop --roots"), "\(rootsForFolder.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.file("bundle").path), "nothing published")

        let malformed = try await publish(w, tree: "tree", version: 1, out: "oci://127.0.0.1:5000/Zephir/Eole:stable")
        #expect(malformed.code == 64, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("'Zephir/Eole' is not a repository name"), "\(malformed.stderr)")

        try w.write("a-file", "not a folder\n")
        let unwritable = try await publish(w, tree: "tree", version: 1, out: "a-file/eole.tar.gz")
        #expect(unwritable.code == 73, "\(unwritable.stderr)")
        #expect(unwritable.stderr.contains("a-file"), "\(unwritable.stderr)")

        try w.write("old.tar.gz", "a text file, not an archive\n")
        let notABundle = try await publish(w, tree: "tree", version: 1, out: "old.tar.gz")
        #expect(notABundle.code == 65, "\(notABundle.stderr)")
        #expect(notABundle.stderr.contains("old.tar.gz"), "\(notABundle.stderr)")
        #expect(try String(contentsOf: w.file("old.tar.gz"), encoding: .utf8) == "a text file, not an archive\n", "left as it was")

        let nowhere = "127.0.0.1:\(freePort())"
        let unreachable = try await publish(w, tree: "tree", version: 1, out: "oci+http://\(nowhere)/zephir/eole:stable")
        #expect(unreachable.code == 73, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains(nowhere), "\(unreachable.stderr)")
        // Refused at once and said so: the client does not retry a refusal until its connect
        // timeout, which it would then report as a mere "timeout".
        #expect(unreachable.stderr.contains("connection refused"), "\(unreachable.stderr)")

        let registry = try Registry(readOnly: true)
        defer { registry.stop() }
        let refused = try await publish(w, tree: "tree", version: 1, out: registry.url("zephir/eole", tag: "stable"))
        #expect(refused.code == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("127.0.0.1:\(registry.port)") && refused.stderr.contains("the registry refused"), "\(refused.stderr)")
        #expect(refused.stderr.contains("read-only mode, quota, size limits"), "says what to check: \(refused.stderr)")
    }

    /// A registry that requires credentials: `publish --auth-file`, `verify --auth-file` and a
    /// source's `auth_file` all take them from docker's config.json; without, each says which
    /// registry asks and what to set.
    @Test func aPrivateRegistryTakesTheAuthFileToPublishVerifyAndSync() async throws {
        let w = Workspace()
        let registry = try Registry(users: ["alice": "s3cret"])
        defer { registry.stop() }
        let url = registry.url("zephir/eole", tag: "stable")
        let credentials = Data("alice:s3cret".utf8).base64EncodedString()
        try w.write("auth.json", "{\"auths\": {\"\(registry.host)\": {\"auth\": \"\(credentials)\"}}}\n")
        try writeTree(w, "tree", amonDefault: "souple")

        let anonymous = try await publish(w, tree: "tree", version: 1, out: url)
        #expect(anonymous.code == 73 && anonymous.stderr.contains("requires credentials"), "an output that cannot be written: \(anonymous.stderr)")
        #expect(anonymous.stderr.contains("--auth-file"), "says what to give: \(anonymous.stderr)")
        let missingFile = try await publish(w, tree: "tree", version: 1, out: url, extra: ["--auth-file", "absent.json"])
        #expect(missingFile.code == 65 && missingFile.stderr.contains("absent.json: no such file"), "input given on the command line: \(missingFile.stderr)")
        let published = try await publish(w, tree: "tree", version: 1, out: url, extra: ["--auth-file", "auth.json"])
        #expect(published.code == 0, "\(published.stderr)")

        let unverified = try await w.cli.run(["verify", url, "--trust", "eole.pub"])
        #expect(unverified.code == 3, "\(unverified.stderr)")
        #expect(unverified.stderr.contains("the registry \(registry.host) requires credentials") && unverified.stderr.contains("--auth-file"), "\(unverified.stderr)")
        #expect(try await w.cli.run(["verify", url, "--trust", "eole.pub", "--auth-file", "absent.json"]).code == 65)
        let verified = try await w.cli.run(["verify", url, "--trust", "eole.pub", "--auth-file", "auth.json"])
        #expect(verified.code == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("OK eole version 1"), "\(verified.stdout)")

        try w.configure([fileSource("eole", priority: 100, url: url).replacingOccurrences(of: "    priority:", with: "    auth_file: auth.json\n    priority:")])
        let synced = try await w.sync()
        #expect(synced.code == 0, "\(synced.stderr)")
        #expect(try await amonDefault(w) == "souple")
    }

    @Test func anArchiveCarriesTheRootsSoThatAnOfflineSiteFollowsARotation() async throws {
        let w = Workspace()
        for name in ["root", "index-1", "index-2"] { #expect(try await w.cli.run(["keygen", "--out", "keys/\(name)"]).code == 0) }
        let created = try await w.cli.run(["root", "create", "--source", "eole", "--root-key", "keys/root.key", "--root-threshold", "1",
                                     "--index-pub", "keys/index-1.pub", "--index-threshold", "1", "--expires", "365d", "--out", "roots"])
        #expect(created.code == 0, "\(created.stderr)")
        try FileManager.default.copyItem(at: w.file("roots/root/1.json"), to: w.file("eole.root.json"))
        try w.configure(["""
              - name: eole
                kind: eole
                url: https://eole.invalid/zephir/eole
                priority: 100
                signature: {policy: required, root: eole.root.json}

            """])
        func publish(_ version: Int, key: String, out: String) async throws -> CLI.Result {
            try await w.cli.run(["publish", "tree", "--source", "eole", "--key", "keys/\(key).key", "--version", "\(version)", "--expires", "30d",
                           "--out", out, "--roots", "roots"])
        }
        try writeTree(w, "tree", amonDefault: "souple")
        let v1 = try await publish(1, key: "index-1", out: "usb/eole-1.tar.gz")
        #expect(v1.code == 0, "\(v1.stderr)")
        #expect(try await w.sync(["--source", "eole", "--from", "usb/eole-1.tar.gz"]).code == 0)

        // The publisher rotates the index key; the next archive carries root 2 and is signed by the new key.
        let rotated = try await w.cli.run(["root", "rotate", "roots", "--key", "keys/root.key", "--index-pub", "keys/index-2.pub", "--expires", "365d"])
        #expect(rotated.code == 0, "\(rotated.stderr)")
        let stale = try await publish(2, key: "index-1", out: "usb/eole-2.tar.gz")
        #expect(stale.code == 65, "the old index key is refused once root 2 names another: \(stale.stderr)")
        try writeTree(w, "tree", amonDefault: "strict")
        #expect(try await publish(2, key: "index-2", out: "usb/eole-2.tar.gz").code == 0)
        let synced = try await w.sync(["--source", "eole", "--from", "usb/eole-2.tar.gz"])
        #expect(synced.code == 0, "\(synced.stderr)")
        #expect(try await amonDefault(w) == "strict")
        let status = try await w.zm(["status", "--json"])
        let root = ((try status.json() as? [String: Any])?["sources"] as? [[String: Any]])?.first?["root"] as? [String: Any]
        #expect(root?["version"] as? Int == 2, "\(status.stdout)")

        // A chain with a version missing is refused, as `root rotate` refuses it, not cut short.
        try FileManager.default.moveItem(at: w.file("roots/root/2.json"), to: w.file("roots/root/3.json"))
        let gap = try await publish(3, key: "index-2", out: "usb/eole-3.tar.gz")
        #expect(gap.code == 65, "\(gap.stderr)")
        #expect(gap.stderr.contains("holds roots 1, 3, not 1 to 2 without a gap"), "\(gap.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.file("usb/eole-3.tar.gz").path))
    }
}
}
