import Foundation

/// The database behind zephir-models (SPEC §8): it applies one run in one transaction and
/// answers queries. SQLite and PostgreSQL implement it; one test suite runs against both.
///
/// A store never changes local child models in a run's transaction.
public protocol ModelStore: Sendable {
    /// Creates or migrates the schema.
    func migrate() async throws

    /// Runs `body` while holding the store's exclusive run lock, across processes.
    /// - Throws: ``StoreError/locked(_:)`` when the lock stays held for `timeout`.
    func withRunLock<T: Sendable>(timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T

    /// The installed layer of each source that has one, by name.
    func installedSources() async throws -> [String: InstalledSource]
    /// Hold, floor and last attempt of each source the store knows, by name.
    func sourceStates() async throws -> [String: SourceState]
    /// The newest trusted root of each source that has one, by name (SPEC §5.1).
    func trustedRoots() async throws -> [String: StoredRoot]
    /// The files of a source's installed layer (path, sha256, bytes), sorted by path; `nil` if none.
    func layerFiles(source: String) async throws -> [LayerRecord.File]?
    /// What the resolved layer holds, for the planner.
    func currentState() async throws -> CurrentState

    /// The outline kept for a source's installed layer; `nil` when there is none, or when it
    /// no longer describes the installed layer (a rollback installs layers without one).
    func layerOutline(source: String) async throws -> LayerOutline?
    /// The bytes of one of the files the store keeps, by SHA-256; `nil` when it has none.
    func fileBytes(sha256: String) async throws -> [UInt8]?

    /// Runs `body` in one write transaction (on the run lock's connection when the task holds
    /// it): committed when it returns, rolled back when it throws. ``RunApplier`` drives it.
    /// - Parameter doing: what the transaction does, for error messages.
    func transaction<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (any RunTransaction) async throws -> T) async throws -> T

    // Queries and user actions.

    func listModels(release: String?, origin: ModelSummary.Origin?) async throws -> [ModelSummary]
    func rootModel(_ key: ModelKey) async throws -> RootModelRecord?
    /// Every root model of a release (for effective variables of a chain).
    func rootModels(release: String) async throws -> [ModelKey: Resolved<ServerModel>]
    func localModel(_ key: ModelKey) async throws -> LocalModel?
    func serviceNames(release: String) async throws -> Set<String>
    /// Creates a local child model.
    /// - Throws: ``StoreError/alreadyExists(_:)`` when a root or local model has the key.
    func createLocalModel(_ model: LocalModel) async throws
    func runs(limit: Int) async throws -> [RunRecord]
    /// Conflicts of the latest run (unacknowledged only unless `all`), or of every run when `all`.
    func conflicts(all: Bool) async throws -> [StoredConflict]
    /// Every conflict of one run, acknowledged or not, in the order written.
    func conflicts(run: Int64) async throws -> [StoredConflict]
    /// Marks conflicts reviewed; a `parent-updated` ack also records the child's new parent digest.
    /// - Returns: the ids that existed.
    func acknowledge(_ ids: [Int64], parentDigests: [ModelKey: String]) async throws -> [Int64]
    func setHold(source: String, held: Bool) async throws

    // Rollback and notifications.

    /// The layer each source had installed right after `run` (envelope and files), by source.
    /// - Throws: ``StoreError/noSuchRun(_:)`` when there is no such run.
    func layers(asOf run: Int64) async throws -> [String: LayerRecord]
    /// Outbox messages not yet delivered whose next attempt is due at `now` (RFC 3339), oldest first.
    func pendingNotifications(now: String) async throws -> [OutboxMessage]
    /// Records one delivery attempt: delivered, or failed with its error and when to retry.
    func recordDelivery(id: Int64, delivered: Bool, error: String?, nextAttempt: String?) async throws
}

extension ModelStore {
    /// Applies one run atomically with ``RunApplier``'s rules (default history, no sinks).
    /// - Returns: the run's id.
    public func commit(_ commit: RunCommit, content: RunContent? = nil) async throws -> Int64 {
        try await RunApplier(store: self).apply(commit, content: content)
    }
}

/// Why the store failed, naming the database.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case locked(String)
    case unreachable(String)
    case alreadyExists(ModelKey)
    case corrupt(String)
    case noSuchRun(Int64)
    case historyUnavailable(Int64, since: Int64)

    public var description: String {
        switch self {
        case .locked(let what): return "\(what): another run holds the lock; try again later (the daemon or a timer may be syncing)"
        case .unreachable(let what): return "\(what)"
        case .alreadyExists(let key): return "\(key) already exists; choose another name"
        case .corrupt(let what): return "the database is inconsistent: \(what)"
        case .noSuchRun(let id): return "there is no run \(id); `zephir-models history` lists the runs"
        case .historyUnavailable(let id, let since):
            return "run \(id) can no longer be restored: its source layers were pruned (`history: {keep_runs: N}` in the configuration keeps the last N runs) or predate the layer history; the oldest run this database can restore is \(since)"
        }
    }
}
