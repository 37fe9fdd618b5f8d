import Foundation
import Testing
@testable import ZephirCore

/// Time and memory of a cold fetch of a large bundle from its folder, its `.tar` and its
/// `.tar.gz` (the whole trust pipeline, outlining as the sync engine does, fresh cache).
/// Run with `ZEPHIR_ARCHIVE_BENCH=BUNDLE_FOLDER ZEPHIR_ARCHIVE_CASE=folder|tar|tar.gz swift test
/// --filter ArchiveMeasurementTests`, one case per process (peak memory is the process's);
/// skipped otherwise. The bundle: `zephir-models fake generate DIR --models 1000 --variables 1000
/// --sign KEY --source fake`.
extension RealProcesses {
@Suite(.serialized) struct ArchiveMeasurementTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["ZEPHIR_ARCHIVE_BENCH"] != nil))
    func coldFetchOfALargeBundle() async throws {
        let folder = URL(fileURLWithPath: Self.environment["ZEPHIR_ARCHIVE_BENCH"]!)
        let kind = Self.environment["ZEPHIR_ARCHIVE_CASE"] ?? "tar.gz"
        let location: String
        if kind == "folder" {
            location = folder.path
        } else {
            let archive = folder.deletingLastPathComponent().appendingPathComponent("bundle.\(kind)")
            if !FileManager.default.fileExists(atPath: archive.path) {
                let start = ContinuousClock.now
                try ArchiveWriter.write(bundleAt: folder, to: archive, gzip: kind == "tar.gz")
                print("[bench] wrote \(archive.path) in \(ContinuousClock.now - start)")
            }
            location = archive.path
        }
        let transport = TimedTransport(try Transports.make(for: location))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("zm-archive-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let config = SourceConfig(name: "fake", kind: StaticAdapter.kind, priority: 100, signature: SignaturePolicy(mode: .off))
        let fetcher = SourceFetcher(cache: FetchCache(root: work.path), outlining: true)
        // The kernel's peak resident size (VmHWM) counted from here (the test binary's startup excluded).
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let start = ContinuousClock.now
        let outcome = await fetcher.fetch(config, adapter: StaticAdapter(transport as any BundleTransport), installed: nil, floor: nil, now: Date(), clockSkew: 0)
        let elapsed = ContinuousClock.now - start
        let snapshot = try #require(outcome.snapshot, "\(outcome.summary)")
        let read = (transport.inner as? ArchiveTransport)?.statistics
        print("[bench] \(kind): \(snapshot.filesFetched) files, \(snapshot.bytesFetched) bytes in \(elapsed); prepare \(transport.prepared); peak RSS during the fetch \(Self.peakResidentKB() / 1024) MiB"
              + (read.map { "; read \($0.bytesRead) bytes, unpacked \($0.bytesUnpacked), \($0.passes) pass" } ?? ""))
    }

    /// VmHWM of /proc/self/status, in KiB.
    static func peakResidentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
}

/// A transport that times ``BundleTransport/prepare(files:needed:)`` (an archive reads its tree there).
final class TimedTransport: BundleTransport, @unchecked Sendable {
    let inner: any BundleTransport
    private(set) var prepared = Duration.zero

    init(_ inner: any BundleTransport) { self.inner = inner }

    var location: String { inner.location }
    func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data { try await inner.fetch(relativePath, maxBytes: maxBytes) }
    func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {
        let start = ContinuousClock.now
        defer { prepared = ContinuousClock.now - start }
        try await inner.prepare(files: files, needed: needed)
    }
    func shutdown() async { await inner.shutdown() }
}
