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
    }

    public enum Outcome: Sendable {
        case unchanged(BundleReader.VerifiedIndex)
        case updated(Snapshot)
        case rejected(TrustError)
        case unavailable(FetchError)
    }

    public let cache: FetchCache
    public let limits: BundleReader.Limits
    /// Keep file bytes and model variables out of memory (see the type's discussion).
    public var outlining: Bool
    /// How many files are fetched and decoded at once.
    public var parallelism: Int
    /// Files are loaded in parallel only while those being loaded add up to no more than this:
    /// a bundle's large files are read one at a time, so a run holds at most one of them.
    static let parallelBytes = 1 << 20

    public init(cache: FetchCache, limits: BundleReader.Limits = BundleReader.Limits(), outlining: Bool = false,
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
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
        await fetch(config, adapter: adapter, installed: installed, floor: floor, now: now, clockSkew: clockSkew, outline: { previous })
    }

    /// Runs the pipeline for one source, asking for the installed layer's outline only when the
    /// index is new (a source that did not change costs no more than its index).
    public func fetch(_ config: SourceConfig, adapter: any SourceAdapter, installed: InstalledSource?, floor: Int?, now: Date, clockSkew: TimeInterval,
                      outline previous: @Sendable () async -> LayerOutline?) async -> Outcome {
        let transport: any BundleTransport
        do {
            transport = try adapter.makeTransport()
        } catch {
            return .unavailable(error)
        }
        let scope = SourceScope(role: type(of: adapter).role, globs: config.scope)
        let outcome = await pipeline(config, scope: scope, transport: transport, installed: installed, floor: floor, now: now, clockSkew: clockSkew,
                                     previous: previous)
        await transport.shutdown()
        return outcome
    }

    /// One file, fetched (or read from the cache), checked and decoded; when outlining,
    /// `decoded` is the outline and `record` the whole model's record.
    private struct Loaded: Sendable {
        var bytes: [UInt8]
        var decoded: Result<TreeFile, TreeError>
        var record: [UInt8]?
        var downloaded: Bool
    }

    private func pipeline(_ config: SourceConfig, scope: SourceScope, transport: any BundleTransport, installed: InstalledSource?, floor: Int?, now: Date,
                          clockSkew: TimeInterval, previous: @Sendable () async -> LayerOutline?) async -> Outcome {
        let reader = BundleReader(transport: transport, limits: limits)
        do {
            let envelopeBytes = try await transport.fetch("index.json", maxBytes: limits.maxIndexBytes)
            guard envelopeBytes.count <= limits.maxIndexBytes else { throw TrustError.tooLarge(what: "index.json", limit: limits.maxIndexBytes) }
            let verified = try IndexPolicy.verify(envelopeBytes: envelopeBytes, policy: config.signature, expectedSource: config.name, now: now, clockSkew: clockSkew)
            if let floor, verified.index.version < floor {
                throw TrustError.rollback(installed: floor, offered: verified.index.version)
            }
            if try IndexPolicy.compare(verified, installedVersion: installed?.version, installedDigest: installed?.digest) {
                return .unchanged(verified)
            }
            guard verified.index.totalSize <= limits.maxTotalBytes else { throw TrustError.tooLarge(what: "the bundle", limit: limits.maxTotalBytes) }

            let entries = verified.index.files
            // When outlining, files unchanged since the installed layer are taken from its outline.
            let previous = outlining && installed != nil ? await previous() : nil
            let reusable = previous?.digest == installed?.digest ? (previous?.entriesByPath() ?? [:]) : [:]
            let reused: [LayerOutline.Entry?] = entries.map { entry in
                guard let old = reusable[entry.path], old.file == entry else { return nil }
                return old
            }
            let spill = outlining ? ContentSpill(folder: cache.root.path) : nil
            let decoder = TreeFileDecoder(limits: limits.yaml)
            let cache = self.cache, outlining = self.outlining
            var tree = DatasourceTree()
            var files: [LayerRecord.File] = []
            var outline: [LayerOutline.Entry] = []
            var spilled: [String: LayerContent.Spilled] = [:]
            var errors: [TreeError] = []
            var fetched = 0, bytes = 0
            var failure: (any Error)?
            if !outlining { files.reserveCapacity(entries.count) } else { outline.reserveCapacity(entries.count) }

            /// Takes one file's result, in index order.
            func take(_ index: Int, _ loaded: Loaded?) throws {
                let entry = entries[index]
                guard let loaded else {
                    let old = reused[index]!
                    tree.add(old.outline)
                    outline.append(old)
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

            // Loads run ahead of the entry being taken by at most `parallelism` files; a load
            // that fails is reported only when its turn comes, as if files were read one by one.
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
                            try take(next, nil)
                        } else if let result = waiting.removeValue(forKey: next) {
                            try take(next, try result.get())
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
            // SPEC §4: what the source may not define is set aside (out-of-scope at the merge),
            // and only the rest must hold together.
            if errors.isEmpty { errors = TreeValidator.problems(in: scope.inScope(tree)) }
            if !errors.isEmpty { throw TrustError.invalidTree(TreeValidationError(errors).description) }
            let content = spill.map { spill in
                LayerContent(source: config.name, outline: LayerOutline(digest: verified.digest, entries: outline), spilled: spilled, spill: spill)
            }
            return .updated(Snapshot(verified: verified, envelope: envelopeBytes, files: files, tree: tree, filesFetched: fetched, bytesFetched: bytes,
                                     content: content))
        } catch let error as TrustError {
            return .rejected(error)
        } catch let error as FetchError {
            return .unavailable(error)
        } catch let error as ContentSpill.Failure {
            return .unavailable(.network(url: transport.location, reason: error.description))
        } catch {
            return .unavailable(.network(url: transport.location, reason: "\(error)"))
        }
    }
}
