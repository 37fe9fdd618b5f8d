import Crypto
import Foundation

/// Runs one sync (SPEC §6): fetches every enabled source not on hold concurrently through the
/// shared trust pipeline, resolves the layers, plans against the store and commits the run in
/// one transaction, under the store's run lock.
///
/// A source that fails keeps its last good layer (or, under `on_source_failure: abort`, the run
/// writes nothing but its own record). When no source produced a new snapshot and nothing the
/// resolution depends on changed, nothing is resolved: the run is recorded as `unchanged` and
/// the previous run's conflicts are carried forward.
public struct SyncEngine: Sendable {
    public struct Options: Sendable {
        /// Only these sources are fetched (the others keep their installed layer); empty: all.
        public var sources: [String]
        public var dryRun: Bool
        public var now: Date
        /// How many sources are fetched at once.
        public var concurrency: Int
        /// Called as the run goes (from any task): for a progress display.
        public var progress: (@Sendable (SyncProgress) -> Void)?

        public init(sources: [String] = [], dryRun: Bool = false, now: Date = Date(), concurrency: Int = 4,
                    progress: (@Sendable (SyncProgress) -> Void)? = nil) {
            self.progress = progress
            self.sources = sources
            self.dryRun = dryRun
            self.now = now
            self.concurrency = concurrency
        }
    }

    public let config: Config
    public let adapters: [String: any SourceAdapter]
    public let store: any ModelStore
    public let fetcher: SourceFetcher
    /// Whether layers are outlined (file bytes and model variables kept out of memory, see
    /// ``SourceFetcher/outlining``): decided once, here, for every step of a run.
    public let streaming: Bool

    /// - Parameter streaming: outline layers (the default); `false` holds whole layers in memory
    ///   (tests compare both ways).
    /// - Throws: ``ConfigError`` when a source's kind is unknown or its settings are invalid.
    public init(config: Config, registry: SourceRegistry, store: any ModelStore, streaming: Bool = true) throws {
        self.config = config
        self.store = store
        self.streaming = streaming
        self.fetcher = SourceFetcher(cache: FetchCache(root: config.cache), outlining: streaming)
        self.adapters = try registry.adapters(for: config)
    }

    /// Runs a sync, or plans one when `options.dryRun`.
    /// - Throws: ``SyncError``, ``StoreError`` (including ``StoreError/locked(_:)``).
    public func run(_ options: Options) async throws -> SyncReport {
        let known = config.sources.map(\.name)
        for name in options.sources where !known.contains(name) { throw SyncError.unknownSource(name, known: known) }
        try await store.migrate()
        if options.dryRun { return try await execute(options) }
        return try await store.withRunLock(timeout: config.lockTimeout) { try await execute(options) }
    }

    private struct Fetched: Sendable {
        var config: SourceConfig
        var attempt: SourceAttempt
        var snapshot: SourceFetcher.Snapshot?
        var conflicts: [Conflict]
        var failed: Bool
        /// A newer trusted root this fetch verified.
        var root: RootUpdate?
    }

    /// What every source's fetch came to, highest priority first.
    private struct Fetch: Sendable {
        var sources: [Fetched]
        var attempts: [SourceAttempt] { sources.map(\.attempt) }
        var conflicts: [Conflict] { sources.flatMap(\.conflicts) }
        var failures: Int { sources.filter(\.failed).count }
        var attempted: Int { sources.filter { $0.attempt.result != .held }.count }
        var snapshots: [String: SourceFetcher.Snapshot] {
            Dictionary(sources.compactMap { f in f.snapshot.map { (f.config.name, $0) } }, uniquingKeysWith: { a, _ in a })
        }
        var notes: [String] { sources.compactMap { f in f.snapshot?.fallback.map { "source '\(f.config.name)': \($0)" } } }
        var roots: [RootUpdate] { sources.compactMap(\.root) }
    }

