import Testing
@testable import ZephirCore

/// Builds source layers in code, so that each resolver case reads as what it is about.
struct LayerBuilder {
    var source: String
    var role: SourceRole = .authority
    var priority: Int
    var scope: [String] = ["*"]
    var tree = DatasourceTree()

    init(_ source: String, _ role: SourceRole = .authority, priority: Int, scope: [String] = ["*"]) {
        self.source = source
        self.role = role
        self.priority = priority
        self.scope = scope
    }

    /// Version 2.7 and release `release` of it.
    func withRelease(_ release: String = "2.7.1", version: String = "2.7", defineVersion: Bool = true) -> LayerBuilder {
        var copy = self
        if defineVersion { copy.tree.add(.version(Version(name: version, label: "EOLE \(version)"))) }
        copy.tree.add(.release(Release(name: release, version: version, status: .stable, date: "2025-01-01")))
        return copy
    }

    func withService(_ name: String, release: String = "2.7.1", depends: [String] = []) -> LayerBuilder {
        var copy = self
        copy.tree.add(.service(release: release, ApplicationService(name: name, depends: depends)))
        return copy
    }

    func withModel(_ name: String, release: String = "2.7.1", parent: String? = nil, services: [String] = [], description: String = "",
                   variables: [Variable] = []) -> LayerBuilder {
        var copy = self
        copy.tree.add(.model(release: release, ServerModel(name: name, description: description, parent: parent, services: services, variables: variables)))
        return copy
    }

    var layer: SourceLayer {
        SourceLayer(source: source, role: role, priority: priority, scope: scope.map { ScopeGlob($0)! }, version: 1, tree: tree)
    }
}

extension ResolvedState {
    func conflicts(_ kind: Conflict.Kind) -> [Conflict] { conflicts.filter { $0.kind == kind } }
    func subjects(_ kind: Conflict.Kind) -> Set<String> { Set(conflicts(kind).map(\.subject)) }
    func model(_ key: String) -> Resolved<ServerModel>? { models[ModelKey(key)!] }
}

@Suite struct ResolverTests {
    let eole = LayerBuilder("eole", priority: 100).withRelease().withModel("eolebase").withModel("amon", parent: "eolebase")

    @Test func aSingleAuthorityResolvesEverythingWithoutConflicts() {
        let state = Resolver.resolve([eole.withService("web").withModel("scribe", parent: "eolebase", services: ["web"]).layer])
        #expect(state.models.count == 3)
        #expect(state.versions["2.7"]?.source == "eole")
        #expect(state.releases["2.7.1"]?.source == "eole")
        #expect(state.services[ServiceKey(release: "2.7.1", name: "web")]?.source == "eole")
        #expect(state.conflicts.isEmpty)
        #expect(state.candidates[ModelKey("2.7.1/amon")!] == [Candidate(source: "eole", priority: 100, outcome: .won)])
    }

    @Test func theHighestPrioritySourceWinsAndTheLoserIsShadowed() {
        let ministry = LayerBuilder("ministry", priority: 90).withRelease().withModel("eolebase").withModel("amon", parent: "eolebase", description: "other")
        let state = Resolver.resolve([ministry.layer, eole.layer])
        #expect(state.model("2.7.1/amon")?.source == "eole")
        let amon = state.conflicts(.shadowed).first { $0.subject == "2.7.1/amon" }
        #expect(amon?.sources == ["eole", "ministry"])
        #expect(amon?.severity == .warning)
        #expect(amon?.fields == Conflict.Fields(winner: "eole", losers: ["ministry"]))
        // Identical content: shadowed, but only info.
        #expect(state.conflicts(.shadowed).first { $0.subject == "2.7.1/eolebase" }?.severity == .info)
        #expect(state.candidates[ModelKey("2.7.1/amon")!]?.map(\.outcome) == [.won, .shadowed])
    }

