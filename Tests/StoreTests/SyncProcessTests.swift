import Foundation
@testable import PostgresStore
import SQLiteStore
import Testing
@testable import ZephirCore
#if canImport(Glibc)
import Glibc
import ZephirTestSupport
#endif

/// Syncs run by the built `zephir-models` executable, in processes of their own, against one
/// database of each store: a run killed with SIGKILL in the middle of its commit leaves the
/// database as it was; two runs started at once never interleave.
@Suite struct SyncProcessTests {
    /// The release of the generated trees (`fake` with `releases: 1`).
    static let release = "2.7.0"

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func aSyncKilledInTheMiddleOfItsCommitLeavesThePreviousState(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let folder = try SyncProcess.folder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let tag = "zm_kill_" + UUID().uuidString.prefix(8).lowercased()
            let url = fixture == .postgres ? database.url + "&application_name=" + tag : database.url

            try SyncProcess.configure(folder, database: url, fake: "{seed: 1, releases: 1, models: 20, variables: 20}")
            let first = try await SyncProcess.start(folder).finish()
            try #require(first.code == 0, "\(first.stderr)")
            let before = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(before.roots.count == 20 && before.runs.count == 1)

            // A new version with many more variables: its commit writes for a while.
            try SyncProcess.configure(folder, database: url, fake: "{seed: 2, version: 2, releases: 1, models: 250, variables: 400}")
            let watch = try Watch(fixture, database: database)
            let sync = try SyncProcess.start(folder)
            // Watched from a thread of its own: the tests running alongside may hold every thread of the task pool.
            let inCommit = await SyncProcess.onThread {
                let seen = watch.until(sync) { watch.isCommitting(tag: tag) }
                sync.kill()
                return seen
            }
            let killed = await sync.finish()
            try #require(inCommit, "the sync ended before its commit was seen: \(killed.code) \(killed.stderr)")
            #expect(killed.code == -1 || killed.signal == SIGKILL)

            let after = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(after == before, "the killed run left a trace")

            // The same run, not killed, applies.
            let again = try await SyncProcess.start(folder).finish()
            #expect(again.code == 0, "\(again.stderr)")
            let applied = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(applied.runs.count == 2 && applied.roots.count == 250)
            #expect(applied.roots.values.allSatisfy { $0.value.variables.count <= 400 })
        }
    }

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func twoSyncsStartedAtOnceTakeTurns(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let folders = try (0..<2).map { _ in try SyncProcess.folder() }
            defer { for folder in folders { try? FileManager.default.removeItem(at: folder) } }
            for folder in folders {
                try SyncProcess.configure(folder, database: database.url, fake: "{seed: 3, releases: 1, models: 120, variables: 100}",
                                          lockTimeout: "120s")
            }
            let syncs = try folders.map { try SyncProcess.start($0) }
            var results: [SyncProcess.Result] = []
            for sync in syncs { results.append(await sync.finish()) }
            #expect(results.map(\.code) == [0, 0], "\(results.map(\.stderr))")

            // The second run saw the first one's commit: it found the source unchanged.
            let runs = try await database.store.runs(limit: 10).reversed().map { $0 }
            try #require(runs.count == 2)
            #expect(runs[1].id == runs[0].id.map { $0 + 1 })
            #expect(runs[0].status == .applied && runs[0].modelsAdded == 120 && runs[0].modelsRemoved == 0)
            #expect(runs[1].status == .unchanged && runs[1].modelsAdded == 0 && runs[1].modelsChanged == 0)
            let roots = try await database.store.rootModels(release: Self.release)
            #expect(roots.count == 120 && Set(roots.values.map(\.source)) == ["fake"])
            #expect(try await database.store.installedSources()["fake"]?.version == 1)
        }
    }

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func aSyncThatFindsTheLockHeldTooLongExits3(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let slow = try SyncProcess.folder(), quick = try SyncProcess.folder()
            defer { for folder in [slow, quick] { try? FileManager.default.removeItem(at: folder) } }
            try SyncProcess.configure(slow, database: database.url, fake: "{seed: 4, releases: 1, models: 250, variables: 300}")
            try SyncProcess.configure(quick, database: database.url, fake: "{seed: 4, releases: 1, models: 250, variables: 300}",
                                      lockTimeout: "1s")
            let watch = try Watch(fixture, database: database)
            let first = try SyncProcess.start(slow)

            // Once the first run holds the lock (watched from a thread of its own), start the second.
            let second: SyncProcess? = try await SyncProcess.onThread {
                guard watch.until(first, watch.isLocked) else { return nil }
                return try SyncProcess.start(quick)
            }
            let firstResult = await first.finish()
            let secondResult = await second?.finish()
            try #require(second != nil, "the first sync ended before it was seen holding the lock: \(firstResult.code) \(firstResult.stderr)")
            #expect(secondResult?.code == 3 && secondResult?.stderr.contains("lock") == true,
                    "\(String(describing: secondResult?.code)): \(secondResult?.stderr ?? "")")
            #expect(firstResult.code == 0, "\(firstResult.stderr)")
            let runs = try await database.store.runs(limit: 10)
            #expect(runs.count == 1 && runs.first?.modelsAdded == 250)
        }
    }
}

