import Foundation
import Testing
@testable import ZephirCore

/// SPEC §4 step 2: kind and scope set aside what a source may not define before its tree is
/// validated; §4 step 4: references into releases the tree does not define stay open.
@Suite struct SourceScopeTests {
    /// A vendor's tree holding EOLE's version and release, EOLE's amon, and its own model.
    func vendorTree() throws -> DatasourceTree {
        var tree = DatasourceTree()
        for (path, text) in [
            "versions/2.7.yml": "name: 2.7\nlabel: EOLE 2.7\n",
            "releases/2.7.1/release.yml": "name: 2.7.1\nversion: 2.7\nstatus: stable\ndate: 2025-01-01\n",
            "releases/2.7.1/servermodels/eolebase.yml": "name: eolebase\n",
            "releases/2.7.1/servermodels/amon.yml": "name: amon\nparent: eolebase\n",
            "releases/2.7.1/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\nservices: [eole-proxy]\n",
        ] {
            tree.add(try TreeFileDecoder().decode(path: path, bytes: Array(text.utf8)))
        }
        return tree
    }

    @Test func anAddOnKeepsOnlyTheModelsItsScopeAllows() throws {
        let scope = SourceScope(role: .addon, globs: [ScopeGlob("2.7.*/acme-*")!])
        let kept = scope.inScope(try vendorTree())
        #expect(kept.versions.isEmpty)
        #expect(kept.releases["2.7.1"]?.release == nil)
        #expect(kept.releases["2.7.1"]?.models.keys.sorted() == ["acme-fw"])
        // What remains refers into a release it does not define: nothing to reject, one reference open each.
        #expect(TreeValidator.problems(in: kept).isEmpty)
        #expect(TreeValidator.openReferences(in: kept).map { "\($0.kind) \($0.name)" } == ["parent amon", "service eole-proxy"])
    }

    @Test func theWholeTreeWouldBeRejectedWithoutTheScope() throws {
        // The bug of issue 12: the vendor's copy of release.yml made 2.7.1 "defined", so its
        // service reference had to be satisfied inside the vendor's tree.
        let problems = TreeValidator.problems(in: try vendorTree())
        #expect(problems.map(\.problem) == [.danglingReference(from: "model acme-fw", kind: .service, name: "eole-proxy", release: "2.7.1")])
    }

    @Test func anAuthorityKeepsItsInScopeReleaseWhole() throws {
        let all = SourceScope(role: .authority, globs: [ScopeGlob("*")!])
        let tree = try vendorTree()
        #expect(all.inScope(tree) == tree)
        let other = SourceScope(role: .authority, globs: [ScopeGlob("2.8.*")!])
        #expect(other.inScope(tree).releases.isEmpty && other.inScope(tree).versions.isEmpty)
    }

    @Test func versionScopeFollowsTheTreesOwnReleases() throws {
        let tree = try vendorTree()
        #expect(SourceScope(role: .authority, globs: [ScopeGlob("2.7.1")!]).allowsVersion("2.7", in: tree))
        #expect(!SourceScope(role: .authority, globs: [ScopeGlob("2.7.2")!]).allowsVersion("2.7", in: tree))
        #expect(!SourceScope(role: .addon, globs: [ScopeGlob("*")!]).allowsVersion("2.7", in: tree))
        #expect(SourceScope(role: .authority, globs: [ScopeGlob("2.9.*")!]).allowsVersion("2.9", in: DatasourceTree()))
    }
}