    @Test func aSourceOutsideItsScopeIsIgnoredEvenWithAHigherPriority() {
        let acme = LayerBuilder("acme", .addon, priority: 500, scope: ["2.7.*/acme-*"])
            .withModel("amon").withModel("acme-fw", parent: "amon").withModel("acme-new", release: "2.8.0")
        let state = Resolver.resolve([eole.layer, acme.layer])
        #expect(state.model("2.7.1/amon")?.source == "eole")
        #expect(state.model("2.7.1/acme-fw")?.source == "acme")
        #expect(state.subjects(.outOfScope) == ["2.7.1/amon", "2.8.0/acme-new"])
        #expect(state.conflicts(.outOfScope).allSatisfy { $0.severity == .warning && $0.sources == ["acme"] })
        #expect(state.conflicts(.outOfScope).allSatisfy { $0.fields == Conflict.Fields(scope: ["2.7.*/acme-*"]) })
        #expect(state.candidates[ModelKey("2.7.1/amon")!] == [Candidate(source: "acme", priority: 500, outcome: .outOfScope),
                                                                Candidate(source: "eole", priority: 100, outcome: .won)])
        #expect(state.conflicts(.shadowed).isEmpty)
    }

    @Test func anAuthorityScopeRestrictsItToo() {
        let narrow = LayerBuilder("eole", priority: 100, scope: ["2.8.*"]).withRelease().withModel("eolebase")
        let state = Resolver.resolve([narrow.layer])
        #expect(state.models.isEmpty)
        #expect(state.releases.isEmpty)
        #expect(state.subjects(.outOfScope).isSuperset(of: ["2.7.1", "2.7.1/eolebase"]))
    }

    @Test func anAddOnMayNotDefineVersionsOrReleases() {
        let acme = LayerBuilder("acme", .addon, priority: 500).withRelease("2.9.0", version: "2.9").withModel("acme-x", release: "2.9.0")
        let state = Resolver.resolve([eole.layer, acme.layer])
        #expect(state.versions["2.9"] == nil && state.releases["2.9.0"] == nil)
        #expect(state.subjects(.outOfScope) == ["2.9", "2.9.0"])
        #expect(state.conflicts(.outOfScope).allSatisfy { $0.fields == Conflict.Fields(role: "addon") })
        // Its model then belongs to a release nobody defines.
        #expect(state.subjects(.danglingReference) == ["2.9.0/acme-x"])
        #expect(state.conflicts(.danglingReference).first?.fields.missing == Conflict.Reference(.release, "2.9.0"))
        #expect(state.model("2.9.0/acme-x") == nil)
    }

    @Test func referencesResolveAcrossSources() {
        let acme = LayerBuilder("acme", .addon, priority: 50, scope: ["2.7.*/acme-*"]).withService("acme-agent", depends: ["web"])
            .withModel("acme-fw", parent: "amon", services: ["acme-agent", "web"])
        let state = Resolver.resolve([eole.withService("web").layer, acme.layer])
        #expect(state.model("2.7.1/acme-fw")?.source == "acme")
        #expect(state.services[ServiceKey(release: "2.7.1", name: "acme-agent")]?.source == "acme")
        #expect(state.conflicts.isEmpty)
    }

    @Test func danglingReferencesAreExcludedInCascade() {
        let layer = eole.withService("web").withService("proxy", depends: ["missing-svc"])
            .withModel("a", parent: "b").withModel("b", parent: "gone").withModel("c", services: ["proxy"]).withModel("d", parent: "c")
        let state = Resolver.resolve([layer.layer])
        #expect(state.subjects(.danglingReference) == ["2.7.1/a", "2.7.1/b", "2.7.1/c", "2.7.1/d", "2.7.1/service/proxy"])
        #expect(state.conflicts(.danglingReference).allSatisfy { $0.severity == .error })
        #expect(Set(state.models.keys.map(\.name)) == ["eolebase", "amon"])
        let missing = Dictionary(uniqueKeysWithValues: state.conflicts(.danglingReference).map { ($0.subject, $0.fields.missing) })
        #expect(missing == ["2.7.1/a": Conflict.Reference(.parent, "2.7.1/b"), "2.7.1/b": Conflict.Reference(.parent, "2.7.1/gone"),
                            "2.7.1/c": Conflict.Reference(.service, "2.7.1/service/proxy"), "2.7.1/d": Conflict.Reference(.parent, "2.7.1/c"),
                            "2.7.1/service/proxy": Conflict.Reference(.dependency, "2.7.1/service/missing-svc")])
    }

    @Test func aReleaseOfAnUndefinedVersionIsDangling() {
        let layer = LayerBuilder("eole", priority: 100).withRelease(defineVersion: false).withModel("eolebase")
        let state = Resolver.resolve([layer.layer])
        #expect(state.releases.isEmpty && state.models.isEmpty)
        #expect(state.subjects(.danglingReference) == ["2.7.1", "2.7.1/eolebase"])
        #expect(state.conflicts(.danglingReference).map(\.fields.missing) == [Conflict.Reference(.version, "2.7"), Conflict.Reference(.release, "2.7.1")])
    }

    @Test func anInheritanceCycleAcrossSourcesIsExcluded() {
        let acme = LayerBuilder("acme", .addon, priority: 50).withModel("acme-a", parent: "acme-b").withModel("acme-b", parent: "acme-a")
            .withModel("acme-c", parent: "acme-a")
        let state = Resolver.resolve([eole.layer, acme.layer])
        let cycle = state.conflicts(.inheritanceCycle)
        #expect(cycle.count == 1 && cycle[0].subject == "2.7.1/acme-a" && cycle[0].severity == .error)
        #expect(cycle[0].fields == Conflict.Fields(members: ["2.7.1/acme-a", "2.7.1/acme-b"]))
        #expect(state.subjects(.danglingReference) == ["2.7.1/acme-c"])
        #expect(state.models.count == 2)
    }

    @Test func aHigherPriorityCopyCanCreateACycleThatTheOtherSourceDidNotHave() {
        // eole: amon → eolebase; ministry (higher) redefines eolebase with parent amon: a cycle.
        let ministry = LayerBuilder("ministry", priority: 200).withModel("eolebase", parent: "amon")
        let state = Resolver.resolve([eole.layer, ministry.layer])
        #expect(state.subjects(.inheritanceCycle) == ["2.7.1/amon"])
        #expect(state.conflicts(.inheritanceCycle).first?.fields.members == ["2.7.1/amon", "2.7.1/eolebase"])
        #expect(state.models.isEmpty)
    }

    @Test func digestsComeFromTheIndexWhenKnown() {
        var layer = eole.layer
        layer.fileDigests = ["releases/2.7.1/servermodels/amon.yml": "abc"]
        let state = Resolver.resolve([layer])
        #expect(state.model("2.7.1/amon")?.digest == "abc")
        #expect(state.model("2.7.1/eolebase")?.digest.count == 64)
    }
}
