import Foundation

/// Reads a bundle carried as one archive (SPEC §5.2): a `.tar` or `.tar.gz` file given by a
/// path or a `file:` URL, or served over `http:`/`https:`, whose members are `root/N.json` (in
/// version order), then `index.json`, then `tree/…`.
///
/// The archive is read once, in order, and never held whole. `root/N.json` and `index.json`
/// are answered from the head of the archive, read only as far as the trust pipeline asks (a sync
/// that finds nothing new stops there, and over HTTP closes the connection). Once the index has
/// verified, ``prepare(files:needed:)`` reads the rest in one go, refusing any member the index
/// does not allow (unlisted, twice, unsafe name, not a regular file, larger than declared: it
/// stops right there, so a compressed bomb never unpacks past the declared sizes), and writes
/// the members still needed to a private temporary folder, from which `tree/…` is then fetched;
/// their sizes and digests are checked by the pipeline as for any carrier.
///
/// libarchive is synchronous: it runs on a serial queue of the transport's own (never on the
/// Swift cooperative pool), and an HTTP body reaches it through a bounded pipe.
public final class ArchiveTransport: BundleTransport, @unchecked Sendable {
    /// What was read, for tests and measurements.
    public struct Statistics: Sendable, Equatable {
        /// Bytes taken from the file or the connection (compressed bytes for a `.tar.gz`).
        public var bytesRead: Int64 = 0
        /// Bytes of tar stream unpacked (after decompression).
        public var bytesUnpacked: Int64 = 0
        /// How many times the archive was opened: 1, unless a member had to be read again.
        public var passes = 0
    }

    private enum Origin {
        case file(String)
        case http(url: String, client: HTTPTransport)
    }

    /// What ``prepare(files:needed:)`` found, for the fetches of `tree/…`.
    private struct Tree: Sendable {
        var plan: ArchivePass.TreePlan
        var spool: ArchiveSpool
        /// Spooled and not yet fetched: path → name in the spool.
        var spooled: [String: String]
        /// Every listed file the archive holds.
        var present: Set<String>
    }

    public let location: String
    private let origin: Origin
    private let spoolParent: URL
    private let maxHeadBytes: Int
    private let queue: DispatchQueue
    /// The first pass, which holds the head (touched on `queue` only).
    private var pass: ArchivePass?
    private var openFailure: FetchError?
    // Shared between the queue and the callers: under `lock`.
    private let lock = NSLock()
    private var tree: Tree?
    private var spool: ArchiveSpool?
    /// The one reading of the tree, which concurrent ``prepare(files:needed:)`` calls share.
    private var preparation: Task<Void, Error>?
    private var finished = Statistics()
    private var live = Statistics()
    private var httpSources: [HTTPByteSource] = []

    /// The most bytes of roots and index the head may hold by default.
    public static let defaultMaxHeadBytes = 80 << 20

