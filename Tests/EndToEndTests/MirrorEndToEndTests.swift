import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// SPEC §5.2 with the binary: a source served by two mirrors keeps syncing when the first is
/// stopped, says which mirror failed, and `status` shows each mirror's last result; `sync
/// --source NAME --from PLACE` reads one source once from elsewhere (an air-gapped site).
extension CarrierProcesses {
@Suite(.serialized) struct MirrorEndToEndTests {
    /// Copies the published bundle into a mirror's folder, as `rsync --delete` would.
    func mirror(_ w: Workspace, to folder: String) throws {
        let target = w.file(folder)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: w.file("bundles/eole"), to: target)
    }

    /// Serves `www-a/` and `www-b/` over HTTP and configures `eole` with both as mirrors, `a` first.
    func serveTwoMirrors(_ w: Workspace) throws -> (a: StaticHTTPServer, b: StaticHTTPServer) {
        let a = try StaticHTTPServer(serving: w.file("www-a"))
        let b = try StaticHTTPServer(serving: w.file("www-b"))
        try w.configure(["""
              - name: eole
                kind: eole
                url: [\(a.base)/eole/, \(b.base)/eole/]
                priority: 100
                timeout: 5s
                signature: {policy: required, keys: [eole.pub]}

            """])
        return (a, b)
    }

    func mirrors(_ w: Workspace) async throws -> [[String: Any]] {
        let status = try await w.zm(["status", "--json"])
        #expect(status.code == 0, "\(status.stderr)")
        return ((try status.json() as? [String: Any])?["sources"] as? [[String: Any]])?.first?["mirrors"] as? [[String: Any]] ?? []
    }

    @Test func aSyncFromTwoMirrorsWithTheFirstStoppedAppliesAndNamesTheMirror() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree(amonDefault: "souple"))
        try mirror(w, to: "www-a/eole")
        try mirror(w, to: "www-b/eole")
        let (a, b) = try serveTwoMirrors(w)
        defer { a.stop(); b.stop() }

        let first = try await w.sync()
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.report.result(of: "eole") == "updated")
        #expect(try await mirrors(w).map { $0["lastResult"] as? String } == ["served", "served"])

        // The first mirror goes down; the publisher's v2 reaches the second one only.
        a.stop()
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"))
        try mirror(w, to: "www-b/eole")
        let second = try await w.sync()
        #expect(second.code == 0, "a mirror down is a warning, not a failed source: \(second.stderr)")
        #expect(second.report.result(of: "eole") == "updated")
        let warnings = second.report.conflicts(kind: "mirror-unavailable")
        #expect(warnings.count == 1, "\(second.report.conflicts)")
        #expect(warnings.first?["mirror"] as? String == "\(a.base)/eole/")
        #expect(warnings.first?["severity"] as? String == "warning")
        #expect(second.report.conflicts(kind: "source-unavailable").isEmpty)
        let status = try await mirrors(w)
        #expect(status.map { $0["lastResult"] as? String } == ["unavailable", "served"])
        #expect(status.last?["version"] as? Int == 2)
        let text = try await w.zm(["status"])
        #expect(text.stdout.contains("mirror:     \(a.base)/eole/: unavailable"), "\(text.stdout)")
        #expect(text.stdout.contains("mirror:     \(b.base)/eole/: served, version 2"), "\(text.stdout)")

        // Both down: now the source is unavailable, its v2 kept.
        b.stop()
        let third = try await w.sync()
        #expect(third.code == 3 || third.code == 2, "\(third.stderr)")
        #expect(third.report.conflicts(kind: "source-unavailable").first?["detail"].map { "\($0)" }?.contains("every mirror failed") == true,
                "\(third.report.conflicts)")
        #expect(try await mirrors(w).map { $0["lastResult"] as? String } == ["unavailable", "unavailable"])
        // The human report: the result, a space, then why (`unavailable` fills its column).
        let fourth = try await w.zm(["sync"])
        #expect(fourth.stdout.contains("eole  unavailable http://127.0.0.1:"), "\(fourth.stdout)")
    }

    /// One mirror serves a version signed by a key the source does not trust, the other the
    /// genuine one: the forgery is refused and named, and the genuine version applies.
    @Test func aForgedMirrorIsRejectedByNameWhileTheOtherServesTheSource() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree(amonDefault: "souple"))
        try mirror(w, to: "www-b/eole")
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"), signers: ["mallory"])
        try mirror(w, to: "www-a/eole")
        let (a, b) = try serveTwoMirrors(w)
        defer { a.stop(); b.stop() }

        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.report.result(of: "eole") == "updated")
        let rejected = run.report.conflicts(kind: "source-rejected")
        #expect(rejected.count == 1, "\(run.report.conflicts)")
        #expect(rejected.first?["mirror"] as? String == "\(a.base)/eole/")
        #expect(rejected.first?["reason"] as? String == "unknown-key")
        #expect(try await mirrors(w).map { $0["lastResult"] as? String } == ["rejected", "served"])
        #expect(try await amonDefault(w) == "souple", "the genuine version 1 is in force")
    }

    @Test func fromReadsOneSourceOnceFromElsewhereAndItsSignaturePolicyStillDecides() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree(amonDefault: "souple"))
        try w.configure([fileSource("eole", priority: 100, url: "https://eole.invalid/zephir/eole")])

        // The configured URL cannot be reached from here; the USB key can.
        try mirror(w, to: "usb/eole")
        let synced = try await w.sync(["--source", "eole", "--from", "usb/eole"])
        #expect(synced.code == 0, "\(synced.stderr)")
        #expect(synced.report.result(of: "eole") == "updated")

        // A forged copy on the key is refused like any other.
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"), signers: ["mallory"])
        try mirror(w, to: "usb/forged")
        let forged = try await w.sync(["--source", "eole", "--from", "usb/forged"])
        #expect(forged.code == 3, "\(forged.stderr)")
        #expect(forged.report.conflicts(kind: "source-rejected").first?["reason"] as? String == "unknown-key")

        // A key that is not there: the source is unavailable this once, naming the path.
        let missing = try await w.sync(["--source", "eole", "--from", "usb/missing"])
        #expect(missing.code == 3, "\(missing.stderr)")
        let unavailable = missing.report.conflicts(kind: "source-unavailable").first
        #expect((unavailable?["detail"] as? String)?.contains("usb/missing") == true, "\(missing.report.conflicts)")

        let noSource = try await w.zm(["sync", "--from", "usb/eole"])
        #expect(noSource.code == 64)
        #expect(noSource.stderr.contains("exactly one --source"), "\(noSource.stderr)")
        let unknown = try await w.zm(["sync", "--source", "acme", "--from", "usb/eole"])
        #expect(unknown.code == 78)
        #expect(unknown.stderr.contains("no source is named 'acme'"), "\(unknown.stderr)")
    }
}
}
