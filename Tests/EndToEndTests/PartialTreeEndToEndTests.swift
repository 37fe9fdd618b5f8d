import Foundation
import Testing
@testable import ZephirCore

/// Partial trees (SPEC §4, last paragraph): a publisher adds models to releases another source
/// defines. What its kind and scope do not allow is set aside as `out-of-scope`, never a reason
/// to reject the source; references into other sources' releases wait for the merge.
@Suite(.serialized) struct PartialTreeEndToEndTests {
    /// An external tree as a new vendor would write it: a copy of EOLE's version and release
    /// files, a copy of EOLE's amon (outside its scope), and its own model under amon.
    static let vendorTree: [String: String] = [
        "versions/2.7.yml": "name: \"2.7\"\nlabel: EOLE 2.7 (vendor copy)\n",
        "releases/2.7.1/release.yml": "name: 2.7.1\nversion: \"2.7\"\nstatus: stable\ndate: \"2025-02-12\"\n",
        "releases/2.7.1/servermodels/amon.yml": "name: amon\nparent: eolebase\nservices: [eole-proxy]\n",
        "releases/2.7.1/servermodels/acme-firewall.yml": """
            name: acme-firewall
            parent: amon
            services: [eole-proxy]
            variables:
              regles: {type: string, default: "strict"}

            """,
    ]

    @Test func anExternalTreeWithOutOfScopeEntriesKeepsItsInScopeModels() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.publish("acme", version: 1, files: Self.vendorTree)
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]")])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.report.result(of: "acme") == "updated")
        #expect(run.report.conflicts(kind: "source-rejected").isEmpty)
        let outOfScope = Set(run.report.conflicts(kind: "out-of-scope").compactMap { $0["subject"] as? String })
        #expect(outOfScope == ["2.7", "2.7.1", "2.7.1/amon"])
        #expect(try await w.model("2.7.1/acme-firewall")["source"] as? String == "acme")
        #expect(try await w.model("2.7.1/amon")["source"] as? String == "eole")
        #expect(run.report.conflicts(kind: "dangling-reference").isEmpty)
    }

    @Test func aSecondEOLESourceAddsModelsToEOLEsReleases() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.publish("dne", version: 1, files: [
            "releases/2.7.1/applicationservices/dne-annuaire.yml": "name: dne-annuaire\npackages: [slapd]\ndepends: [eole-web]\n",
            "releases/2.7.1/servermodels/scribe-dne.yml": "name: scribe-dne\nparent: scribe\nservices: [dne-annuaire, eole-web]\n",
        ])
        try w.configure([fileSource("eole", priority: 100), fileSource("dne", priority: 80)])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.report.result(of: "dne") == "updated")
        #expect(run.report.conflicts.filter { ($0["severity"] as? String) == "error" }.isEmpty, "\(run.report.conflicts)")
        let model = try await w.model("2.7.1/scribe-dne")
        #expect(model["source"] as? String == "dne")
    }

    @Test func aReferenceNothingSatisfiesIsADanglingReferenceAndTheSourceStillApplies() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        var tree = Self.vendorTree
        tree["releases/2.7.1/servermodels/acme-proxy.yml"] = "name: acme-proxy\nparent: horus\n"
        try w.publish("acme", version: 1, files: tree)
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]")])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.report.result(of: "acme") == "updated")
        let dangling = run.report.conflicts(kind: "dangling-reference")
        #expect(dangling.compactMap { $0["subject"] as? String } == ["2.7.1/acme-proxy"])
        #expect(dangling.first?["severity"] as? String == "error")
        #expect(try await w.model("2.7.1/acme-firewall")["source"] as? String == "acme")
        #expect(try await w.zm(["models", "show", "2.7.1/acme-proxy"]).code != 0)
    }

    @Test func anEOLEReleaseReferringToAMissingServiceIsStillRejected() async throws {
        let w = Workspace()
        var tree = eoleTree()
        tree["releases/2.7.1/servermodels/horus.yml"] = "name: horus\nparent: eolebase\nservices: [eole-samba]\n"
        try w.publish("eole", version: 1, files: tree)
        try w.configure([fileSource("eole", priority: 100)])
        let run = try await w.sync()
        #expect(run.code == 3, "\(run.stderr)")
        let rejected = run.report.conflicts(kind: "source-rejected")
        #expect(rejected.count == 1)
        #expect(rejected.first?["reason"] as? String == "invalid-tree", "\(rejected)")
        // Which reference is broken is said for people only (TrustError.invalidTree carries text).
        #expect((rejected.first?["detail"] as? String)?.contains("eole-samba") == true, "\(rejected)")
    }

    @Test func publishWarnsAboutTheReferencesItLeavesOpen() async throws {
        let w = Workspace()
        for (path, text) in Self.vendorTree where path.contains("acme-") {
            try w.write("tree/" + path, text)
        }
        #expect(try await w.cli.run(["keygen", "--out", "keys/acme"]).code == 0)
        let publish = try await w.cli.run(["publish", "tree", "--source", "acme", "--key", "keys/acme.key", "--version", "1", "--expires", "30d",
                                     "--out", "bundle", "--json"])
        #expect(publish.code == 0, "\(publish.stderr)")
        #expect(publish.stderr.contains("warning: releases/2.7.1/servermodels/acme-firewall.yml: model acme-firewall refers to parent 'amon'"),
                "\(publish.stderr)")
        let open = (try publish.json() as? [String: Any])?["openReferences"] as? [[String: Any]] ?? []
        #expect(open.map { "\($0["kind"] as? String ?? "")/\($0["name"] as? String ?? "")" } == ["parent/amon", "service/eole-proxy"])
    }
}
