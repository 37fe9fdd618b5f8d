import Foundation
import Logging
@testable import PostgresStore
import PostgresNIO
import Testing
@testable import ZephirCore

/// The rules of ``RunApplier`` that the other store suites do not reach, on both stores:
/// layer history and rollback, holds, the outbox, retention, the end-of-update message.
@Suite struct RunApplierContractTests {
    /// Commits `layer` as the only change of a run.
    static func install(_ store: any ModelStore, _ layer: LayerRecord, keepRuns: Int = 100) async throws -> Int64 {
        try await RunApplier(store: store, keepRuns: keepRuns).apply(RunCommit(run: Sample.run(), layers: [layer]))
    }

    @Test(arguments: StoreFixture.allCases)
    func layersAsOfARunAreTheOnesInstalledThen(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let first = try await Self.install(store, Sample.layer("eole", version: 1, files: ["a": "one"]))
            let second = try await Self.install(store, Sample.layer("acme", version: 1, files: ["b": "two"]))
            let third = try await Self.install(store, Sample.layer("eole", version: 2, files: ["a": "three"]))
            #expect(try await store.layers(asOf: first).mapValues(\.installed.version) == ["eole": 1])
            #expect(try await store.layers(asOf: second).mapValues(\.installed.version) == ["eole": 1, "acme": 1])
            let now = try await store.layers(asOf: third)
            #expect(now.mapValues(\.installed.version) == ["eole": 2, "acme": 1])
            #expect(now["eole"]?.files.map { String(decoding: $0.bytes, as: UTF8.self) } == ["three"])
            await #expect(throws: StoreError.self) { _ = try await store.layers(asOf: third + 10) }
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func retentionKeepsTheNewestRunsAndWhatTheyNeed(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            // eole installed once at run 1 and never again; acme changes every run.
            var runs = [try await Self.install(store, Sample.layer("eole", version: 1, files: ["e": "eole"]), keepRuns: 3)]
            for version in 1...5 {
                runs.append(try await Self.install(store, Sample.layer("acme", version: version, files: ["a": "acme \(version % 2)"]), keepRuns: 3))
            }
            #expect(try await store.runs(limit: 100).compactMap(\.id) == Array(runs.suffix(3).reversed()))
            // The oldest kept run still restores every source, eole included.
            let oldest = runs[runs.count - 3]
            #expect(try await store.layers(asOf: oldest).mapValues(\.installed.version) == ["eole": 1, "acme": 3])
            #expect(try await store.layers(asOf: oldest)["eole"]?.files.map(\.path) == ["e"])
            // A pruned run names the oldest one that can be restored.
            do {
                _ = try await store.layers(asOf: runs[1])
                Issue.record("run \(runs[1]) was pruned but restored")
            } catch StoreError.historyUnavailable(let run, let since) {
                #expect(run == runs[1] && since == oldest)
            }
            // Alternating contents share their stored bytes; nothing unused is left.
            #expect(try await store.fileBytes(sha256: Sample.layer("acme", version: 1, files: ["a": "acme 1"]).files[0].sha256) != nil)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func holdsAndAttemptsAreRecorded(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let attempts = [SourceAttempt(source: "eole", result: .rolledBack, message: "restored"), SourceAttempt(source: "acme", result: .unchanged)]
            _ = try await store.commit(RunCommit(run: Sample.run(sources: attempts), hold: ["eole"]))
            let states = try await store.sourceStates()
            #expect(states["eole"]?.held == true && states["eole"]?.lastResult == "rolled-back" && states["eole"]?.lastMessage == "restored")
            #expect(states["acme"]?.held == false && states["acme"]?.lastResult == "unchanged")
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func notableRunsGoToTheOutboxOnce(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let applier = RunApplier(store: store, sinks: [.command("/bin/true"), .webhook("http://127.0.0.1:9/hook")])
            let conflict = Conflict(kind: .danglingReference, subject: "2.7.1/x", detail: "missing")
            func report(_ status: RunRecord.Status, _ conflicts: [Conflict]) -> SyncReport {
                SyncReport(run: nil, dryRun: false, status: status, startedAt: "2025-03-01T10:00:00Z", finishedAt: "2025-03-01T10:00:30Z",
                           sources: [], changes: [], conflicts: conflicts, exitCode: 0)
            }
            let first = try await applier.apply(RunCommit(run: Sample.run(), conflicts: [conflict]), report: report(.applied, [conflict]))
            // The same conflict again, nothing changed: not notable.
            _ = try await applier.apply(RunCommit(run: Sample.run(.unchanged), conflicts: [conflict]), report: report(.unchanged, [conflict]))
            let pending = try await store.pendingNotifications(now: "2100-01-01T00:00:00Z")
            #expect(pending.map(\.run) == [first, first])
            #expect(Set(pending.map(\.sink)) == ["command:/bin/true", "webhook:http://127.0.0.1:9/hook"])
            try await store.recordDelivery(id: pending[0].id!, delivered: true, error: nil, nextAttempt: nil)
            #expect(try await store.pendingNotifications(now: "2100-01-01T00:00:00Z").map(\.id) == [pending[1].id])
        }
    }

    /// SPEC §8: a committed run sends `NOTIFY zephir_models` with its counts; a rolled-back one
    /// sends nothing. Listened to on a real connection, in a database of its own (channels are
    /// per database, and other tests commit runs meanwhile).
    @Test(.enabled(if: StoreFixture.postgresURL != nil, "needs ZEPHIR_TEST_POSTGRES_URL")) func everyCommittedRunNotifiesItsListenersAndARolledBackOneNothing() async throws {
        let server = try #require(StoreFixture.postgresURL)
        let name = "zm_notify_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgresStore.open(url: server)
        _ = try await admin.rows("CREATE DATABASE \(name)")
        let location = try PostgresLocation(url: server)
        let url = server.replacingOccurrences(of: "/\(location.database)", with: "/\(name)")

        let store = try PostgresStore.open(url: url)
        try await store.migrate()
        let listener = try await store.connect("listening")
        let inbox = Inbox()
        let listening = Task {
            for try await notification in try await listener.listen(RunApplier.channel) { inbox.append(notification.payload) }
        }

        var changes = Sample.changes()
        changes.removeModels = []
        let conflicts = [Conflict(kind: .danglingReference, subject: "2.7.1/x", detail: "a"), Conflict(kind: .shadowed, subject: "2.7.1/y", detail: "b"),
                         Conflict(kind: .parentUpdated, subject: "2.7.1/z", detail: "c")]
        var record = Sample.run()
        record.modelsAdded = 3
        try await Task.sleep(for: .milliseconds(200))   // LISTEN in place
        let run = try await store.commit(RunCommit(run: record, changes: changes, conflicts: conflicts))
        let first = try #require(try await inbox.message(0))
        #expect(first["run"] as? Int == Int(run))
        #expect(first["status"] as? String == "applied")
        #expect(first["models"] as? [String: Int] == ["added": 3, "changed": 0, "removed": 0])
        #expect(first["conflicts"] as? [String: Int] == ["error": 1, "warning": 1, "info": 1])

        // A run that fails inside its transaction notifies nothing; the next one does.
        var broken = ChangeSet()
        broken.addModels[ModelKey(release: Sample.release, name: "broken")] = Sample.resolved(
            ServerModel(name: "broken", variables: [Variable(name: "v", type: .string), Variable(name: "v", type: .string)]), digest: "d")
        await #expect(throws: SyncError.self) { _ = try await store.commit(RunCommit(run: Sample.run(), changes: broken)) }
        let next = try await store.commit(RunCommit(run: Sample.run(.unchanged), conflicts: conflicts))
        let second = try #require(try await inbox.message(1))
        #expect(second["run"] as? Int == Int(next), "the rolled-back run's message would come first")
        #expect(second["conflicts"] as? [String: Int] == ["error": 0, "warning": 0, "info": 0], "the same conflicts are not new")
        #expect(inbox.count == 2)

        listening.cancel()
        try await listener.close()
        _ = try await admin.rows("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// PostgreSQL's bulk path (``PostgresChangeWriter/bulkVariableRows`` variables or more) checks
    /// the variables' foreign key after the COPY: it is there again afterwards and still holds.
    @Test(.enabled(if: StoreFixture.postgresURL != nil, "needs ZEPHIR_TEST_POSTGRES_URL")) func aBulkRunKeepsTheVariablesForeignKey() async throws {
        try await withDatabase(.postgres) { database in
            let store = try #require(database.store as? PostgresStore)
            let count = PostgresChangeWriter.bulkVariableRows / 2 + 1
            var changes = ChangeSet()
            for name in ["big-a", "big-b"] {
                let variables = (0..<count).map { Variable(name: "v\($0)", type: .string, defaultValue: "x") }
                changes.addModels[ModelKey(release: Sample.release, name: name)] = Sample.resolved(ServerModel(name: name, variables: variables), digest: name)
            }
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: changes))
            #expect(try await store.rows("SELECT count(*)::text FROM variable") == [["\(2 * count)"]])
            let constraint = try await store.rows("""
                SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '\(PostgresChangeWriter.variableForeignKey)'
                    AND conrelid = 'variable'::regclass
                """)
            #expect(constraint == [["FOREIGN KEY (release, model) REFERENCES model(release, name) ON DELETE CASCADE"]])
            // Removing a model takes its variables with it; a variable of no model is refused.
            var removal = ChangeSet()
            removal.removeModels = [ModelKey(release: Sample.release, name: "big-a")]
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: removal))
            #expect(try await store.rows("SELECT count(*)::text FROM variable") == [["\(count)"]])
            await #expect(throws: (any Error).self) {
                _ = try await store.rows("INSERT INTO variable (release, model, position, name, type, mandatory, description) VALUES ('2.7.1', 'none', 0, 'v', 'string', 0, '')")
            }
        }
    }

    /// The payloads received on a channel, from the listening task.
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var payloads: [String] = []

        func append(_ payload: String) { lock.withLock { payloads.append(payload) } }
        var count: Int { lock.withLock { payloads.count } }

        /// The `index`th payload as a JSON object, waiting for it up to 10 s.
        func message(_ index: Int) async throws -> [String: Any]? {
            for _ in 0..<200 {
                if let payload = lock.withLock({ payloads.count > index ? payloads[index] : nil }) {
                    return try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }
    }
}
