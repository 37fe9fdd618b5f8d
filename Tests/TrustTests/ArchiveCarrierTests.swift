import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// The archive carrier (SPEC §5.2) through the trust pipeline: a bundle written by
/// ``BundleWriter`` and repacked by ``ArchiveWriter`` syncs to the same snapshot as its folder,
/// from a file and over HTTP; a sync that finds nothing new reads only the head of the archive.
extension RealProcesses {
@Suite(.serialized) struct ArchiveCarrierTests {
    /// The files and tree of a snapshot, for comparing carriers.
    struct Content: Equatable {
        var digest: String
        var files: [String: [UInt8]]
        var tree: DatasourceTree

        init(_ snapshot: SourceFetcher.Snapshot) {
            digest = snapshot.verified.digest
            files = Dictionary(uniqueKeysWithValues: snapshot.files.map { ($0.path, $0.bytes) })
            tree = snapshot.tree
        }
    }

    /// What the bundle's folder syncs to (fresh cache).
    static func directoryContent(_ fixture: ArchiveFixture) async throws -> Content {
        let outcome = await FetchRun(policy: fixture.policy).run(FileTransport(root: fixture.scratch.bundle), scratch: Scratch())
        return Content(try #require(outcome.snapshot, "\(outcome.summary)"))
    }

    @Test(arguments: [false, true])
    func archiveSyncsLikeItsFolder(gzip: Bool) async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch, roots: true)
        let archive = try fixture.archive(gzip ? "bundle.tar.gz" : "bundle.tar", gzip: gzip)

        let transport = try fixture.transport(archive.path)
        let outcome = await FetchRun(policy: fixture.policy).run(transport, scratch: Scratch())
        let snapshot = try #require(outcome.snapshot, "\(outcome.summary)")
        #expect(Content(snapshot) == (try await Self.directoryContent(fixture)))
        #expect(snapshot.filesFetched == fixture.index.files.count)
        // Read once, whole; its spool removed at shutdown.
        let size = Int64(try Data(contentsOf: archive).count)
        #expect(transport.statistics.passes == 1)
        #expect(transport.statistics.bytesRead == size)
        #expect(fixture.spoolIsEmpty)
    }

