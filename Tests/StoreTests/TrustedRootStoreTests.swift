import Foundation
import Testing
@testable import ZephirCore

/// The newest trusted root per source (SPEC §5.1) on both stores: written by ``RunApplier``
/// through the run transaction, read back whole, never moved backwards, and clearing the
/// version floor when the run says so (the next installed layer sets it again).
@Suite struct TrustedRootStoreTests {
    static func root(_ source: String, _ version: Int) -> StoredRoot {
        StoredRoot(source: source, version: version, expires: "2030-01-0\(min(version, 9))T00:00:00Z",
                   envelope: Data("{\"root\": \(version), \"bytes\": [0, 255]}".utf8) + Data([0, 0xff]), trustedAt: "2026-12-01T08:00:0\(min(version, 9))Z")
    }

    static func apply(_ store: any ModelStore, roots: [RootUpdate], layers: [LayerRecord] = []) async throws {
        _ = try await RunApplier(store: store).apply(RunCommit(run: Sample.run(), layers: layers, roots: roots))
    }

    @Test(arguments: StoreFixture.allCases)
    func rootsMoveOnlyForwardAndClearTheFloorWhenTold(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            #expect(try await store.trustedRoots().isEmpty)

            try await Self.apply(store, roots: [RootUpdate(root: Self.root("eole", 2), clearsVersionFloor: false)],
                                 layers: [Sample.layer("eole", version: 5, files: ["a": "one"])])
            #expect(try await store.trustedRoots() == ["eole": Self.root("eole", 2)])
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 5)

            // An older root never replaces a newer one.
            try await Self.apply(store, roots: [RootUpdate(root: Self.root("eole", 1), clearsVersionFloor: false)])
            #expect(try await store.trustedRoots()["eole"] == Self.root("eole", 2))

            // New index keys without a new index: the floor is cleared and stays so.
            try await Self.apply(store, roots: [RootUpdate(root: Self.root("eole", 3), clearsVersionFloor: true)])
            #expect(try await store.trustedRoots()["eole"] == Self.root("eole", 3))
            #expect(try await store.sourceStates()["eole"]?.versionFloor == nil)
            #expect(try await store.installedSources()["eole"]?.version == 5)

            // New index keys with a new index in the same run: cleared, then set by the layer, even lower.
            try await Self.apply(store, roots: [RootUpdate(root: Self.root("eole", 4), clearsVersionFloor: true), RootUpdate(root: Self.root("acme", 1), clearsVersionFloor: false)],
                                 layers: [Sample.layer("eole", version: 2, files: ["a": "two"])])
            #expect(try await store.trustedRoots() == ["eole": Self.root("eole", 4), "acme": Self.root("acme", 1)])
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 2)

            // A run that fails to write keeps the previous root.
            let failing = RunCommit(run: Sample.run(), changes: ChangeSet(), roots: [RootUpdate(root: Self.root("eole", 9), clearsVersionFloor: true)])
            await #expect(throws: (any Error).self) {
                _ = try await store.transaction("a failing run") { tx in
                    try await tx.advanceTrustedRoot(failing.roots[0].root)
                    try await tx.clearVersionFloor(source: "eole")
                    throw CancellationError()
                }
            }
            #expect(try await store.trustedRoots()["eole"] == Self.root("eole", 4))
            #expect(try await store.sourceStates()["eole"]?.versionFloor == 2)
        }
    }
}
