import Foundation

/// Writes one run (a sync or a rollback) in one transaction: the only place that decides what a
/// commit does and in which order (SPEC §6, §8). Stores only carry out its primitives
/// (``RunTransaction``), so a rule changed here changes for SQLite and PostgreSQL alike.
///
/// In order: the run's record; the newer trusted roots (clearing the version floor of a source
/// whose index keys changed); the new source layers (each raising its source's version floor)
/// and the removed ones; holds; the change set to the resolved layer; each source's last
/// attempt; the conflicts (with, for a run that resolved nothing new, the previous run's
/// resolution conflicts carried forward, acknowledgements kept); the run report in the outbox
/// when it is worth a notification; history beyond `keepRuns` pruned; stored files nothing
/// uses any more deleted; and the end-of-update message (`NOTIFY zephir_models`).
///
/// Call it under the store's run lock: what it reads before the transaction (the previous
/// run's conflicts, the runs to prune) cannot change meanwhile.
public struct RunApplier: Sendable {
    /// The channel of the end-of-update message (SPEC §8).
    public static let channel = "zephir_models"

    public let store: any ModelStore
    /// How many runs keep their layer history (SPEC §8 `history: {keep_runs:}`), this one included.
    public var keepRuns: Int
    /// Where run reports go (SPEC §6 `notify:`).
    public var sinks: [NotifySink]

    public init(store: any ModelStore, keepRuns: Int = HistoryPolicy.defaultKeepRuns, sinks: [NotifySink] = []) {
        self.store = store
        self.keepRuns = max(1, keepRuns)
        self.sinks = sinks
    }

    /// Applies `commit`; with `report`, queues it for the sinks when notable (``Outbox/isNotable(_:previousConflicts:)``)
    /// or always when `alwaysNotify`. `content` holds the bytes and models of outlined layers.
    /// - Returns: the run's id.
    /// - Throws: ``StoreError``, ``SyncError/corruptLayer(source:reason:)``; nothing is written then.
    public func apply(_ commit: RunCommit, report: SyncReport? = nil, alwaysNotify: Bool = false, content: RunContent? = nil) async throws -> Int64 {
        try Task.checkCancellation()
        let recent = try await store.runs(limit: keepRuns)
        var previous: [StoredConflict] = []
        if let latest = recent.first?.id { previous = try await store.conflicts(run: latest) }
        let previousConflicts = previous.map { $0.conflict }

        var commit = commit
        if let report, !sinks.isEmpty, alwaysNotify || Outbox.isNotable(report, previousConflicts: previousConflicts) {
            let payload = try Outbox.payload(report)
            commit.notifications += sinks.map { OutboxMessage(sink: $0.description, payload: payload) }
        }
        let carried = commit.carryForwardConflicts ? Self.carriedForward(previous) : []
        let conflicts = carried + commit.conflicts.map { (conflict: $0, acknowledged: false) }
        var run = commit.run
        run.conflictCount = conflicts.count
        let notice = RunNotice(run: run, newConflicts: Self.new(commit.conflicts, since: previousConflicts))
        // With `keepRuns` runs already recorded, the oldest of them leaves the kept window with
        // this one: the oldest kept is then the newest but `keepRuns - 1` (or this run itself).
        let prunes = recent.count >= keepRuns
        let oldestKeptBefore = prunes && keepRuns >= 2 ? recent[keepRuns - 2].id : nil
        let writes = ModelWrites(commit.changes, content: content)

        return try await store.transaction("applying a run (not applied, the database is unchanged)") { [commit, run] tx in
            let id = try await tx.insertRun(run)
            for update in commit.roots {
                try await tx.advanceTrustedRoot(update.root)
                if update.clearsVersionFloor { try await tx.clearVersionFloor(source: update.root.source) }
            }
            for layer in commit.layers {
                let streamed = layer.files.isEmpty ? content?.layers[layer.installed.name] : nil
                try await tx.installLayer(layer, content: streamed, run: id)
                try await tx.raiseVersionFloor(source: layer.installed.name, to: layer.installed.version)
            }
            for source in commit.removeLayers {
                try await tx.removeLayer(source: source, run: id)
            }
            if !commit.hold.isEmpty { try await tx.hold(commit.hold) }
            try await tx.applyChanges(commit.changes, models: writes)
            try await tx.recordAttempts(run.sources, at: run.finishedAt)
            if !conflicts.isEmpty { try await tx.insertConflicts(conflicts, run: id) }
            if !commit.notifications.isEmpty { try await tx.insertOutbox(commit.notifications, run: id, due: run.finishedAt) }
            var prunedLayers = false
            if prunes {
                prunedLayers = try await tx.pruneHistory(before: oldestKeptBefore ?? id)
            }
            if !commit.layers.isEmpty || !commit.removeLayers.isEmpty || prunedLayers {
                try await tx.deleteUnusedFiles()
            }
            var message = notice
            message.run = id
            try await tx.notify(channel: Self.channel, payload: try message.json())
            return id
        }
    }

    /// The previous run's resolution conflicts, as a run that resolves nothing new keeps them;
    /// source-level conflicts are the run's own.
    static func carriedForward(_ previous: [StoredConflict]) -> [(conflict: Conflict, acknowledged: Bool)] {
        previous.filter { !$0.conflict.kind.isSourceLevel }.map { ($0.conflict, $0.acknowledged) }
    }

    /// The conflicts of `conflicts` that the previous run did not have.
    static func new(_ conflicts: [Conflict], since previous: [Conflict]) -> [Conflict] {
        let known = Set(previous.map { Outbox.identity(of: $0) })
        return conflicts.filter { !known.contains(Outbox.identity(of: $0)) }
    }
}

/// The end-of-update message (SPEC §8): what a listener needs to decide whether to reload.
struct RunNotice: Encodable {
    struct Models: Encodable {
        var added: Int
        var changed: Int
        var removed: Int
    }

    var run: Int64
    var status: RunRecord.Status
    var models: Models
    /// New conflicts by severity (`error`, `warning`, `info`), zeros included.
    var conflicts: [String: Int]

    init(run: RunRecord, newConflicts: [Conflict]) {
        self.run = 0
        self.status = run.status
        self.models = Models(added: run.modelsAdded, changed: run.modelsChanged, removed: run.modelsRemoved)
        var counts = Dictionary(uniqueKeysWithValues: Conflict.Severity.allCases.map { ($0.rawValue, 0) })
        for conflict in newConflicts { counts[conflict.severity.rawValue, default: 0] += 1 }
        self.conflicts = counts
    }

    /// Compact JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