    /// A run, as steps a reader finds by SPEC §6's words: fetch all → resolve → plan → apply → report.
    private func execute(_ options: Options) async throws -> SyncReport {
        let startedAt = RFC3339.format(options.now)
        let installed = try await store.installedSources()
        let fetch = try await fetchAll(options, installed: installed)
        let previousRun = try await store.runs(limit: 1).first
        func report(_ status: RunRecord.Status, changes: [SyncReport.Change] = [], conflicts: [Conflict], exitCode: Int32) -> SyncReport {
            SyncReport(run: nil, dryRun: options.dryRun, status: status, startedAt: startedAt, finishedAt: RFC3339.format(Date()),
                       sources: fetch.attempts, changes: changes, conflicts: conflicts, exitCode: exitCode, notes: fetch.notes)
        }

        // Nothing applied: every source failed, or one failed under `abort`.
        if fetch.failures > 0 && (fetch.failures == fetch.attempted || config.onSourceFailure == .abort) {
            var failed = report(.failed, conflicts: fetch.conflicts, exitCode: 3)
            if !options.dryRun {
                failed.run = try await apply(RunCommit(run: RunRecord(failed, resolution: previousRun?.resolution), conflicts: fetch.conflicts,
                                                       carryForwardConflicts: true, roots: fetch.roots), report: failed)
            }
            return failed
        }
        let exitCode: Int32 = fetch.failures > 0 ? 2 : 0
        let snapshots = fetch.snapshots
        let current = try await store.currentState()
        var digests = installed.mapValues(\.digest)
        for (name, snapshot) in snapshots { digests[name] = snapshot.verified.digest }
        let enabled = config.sources.filter(\.enabled)
        let resolution = Self.fingerprint(sources: enabled, digests: digests, adapters: adapters, locals: current.localModels)

        // Nothing the resolution depends on changed: nothing to resolve, the conflicts carry forward.
        if snapshots.isEmpty && resolution == previousRun?.resolution {
            var unchanged = report(.unchanged, conflicts: fetch.conflicts, exitCode: exitCode)
            if !options.dryRun {
                unchanged.run = try await apply(RunCommit(run: RunRecord(unchanged, resolution: resolution), conflicts: fetch.conflicts,
                                                          carryForwardConflicts: true, roots: fetch.roots), report: unchanged)
                unchanged.conflicts = try await store.conflicts(all: false).map(\.conflict)
            }
            return unchanged
        }

        var (layers, content, notes) = try await loadLayers(snapshots, installed: installed)
        options.progress?(.resolving(layers: layers.count, models: layers.reduce(0) { $0 + $1.tree.modelCount }))
        let (resolved, plan) = try await resolveAndPlan(&layers, content: &content, current: current)
        if !options.dryRun {
            options.progress?(.applying(models: plan.changes.addModels.count + plan.changes.changeModels.count + plan.changes.removeModels.count))
        }
        let newLayers = fetch.sources.compactMap { f in f.snapshot.map { Self.layerRecord(f.config.name, $0, now: options.now) } }
        let status: RunRecord.Status = plan.changes.isEmpty && newLayers.isEmpty ? .unchanged : .applied
        var applied = report(status, changes: SyncReport.changes(plan.changes, current: current),
                             conflicts: fetch.conflicts + resolved.conflicts + plan.conflicts, exitCode: exitCode)
        applied.notes += notes
        if !options.dryRun {
            applied.run = try await apply(RunCommit(run: RunRecord(applied, resolution: resolution), layers: newLayers, changes: plan.changes,
                                                    conflicts: applied.conflicts, roots: fetch.roots), report: applied, content: content)
        }
        return applied
    }

