import Foundation
import SQLiteStore
import Testing
@testable import ZephirCore

/// The behaviour every ``ModelStore`` must have, run against each ``StoreFixture``.
@Suite struct ModelStoreTests {
    @Test(arguments: StoreFixture.allCases)
    func migratingTwiceIsHarmless(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            try await store.migrate()
            try await store.migrate()
            #expect(try await store.runs(limit: 10).count == 1)
            #expect(try await store.rootModels(release: Sample.release).count == 3)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func committedChangesRoundTrip(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let changes = Sample.changes()
            let layer = Sample.layer("acme", version: 7, files: ["releases/2.7.1/servermodels/amon.yml": "name: amon\n"])
            let id = try await store.commit(RunCommit(run: Sample.run(), layers: [layer], changes: changes))
            #expect(id > 0)

            let current = try await store.currentState()
            #expect(current.versions == ["2.7": "eole:v27"])
            #expect(current.releases == [Sample.release: "eole:r271"])
            #expect(current.services == changes.upsertServices.mapValues(CurrentState.stamp))
            #expect(current.models == changes.addModels.mapValues(CurrentState.stamp))
            #expect(current.localModels.isEmpty)

            #expect(try await store.rootModels(release: Sample.release) == changes.addModels)
            #expect(try await store.rootModels(release: "9.9").isEmpty)
            let amon = try #require(try await store.rootModel(Sample.amon))
            #expect(amon == RootModelRecord(release: Sample.release, model: Sample.amonModel, source: "acme", sourceVersion: 7, digest: "m-amon"))
            let base = try #require(try await store.rootModel(Sample.base))
            #expect(base.model == Sample.baseModel && base.sourceVersion == nil)
            #expect(try await store.rootModel(ModelKey(release: Sample.release, name: "nope")) == nil)
            #expect(try await store.serviceNames(release: Sample.release) == ["ssh", "base", "web"])

            let summaries = try await store.listModels(release: Sample.release, origin: nil)
            #expect(summaries.map(\.name) == ["amon", "base", "scribe"])
            #expect(summaries[0] == ModelSummary(release: Sample.release, name: "amon", origin: .root, parent: "base",
                                                 source: "acme", sourceVersion: 7, variableCount: 5))
            #expect(try await store.listModels(release: "2.8.0", origin: nil).isEmpty)
            #expect(try await store.listModels(release: nil, origin: .local).isEmpty)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func changedModelsGetTheirVariablesRewritten(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            var amon = Sample.amonModel
            amon.parent = nil
            amon.description = "Firewall, new"
            amon.services = ["web"]
            amon.variables = [Variable(name: "lan", type: .string), Variable(name: "mode", type: .choice, choices: ["b", "a"])]
            var changes = ChangeSet()
            changes.changeModels[Sample.amon] = Sample.resolved(amon, source: "eole", digest: "m-amon-2")
            _ = try await store.commit(RunCommit(run: Sample.run(at: "2025-03-02T10:00:00Z"), changes: changes))

            let roots = try await store.rootModels(release: Sample.release)
            #expect(roots[Sample.amon] == Sample.resolved(amon, source: "eole", digest: "m-amon-2"))
            #expect(roots[Sample.base]?.value == Sample.baseModel)
            #expect(try await store.currentState().models[Sample.amon] == "eole:m-amon-2")
            #expect(try await store.listModels(release: nil, origin: .root).first { $0.name == "amon" }?.variableCount == 2)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func removedModelsTakeTheirContentWithThem(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let changes = Sample.changes()
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: changes))
            var removal = ChangeSet()
            removal.removeModels = [Sample.amon]
            removal.deleteServices = [ServiceKey(release: Sample.release, name: "web")]
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: removal))
            #expect(try await store.rootModel(Sample.amon) == nil)
            #expect(try await store.rootModels(release: Sample.release).keys.sorted() == [Sample.base, Sample.scribe])
            #expect(try await store.serviceNames(release: Sample.release) == ["ssh", "base"])

            // Adding it again works only if its services and variables went with it.
            var again = ChangeSet()
            again.addModels[Sample.amon] = changes.addModels[Sample.amon]
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: again))
            #expect(try await store.rootModels(release: Sample.release) == changes.addModels)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func aNewLayerReplacesThePreviousOne(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            #expect(try await store.layerFiles(source: "eole") == nil)
            let first = Sample.layer("eole", version: 1, files: ["versions/2.7.yml": "name: 2.7\n", "releases/2.7.1/release.yml": "one"])
            let other = Sample.layer("acme", version: 4, files: ["releases/2.7.1/release.yml": "one"])   // shares a blob
            _ = try await store.commit(RunCommit(run: Sample.run(), layers: [first, other]))
            let second = Sample.layer("eole", version: 2, files: ["versions/2.7.yml": "name: 2.7\nlabel: new\n", "versions/2.8.yml": "x"])
            _ = try await store.commit(RunCommit(run: Sample.run(), layers: [second]))

            let files = try #require(try await store.layerFiles(source: "eole"))
            #expect(files.map(\.path) == ["versions/2.7.yml", "versions/2.8.yml"])
            #expect(files.map(\.bytes) == [Array("name: 2.7\nlabel: new\n".utf8), Array("x".utf8)])
            #expect(files.map(\.sha256) == second.files.sorted { $0.path < $1.path }.map(\.sha256))
            let acme = try #require(try await store.layerFiles(source: "acme"))
            #expect(acme.map(\.bytes) == [Array("one".utf8)])

            let installed = try await store.installedSources()
            #expect(installed == ["eole": second.installed, "acme": other.installed])
            #expect(try await store.layerFiles(source: "nobody") == nil)
            #expect(try await store.layerFiles(source: "acme")?.count == 1)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func theVersionFloorOnlyGoesUp(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), layers: [Sample.layer("eole", version: 5, files: [:])]))
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 5)
            // A rollback reinstalls an older layer: the floor stays.
            _ = try await store.commit(RunCommit(run: Sample.run(), layers: [Sample.layer("eole", version: 3, files: [:])]))
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 5)
            #expect(try await store.installedSources()["eole"]?.version == 3)
            _ = try await store.commit(RunCommit(run: Sample.run(), layers: [Sample.layer("eole", version: 9, files: [:])]))
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 9)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func sourceAttemptsAndHoldsAreKept(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            try await store.setHold(source: "acme", held: true)
            let attempts = [SourceAttempt(source: "acme", result: .held),
                            SourceAttempt(source: "eole", result: .rejected, version: 3, message: "rollback from 5 to 3")]
            _ = try await store.commit(RunCommit(run: Sample.run(sources: attempts, at: "2025-03-05T06:00:00Z")))
            let states = try await store.sourceStates()
            #expect(states["acme"] == SourceState(name: "acme", held: true, lastAttempt: "2025-03-05T06:00:30Z", lastResult: "held"))
            #expect(states["eole"] == SourceState(name: "eole", held: false, lastAttempt: "2025-03-05T06:00:30Z",
                                                  lastResult: "rejected", lastMessage: "rollback from 5 to 3"))
            try await store.setHold(source: "acme", held: false)
            #expect(try await store.sourceStates()["acme"]?.held == false)
            #expect(try await store.sourceStates()["acme"]?.lastResult == "held")

            let runs = try await store.runs(limit: 5)
            #expect(runs.count == 1 && runs[0].sources == attempts && runs[0].id != nil)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func runsAreListedNewestFirst(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            var ids: [Int64] = []
            for (index, status) in [RunRecord.Status.applied, .unchanged, .failed].enumerated() {
                var run = Sample.run(status, at: "2025-03-0\(index + 1)T10:00:00Z")
                run.modelsAdded = index
                run.resolution = index == 1 ? nil : "resolution-\(index)"
                ids.append(try await store.commit(RunCommit(run: run)))
            }
            #expect(ids == ids.sorted() && Set(ids).count == 3)
            let runs = try await store.runs(limit: 2)
            #expect(runs.map(\.id) == [ids[2], ids[1]])
            #expect(runs[0].status == .failed && runs[0].modelsAdded == 2 && runs[0].resolution == "resolution-2")
            #expect(runs[1].resolution == nil && runs[1].startedAt == "2025-03-02T10:00:00Z")
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func carryingForwardKeepsResolutionConflictsOnly(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let shadowed = Conflict(kind: .shadowed, subject: "2.7.1/amon", sources: ["eole", "acme"], detail: "eole wins")
            let rejected = Conflict(kind: .sourceRejected, subject: "acme", sources: ["acme"], detail: "bad signature")
            let updated = Conflict(kind: .parentUpdated, subject: "2.7.1/child", sources: ["eole"], detail: "amon changed")
            let first = try await store.commit(RunCommit(run: Sample.run(), conflicts: [shadowed, rejected, updated]))
            let updatedID = try #require(try await store.conflicts(all: false).first { $0.conflict == updated }?.id)
            #expect(try await store.acknowledge([updatedID], parentDigests: [:]) == [updatedID])

            let unavailable = Conflict(kind: .sourceUnavailable, subject: "acme", sources: ["acme"], detail: "timeout")
            let second = try await store.commit(RunCommit(run: Sample.run(.unchanged), conflicts: [unavailable], carryForwardConflicts: true))
            let all = try await store.conflicts(all: true)
            let ofSecond = all.filter { $0.run == second }
            #expect(ofSecond.map(\.conflict) == [shadowed, updated, unavailable])
            #expect(ofSecond.map(\.acknowledged) == [false, true, false])
            #expect(all.filter { $0.run == first }.count == 3)
            #expect(try await store.conflicts(all: false).map(\.conflict) == [shadowed, unavailable])
            #expect(try await store.runs(limit: 1).first?.conflictCount == 3)
            #expect(try await store.runs(limit: 2).last?.conflictCount == 3)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func openConflictsAreTheLatestRunsUnacknowledgedOnes(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            #expect(try await store.conflicts(all: false).isEmpty)
            let old = [Conflict(kind: .danglingReference, subject: "2.7.1/amon", detail: "parent gone"),
                       Conflict(kind: .outOfScope, subject: "2.7.1/x", sources: ["acme"], detail: "outside")]
            let first = try await store.commit(RunCommit(run: Sample.run(), conflicts: old))
            let new = [Conflict(kind: .inheritanceCycle, severity: .error, subject: "2.7.1/a", sources: ["eole"], detail: "a → b → a"),
                       Conflict(kind: .shadowed, severity: .info, subject: "2.7.1/b", sources: ["eole", "acme"], detail: "identical")]
            let second = try await store.commit(RunCommit(run: Sample.run(), conflicts: new))

            let open = try await store.conflicts(all: false)
            #expect(open.map(\.conflict) == new && open.allSatisfy { $0.run == second && !$0.acknowledged })
            #expect(try await store.acknowledge([open[0].id, 987_654], parentDigests: [:]) == [open[0].id])
            #expect(try await store.conflicts(all: false).map(\.conflict) == [new[1]])

            let all = try await store.conflicts(all: true)
            #expect(all.map(\.run) == [second, second, first, first])
            #expect(all.map(\.conflict) == new + old)
            #expect(all[0].acknowledged && !all[1].acknowledged)

            // A later run without conflicts leaves nothing open.
            _ = try await store.commit(RunCommit(run: Sample.run()))
            #expect(try await store.conflicts(all: false).isEmpty)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func acknowledgingRecordsTheNewParentDigest(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            let child = Sample.child("child")
            try await store.createLocalModel(child)
            let conflict = Conflict(kind: .parentUpdated, subject: child.key.description, sources: ["acme"], detail: "amon changed")
            _ = try await store.commit(RunCommit(run: Sample.run(), conflicts: [conflict]))
            let id = try #require(try await store.conflicts(all: false).first?.id)

            let acknowledged = try await store.acknowledge([id, id + 100], parentDigests: [child.key: "parent-digest-2"])
            #expect(acknowledged == [id])
            var expected = child
            expected.parentDigest = "parent-digest-2"
            #expect(try await store.localModel(child.key) == expected)
            #expect(try await store.conflicts(all: false).isEmpty)
            #expect(try await store.conflicts(all: true).first?.acknowledged == true)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func localModelsRoundTripAndKeysAreUnique(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            let child = Sample.child("child")
            try await store.createLocalModel(child)
            let grandchild = LocalModel(release: Sample.release, name: "grandchild", parent: "child", parentDigest: "d", createdAt: "2025-03-03T00:00:00Z")
            try await store.createLocalModel(grandchild)
            #expect(try await store.localModel(child.key) == child)
            #expect(try await store.localModel(grandchild.key) == grandchild)
            #expect(try await store.localModel(Sample.amon) == nil)
            #expect(try await store.currentState().localModels == [child, grandchild])

            for taken in [Sample.amon, child.key] {
                var duplicate = Sample.child(taken.name)
                duplicate.overrides = []
                let error = await #expect(throws: StoreError.self) { try await store.createLocalModel(duplicate) }
                guard case .alreadyExists(let key)? = error else {
                    Issue.record("expected alreadyExists, got \(String(describing: error))")
                    continue
                }
                #expect(key == taken)
            }
            #expect(try await store.localModel(child.key) == child)

            let locals = try await store.listModels(release: nil, origin: .local)
            #expect(locals == [
                ModelSummary(release: Sample.release, name: "child", origin: .local, parent: "amon", source: nil, sourceVersion: nil, variableCount: 2),
                ModelSummary(release: Sample.release, name: "grandchild", origin: .local, parent: "child", source: nil, sourceVersion: nil, variableCount: 0),
            ])
            #expect(try await store.listModels(release: Sample.release, origin: nil).map(\.name) == ["amon", "base", "child", "grandchild", "scribe"])
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func aCommitLeavesLocalModelsAlone(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            let child = Sample.child("child")
            try await store.createLocalModel(child)
            let before = try await store.localModel(child.key)
            var removal = ChangeSet()
            removal.removeModels = [Sample.amon, Sample.base]
            let conflict = Conflict(kind: .parentRemoved, subject: child.key.description, detail: "amon is gone")
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: removal, conflicts: [conflict]))
            let after = try await store.localModel(child.key)
            #expect(before == child && after == before)
            #expect(try await store.currentState().localModels == [child])
            #expect(try await store.listModels(release: nil, origin: nil).map(\.name) == ["child", "scribe"])
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func aFailedCommitChangesNothing(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(sources: [SourceAttempt(source: "eole", result: .updated)]),
                                                 layers: [Sample.layer("eole", version: 1, files: ["a": "a"])],
                                                 changes: Sample.changes(),
                                                 conflicts: [Conflict(kind: .shadowed, subject: "2.7.1/amon", detail: "x")]))
            try await store.createLocalModel(Sample.child("child"))
            let before = try await StoreSnapshot(store)

            var changes = Sample.changes()
            changes.removeModels = [Sample.scribe]
            changes.addModels = [ModelKey(release: Sample.release, name: "broken"): Sample.resolved(
                ServerModel(name: "broken", variables: [Variable(name: "twice", type: .string), Variable(name: "twice", type: .integer)]),
                digest: "bad")]
            changes.changeModels = [Sample.amon: Sample.resolved(Sample.scribeModel, digest: "m-amon-2")]
            let failing = RunCommit(run: Sample.run(sources: [SourceAttempt(source: "eole", result: .updated, message: "v2")]),
                                    layers: [Sample.layer("eole", version: 2, files: ["b": "b"])], changes: changes,
                                    conflicts: [Conflict(kind: .danglingReference, subject: "2.7.1/broken", detail: "y")],
                                    carryForwardConflicts: true)
            // The duplicate is found after the layer is installed and models are deleted: all of it is rolled back.
            let error = await #expect(throws: SyncError.self) { _ = try await store.commit(failing) }
            guard case .duplicateVariable(let model, let variable, _)? = error else { Issue.record("\(String(describing: error))"); return }
            #expect(model.name == "broken" && variable == "twice")
            #expect(try await StoreSnapshot(store) == before)
            #expect(try await store.layerFiles(source: "eole")?.map(\.path) == ["a"])
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func aRootCannotTakeALocalModelsKey(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            try await store.createLocalModel(Sample.child("child"))
            var changes = ChangeSet()
            changes.addModels[ModelKey(release: Sample.release, name: "child")] = Sample.resolved(ServerModel(name: "child"), digest: "c")
            await #expect(throws: StoreError.self) { _ = try await store.commit(RunCommit(run: Sample.run(), changes: changes)) }
            #expect(try await store.runs(limit: 1).isEmpty)
        }
    }
}