/// Looks at a test database from outside the task pool, with blocking calls only: the file
/// locks and the write-ahead log of SQLite, or the server's views through `psql`.
struct Watch: Sendable {
    let fixture: StoreFixture
    /// SQLite: the database file.
    let path: String
    /// PostgreSQL: the server (a libpq URL) and the test's schema.
    let server: String
    let schema: String

    /// - Throws: a test cancellation when the PostgreSQL server cannot be watched (no `psql`).
    init(_ fixture: StoreFixture, database: TestDatabase) throws {
        self.fixture = fixture
        switch fixture {
        case .sqlite:
            path = String(database.url.dropFirst("sqlite:".count))
            server = ""
            schema = ""
        case .postgres:
            path = ""
            server = StoreFixture.postgresURL ?? ""
            schema = try PostgresLocation(url: database.url).schema ?? "public"
            if Self.psql(server, "SELECT 1") != "1" {
                try Test.cancel("psql (PostgreSQL's client) is needed to watch the server while a sync runs; install postgresql-client")
            }
        }
        walSize = fixture == .sqlite ? Self.size(path + "-wal") : 0
    }

    /// The write-ahead log's size when the watch began.
    private let walSize: Int

    /// Polls `condition` every few milliseconds while `process` runs; whether it held.
    func until(_ process: SyncProcess, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning, Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return false
    }

    /// Whether a run's commit is under way: its PostgreSQL session (named `tag`) has a
    /// transaction id, which it gets with its first write; or SQLite's write-ahead log has
    /// grown by megabytes, which only a large uncommitted transaction does (pages spill).
    func isCommitting(tag: String) -> Bool {
        switch fixture {
        case .sqlite:
            return Self.size(path + "-wal") > walSize + (4 << 20)
        case .postgres:
            let sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(tag)' AND backend_xid IS NOT NULL"
            return (Int(Self.psql(server, sql) ?? "") ?? 0) > 0
        }
    }

    /// Whether another process holds the run lock: `flock(2)` on `PATH.lock`, or the advisory lock.
    func isLocked() -> Bool {
        switch fixture {
        case .sqlite:
            let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                flock(fd, LOCK_UN)
                return false
            }
            return errno == EWOULDBLOCK
        case .postgres:
            let sql = """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('zephir-models run \(schema)', 0)
                """
            return (Int(Self.psql(server, sql) ?? "") ?? 0) > 0
        }
    }

    private static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// The trimmed output of `psql -c sql`, or `nil` when it fails.
    static func psql(_ server: String, _ sql: String) -> String? {
        guard let result = PSQL.run(server, [sql]), result.status == 0 else { return nil }
        return result.output
    }
}

/// A `zephir-models sync` in a process of its own, with a configuration in a scratch folder.
final class SyncProcess: @unchecked Sendable {
    struct Result: Sendable {
        var code: Int32
        var signal: Int32?
        var stderr: String
    }

    static let executableExists = ZephirExecutable.exists
    static let missing: Comment = "the zephir-models executable is not built; run `swift build` first"

    private let child: ChildProcess

    private init(child: ChildProcess) {
        self.child = child
    }

    static func folder() throws -> URL {
        temporaryFolder("zm-sync")
    }

    /// Writes `config.yml`: the database and one `fake` source with these options.
    static func configure(_ folder: URL, database: String, fake: String, lockTimeout: String = "60s") throws {
        let text = fakeSourceConfig(database: database, fake: fake, lockTimeout: lockTimeout)
        try Data(text.utf8).write(to: folder.appendingPathComponent("config.yml"))
    }

    static func start(_ folder: URL) throws -> SyncProcess {
        SyncProcess(child: try ChildProcess.zephir(["sync", "--config", "config.yml"], in: folder))
    }

    var isRunning: Bool { child.isRunning }

    /// Runs `body` on a new thread, outside the task pool, and returns what it returns.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
        }
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    func kill() {
        child.kill()
    }

    /// Waits for the process to end.
    func finish() async -> Result {
        let result = await child.wait(limit: .infinity)
        return Result(code: result.killed ? -1 : result.code, signal: result.killed ? result.code : nil, stderr: result.stderr)
    }
}
