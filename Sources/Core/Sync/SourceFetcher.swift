import Foundation

/// The trust pipeline of SPEC §6 steps 1–4, the same for every adapter: index under the
/// signature policy, source name, expiry, rollback and equivocation against what is installed,
/// then only the files not already cached, each checked for size and digest, parsed and
/// validated. A source is rejected as a whole, with its reason.
///
/// Files are fetched, checked and decoded a few at a time in parallel (one per core), and taken
/// in index order, so that the first failing file is the one reported, as if read one by one.
///
/// With ``outlining``, a snapshot holds no file bytes and no model variables: they go to a
/// ``ContentSpill`` and the snapshot's tree is an outline (see ``LayerOutline``), so that memory
/// stays within one file per core; and files whose path and digest match `previous` (the
/// installed layer's outline) are taken from it without being read or decoded again.
public struct SourceFetcher: Sendable {
    /// A new verified snapshot of a source.
    public struct Snapshot: Sendable {
        public var verified: BundleReader.VerifiedIndex
        public var envelope: Data
        /// Every file with its bytes; empty when outlining (see ``content``).
        public var files: [LayerRecord.File]
        /// The decoded tree; when outlining, models have no variables.
        public var tree: DatasourceTree
        public var filesFetched: Int
        public var bytesFetched: Int
        /// When outlining: the outline, and where the bytes and full models are.
        public var content: LayerContent?
        /// Why this fetch read files it could have reused (the installed layer's outline could
        /// not be read), for the run's report; `nil` normally.
        public var fallback: String?
    }

    public enum Outcome: Sendable {
        case unchanged(BundleReader.VerifiedIndex)
        case updated(Snapshot)
        case rejected(TrustError)
        case unavailable(FetchError)
    }

    /// A root newer than the stored one, verified by this fetch (SPEC §5.1): stored by the run
    /// whatever became of the index, since trust only moves forward.
    public struct RootAdvance: Sendable {
        public var root: TrustedRoot
        /// The root names other index keys than the stored one: the version floor is cleared.
        public var indexKeysChanged: Bool
    }

    /// What fetching a source came to, and the root it reached.
    public struct FetchResult: Sendable {
        public var outcome: Outcome
        public var root: RootAdvance?
        /// How each mirror fared, in the configured order; empty for a source served from one place.
        public var mirrors: [MirrorResult] = []
    }

    public let cache: FetchCache
    public let limits: BundleReader.Limits
    /// Keep file bytes and model variables out of memory (see the type's discussion).
    public var outlining: Bool
    /// How many files are fetched and decoded at once. More than the cores: a file waiting for
    /// the network (a registry or web server answers each in a few milliseconds) takes no CPU,
    /// and the decoding of those that have arrived never runs on more threads than the shared
    /// pool has, one per core.
    public var parallelism: Int
    /// The default ``parallelism``.
    public static let defaultParallelism = max(8, ProcessInfo.processInfo.activeProcessorCount)
    /// Files are loaded in parallel only while those being loaded add up to no more than this:
    /// a bundle's large files are read one at a time, so a run holds at most one of them.
    static let parallelBytes = 1 << 20

    public init(cache: FetchCache, limits: BundleReader.Limits = BundleReader.Limits(), outlining: Bool = false,
                parallelism: Int = SourceFetcher.defaultParallelism) {
        self.cache = cache
        self.limits = limits
        self.outlining = outlining
        self.parallelism = max(1, parallelism)
    }

    /// Runs the pipeline for one source.
    /// - Parameters:
    ///   - installed: the source's installed layer, if any.
    ///   - floor: the highest version ever installed (rollback protection never goes below it).
    ///   - previous: when outlining, the outline of the installed layer, whose unchanged files are not read again.
    public func fetch(_ config: SourceConfig, adapter: any SourceAdapter, installed: InstalledSource?, floor: Int?, now: Date, clockSkew: TimeInterval,
                      previous: LayerOutline? = nil) async -> Outcome {
        await fetch(config, adapter: adapter, installed: installed, floor: floor, now: now, clockSkew: clockSkew, outline: { () async throws -> LayerOutline? in previous })
    }

