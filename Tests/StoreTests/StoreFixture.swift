import Foundation
@testable import PostgresStore
import SQLiteStore
import Testing
@testable import ZephirCore

/// A kind of store the suite runs against; every test takes one as its argument.
///
/// The PostgreSQL cases need a server: `ZEPHIR_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB`
/// (`.ci/run` starts a throwaway one). Each test gets a schema of its own in that database,
/// dropped afterwards. Without the variable, they are skipped with a message saying so.
enum StoreFixture: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// The server of the PostgreSQL cases, if any.
    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["ZEPHIR_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty ? nil : url
    }()

    static let postgresSkipped = """
        PostgreSQL cases skipped: set ZEPHIR_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run them against a server \
        (each test uses a schema of its own), or run .ci/run, which starts a throwaway server
        """

    /// Says once, on standard error, that the PostgreSQL cases are skipped and how to run them
    /// (a cancelled test case is otherwise silent).
    private static let announceSkip: Void = {
        FileHandle.standardError.write(Data("note: \(postgresSkipped)\n".utf8))
    }()

    /// A fresh, migrated, empty database.
    /// - Throws: a test cancellation for ``postgres`` when no server is configured.
    func make() async throws -> TestDatabase {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-store-\(UUID().uuidString)")
            let path = folder.appendingPathComponent("db/zephir-models.db").path
            let database = TestDatabase(store: try SQLiteStore(path: path), url: "sqlite:" + path,
                                        reopen: { try SQLiteStore(path: path) },
                                        cleanup: { try? FileManager.default.removeItem(at: folder) })
            try await database.store.migrate()
            return database
        case .postgres:
            guard let server = Self.postgresURL else {
                _ = Self.announceSkip
                try Test.cancel(Comment(rawValue: Self.postgresSkipped))
            }
            let url = Self.postgresURL(server, schema: "zm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
            let store = try PostgresStore.open(url: url)
            let database = TestDatabase(store: store, url: url, reopen: { try PostgresStore.open(url: url) },
                                        cleanup: { try? await store.dropSchema() })
            try await store.migrate()
            return database
        }
    }

    /// `server` with `schema=NAME` added to its options.
    static func postgresURL(_ server: String, schema: String) -> String {
        server + (server.contains("?") ? "&" : "?") + "schema=" + schema
    }
}

/// One test's database, removed by ``remove()``.
struct TestDatabase: Sendable {
    let store: any ModelStore
    /// The `database:` URL of a configuration using it.
    let url: String
    /// A second, independent store on the same database (another connection, as another process would have).
    let reopen: @Sendable () throws -> any ModelStore
    let cleanup: @Sendable () async -> Void

    func remove() async {
        await cleanup()
    }
}

/// Runs `body` with a fresh database of `fixture`, then removes it.
func withDatabase(_ fixture: StoreFixture, _ body: (TestDatabase) async throws -> Void) async throws {
    let database = try await fixture.make()
    do {
        try await body(database)
    } catch {
        await database.remove()
        throw error
    }
    await database.remove()
}

// MARK: - Sample content

enum Sample {
    static let release = "2.7.1"
    static let base = ModelKey(release: release, name: "base")
    static let amon = ModelKey(release: release, name: "amon")
    static let scribe = ModelKey(release: release, name: "scribe")

    static func resolved<T>(_ value: T, source: String = "eole", digest: String) -> Resolved<T> {
        Resolved(value: value, source: source, digest: digest)
    }

    static let baseModel = ServerModel(
        name: "base", description: "Every server", services: ["ssh", "base"],
        variables: [
            Variable(name: "domain", type: .domain, defaultValue: "ac-dijon.fr", mandatory: true, description: "DNS domain"),
            Variable(name: "ssh_port", type: .port, defaultValue: "22"),
            Variable(name: "ipv6", type: .boolean, defaultValue: "false"),
        ])

