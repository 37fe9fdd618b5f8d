import Testing
@testable import ZephirCore

@Suite struct PlannerTests {
    static let variables = [
        Variable(name: "mode", type: .choice, defaultValue: "souple", choices: ["strict", "souple"]),
        Variable(name: "port_ssh", type: .port, defaultValue: "22"),
    ]
    let base = LayerBuilder("eole", priority: 100).withRelease().withService("web").withService("proxy")
        .withModel("eolebase", services: ["web"], variables: [Variable(name: "port_ssh", type: .port, defaultValue: "22")])
        .withModel("amon", parent: "eolebase", services: ["proxy"], variables: [Variable(name: "mode", type: .choice, defaultValue: "souple", choices: ["strict", "souple"])])

    /// The store's state after applying `resolved` entirely.
    func stored(_ resolved: ResolvedState, locals: [LocalModel] = []) -> CurrentState {
        CurrentState(versions: resolved.versions.mapValues(CurrentState.stamp), releases: resolved.releases.mapValues(CurrentState.stamp),
                     services: resolved.services.mapValues(CurrentState.stamp), models: resolved.models.mapValues(CurrentState.stamp),
                     localModels: locals)
    }

    func child(_ name: String, parent: String, sets: [String: String] = [:], add: [String] = [], digestOf resolved: ResolvedState? = nil,
               root: String = "amon") -> LocalModel {
        let digest = resolved.flatMap { ModelInheritance.rootChainDigest(of: ModelKey(release: "2.7.1", name: root), in: $0.models) } ?? ""
        return LocalModel(release: "2.7.1", name: name, parent: parent, overrides: sets.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) },
                          addServices: add, parentDigest: digest, createdAt: "2026-01-01T00:00:00Z")
    }

    func kinds(_ plan: Plan) -> [String] { plan.conflicts.map { "\($0.kind.rawValue) \($0.subject)" }.sorted() }

    @Test func aFirstPlanAddsEverything() {
        let resolved = Resolver.resolve([base.layer])
        let plan = Planner.plan(resolved: resolved, current: CurrentState())
        #expect(plan.changes.upsertVersions.map(\.value.name) == ["2.7"])
        #expect(plan.changes.upsertReleases.map(\.value.name) == ["2.7.1"])
        #expect(plan.changes.upsertServices.count == 2)
        #expect(Set(plan.changes.addModels.keys.map(\.name)) == ["eolebase", "amon"])
        #expect(plan.changes.changeModels.isEmpty && plan.changes.removeModels.isEmpty)
        #expect(plan.conflicts.isEmpty)
    }

    @Test func theSameResolutionPlansNothing() {
        let resolved = Resolver.resolve([base.layer])
        let plan = Planner.plan(resolved: resolved, current: stored(resolved))
        #expect(plan.changes.isEmpty)
    }

    @Test func onlyWhatChangedIsWritten() {
        let before = Resolver.resolve([base.layer])
        let after = Resolver.resolve([base.withModel("amon", parent: "eolebase", description: "new").withModel("horus", parent: "eolebase").layer])
        let plan = Planner.plan(resolved: after, current: stored(before))
        #expect(Array(plan.changes.changeModels.keys) == [ModelKey("2.7.1/amon")!])
        #expect(Array(plan.changes.addModels.keys) == [ModelKey("2.7.1/horus")!])
        #expect(plan.changes.upsertVersions.isEmpty && plan.changes.upsertReleases.isEmpty && plan.changes.upsertServices.isEmpty)
    }

    @Test func aNewWinnerWithTheSameContentIsAChange() {
        let before = Resolver.resolve([base.layer])
        let ministry = LayerBuilder("ministry", priority: 200).withModel("amon", parent: "eolebase", services: ["proxy"],
                                                                          variables: [Self.variables[0]])
        let after = Resolver.resolve([base.layer, ministry.layer])
        let plan = Planner.plan(resolved: after, current: stored(before))
        #expect(plan.changes.changeModels[ModelKey("2.7.1/amon")!]?.source == "ministry")
    }

    @Test func whatIsNoLongerResolvedIsRemoved() {
        let before = Resolver.resolve([base.withModel("scribe", parent: "eolebase").withService("old").layer])
        let after = Resolver.resolve([base.layer])
        let plan = Planner.plan(resolved: after, current: stored(before))
        #expect(plan.changes.removeModels == [ModelKey("2.7.1/scribe")!])
        #expect(plan.changes.deleteServices == [ServiceKey(release: "2.7.1", name: "old")])
        let gone = Planner.plan(resolved: ResolvedState(), current: stored(before))
        #expect(gone.changes.deleteVersions == ["2.7"] && gone.changes.deleteReleases == ["2.7.1"] && gone.changes.removeModels.count == 3)
    }

    @Test func aRootWithTheKeyOfAChildIsNotApplied() {
        let before = Resolver.resolve([base.layer])
        let local = child("amon-lycee", parent: "amon", digestOf: before)
        let after = Resolver.resolve([base.withModel("amon-lycee", parent: "eolebase").layer])
        let plan = Planner.plan(resolved: after, current: stored(before, locals: [local]))
        #expect(kinds(plan) == ["name-collision 2.7.1/amon-lycee"])
        #expect(plan.conflicts[0].severity == .error && plan.conflicts[0].sources == ["eole"])
        #expect(plan.changes.addModels.isEmpty)
    }

    @Test func anUnchangedParentRaisesNothing() {
        let resolved = Resolver.resolve([base.layer])
        let local = child("amon-lycee", parent: "amon", sets: ["mode": "strict"], add: ["web"], digestOf: resolved)
        #expect(Planner.plan(resolved: resolved, current: stored(resolved, locals: [local])).conflicts.isEmpty)
    }

    @Test func aChangedParentChainIsParentUpdated() {
        let before = Resolver.resolve([base.layer])
        let local = child("amon-lycee", parent: "amon", digestOf: before)
        // Only the grandparent changes: the child's chain changed all the same.
        let after = Resolver.resolve([base.withModel("eolebase", services: ["web"], description: "v2",
                                                     variables: [Variable(name: "port_ssh", type: .port, defaultValue: "22")]).layer])
        let plan = Planner.plan(resolved: after, current: stored(before, locals: [local]))
        #expect(kinds(plan) == ["parent-updated 2.7.1/amon-lycee"])
        #expect(plan.conflicts[0].severity == .info)
        #expect(plan.conflicts[0].fields == Conflict.Fields(parent: "2.7.1/amon"))
    }

    @Test func aRemovedParentIsParentRemovedEvenThroughALocalParent() {
        let before = Resolver.resolve([base.layer])
        let locals = [child("amon-lycee", parent: "amon", digestOf: before), child("amon-annexe", parent: "amon-lycee", digestOf: before),
                      child("orphan", parent: "nobody")]
        let after = Resolver.resolve([LayerBuilder("eole", priority: 100).withRelease().withService("web").withModel("eolebase").layer])
        let plan = Planner.plan(resolved: after, current: stored(before, locals: locals))
        #expect(kinds(plan) == ["parent-removed 2.7.1/amon-annexe", "parent-removed 2.7.1/amon-lycee", "parent-removed 2.7.1/orphan"])
        let parents = Dictionary(uniqueKeysWithValues: plan.conflicts.map { ($0.subject, $0.fields) })
        #expect(parents == ["2.7.1/amon-annexe": Conflict.Fields(parent: "2.7.1/amon"), "2.7.1/amon-lycee": Conflict.Fields(parent: "2.7.1/amon"),
                            "2.7.1/orphan": Conflict.Fields(parent: "2.7.1/nobody")])
        #expect(plan.changes.removeModels == [ModelKey("2.7.1/amon")!])
    }

    @Test func overridesAreCheckedAgainstTheNewParents() {
        let before = Resolver.resolve([base.layer])
        let local = child("amon-lycee", parent: "amon", sets: ["mode": "strict", "port_ssh": "2222", "gone": "x"], add: ["proxy", "web"],
                          digestOf: before)
        // v2: 'strict' is no longer a choice, port_ssh's default becomes 2222, service 'web' goes away (with eolebase's use of it).
        let v2 = LayerBuilder("eole", priority: 100).withRelease().withService("proxy")
            .withModel("eolebase", variables: [Variable(name: "port_ssh", type: .port, defaultValue: "2222")])
            .withModel("amon", parent: "eolebase", services: ["proxy"], variables: [Variable(name: "mode", type: .choice, defaultValue: "souple", choices: ["souple"])])
        let plan = Planner.plan(resolved: Resolver.resolve([v2.layer]), current: stored(before, locals: [local]))
        #expect(kinds(plan) == ["override-invalid-value 2.7.1/amon-lycee", "override-redundant 2.7.1/amon-lycee",
                                "override-unknown-variable 2.7.1/amon-lycee", "parent-updated 2.7.1/amon-lycee", "service-missing 2.7.1/amon-lycee"])
        let fields = Dictionary(uniqueKeysWithValues: plan.conflicts.map { ($0.kind, $0.fields) })
        #expect(fields[.overrideUnknownVariable] == Conflict.Fields(variable: "gone", value: "x"))
        #expect(fields[.overrideInvalidValue] == Conflict.Fields(variable: "mode", value: "strict", expected: "choice", choices: ["souple"]))
        #expect(fields[.overrideRedundant] == Conflict.Fields(variable: "port_ssh", value: "2222", expected: "2222"))
        #expect(fields[.parentUpdated] == Conflict.Fields(parent: "2.7.1/amon"))
        #expect(fields[.serviceMissing] == Conflict.Fields(service: "2.7.1/service/web"))
        #expect(plan.conflicts.first { $0.kind == .overrideInvalidValue }?.severity == .error)
    }

    @Test func aLocalParentTakesPrecedenceOverAColligingRoot() {
        let before = Resolver.resolve([base.layer])
        let lycee = child("amon-lycee", parent: "amon", sets: ["mode": "strict"], digestOf: before)
        let annexe = child("annexe", parent: "amon-lycee", digestOf: before)
        // A root named amon-lycee appears, derived from eolebase: the annexe still descends from the local amon-lycee → amon.
        let after = Resolver.resolve([base.withModel("amon-lycee", parent: "eolebase").layer])
        let plan = Planner.plan(resolved: after, current: stored(before, locals: [lycee, annexe]))
        #expect(kinds(plan) == ["name-collision 2.7.1/amon-lycee"])
        #expect(plan.conflicts[0].sources == ["eole"] && plan.conflicts[0].fields.isEmpty)
    }

    @Test func anInvalidValueOfATypedVariableExpectsItsType() {
        let before = Resolver.resolve([base.layer])
        let local = child("amon-lycee", parent: "amon", sets: ["port_ssh": "2222"], digestOf: before)
        let v2 = base.withModel("eolebase", services: ["web"], variables: [Variable(name: "port_ssh", type: .boolean, defaultValue: "true")])
        let plan = Planner.plan(resolved: Resolver.resolve([v2.layer]), current: stored(before, locals: [local]))
        let invalid = plan.conflicts.first { $0.kind == .overrideInvalidValue }
        #expect(invalid?.fields == Conflict.Fields(variable: "port_ssh", value: "2222", expected: "boolean"))
    }

    @Test func aLoopAmongLocalAncestorsNamesWhereItCloses() {
        let before = Resolver.resolve([base.layer])
        let locals = [child("x", parent: "y", digestOf: before), child("y", parent: "x", digestOf: before)]
        let plan = Planner.plan(resolved: before, current: stored(before, locals: locals))
        #expect(kinds(plan) == ["parent-removed 2.7.1/x", "parent-removed 2.7.1/y"])
        #expect(plan.conflicts.map(\.fields.parent) == ["2.7.1/x", "2.7.1/y"])
    }
}
