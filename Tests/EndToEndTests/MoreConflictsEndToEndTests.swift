import Foundation
import Testing
@testable import ZephirCore

/// The conflict kinds and exit paths the other suites do not reach: content accepted under
/// `policy: warn`, an inheritance cycle across sources, and a run that finds the lock held.
@Suite(.serialized) struct MoreConflictsEndToEndTests {
    @Test func unsignedContentIsAcceptedAndAnnotatedUnderWarn() async throws {
        let w = Workspace()
        _ = w.key("eole")   // trusted, but the bundle is signed by another key
        try w.publish("eole", version: 1, files: eoleTree(), signers: ["mallory"])
        try w.configure([fileSource("eole", priority: 100, policy: "warn")])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        let unsigned = run.report.conflicts(kind: "unsigned-accepted")
        #expect(unsigned.count == 1 && unsigned.first?["subject"] as? String == "eole" && unsigned.first?["severity"] as? String == "warning")
        #expect(unsigned.first?["reason"] as? String == "unknown-key")
        #expect(try await w.model("2.7.1/amon")["source"] as? String == "eole")

        // Under `required` the same bundle is rejected.
        try w.configure([fileSource("eole", priority: 100, policy: "required")])
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"), signers: ["mallory"])
        let strict = try await w.sync()
        #expect(strict.code == 3)
        #expect(strict.report.conflicts(kind: "source-rejected").first?["reason"] as? String == "unknown-key")
    }

    @Test func anInheritanceCycleAcrossSourcesIsReportedAndNotWritten() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        // Each tree alone is valid (a cycle inside one tree is refused by `publish` and by the
        // trust checks); the cycle only exists once both vendors' models are merged.
        try w.publish("acme", version: 1, files: ["releases/2.7.1/servermodels/acme-a.yml": "name: acme-a\nparent: acme-b\n"])
        try w.publish("beta", version: 1, files: ["releases/2.7.1/servermodels/acme-b.yml": "name: acme-b\nparent: acme-a\n"])
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]"),
                         fileSource("beta", kind: "external", priority: 40, scope: "[\"2.7.*/acme-*\"]")])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        let cycle = run.report.conflicts(kind: "inheritance-cycle")
        #expect(cycle.count == 1 && cycle.first?["subject"] as? String == "2.7.1/acme-a" && cycle.first?["severity"] as? String == "error")
        #expect(cycle.first?["members"] as? [String] == ["2.7.1/acme-a", "2.7.1/acme-b"])
        let listed = (try await w.zm(["conflicts", "--json"]).json() as? [[String: Any]] ?? []).compactMap { $0["conflict"] as? [String: Any] }
        #expect(["conflicts": listed].conflictFields(kind: "inheritance-cycle") == ["2.7.1/acme-a": #"{"members":["2.7.1/acme-a","2.7.1/acme-b"]}"#])
        #expect(try await w.zm(["models", "show", "2.7.1/acme-a"]).code != 0)
        #expect(try await w.zm(["models", "list", "--json"]).modelsList.count == 3)
    }

    @Test func aRunThatFindsTheLockHeldWaitsThenExits3() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.configure([fileSource("eole", priority: 100)])   // lock_timeout: 2s
        #expect(try await w.sync().code == 0)
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"))

        // Another run holds the lock (flock(2) on the SQLite lock file, or PostgreSQL's advisory lock).
        let holder = try w.holdRunLock()
        defer { holder.release() }

        let started = Date()
        let blocked = try await w.zm(["sync"])
        let waited = Date().timeIntervalSince(started)
        #expect(blocked.code == 3, "\(blocked.stderr)")
        #expect(blocked.stderr.contains("lock"))
        #expect(waited >= 1.9 && waited < 15, "waited \(waited) s")
        #expect(await (try w.model("2.7.1/amon")["variables"] as? [[String: Any]])?.contains {
            ($0["variable"] as? [String: Any])?["defaultValue"] as? String == "strict" } == false)

        holder.release()
        #expect(try await w.sync().code == 0)
    }
}

/// The publisher's side on a generated tree of realistic size: generate, publish, verify.
@Suite struct PublisherEndToEndTests {
    @Test func publishThenVerifyRoundTripsOnAGeneratedTreeOf100ModelsBy200Variables() async throws {
        let w = Workspace()
        let generate = try await w.cli.run(["fake", "generate", "tree", "--seed", "7", "--releases", "1", "--models", "100", "--variables", "200"])
        #expect(generate.code == 0, "\(generate.stderr)")
        #expect(try await w.cli.run(["keygen", "--out", "keys/eole"]).code == 0)
        let publish = try await w.cli.run(["publish", "tree", "--source", "eole", "--key", "keys/eole.key", "--version", "1", "--expires", "30d", "--out", "bundle"])
        #expect(publish.code == 0, "\(publish.stderr)")
        let verify = try await w.cli.run(["verify", "bundle", "--trust", "keys/eole.pub", "--json"])
        #expect(verify.code == 0, "\(verify.stdout) \(verify.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: w.file("bundle/tree").path).filter { $0.hasSuffix(".yml") }
        #expect(files.filter { $0.contains("servermodels/") }.count == 100)

        // The same version again is refused; a tampered file is caught by verify.
        #expect(try await w.cli.run(["publish", "tree", "--source", "eole", "--key", "keys/eole.key", "--version", "1", "--expires", "30d", "--out", "bundle"]).code == 65)
        let model = w.file("bundle/tree/" + files.first { $0.contains("servermodels/") }!)
        var bytes = try Data(contentsOf: model)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: model)
        let tampered = try await w.cli.run(["verify", "bundle", "--trust", "keys/eole.pub"])
        #expect(tampered.code == 65 && tampered.stderr.contains("digest"), "\(tampered.stderr)")
    }
}