    @Test func fileURLsAndTheTransportChoice() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch)
        let archive = try fixture.archive("Bundle.TAR.GZ", gzip: true)
        let chosen = try Transports.make(for: "file://" + archive.path)
        #expect(chosen is ArchiveTransport)
        #expect(chosen.location == archive.path)
        for (url, archive) in [("https://example.org/eole/bundle.tar.gz?token=1", true), ("https://example.org/eole/", false)] {
            let transport = try Transports.make(for: url)
            #expect((transport is ArchiveTransport) == archive, "\(url)")
            await transport.shutdown()
        }
        #expect(try Transports.make(for: archive.deletingLastPathComponent().path) is FileTransport)
        let outcome = await FetchRun().run(chosen, scratch: Scratch())
        #expect(outcome.snapshot.map(Content.init) == (try await Self.directoryContent(fixture)), "\(outcome.summary)")
    }

    @Test func theWriterIsReproducibleAndReadsABundleFolder() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch, roots: true)
        let first = try fixture.archive("a.tar.gz", gzip: true), second = fixture.archives.appendingPathComponent("b.tar.gz")
        try ArchiveWriter.write(bundleAt: scratch.bundle, to: second, gzip: true)
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))
        // No time in the gzip header (bytes 4–7, MTIME), so not only within the same second.
        #expect(try Data(contentsOf: first).prefix(8).suffix(4) == Data(count: 4))
        // Nothing left beside the archives but the archives.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.archives.path).sorted() == ["a.tar.gz", "b.tar.gz"])
        // Members in order, regular files 0644 owned by 0:0 at a fixed time (read back by Python's tarfile).
        let listing = try await TarCrafter.python(["-c", """
            import sys, tarfile
            for m in tarfile.open(sys.argv[1]):
                print(m.name, m.type == tarfile.REGTYPE, oct(m.mode), m.uid, m.gid, m.mtime)
            """, first.path]).stdout
        let expected = try fixture.members().map { "\($0.path) True 0o644 0 0 0" }
        #expect(listing.split(separator: "\n").map(String.init) == expected)

        // A folder whose roots skip a version is refused, as `root rotate` and `publish --roots` refuse it.
        try FileManager.default.moveItem(at: scratch.bundle.appendingPathComponent("root/2.json"), to: scratch.bundle.appendingPathComponent("root/3.json"))
        let gapped = fixture.archives.appendingPathComponent("c.tar.gz")
        let error = try #require(throws: ArchiveWriterError.self) { try ArchiveWriter.write(bundleAt: scratch.bundle, to: gapped, gzip: true) }
        #expect(error.description.contains("holds roots 1, 3, not 1 to 2 without a gap"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: gapped.path))
    }

    @Test func overHTTP() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch, roots: true)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let server = try StaticHTTPServer(serving: fixture.archives)
        defer { server.stop() }

        let transport = try fixture.transport("\(server.base)/bundle.tar.gz")
        let outcome = await FetchRun(policy: fixture.policy).run(transport, scratch: Scratch())
        let snapshot = try #require(outcome.snapshot, "\(outcome.summary)")
        #expect(Content(snapshot) == (try await Self.directoryContent(fixture)))
        #expect(server.requests() == ["/bundle.tar.gz"])
        #expect(transport.statistics.bytesRead == Int64(try Data(contentsOf: archive).count))
        #expect(fixture.spoolIsEmpty)

        let missing = await FetchRun(policy: fixture.policy).run(try fixture.transport("\(server.base)/other.tar.gz"), scratch: Scratch())
        #expect(missing.unavailability?.reason == "not-found", "\(missing.summary)")
    }

    /// The server closes the first connection without answering (a kept-alive connection it
    /// dropped): nothing reached the archive yet, so the request is made once more and the
    /// archive read whole. Without that retry the sync fails with "the connection broke".
    @Test func anArchiveWhoseFirstConnectionIsClosedUnansweredIsAskedOnceMore() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch, roots: true)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let server = try MisbehavingServer(serving: fixture.archives)
        defer { server.stop() }

        let transport = try fixture.transport(server.url(.closeFirst, on: "any") + "bundle.tar.gz")
        let outcome = await FetchRun(policy: fixture.policy).run(transport, scratch: Scratch())
        let snapshot = try #require(outcome.snapshot, "\(outcome.summary)")
        #expect(Content(snapshot) == (try await Self.directoryContent(fixture)))
        #expect(transport.statistics.bytesRead == Int64(try Data(contentsOf: archive).count))
        #expect(fixture.spoolIsEmpty)
    }

    /// A bundle with a large file, already installed: only roots and index are read, from a file
    /// and over HTTP, where the connection is then closed (the server's body is not drained).
    @Test(arguments: [false, true])
    func noChangeReadsOnlyTheHead(overHTTP: Bool) async throws {
        let scratch = Scratch("zm-archive")
        var tree = sampleTree()
        let big = 24 << 20
        tree["releases/2.7.1/servermodels/zz-large.yml"] = [UInt8](FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: big))
        let fixture = try ArchiveFixture(scratch, tree: tree, roots: true)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let size = try Data(contentsOf: archive).count
        #expect(size > big)
        var server: StaticHTTPServer?
        defer { server?.stop() }
        if overHTTP { server = try StaticHTTPServer(serving: fixture.archives) }

        let transport = try fixture.transport(server.map { "\($0.base)/bundle.tar.gz" } ?? archive.path)
        // Installed, and its newest root (2) stored: the walk asks for root/3.json, absent.
        let installed = try fixture.installed()
        let stored = try TrustedRoot(storedEnvelope: Data(contentsOf: scratch.bundle.appendingPathComponent(RootChain.path(2))), file: RootChain.path(2))
        let config = SourceConfig(name: "eole", kind: StaticAdapter.kind, priority: 100, signature: fixture.policy)
        let result = await SourceFetcher(cache: FetchCache(root: Scratch().cache.path))
            .fetchWithRoots(config, adapter: StaticAdapter(transport), installed: installed, floor: installed.version, storedRoot: stored,
                            now: Clock.now, clockSkew: 300, outline: { nil })
        #expect(result.outcome.isUnchanged, "\(result.outcome.summary)")
        #expect(result.root == nil)
        let read = transport.statistics
        #expect(read.passes == 1)
        #expect(read.bytesUnpacked < 64 << 10, "unpacked \(read.bytesUnpacked) bytes")
        // A file is read by blocks; a connection delivers at most the pipe's capacity more.
        #expect(read.bytesRead <= (overHTTP ? 3 << 20 : 1 << 20), "read \(read.bytesRead) of \(size) bytes")
        if let server { #expect(server.requests() == ["/bundle.tar.gz"]) }
    }

    @Test func aCorruptCacheEntryIsReadAgainFromTheArchive() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let cache = Scratch()
        let first = await FetchRun().run(try fixture.transport(archive.path), scratch: cache)
        #expect(first.snapshot != nil, "\(first.summary)")

        // Same size, other bytes: the cache says it holds the file, and fails its digest check on reading.
        let victim = fixture.index.files[1]
        let entry = cache.cache.appendingPathComponent(String(victim.sha256.prefix(2))).appendingPathComponent(victim.sha256)
        var bytes = try Data(contentsOf: entry)
        bytes[0] ^= 0x20
        try bytes.write(to: entry)

        let transport = try fixture.transport(archive.path)
        let second = await FetchRun().run(transport, scratch: cache)
        let snapshot = try #require(second.snapshot, "\(second.summary)")
        #expect(Content(snapshot) == (try await Self.directoryContent(fixture)))
        #expect(snapshot.filesFetched == 1)
        #expect(transport.statistics.passes == 2)
        #expect(fixture.spoolIsEmpty)
    }

    @Test func aMissingMemberIsUnavailableLikeAMissingFile() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch)
        let archive = fixture.archives.appendingPathComponent("bundle.tar.gz")
        let missing = "tree/" + fixture.index.files[2].path
        try ArchiveWriter.write(try fixture.members().filter { $0.path != missing }, to: archive, gzip: true)
        let outcome = await FetchRun().run(try fixture.transport(archive.path), scratch: Scratch())
        #expect(outcome.unavailability == .notFound(url: "\(archive.path): \(missing)"), "\(outcome.summary)")
        #expect(fixture.spoolIsEmpty)
    }

    /// Several callers preparing at once wait for one reading of the tree: one pass, and every
    /// file served. (FailoverTransport prepares each mirror once; any other caller is held to it too.)
    @Test func concurrentPreparationsShareOneReading() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let transport = try fixture.transport(archive.path)
        let files = fixture.index.files
        _ = try await transport.fetch("index.json", maxBytes: 1 << 20)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await transport.prepare(files: files, needed: Set(files.map(\.path))) } }
            try await group.waitForAll()
        }
        for file in files {
            #expect(try await transport.fetch("tree/" + file.path, maxBytes: file.size).count == file.size, "\(file.path)")
        }
        #expect(transport.statistics.passes == 1)
        #expect(transport.statistics.bytesRead == Int64(try Data(contentsOf: archive).count))
        await transport.shutdown()
        #expect(fixture.spoolIsEmpty)
    }

    /// `verify` reads an archive too (BundleReader prepares the transport before the tree).
    @Test func verifyReadsAnArchive() async throws {
        let scratch = Scratch("zm-archive")
        let fixture = try ArchiveFixture(scratch)
        let archive = fixture.archives.appendingPathComponent("bundle.tar")
        try ArchiveWriter.write(bundleAt: scratch.bundle, to: archive, gzip: false)
        let report = try await BundleVerification.verify(location: archive.path, trusted: [Keys.eole.publicKey], threshold: 1, now: Clock.now)
        #expect(report.files == fixture.index.files.count)
        #expect(report.models == 2)
    }
}
}
