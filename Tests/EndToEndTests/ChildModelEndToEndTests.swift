import Foundation
import Testing
@testable import ZephirCore

/// Local child models: never touched by a sync, and told precisely what happened to their parents.
@Suite(.serialized) struct ChildModelEndToEndTests {
    func locals(_ w: Workspace) async throws -> String {
        var out = [try await w.zm(["models", "list", "--origin", "local", "--json"]).stdout]
        for model in try await w.zm(["models", "list", "--origin", "local", "--json"]).modelsList {
            let detail = try await w.zm(["models", "show", "\(model["release"]!)/\(model["name"]!)", "--json"]).json() as? [String: Any]
            let local = (detail?["model"] as? [String: Any])?["local"] ?? [:]
            out.append(String(decoding: try JSONSerialization.data(withJSONObject: local, options: [.sortedKeys]), as: UTF8.self))
        }
        return out.joined(separator: "\n")
    }

    @Test func childConflictsAreRaisedAndChildrenStayByteIdentical() async throws {
        let w = Workspace()
        var v1 = eoleTree()
        v1["releases/2.7.1/applicationservices/eole-extra.yml"] = "name: eole-extra\n"
        try w.publish("eole", version: 1, files: v1)
        try w.configure([fileSource("eole", priority: 100)])
        #expect(try await w.sync().code == 0)

        #expect(try await w.zm(["models", "derive", "--parent", "2.7.1/amon", "--name", "amon-lycee", "--set", "mode_filtrage=strict",
                          "--set", "activer_proxy=false", "--add-service", "eole-extra"]).code == 0)
        #expect(try await w.zm(["models", "derive", "--parent", "2.7.1/scribe", "--name", "scribe-college", "--set", "quota=800"]).code == 0)
        #expect(try await w.zm(["models", "derive", "--parent", "2.7.1/amon-lycee", "--name", "amon-lycee-annexe", "--set", "port_ssh=2222"]).code == 0)
        // Bad derivations are refused with the reason, exit 65.
        let unknown = try await w.zm(["models", "derive", "--parent", "2.7.1/amon", "--name", "x", "--set", "nope=1"])
        #expect(unknown.code == 65 && unknown.stderr.contains("has no variable 'nope'"))
        let invalid = try await w.zm(["models", "derive", "--parent", "2.7.1/amon", "--name", "x", "--set", "mode_filtrage=maybe"])
        #expect(invalid.code == 65 && invalid.stderr.contains("expected one of: strict, souple, aucun"))
        let before = try await locals(w)

        // v2: eolebase changes (parent-updated below it), amon drops 'strict' and activer_proxy,
        // scribe goes away, eole-extra goes away, and quota's default becomes the child's value.
        var v2 = eoleTree(withScribe: false)
        v2["releases/2.7.1/servermodels/amon.yml"] = "name: amon\nparent: eolebase\nservices: [eole-proxy]\nvariables:\n  mode_filtrage: {type: choice, choices: [souple, aucun], default: souple}\n"
        v2["releases/2.7.1/servermodels/eolebase.yml"]! += "  ntp: {type: domain, default: pool.ntp.org}\n"
        try w.publish("eole", version: 2, files: v2)
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        func subjects(_ kind: String) -> Set<String> { Set(run.report.conflicts(kind: kind).compactMap { $0["subject"] as? String }) }
        #expect(subjects("parent-removed") == ["2.7.1/scribe-college"])
        #expect(subjects("override-invalid-value") == ["2.7.1/amon-lycee"])
        #expect(subjects("override-unknown-variable") == ["2.7.1/amon-lycee"])
        #expect(subjects("service-missing") == ["2.7.1/amon-lycee"])
        #expect(subjects("parent-updated") == ["2.7.1/amon-lycee", "2.7.1/amon-lycee-annexe"])
        #expect(run.report.conflicts(kind: "parent-removed").first?["severity"] as? String == "error")
        // Each conflict names what a program needs, beside its detail.
        let fields = [
            "parent-removed": ["2.7.1/scribe-college": #"{"parent":"2.7.1/scribe"}"#],
            "override-invalid-value": ["2.7.1/amon-lycee": #"{"choices":["souple","aucun"],"expected":"choice","value":"strict","variable":"mode_filtrage"}"#],
            "override-unknown-variable": ["2.7.1/amon-lycee": #"{"value":"false","variable":"activer_proxy"}"#],
            "service-missing": ["2.7.1/amon-lycee": #"{"service":"2.7.1/service/eole-extra"}"#],
            "parent-updated": ["2.7.1/amon-lycee": #"{"parent":"2.7.1/amon"}"#, "2.7.1/amon-lycee-annexe": #"{"parent":"2.7.1/amon"}"#],
        ]
        for (kind, expected) in fields { #expect(run.report.conflictFields(kind: kind) == expected, "\(kind)") }
        // `conflicts --json` reads them back from the store.
        let listed = (try await w.zm(["conflicts", "--json"]).json() as? [[String: Any]] ?? []).compactMap { $0["conflict"] as? [String: Any] }
        for (kind, expected) in fields { #expect(["conflicts": listed].conflictFields(kind: kind) == expected, "conflicts --json: \(kind)") }
        #expect(try await locals(w) == before)

        // A new root model with a child's key is not written.
        var v3 = v2
        v3["releases/2.7.1/servermodels/amon-lycee.yml"] = "name: amon-lycee\nparent: eolebase\n"
        v3["releases/2.7.1/servermodels/scribe.yml"] = "name: scribe\nparent: eolebase\nvariables:\n  quota: {type: integer, default: 800}\n"
        try w.publish("eole", version: 3, files: v3)
        let third = try await w.sync()
        #expect(third.code == 0)
        #expect(Set(third.report.conflicts(kind: "name-collision").compactMap { $0["subject"] as? String }) == ["2.7.1/amon-lycee"])
        #expect(third.report.conflictFields(kind: "override-redundant") == ["2.7.1/scribe-college": #"{"expected":"800","value":"800","variable":"quota"}"#])
        #expect(third.report.conflictFields(kind: "name-collision") == ["2.7.1/amon-lycee": "{}"])
        #expect(try await w.model("2.7.1/amon-lycee")["origin"] as? String == "local")
        #expect(try await locals(w) == before)

        // Acknowledging parent-updated records the review: the next resolving run does not raise it again.
        let open = try await w.zm(["conflicts", "--json"]).json() as? [[String: Any]] ?? []
        let ids = open.filter { ($0["conflict"] as? [String: Any])?["kind"] as? String == "parent-updated" }.compactMap { ($0["id"] as? Int).map(String.init) }
        #expect(!ids.isEmpty)
        #expect(try await w.zm(["conflicts", "ack"] + ids).code == 0)
        try w.publish("eole", version: 4, files: v3.merging(["releases/2.7.1/servermodels/horus.yml": "name: horus\nparent: eolebase\n"]) { a, _ in a })
        let fourth = try await w.sync()
        #expect(fourth.report.conflicts(kind: "parent-updated").isEmpty)
        #expect(try await w.zm(["conflicts", "ack", "999999"]).code == 64)
    }

    @Test func aDanglingRootAndItsChildAreReportedAndNotWritten() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.publish("acme", version: 1, files: [
            "releases/2.7.1/servermodels/acme-a.yml": "name: acme-a\nparent: acme-b\n",
            "releases/2.7.1/servermodels/acme-b.yml": "name: acme-b\nparent: eolebase\nservices: [acme-missing]\n",
        ])
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]")])
        let run = try await w.sync()
        #expect(run.code == 0)
        #expect(run.report.conflictFields(kind: "dangling-reference") == ["2.7.1/acme-a": #"{"missing":{"kind":"parent","name":"2.7.1/acme-b"}}"#,
                                                                         "2.7.1/acme-b": #"{"missing":{"kind":"service","name":"2.7.1/service/acme-missing"}}"#])
        #expect(try await w.zm(["models", "show", "2.7.1/acme-b"]).code != 0)
    }
}