    /// Runs the pipeline for one source, asking for the installed layer's outline only when the
    /// index is new (a source that did not change costs no more than its index).
    public func fetch(_ config: SourceConfig, adapter: any SourceAdapter, installed: InstalledSource?, floor: Int?, now: Date, clockSkew: TimeInterval,
                      outline previous: @Sendable () async throws -> LayerOutline?) async -> Outcome {
        await fetchWithRoots(config, adapter: adapter, installed: installed, floor: floor, storedRoot: nil, now: now, clockSkew: clockSkew,
                             outline: previous).outcome
    }

    /// Runs the pipeline for one source, its root chain first when it pins a root (SPEC §5.1):
    /// from `storedRoot` (the newest root the store trusts) or the pinned one, whichever is newer.
    ///
    /// A source with several mirrors (SPEC §5.2) has the roots and index of every mirror checked
    /// concurrently; the highest version that verifies wins, and its files come from the mirrors
    /// that serve it (``FailoverTransport``). ``FetchResult/mirrors`` says how each mirror fared.
    /// - Parameter floor: for a source with a root, the stored floor alone; `nil` when it was
    ///   cleared, and then the installed version is no floor either.
    public func fetchWithRoots(_ config: SourceConfig, adapter: any SourceAdapter, installed: InstalledSource?, floor: Int?, storedRoot: TrustedRoot?,
                               now: Date, clockSkew: TimeInterval, outline previous: @Sendable () async throws -> LayerOutline?) async -> FetchResult {
        let scope = SourceScope(role: type(of: adapter).role, globs: config.scope)
        let mirrors = adapter.makeTransports()
        let attempts = await withTaskGroup(of: (Int, (advance: RootAdvance?, head: Result<Head, any Error>)).self) { group in
            for (index, mirror) in mirrors.enumerated() {
                group.addTask {
                    switch mirror.transport {
                    case .failure(let error): return (index, (nil, .failure(error)))
                    case .success(let transport):
                        return (index, await head(config, transport: transport, installed: installed, floor: floor, storedRoot: storedRoot,
                                                  now: now, clockSkew: clockSkew))
                    }
                }
            }
            var attempts = [(advance: RootAdvance?, head: Result<Head, any Error>)?](repeating: nil, count: mirrors.count)
            for await (index, attempt) in group { attempts[index] = attempt }
            return attempts.map { $0! }
        }
        let heads = attempts.map(\.head)
        var selection = MirrorSelection(names: mirrors.map(\.name), heads: heads, installedDigest: installed?.digest)
        let outcome: Outcome
        if let winner = selection.winner, case .success(let head) = heads[winner] {
            let serving = selection.serving.compactMap { index -> (name: String, transport: any BundleTransport)? in
                guard case .success(let transport) = mirrors[index].transport else { return nil }
                return (mirrors[index].name, transport)
            }
            let failover = serving.count > 1 ? FailoverTransport(serving) : nil
            let transport = failover ?? serving[0].transport
            outcome = await body(config, head: head, scope: scope, transport: transport, installed: installed, previous: previous)
            if let failover { selection.record(failover.failed) }
        } else {
            let (index, error) = selection.failure
            outcome = Self.outcome(error, location: mirrors[index].name)
        }
        for mirror in mirrors { if case .success(let transport) = mirror.transport { await transport.shutdown() } }
        // Trust only moves forward: the newest root any mirror proved is kept, whatever became of the index.
        let root = attempts.compactMap(\.advance).max { $0.root.version < $1.root.version }
        return FetchResult(outcome: outcome, root: root, mirrors: mirrors.count > 1 ? selection.results : [])
    }

    /// What one mirror's roots and index came to: the verified index, and what it is compared with.
    struct Head: Sendable {
        var verified: BundleReader.VerifiedIndex
        var envelope: Data
        var advance: RootAdvance?
        /// What the index is compared with for equivocation: `nil` when the floor was cleared.
        var comparedTo: InstalledSource?
    }