    /// Whether `url` names an archive: its path ends in `.tar` or `.tar.gz` (any case).
    public static func isArchive(_ url: String) -> Bool {
        var path = Substring(url)
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            path = path.split(separator: "#", maxSplits: 1).first?.split(separator: "?", maxSplits: 1).first ?? ""
        }
        let lower = path.lowercased()
        return lower.hasSuffix(".tar") || lower.hasSuffix(".tar.gz")
    }

    /// An archive at `url`: a plain path, a `file:` URL, or an `http:`/`https:` URL read with
    /// `options` (timeouts, redirects, `ca_file`) as ``HTTPTransport`` reads.
    /// - Parameters:
    ///   - spoolParent: where the private folder of the members to fetch is made (the system's temporary folder by default).
    ///   - maxHeadBytes: the most bytes of roots and index held in memory.
    /// - Throws: ``FetchError/unsupportedURL(_:)`` for another scheme.
    public init(url: String, options: TransportOptions = TransportOptions(), spoolParent: URL? = nil,
                maxHeadBytes: Int = ArchiveTransport.defaultMaxHeadBytes) throws(FetchError) {
        if url.hasPrefix("https://") || url.hasPrefix("http://") {
            origin = .http(url: url, client: try HTTPTransport(base: url, options: options, clientReadTimeout: false))
            location = url
        } else if url.hasPrefix("file:") || !url.contains(":") {
            let path = url.hasPrefix("file:") ? FileTransport.path(of: url) : url
            origin = .file(path)
            location = path
        } else {
            throw .unsupportedURL(url)
        }
        self.spoolParent = spoolParent ?? FileManager.default.temporaryDirectory
        self.maxHeadBytes = maxHeadBytes
        queue = DispatchQueue(label: "zephir-models.archive")
    }

    /// What was read so far.
    public var statistics: Statistics {
        lock.withLock {
            Statistics(bytesRead: finished.bytesRead + live.bytesRead, bytesUnpacked: finished.bytesUnpacked + live.bytesUnpacked,
                       passes: finished.passes + live.passes)
        }
    }

    // MARK: BundleTransport

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        if relativePath.hasPrefix("tree/") {
            return try await fetchTreeFile(String(relativePath.dropFirst("tree/".count)), maxBytes: maxBytes)
        }
        guard relativePath == "index.json" || RootChain.version(ofPath: relativePath) != nil else {
            throw .notFound(url: "\(location): \(relativePath)")
        }
        return try await readingArchive { () throws(FetchError) in
            try self.firstPass().head(relativePath, maxBytes: maxBytes)
        }
    }

    public func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {
        // Once: the archive is read through the first time (a concurrent call waits for that
        // reading); a file not spooled then is read again when fetched.
        let reading = lock.withLock { () -> Task<Void, Error> in
            if let preparation { return preparation }
            let task = Task { try await self.readTree(files: files, needed: needed) }
            preparation = task
            return task
        }
        try await reading.value
    }

    /// Reads the tree's members after the head, spooling those `needed`.
    private func readTree(files: [BundleIndex.File], needed: Set<String>) async throws {
        let plan = ArchivePass.TreePlan(files: files)
        let spool = try ArchiveSpool(parent: spoolParent)
        lock.withLock { self.spool = spool }
        let result = try await onArchiveThread { () throws -> ArchivePass.TreeResult in
            let pass = try self.firstPass()
            defer { self.end(pass) }
            return try pass.readTree(plan, needed: needed, spool: spool)
        }
        lock.withLock { tree = Tree(plan: plan, spool: spool, spooled: result.spooled, present: result.present) }
    }

    public func shutdown() async {
        try? await readingArchive { () throws(FetchError) in
            if let pass = self.pass { self.end(pass) }
        }
        let (sources, spool) = lock.withLock { (httpSources, self.spool) }
        for source in sources { await source.finished() }
        spool?.remove()
        if case .http(_, let client) = origin { await client.shutdown() }
    }

    // MARK: tree files

    /// A file of the tree: from the spool, or (when it was not spooled: the fetch cache had it
    /// but it could not be read) from a new pass over the archive.
    private func fetchTreeFile(_ path: String, maxBytes: Int) async throws(FetchError) -> Data {
        let (tree, spooled) = lock.withLock { () -> (Tree?, String?) in
            let spooled = self.tree?.spooled.removeValue(forKey: path)
            return (self.tree, spooled)
        }
        guard let tree else {
            throw .network(url: location, reason: "tree/\(path) was asked for before the index was verified (prepare); this is a bug")
        }
        guard tree.present.contains(path) else { throw .notFound(url: "\(location): tree/\(path)") }
        if let spooled {
            return try await tree.spool.take(spooled, maxBytes: maxBytes)
        }
        let result: ArchivePass.TreeResult
        do {
            result = try await onArchiveThread { () throws -> ArchivePass.TreeResult in
                let pass = try ArchivePass(reader: self.openReader(), maxHeadBytes: self.maxHeadBytes)
                defer { self.end(pass) }
                try pass.skipHead()
                return try pass.readTree(tree.plan, needed: [path], spool: tree.spool, only: path)
            }
        } catch let error as FetchError {
            throw error
        } catch {
            // The archive changed since it was checked (a member it may not hold): as unreadable.
            throw .malformedArchive(url: location, reason: "reading tree/\(path) again: \(error)")
        }
        guard let spooled = result.spooled[path] else { throw .notFound(url: "\(location): tree/\(path)") }
        return try await tree.spool.take(spooled, maxBytes: maxBytes)
    }

    // MARK: the archive's thread

    /// Runs `body` on the transport's queue, then records what the passes read.
    private func onArchiveThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let result = Result { try body() }
                self.recordLive()
                continuation.resume(with: result)
            }
        }
    }

    /// ``onArchiveThread(_:)`` for work that fails only with a ``FetchError``.
    private func readingArchive<T: Sendable>(_ body: @escaping @Sendable () throws(FetchError) -> T) async throws(FetchError) -> T {
        do {
            return try await onArchiveThread { () throws -> T in try body() }
        } catch let error as FetchError {
            throw error
        } catch {
            throw .network(url: location, reason: "\(error)")
        }
    }

    /// The pass that reads the head and then the tree, opened on first use (on the queue).
    private func firstPass() throws(FetchError) -> ArchivePass {
        if let pass { return pass }
        if let openFailure { throw openFailure }
        do {
            pass = ArchivePass(reader: try openReader(), maxHeadBytes: maxHeadBytes)
        } catch {
            openFailure = error
            throw error
        }
        return pass!
    }

    /// A new reader from the start of the archive (on the queue).
    private func openReader() throws(FetchError) -> ArchiveReader {
        let source: ArchiveByteSource
        switch origin {
        case .file(let path):
            source = try FileByteSource(path: path)
        case .http(let url, let client):
            let http = HTTPByteSource(url: url, http: client)
            lock.withLock { httpSources.append(http) }
            source = http
        }
        let reader = try ArchiveReader(source: source, location: location)
        lock.withLock { live.passes += 1 }
        currentReaders.append(reader)
        return reader
    }

    /// Readers still open (on the queue), whose counts ``recordLive()`` keeps current.
    private var currentReaders: [ArchiveReader] = []

    /// Closes `pass`'s reader, keeping what it read in the totals (on the queue).
    private func end(_ pass: ArchivePass) {
        guard let index = currentReaders.firstIndex(where: { $0 === pass.reader }) else { return }
        let reader = currentReaders.remove(at: index)
        // Moved from the live counts to the totals at once, so that no reading counts it twice.
        recordLive { finished in
            finished.bytesRead += reader.bytesRead
            finished.bytesUnpacked += reader.unpackedBytes
            finished.passes += 1
            self.live.passes -= 1
        }
        reader.close()
    }

    /// Refreshes the counts of the open readers (on the queue), with `update` of the totals under the same lock.
    private func recordLive(_ update: (inout Statistics) -> Void = { _ in }) {
        let read = currentReaders.reduce(Int64(0)) { $0 + $1.bytesRead }
        let unpacked = currentReaders.reduce(Int64(0)) { $0 + $1.unpackedBytes }
        lock.withLock {
            update(&finished)
            live.bytesRead = read
            live.bytesUnpacked = unpacked
        }
    }
}