    /// Every enabled source's layer for this run: its new snapshot, else its installed layer
    /// (outlined when the store keeps an outline, else read in full: `notes` says why).
    private func loadLayers(_ snapshots: [String: SourceFetcher.Snapshot], installed: [String: InstalledSource]) async throws
        -> (layers: [SourceLayer], content: RunContent, notes: [String]) {
        var layers: [SourceLayer] = []
        var content = RunContent()
        var notes: [String] = []
        for source in config.sources where source.enabled {
            guard let adapter = adapters[source.name] else { continue }
            let role = type(of: adapter).role
            if let snapshot = snapshots[source.name] {
                layers.append(SourceLayer(source: source.name, role: role, priority: source.priority, scope: source.scope,
                                          version: snapshot.verified.index.version, tree: snapshot.tree,
                                          fileDigests: Dictionary(snapshot.verified.index.files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })))
                content.layers[source.name] = snapshot.content
                continue
            }
            guard let layer = installed[source.name] else { continue }
            if streaming {
                do {
                    if let outline = try await store.layerOutline(source: source.name) {
                        layers.append(SourceLayer(source: source.name, role: role, priority: source.priority, scope: source.scope, version: layer.version,
                                                  tree: outline.tree, fileDigests: Dictionary(outline.entries.map { ($0.file.path, $0.file.sha256) },
                                                                                              uniquingKeysWith: { a, _ in a })))
                        content.layers[source.name] = LayerContent(source: source.name, outline: outline)
                        continue
                    }
                } catch {
                    notes.append("source '\(source.name)': its stored outline could not be read (\(error)); its installed layer was read in full instead")
                }
            }
            layers.append(try await StoredLayers.load(source, role: role, version: layer.version, from: store))
        }
        return (layers, content, notes)
    }

    /// Resolves the layers and plans the change set against the store, reading in full only
    /// the outlined models that must be compared or read (``ContentMaterializer``).
    private func resolveAndPlan(_ layers: inout [SourceLayer], content: inout RunContent, current: CurrentState) async throws
        -> (resolved: ResolvedState, plan: Plan) {
        let materializer = ContentMaterializer(cache: fetcher.cache, store: streaming ? store : nil)
        try await materializer.completeShared(&layers, content: &content)
        var resolved = Resolver.resolve(layers)
        try await materializer.completeAncestors(of: current.localModels, in: &resolved, content: &content)
        let plan = Planner.plan(resolved: resolved, current: current)
        try await materializer.complete(plan.changes, content: &content)
        return (resolved, plan)
    }

    /// Writes the run (``RunApplier``). A cancelled task abandons the run here, before writing.
    private func apply(_ commit: RunCommit, report: SyncReport, content: RunContent? = nil) async throws -> Int64 {
        try await RunApplier(store: store, keepRuns: config.history.keepRuns, sinks: config.notify)
            .apply(commit, report: report, content: streaming ? content : nil)
    }

    /// Fetches every wanted source not on hold, concurrently, at most `options.concurrency` at a time.
    private func fetchAll(_ options: Options, installed: [String: InstalledSource]) async throws -> Fetch {
        let states = try await store.sourceStates()
        let roots = try await store.trustedRoots()
        let wanted = config.sources.filter { $0.enabled && (options.sources.isEmpty || options.sources.contains($0.name)) }
        var fetched: [Fetched] = []
        for source in wanted where states[source.name]?.held == true {
            fetched.append(Fetched(config: source, attempt: SourceAttempt(source: source.name, result: .held, version: installed[source.name]?.version,
                                                                          message: "on hold: `zephir-models unhold \(source.name)` resumes its updates"),
                                   snapshot: nil, conflicts: [], failed: false))
        }
        let toFetch = wanted.filter { states[$0.name]?.held != true }
        let progress = options.progress, now = options.now
        fetched += await withTaskGroup(of: Fetched.self) { group in
            var results: [Fetched] = []
            var pending = toFetch[...]
            func start(_ group: inout TaskGroup<Fetched>) {
                guard let source = pending.popFirst(), let adapter = adapters[source.name] else { return }
                let layer = installed[source.name]
                // A source with a root keeps its floor alone: cleared when its index keys change (SPEC §5.1).
                let floor = source.signature.root != nil ? states[source.name]?.versionFloor
                    : [states[source.name]?.versionFloor, layer?.version].compactMap { $0 }.max()
                let stored = roots[source.name]
                group.addTask {
                    progress?(.fetching(source: source.name))
                    var storedRoot: TrustedRoot?
                    if let stored {
                        do throws(TrustError) { storedRoot = try TrustedRoot(storedEnvelope: stored.envelope, file: "the stored root of '\(source.name)'") } catch {
                            return Self.describe(.rejected(error), source: source, installed: layer)
                        }
                    }
                    // The installed layer's outline, if the store keeps one: unchanged files are then not read again.
                    let store = self.store
                    let fetched = await fetcher.fetchWithRoots(source, adapter: adapter, installed: layer, floor: floor, storedRoot: storedRoot, now: now,
                                                               clockSkew: config.clockSkew, outline: { try await store.layerOutline(source: source.name) })
                    var result = Self.describe(fetched.outcome, source: source, installed: layer)
                    Self.describe(mirrors: fetched.mirrors, source: source, into: &result)
                    if let advance = fetched.root {
                        let note = "root \(advance.root.version) trusted" + (advance.indexKeysChanged ? " (new index keys)" : "")
                        result.attempt.message = [result.attempt.message, note].compactMap { $0 }.joined(separator: "; ")
                    }
                    result.root = fetched.root.map { advance in
                        let document = advance.root.document
                        return RootUpdate(root: StoredRoot(source: source.name, version: document.version, expires: document.expires,
                                                           envelope: advance.root.envelope, trustedAt: RFC3339.format(now)),
                                          clearsVersionFloor: advance.indexKeysChanged)
                    }
                    progress?(.fetched(result.attempt))
                    return result
                }
            }
            for _ in 0..<max(1, options.concurrency) { start(&group) }
            while let result = await group.next() {
                results.append(result)
                start(&group)
            }
            return results
        }
        return Fetch(sources: fetched.sorted { $0.config.priority > $1.config.priority })
    }

    private static func describe(_ outcome: SourceFetcher.Outcome, source: SourceConfig, installed: InstalledSource?) -> Fetched {
        let kept = installed.map { "version \($0.version) kept" } ?? "no version installed yet"
        func unsigned(_ verified: BundleReader.VerifiedIndex) -> [Conflict] {
            guard let problem = verified.unsignedAccepted else { return [] }
            return [Conflict(kind: .unsignedAccepted, subject: source.name, sources: [source.name],
                             detail: "version \(verified.index.version) accepted under `policy: warn` although \(problem.reason): \(problem.description); set `policy: required` once the publisher signs",
                             fields: Conflict.Fields(reason: problem.reason))]
        }
        switch outcome {
        case .unchanged(let verified):
            return Fetched(config: source, attempt: SourceAttempt(source: source.name, result: .unchanged, version: verified.index.version),
                           snapshot: nil, conflicts: unsigned(verified), failed: false)
        case .updated(let snapshot):
            let version = snapshot.verified.index.version
            let message = installed.map { "version \($0.version) → \(version)" } ?? "version \(version) installed"
            return Fetched(config: source, attempt: SourceAttempt(source: source.name, result: .updated, version: version, message: message,
                                                                  filesFetched: snapshot.filesFetched, bytesFetched: snapshot.bytesFetched),
                           snapshot: snapshot, conflicts: unsigned(snapshot.verified), failed: false)
        case .rejected(let error):
            let described = error.description.hasPrefix(error.reason + ":") ? error.description : "\(error.reason): \(error.description)"
            let detail = "\(described); \(kept)"
            return Fetched(config: source, attempt: SourceAttempt(source: source.name, result: .rejected, message: detail), snapshot: nil,
                           conflicts: [Conflict(kind: .sourceRejected, subject: source.name, sources: [source.name], detail: detail,
                                                     fields: Conflict.Fields(reason: error.reason))], failed: true)
        case .unavailable(let error):
            let detail = "\(error.description); \(kept)"
            return Fetched(config: source, attempt: SourceAttempt(source: source.name, result: .unavailable, message: detail), snapshot: nil,
                           conflicts: [Conflict(kind: .sourceUnavailable, subject: source.name, sources: [source.name], detail: detail,
                                                     fields: Conflict.Fields(reason: error.reason))], failed: true)
        }
    }

    /// SPEC §5.2: a `mirror-unavailable` warning for each mirror that failed, a `mirror-stale`
    /// info for each that served an older index, a `source-rejected` error naming each that served
    /// what does not verify; when every mirror failed, the source's own conflict says how each did.
    private static func describe(mirrors: [MirrorResult], source: SourceConfig, into fetched: inout Fetched) {
        guard !mirrors.isEmpty else { return }
        fetched.attempt.mirrors = mirrors
        if fetched.failed {
            let each = mirrors.map { "\($0.mirror): \($0.detail ?? $0.status.rawValue)" }.joined(separator: "; ")
            for index in fetched.conflicts.indices where fetched.conflicts[index].kind == .sourceRejected || fetched.conflicts[index].kind == .sourceUnavailable {
                fetched.conflicts[index].detail += " (every mirror failed: \(each))"
            }
            fetched.attempt.message = fetched.conflicts.first?.detail ?? fetched.attempt.message
            return
        }
        for mirror in mirrors {
            let fields = Conflict.Fields(reason: mirror.reason, mirror: mirror.mirror, version: mirror.version,
                                         newest: mirror.status == .stale ? fetched.attempt.version : nil)
            let detail = "mirror \(mirror.mirror) \(mirror.detail ?? "")"
            switch mirror.status {
            case .served: continue
            case .stale:
                fetched.conflicts.append(Conflict(kind: .mirrorStale, subject: source.name, sources: [source.name], detail: detail + "; it catches up when it is synchronized from the publisher", fields: fields))
            case .unavailable:
                fetched.conflicts.append(Conflict(kind: .mirrorUnavailable, subject: source.name, sources: [source.name],
                                                  detail: "mirror \(mirror.mirror) failed (\(mirror.detail ?? mirror.reason ?? "unavailable")); another mirror served the source", fields: fields))
            case .rejected:
                fetched.conflicts.append(Conflict(kind: .sourceRejected, subject: source.name, sources: [source.name],
                                                  detail: "mirror \(mirror.mirror) serves what does not verify (\(mirror.detail ?? mirror.reason ?? "rejected")); another mirror served the source: check that mirror", fields: fields))
            }
        }
    }

    private static func layerRecord(_ name: String, _ snapshot: SourceFetcher.Snapshot, now: Date) -> LayerRecord {
        let index = snapshot.verified.index
        return LayerRecord(installed: InstalledSource(name: name, version: index.version, digest: snapshot.verified.digest, expires: index.expires,
                                                      installedAt: RFC3339.format(now)),
                           envelope: snapshot.envelope, files: snapshot.files)
    }

    /// A digest of everything the resolution depends on besides layer contents: which sources
    /// take part, their roles, priorities, scopes and installed digests, and the local models.
    static func fingerprint(sources: [SourceConfig], digests: [String: String], adapters: [String: any SourceAdapter], locals: [LocalModel]) -> String {
        var lines: [String] = []
        for source in sources.sorted(by: { $0.name < $1.name }) {
            guard let adapter = adapters[source.name] else { continue }
            let digest = digests[source.name] ?? "-"
            lines.append([source.name, type(of: adapter).role.rawValue, String(source.priority), source.scope.map(\.pattern).joined(separator: ","), digest]
                .joined(separator: "|"))
        }
        for local in locals.sorted(by: { $0.key < $1.key }) {
            let overrides = local.overrides.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            lines.append(["local", local.key.description, local.parent, local.parentDigest, overrides,
                          local.addServices.joined(separator: ","), local.removeServices.joined(separator: ",")].joined(separator: "|"))
        }
        return SHA256Digest.hex(Data(lines.joined(separator: "\n").utf8))
    }
}

/// What a run is doing, for a progress display on a terminal.
public enum SyncProgress: Sendable {
    /// The source's index is being fetched and checked (then its files, if it changed).
    case fetching(source: String)
    /// The source is done: how it fared, with the files and bytes it downloaded.
    case fetched(SourceAttempt)
    case resolving(layers: Int, models: Int)
    case applying(models: Int)
}