    /// One file, fetched (or read from the cache), checked and decoded; when outlining,
    /// `decoded` is the outline and `record` the whole model's record.
    private struct Loaded: Sendable {
        var bytes: [UInt8]
        var decoded: Result<TreeFile, TreeError>
        var record: [UInt8]?
        var downloaded: Bool
    }

    /// SPEC §5.1 and §6 steps 1–2 for one mirror: verify the roots → verify the index. The
    /// root reached is returned even when the index then fails.
    private func head(_ config: SourceConfig, transport: any BundleTransport, installed: InstalledSource?, floor: Int?, storedRoot: TrustedRoot?,
                      now: Date, clockSkew: TimeInterval) async -> (advance: RootAdvance?, head: Result<Head, any Error>) {
        var policy = config.signature, floor = floor, comparedTo = installed
        var newestRoot: TrustedRoot?, advance: RootAdvance?
        do {
            if let pinned = config.signature.root {
                let (reached, newest) = try await verifyRoots(pinned: pinned, stored: storedRoot, transport: transport, now: now, clockSkew: clockSkew)
                advance = reached
                newestRoot = newest
                policy = try newest.indexPolicy()
                // A cleared floor, or index keys changed now: the next valid index sets the floor again.
                if floor == nil || reached?.indexKeysChanged == true {
                    floor = nil
                    comparedTo = nil
                }
            }
            let (verified, envelope) = try await verifyIndex(config, policy: policy, transport: transport, floor: floor, now: now, clockSkew: clockSkew)
            return (advance, .success(Head(verified: verified, envelope: envelope, advance: advance, comparedTo: comparedTo)))
        } catch TrustError.unknownKey(let ids) where newestRoot != nil {
            return (advance, .failure(TrustError.indexKeyNotInRoot(keyIDs: ids, rootVersion: newestRoot!.version)))
        } catch {
            return (advance, .failure(error))
        }
    }

    /// SPEC §6 steps 2–4 once an index won: equivocation → the files (fetched, checked,
    /// decoded) → the tree validated → the snapshot.
    private func body(_ config: SourceConfig, head: Head, scope: SourceScope, transport: any BundleTransport, installed: InstalledSource?,
                      previous: @Sendable () async throws -> LayerOutline?) async -> Outcome {
        let verified = head.verified
        do {
            if try IndexPolicy.compare(verified, installedVersion: head.comparedTo?.version, installedDigest: head.comparedTo?.digest) {
                return .unchanged(verified)
            }
            guard verified.index.totalSize <= limits.maxTotalBytes else { throw TrustError.tooLarge(what: "the bundle", limit: limits.maxTotalBytes) }
            var fallback: String?
            var outline: LayerOutline?
            if outlining && installed != nil {
                do { outline = try await previous() } catch {
                    fallback = "the stored outline of its installed layer could not be read (\(error)); every file of the new version was read and decoded"
                }
            }
            let reused = reusableEntries(verified.index.files, outline: outline, installed: installed)
            try await transport.prepare(files: verified.index.files,
                                        needed: Set(zip(verified.index.files, reused).filter { $0.1 == nil && !cache.contains($0.0) }.map(\.0.path)))
            let files = try await fetchAndDecode(verified.index.files, reused: reused, reader: BundleReader(transport: transport, limits: limits))
            try validate(files, scope: scope)
            let content = files.spill.map { spill in
                LayerContent(source: config.name, outline: LayerOutline(digest: verified.digest, entries: files.outline), spilled: files.spilled, spill: spill)
            }
            return .updated(Snapshot(verified: verified, envelope: head.envelope, files: files.files, tree: files.tree, filesFetched: files.fetched,
                                     bytesFetched: files.bytes, content: content, fallback: fallback))
        } catch let error as ContentSpill.Failure {
            return .unavailable(.network(url: transport.location, reason: error.description))
        } catch {
            return Self.outcome(error, location: transport.location)
        }
    }