    static let amonModel = ServerModel(
        name: "amon", description: "Firewall", parent: "base", services: ["web", "ssh"],
        variables: [
            Variable(name: "zeta", type: .string, description: "last alphabetically, first written"),
            Variable(name: "mode", type: .choice, defaultValue: "strict", mandatory: true, description: "Filtering",
                     choices: ["strict", "open", "déjà vu"]),
            Variable(name: "lan", type: .network, defaultValue: "192.168.0.0/24"),
            Variable(name: "gateway", type: .ip),
            Variable(name: "empty_choice", type: .choice, choices: []),
        ])

    static let scribeModel = ServerModel(name: "scribe", parent: "base", services: [],
                                         variables: [Variable(name: "quota", type: .integer, defaultValue: "100")])

    /// A version, a release, three services and three models.
    static func changes() -> ChangeSet {
        var changes = ChangeSet()
        changes.upsertVersions = [resolved(Version(name: "2.7", label: "EOLE 2.7", endOfSupport: "2027-06-30"), digest: "v27")]
        changes.upsertReleases = [resolved(Release(name: release, version: "2.7", status: .stable, date: "2024-01-15"), digest: "r271")]
        for name in ["ssh", "base", "web"] {
            let service = ApplicationService(name: name, description: "the \(name) service", packages: ["\(name)-pkg", "common"],
                                             depends: name == "web" ? ["base"] : [])
            changes.upsertServices[ServiceKey(release: release, name: name)] = resolved(service, digest: "s-\(name)")
        }
        changes.addModels = [
            base: resolved(baseModel, digest: "m-base"),
            amon: resolved(amonModel, source: "acme", digest: "m-amon"),
            scribe: resolved(scribeModel, digest: "m-scribe"),
        ]
        return changes
    }

    static func run(_ status: RunRecord.Status = .applied, sources: [SourceAttempt] = [], at time: String = "2025-03-01T10:00:00Z") -> RunRecord {
        RunRecord(startedAt: time, finishedAt: time.replacingOccurrences(of: ":00Z", with: ":30Z"), status: status, sources: sources)
    }

    static func layer(_ source: String, version: Int, files: [String: String]) -> LayerRecord {
        let installed = InstalledSource(name: source, version: version, digest: "digest-\(source)-\(version)",
                                        expires: "2030-01-01T00:00:00Z", installedAt: "2025-03-01T10:00:00Z")
        let records = files.map { path, text in
            LayerRecord.File(path: path, sha256: "sha-" + String(text.hashValue.magnitude), bytes: Array(text.utf8))
        }
        return LayerRecord(installed: installed, envelope: Data("{\"payload\":\"\(source)-\(version)\"}".utf8), files: records)
    }

    static func child(_ name: String, parent: String = "amon") -> LocalModel {
        LocalModel(release: release, name: name, parent: parent, description: "a child of \(parent)",
                   overrides: [LocalModel.Override(name: "mode", value: "open"), LocalModel.Override(name: "lan", value: "10.0.0.0/8")],
                   addServices: ["extra", "web"], removeServices: ["ssh"], parentDigest: "parent-digest-1",
                   createdAt: "2025-03-02T08:00:00Z")
    }
}

/// Everything a store holds, for "unchanged" comparisons.
struct StoreSnapshot: Equatable {
    var versions: [String: String]
    var releases: [String: String]
    var services: [ServiceKey: String]
    var models: [ModelKey: String]
    var localModels: [LocalModel]
    var roots: [ModelKey: Resolved<ServerModel>]
    var summaries: [ModelSummary]
    var installed: [String: InstalledSource]
    var states: [String: SourceState]
    var runs: [RunRecord]
    var conflicts: [StoredConflict]

    init(_ store: any ModelStore, release: String = Sample.release) async throws {
        let current = try await store.currentState()
        versions = current.versions
        releases = current.releases
        services = current.services
        models = current.models
        localModels = current.localModels
        roots = try await store.rootModels(release: release)
        summaries = try await store.listModels(release: nil, origin: nil)
        installed = try await store.installedSources()
        states = try await store.sourceStates()
        runs = try await store.runs(limit: 1000)
        conflicts = try await store.conflicts(all: true)
    }
}
