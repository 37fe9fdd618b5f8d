import Foundation

/// The database behind zephir-models (SPEC §8): it applies one run in one transaction and
/// answers queries. SQLite and PostgreSQL implement it; one test suite runs against both.
///
/// A store never changes local child models during ``commit(_:)``.
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
    /// The files of a source's installed layer (path, sha256, bytes), sorted by path; `nil` if none.
    func layerFiles(source: String) async throws -> [LayerRecord.File]?
    /// What the resolved layer holds, for the planner.
    func currentState() async throws -> CurrentState

    /// Applies one run atomically: layers, change set, conflicts, source states and the run record.
    /// - Returns: the run's id.
    func commit(_ commit: RunCommit) async throws -> Int64

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
    public func layers(asOf run: Int64) async throws -> [String: LayerRecord] { throw StoreError.unsupported("rollback") }
    public func pendingNotifications(now: String) async throws -> [OutboxMessage] { [] }
    public func recordDelivery(id: Int64, delivered: Bool, error: String?, nextAttempt: String?) async throws {}
}

/// Why the store failed, naming the database.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case locked(String)
    case unreachable(String)
    case alreadyExists(ModelKey)
    case corrupt(String)
    case noSuchRun(Int64)
    case historyUnavailable(Int64, since: Int64)
    case unsupported(String)

    public var description: String {
        switch self {
        case .locked(let what): return "\(what): another run holds the lock; try again later (the daemon or a timer may be syncing)"
        case .unreachable(let what): return "\(what)"
        case .alreadyExists(let key): return "\(key) already exists; choose another name"
        case .corrupt(let what): return "the database is inconsistent: \(what)"
        case .noSuchRun(let id): return "there is no run \(id); `zephir-models history` lists the runs"
        case .historyUnavailable(let id, let since):
            return "the source layers of run \(id) were not kept (this database keeps them from run \(since) on); roll back to run \(since) or later"
        case .unsupported(let what): return "this database backend does not support \(what) yet; use the SQLite store for it"
        }
    }
}