    /// A failure as the source's outcome: content that does not verify is rejected, the rest unavailable.
    static func outcome(_ error: any Error, location: String) -> Outcome {
        if let error = error as? TrustError { return .rejected(error) }
        if let error = error as? FetchError { return .unavailable(error) }
        return .unavailable(.network(url: location, reason: "\(error)"))
    }

    /// SPEC §5.1: the chain from the stored root (or the pinned one, when newer or nothing is
    /// stored) to the newest, verified; the advance to store when the newest is not the stored one.
    private func verifyRoots(pinned: TrustedRoot, stored: TrustedRoot?, transport: any BundleTransport, now: Date, clockSkew: TimeInterval) async throws
        -> (RootAdvance?, TrustedRoot) {
        let start = stored.map { $0.version >= pinned.version } == true ? stored! : pinned
        let walk = try await RootChain.walk(from: start, transport: transport, now: now, clockSkew: clockSkew)
        guard walk.newest != stored else { return (nil, walk.newest) }
        let changed = walk.indexKeysChanged || stored.map { Set($0.document.index.keyIDs) != Set(walk.newest.document.index.keyIDs) } == true
        return (RootAdvance(root: walk.newest, indexKeysChanged: changed), walk.newest)
    }

    /// Step 1–2: the index, fetched within its size limit and checked under the signature policy,
    /// the source name, expiry and rollback protection (equivocation is the caller's next check).
    private func verifyIndex(_ config: SourceConfig, policy: SignaturePolicy, transport: any BundleTransport, floor: Int?, now: Date,
                             clockSkew: TimeInterval) async throws -> (BundleReader.VerifiedIndex, Data) {
        let envelopeBytes = try await transport.fetch("index.json", maxBytes: limits.maxIndexBytes)
        guard envelopeBytes.count <= limits.maxIndexBytes else { throw TrustError.tooLarge(what: "index.json", limit: limits.maxIndexBytes) }
        let verified = try IndexPolicy.verify(envelopeBytes: envelopeBytes, policy: policy, expectedSource: config.name, now: now, clockSkew: clockSkew)
        if let floor, verified.index.version < floor {
            throw TrustError.rollback(installed: floor, offered: verified.index.version)
        }
        return (verified, envelopeBytes)
    }

    /// When outlining, the entries of the installed layer's outline that the new index lists
    /// unchanged (same path, size and digest): they are neither fetched nor decoded again.
    private func reusableEntries(_ entries: [BundleIndex.File], outline: LayerOutline?, installed: InstalledSource?) -> [LayerOutline.Entry?] {
        let reusable = outline != nil && outline?.digest == installed?.digest ? (outline?.entriesByPath() ?? [:]) : [:]
        return entries.map { entry in
            guard let old = reusable[entry.path], old.file == entry else { return nil }
            return old
        }
    }

    /// What ``fetchAndDecode(_:reused:reader:)`` gathered, in index order.
    private struct Files {
        var tree = DatasourceTree()
        /// Every file with its bytes (not outlining).
        var files: [LayerRecord.File] = []
        /// The outline's entries, and where the spill holds each file's bytes and model (outlining).
        var outline: [LayerOutline.Entry] = []
        var spilled: [String: LayerContent.Spilled] = [:]
        var spill: ContentSpill?
        /// Every file that failed to decode.
        var errors: [TreeError] = []
        var fetched = 0, bytes = 0

        /// Takes one file's result: `loaded`, or the reused outline entry when `nil`.
        mutating func take(_ entry: BundleIndex.File, _ loaded: Loaded?, reused: LayerOutline.Entry?) throws {
            guard let loaded else {
                tree.add(reused!.outline)
                outline.append(reused!)
                return
            }
            if loaded.downloaded {
                fetched += 1
                bytes += loaded.bytes.count
            }
            var file: TreeFile?
            switch loaded.decoded {
            case .success(let decoded): file = decoded
            case .failure(let error): errors.append(error)
            }
            guard let spill else {
                if let file { tree.add(file) }
                files.append(LayerRecord.File(path: entry.path, sha256: entry.sha256, bytes: loaded.bytes))
                return
            }
            guard let file else { return }
            tree.add(file)
            outline.append(LayerOutline.Entry(file: entry, outline: file))
            var record = LayerContent.Spilled(bytes: try spill.append(loaded.bytes), model: nil)
            if let model = loaded.record { record.model = try spill.append(model) }
            spilled[entry.path] = record
        }
    }

