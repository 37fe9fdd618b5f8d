import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

@Suite struct TreeValidatorTests {
    let base: [String: String] = [
        "versions/2.7.yml": "name: 2.7\nlabel: EOLE 2.7\n",
        "releases/2.7.1/release.yml": "name: 2.7.1\nversion: 2.7\nstatus: stable\ndate: 2025-01-01\n",
        "releases/2.7.1/applicationservices/web.yml": "name: web\n",
        "releases/2.7.1/servermodels/eolebase.yml": "name: eolebase\nservices: [web]\n",
    ]

    func problems(_ extra: [String: String], removing: [String] = []) throws -> [TreeError.Problem] {
        var files = base.merging(extra) { _, new in new }
        for path in removing { files[path] = nil }
        do {
            _ = try TreeLoader().load(from: writeTree(files))
            return []
        } catch {
            return error.errors.map(\.problem)
        }
    }

    @Test func acceptsTheFixtureTree() throws {
        let loaded = try TreeLoader().load(from: fixtureTree())
        #expect(loaded.tree.modelCount == 2)
        #expect(loaded.tree.variableCount == 9)
        #expect(loaded.files.map(\.path) == loaded.files.map(\.path).sorted())
    }

    @Test func refusesAReleaseOfAnUnknownVersion() throws {
        #expect(try problems([:], removing: ["versions/2.7.yml"]) == [.unknownVersion(release: "2.7.1", version: "2.7")])
    }

    @Test func refusesDanglingReferencesInADefinedRelease() throws {
        #expect(try problems(["releases/2.7.1/servermodels/amon.yml": "name: amon\nparent: nowhere\n"])
            == [.danglingReference(from: "model amon", kind: .parent, name: "nowhere", release: "2.7.1")])
        #expect(try problems(["releases/2.7.1/servermodels/amon.yml": "name: amon\nservices: [web, ghost]\n"])
            == [.danglingReference(from: "model amon", kind: .service, name: "ghost", release: "2.7.1")])
        #expect(try problems(["releases/2.7.1/applicationservices/mail.yml": "name: mail\ndepends: [smtp]\n"])
            == [.danglingReference(from: "service mail", kind: .dependency, name: "smtp", release: "2.7.1")])
    }

    @Test func leavesReferencesIntoAReleaseDefinedElsewhereToTheMerge() throws {
        // A vendor adds a model to EOLE's 2.8.0 without shipping it: its parent is EOLE's.
        #expect(try problems(["releases/2.8.0/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\nservices: [eole-proxy]\n"]) == [])
    }

    @Test func refusesInheritanceCycles() throws {
        let cycle = try problems([
            "releases/2.7.1/servermodels/a.yml": "name: a\nparent: c\n",
            "releases/2.7.1/servermodels/b.yml": "name: b\nparent: a\n",
            "releases/2.7.1/servermodels/c.yml": "name: c\nparent: b\n",
        ])
        #expect(cycle == [.inheritanceCycle(release: "2.7.1", models: ["a", "c", "b"])])
        // In a release defined elsewhere too.
        let partial = try problems([
            "releases/2.9.0/servermodels/x.yml": "name: x\nparent: y\n",
            "releases/2.9.0/servermodels/y.yml": "name: y\nparent: x\n",
        ])
        #expect(partial == [.inheritanceCycle(release: "2.9.0", models: ["x", "y"])])
    }

    @Test func reportsEveryBrokenFileAtOnce() throws {
        let all = try problems([
            "releases/2.7.1/servermodels/a.yml": "name: b\n",
            "releases/2.7.1/servermodels/c.yml": "name: c\nfoo: 1\n",
        ])
        #expect(all.count == 2)
    }

    @Test func refusesSymbolicLinks() throws {
        let root = writeTree(base)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("versions/2.8.yml").path, withDestinationPath: "/etc/passwd")
        #expect(throws: TreeValidationError.self) { try TreeLoader().load(from: root) }
    }

    @Test func refusesAnEmptyOrMissingFolder() {
        #expect(throws: TreeValidationError.self) { try TreeLoader().load(from: temporaryFolder()) }
        #expect(throws: TreeValidationError.self) { try TreeLoader().load(from: URL(fileURLWithPath: "/nonexistent/tree")) }
    }
}
