import Foundation

/// `rollback --to RUN` (SPEC §3): restores the source layers as they were after RUN and the
/// root models they resolve to (under the current priorities and scopes), in one transaction
/// recorded as a new run, and holds every source it rolled back so that the next sync does not
/// undo it. The version floor of rollback protection is never lowered: once released with
/// `unhold`, a source accepts only versions at least as high as the highest ever installed.
public struct Rollback: Sendable {
    public let config: Config
    public let adapters: [String: any SourceAdapter]
    public let store: any ModelStore

    public init(config: Config, registry: SourceRegistry, store: any ModelStore) throws {
        self.config = config
        self.adapters = try registry.adapters(for: config)
        self.store = store
    }

    /// - Throws: ``StoreError/noSuchRun(_:)``, ``StoreError/locked(_:)``, ``SyncError``.
    public func run(to target: Int64, now: Date = Date()) async throws -> SyncReport {
        try await store.migrate()
        return try await store.withRunLock(timeout: config.lockTimeout) { try await execute(target, now: now) }
    }

    private func execute(_ target: Int64, now: Date) async throws -> SyncReport {
        let startedAt = RFC3339.format(now)
        let then = try await store.layers(asOf: target)
        let installed = try await store.installedSources()
        let affected = Set(then.keys).union(installed.keys).filter { then[$0]?.installed.digest != installed[$0]?.digest }.sorted()
        let attempts = affected.map { name -> SourceAttempt in
            let message = then[name].map { "restored version \($0.installed.version) as it was after run \(target); on hold until `zephir-models unhold \(name)`" }
                ?? "removed: it had no layer after run \(target); on hold until `zephir-models unhold \(name)`"
            return SourceAttempt(source: name, result: .rolledBack, version: then[name]?.installed.version, message: message)
        }

        var layers: [SourceLayer] = []
        for source in config.sources where source.enabled {
            guard let adapter = adapters[source.name], let record = then[source.name] else { continue }
            layers.append(try StoredLayers.decode(source, role: type(of: adapter).role, version: record.installed.version, files: record.files))
        }
        let resolved = Resolver.resolve(layers)
        let current = try await store.currentState()
        let plan = Planner.plan(resolved: resolved, current: current)
        let conflicts = resolved.conflicts + plan.conflicts
        let resolution = SyncEngine.fingerprint(sources: config.sources.filter(\.enabled), digests: then.mapValues(\.installed.digest),
                                                adapters: adapters, locals: current.localModels)
        let status: RunRecord.Status = affected.isEmpty && plan.changes.isEmpty ? .unchanged : .applied
        var report = SyncReport(run: nil, dryRun: false, status: status, startedAt: startedAt, finishedAt: RFC3339.format(Date()), sources: attempts,
                                changes: SyncReport.changes(plan.changes, current: current), conflicts: conflicts, exitCode: 0)
        let commit = RunCommit(run: RunRecord(report, resolution: resolution), layers: affected.compactMap { then[$0] }, changes: plan.changes,
                               conflicts: conflicts, removeLayers: affected.filter { then[$0] == nil }, hold: affected)
        // A rollback is always worth a notification: an operator undid an update.
        report.run = try await RunApplier(store: store, keepRuns: config.history.keepRuns, sinks: config.notify)
            .apply(commit, report: report, alwaysNotify: true)
        return report
    }
}