    /// Steps 3–4: every file not reused, fetched (or read from the cache) and checked for size
    /// and digest, then decoded, a few at a time in parallel, taken in index order so that the
    /// first failing file is the one reported, as if read one by one.
    private func fetchAndDecode(_ entries: [BundleIndex.File], reused: [LayerOutline.Entry?], reader: BundleReader) async throws -> Files {
        var files = Files()
        files.spill = outlining ? ContentSpill(folder: cache.root.path) : nil
        if outlining { files.outline.reserveCapacity(entries.count) } else { files.files.reserveCapacity(entries.count) }
        let decoder = TreeFileDecoder(limits: limits.yaml)
        let cache = self.cache, outlining = self.outlining, parallelism = self.parallelism
        var failure: (any Error)?

        // Loads run ahead of the entry being taken by at most `parallelism` files; a load that
        // fails is reported only when its turn comes, as if files were read one by one.
        let toLoad = entries.indices.filter { reused[$0] == nil }
        await withTaskGroup(of: (Int, Result<Loaded, any Error>).self) { group in
            var started = 0, pending = 0, pendingBytes = 0
            /// Starts the next load if a worker is free, and if the files being loaded and
            /// their next one stay within `parallelBytes` (large files go one at a time).
            func start() {
                guard started < toLoad.count, pending < parallelism else { return }
                let index = toLoad[started]
                let entry = entries[index]
                guard pending == 0 || pendingBytes + entry.size <= Self.parallelBytes else { return }
                started += 1
                pending += 1
                pendingBytes += entry.size
                group.addTask {
                    do {
                        var downloaded = false
                        let content: [UInt8]
                        if let cached = cache.read(entry) {
                            content = cached
                        } else {
                            content = try await reader.readFile(entry)
                            cache.write(content, sha256: entry.sha256)
                            downloaded = true
                        }
                        let decoded: Result<(file: TreeFile, record: [UInt8]?), TreeError> = Result { () throws(TreeError) in
                            outlining ? try decoder.decodeOutlined(path: entry.path, bytes: content)
                                      : (try decoder.decode(path: entry.path, bytes: content), nil)
                        }
                        return (index, .success(Loaded(bytes: content, decoded: decoded.map(\.file), record: (try? decoded.get())?.record,
                                                       downloaded: downloaded)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            for _ in 0..<parallelism { start() }
            func taken(_ index: Int) {
                pending -= 1
                pendingBytes -= entries[index].size
                start()
            }
            var waiting: [Int: Result<Loaded, any Error>] = [:]
            var next = 0
            do {
                while next < entries.count {
                    if reused[next] != nil {
                        try files.take(entries[next], nil, reused: reused[next])
                    } else if let result = waiting.removeValue(forKey: next) {
                        try files.take(entries[next], try result.get(), reused: nil)
                        taken(next)
                    } else if let (index, result) = await group.next() {
                        waiting[index] = result
                        continue
                    } else {
                        break
                    }
                    next += 1
                }
            } catch {
                group.cancelAll()
                failure = error
            }
        }
        if let failure { throw failure }
        return files
    }

    /// Step 4 (SPEC §4): every file decoded; what the source may not define is set aside
    /// (out-of-scope at the merge), and only the rest must hold together.
    private func validate(_ files: Files, scope: SourceScope) throws(TrustError) {
        var errors = files.errors
        if errors.isEmpty { errors = TreeValidator.problems(in: scope.inScope(files.tree)) }
        if !errors.isEmpty { throw .invalidTree(TreeValidationError(errors).description) }
    }
}
