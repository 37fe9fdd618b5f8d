import Foundation

/// Reads a bundle's files from the mirrors that serve the chosen index (SPEC §5.2), in the
/// configured order: when one fails on a file (unreachable, cut off mid-way, or serving bytes
/// that do not match the index), the next takes over, and the one that failed is not asked again
/// in this run.
///
/// The carrier is never trusted: bytes are checked against the verified index here only to
/// decide whether to try another mirror; the pipeline checks them again.
public final class FailoverTransport: BundleTransport, @unchecked Sendable {
    private let mirrors: [(name: String, transport: any BundleTransport)]
    private let lock = NSLock()
    /// Index entries by `tree/PATH`.
    private var entries: [String: BundleIndex.File] = [:]
    private var files: [BundleIndex.File] = []
    private var needed: Set<String> = []
    /// Each mirror's preparation, started once however many files wait for it.
    private var preparing: [Int: Task<Void, any Error>] = [:]
    private var failures: [Int: MirrorResult] = [:]

    /// - Parameter mirrors: the mirrors that serve the chosen index, in the configured order.
    public init(_ mirrors: [(name: String, transport: any BundleTransport)]) {
        precondition(!mirrors.isEmpty)
        self.mirrors = mirrors
    }

    public var location: String { mirrors.map(\.name).joined(separator: ", ") }

    /// The mirrors that failed while serving files, by name, with what went wrong.
    public var failed: [MirrorResult] {
        lock.withLock { failures.keys.sorted().map { failures[$0]! } }
    }

    private func record(_ index: Int, _ status: MirrorResult.Status, reason: String, detail: String) {
        lock.withLock {
            if failures[index] == nil { failures[index] = MirrorResult(mirror: mirrors[index].name, status: status, reason: reason, detail: detail) }
        }
    }

    private func isFailed(_ index: Int) -> Bool { lock.withLock { failures[index] != nil } }

    /// Prepares the first mirror that can be prepared; the others are prepared when their turn comes.
    public func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {
        lock.withLock {
            entries = Dictionary(files.map { ("tree/" + $0.path, $0) }, uniquingKeysWith: { a, _ in a })
            self.files = files
            self.needed = needed
        }
        var first: (any Error)?
        for index in mirrors.indices {
            do {
                try await prepareMirror(index)
                return
            } catch {
                first = first ?? error
            }
        }
        throw first!
    }

    private func prepareMirror(_ index: Int) async throws {
        let task = lock.withLock { () -> Task<Void, any Error> in
            if let task = preparing[index] { return task }
            let files = self.files, needed = self.needed
            let transport = mirrors[index].transport
            let task = Task { try await transport.prepare(files: files, needed: needed) }
            preparing[index] = task
            return task
        }
        do {
            try await task.value
        } catch {
            let (status, reason) = Self.classify(error)
            record(index, status, reason: reason, detail: "\(error)")
            throw error
        }
    }

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        let entry = lock.withLock { entries[relativePath] }
        var firstError: FetchError?
        var firstBad: Data?
        for index in mirrors.indices where !isFailed(index) {
            if entry != nil {
                do { try await prepareMirror(index) } catch { continue }
            }
            let data: Data
            do {
                data = try await mirrors[index].transport.fetch(relativePath, maxBytes: maxBytes)
            } catch {
                record(index, .unavailable, reason: error.reason, detail: "while serving \(relativePath): \(error.description)")
                firstError = firstError ?? error
                continue
            }
            guard let entry else { return data }
            do {
                _ = try BundleReader.check(data, against: entry)
                return data
            } catch {
                record(index, .rejected, reason: error.reason, detail: error.description)
                firstBad = firstBad ?? data
            }
        }
        // Every mirror failed: bytes that do not match are handed on, for the pipeline to reject them.
        if let firstBad { return firstBad }
        throw firstError ?? .network(url: relativePath, reason: "no mirror is left to serve it")
    }

    public func shutdown() async {
        for mirror in mirrors { await mirror.transport.shutdown() }
    }

    /// A carrier's failure as a mirror status: content that lies is `rejected`, the rest `unavailable`.
    static func classify(_ error: any Error) -> (MirrorResult.Status, String) {
        if let error = error as? TrustError { return (.rejected, error.reason) }
        if let error = error as? FetchError { return (.unavailable, error.reason) }
        return (.unavailable, "network")
    }
}
