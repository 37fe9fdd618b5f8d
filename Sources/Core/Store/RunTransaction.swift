import Foundation

/// The writes a store offers inside one run's transaction: the primitives ``RunApplier`` drives.
///
/// A store implements each with its own bulk path and SQL dialect and decides nothing: which
/// primitive runs, in which order and with which rows is the applier's business (SPEC §8, "one
/// write path"). Every call happens inside the transaction ``ModelStore/transaction(_:_:)``
/// opened; nothing is visible to readers before it commits, and nothing is kept when it throws.
public protocol RunTransaction: Sendable {
    /// Inserts the run's record.
    /// - Returns: the run's id.
    func insertRun(_ run: RunRecord) async throws -> Int64

    /// Replaces a source's installed layer with `layer`, recorded in the layer history of `run`:
    /// the layer's row, its files (their bytes stored once by SHA-256) and, when `content`
    /// outlines it, its outline. With `content`, `layer.files` is empty and each file's bytes
    /// are read from `content` unless the store already holds them.
    func installLayer(_ layer: LayerRecord, content: LayerContent?, run: Int64) async throws

    /// Removes a source's installed layer, recorded in the layer history of `run`.
    func removeLayer(source: String, run: Int64) async throws

    /// Raises a source's version floor to `version` (never lowers it).
    func raiseVersionFloor(source: String, to version: Int) async throws

    /// Stores `root` as its source's newest trusted root, replacing an older one (never a newer one).
    func advanceTrustedRoot(_ root: StoredRoot) async throws

    /// Clears a source's version floor: the next layer installed sets it again.
    func clearVersionFloor(source: String) async throws

    /// Puts sources on hold.
    func hold(_ sources: [String]) async throws

    /// Records each source's last attempt, at `time`.
    func recordAttempts(_ attempts: [SourceAttempt], at time: String) async throws

    /// Writes the change set to the resolved layer: deletions first, then upserts of versions,
    /// releases and services, then the changed and added models with their services and
    /// variables, in `models`' order, each read with ``ModelWrites/written(_:)`` when its turn comes.
    func applyChanges(_ changes: ChangeSet, models: ModelWrites) async throws

    /// Inserts the run's conflicts, in order, with their acknowledgement.
    func insertConflicts(_ conflicts: [(conflict: Conflict, acknowledged: Bool)], run: Int64) async throws

    /// Queues run reports for delivery, due at `due`.
    func insertOutbox(_ messages: [OutboxMessage], run: Int64, due: String) async throws

    /// Deletes every run older than `oldestKept`, with its conflicts and layer history, after
    /// moving to `oldestKept` the latest history entry of each source at or before it (so that
    /// `rollback --to oldestKept` still finds every layer); records `oldestKept` as where history starts.
    /// - Returns: whether layer history entries were deleted (stored files may have become unused).
    func pruneHistory(before oldestKept: Int64) async throws -> Bool

    /// Deletes the stored file contents no installed layer and no history entry uses.
    func deleteUnusedFiles() async throws

    /// Sends `payload` to the listeners of `channel` when the transaction commits (PostgreSQL's
    /// `NOTIFY`); a store without such a mechanism does nothing.
    func notify(channel: String, payload: String) async throws
}
