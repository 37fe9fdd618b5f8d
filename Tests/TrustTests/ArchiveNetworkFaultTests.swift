import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// An archive served by a server that fails on demand: every fault leaves the source unavailable
/// (or, for bytes that are not an archive, unavailable as malformed), within the configured
/// timeouts, and the transport's spool and connection are released.
extension RealProcesses {
@Suite(.serialized) struct ArchiveNetworkFaultTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var mode: MisbehavingServer.Mode
        /// `nil`: the sync succeeds; else the reason of the unavailability.
        var unavailable: String?
        var testDescription: String { mode.rawValue }
    }

    static let cases: [Case] = [
        Case(mode: .ok, unavailable: nil),
        Case(mode: .redirectOnce, unavailable: nil),
        Case(mode: .notFound, unavailable: "not-found"),
        Case(mode: .serverError, unavailable: "http-status"),
        Case(mode: .reset, unavailable: "network"),
        Case(mode: .truncate, unavailable: "network"),
        // No length: the body ends cleanly, half an archive.
        Case(mode: .truncateUnframed, unavailable: "malformed-archive"),
        Case(mode: .drip, unavailable: "timeout"),
        Case(mode: .stall, unavailable: "timeout"),
        // A terabyte of '#': not a tar stream, refused at once (and the connection dropped).
        Case(mode: .endlessDeclared, unavailable: "malformed-archive"),
        Case(mode: .garbage, unavailable: "network"),
    ]

    @Test(arguments: cases)
    func aFaultyServer(_ fault: Case) async throws {
        let scratch = Scratch("zm-archive-net")
        var tree = sampleTree()
        // A valid model with a long comment: the middle of the archive is well past its head.
        tree["releases/2.7.1/servermodels/zz-filler.yml"] = Array(("name: zz-filler\ndescription: filler\nservices: []\nvariables: {}\n"
            + String(repeating: "# filler line\n", count: 20_000)).utf8)
        let fixture = try ArchiveFixture(scratch, tree: tree)
        let archive = try fixture.archive("bundle.tar", gzip: false)
        let server = try MisbehavingServer(serving: fixture.archives)
        defer { server.stop() }

        let options = TransportOptions(connectTimeout: .seconds(5), requestTimeout: .seconds(4), readTimeout: .seconds(1))
        let transport = try fixture.transport(server.url(fault.mode, on: "any") + "bundle.tar", options: options)
        // Within the timeouts: the stalling and endless servers go on for 120 s.
        let outcome = try await Bounded.run("\(fault.mode.rawValue)", seconds: 90) { await FetchRun().run(transport, scratch: Scratch()) }
        if let reason = fault.unavailable {
            #expect(outcome.unavailability?.reason == reason, "\(outcome.summary)")
        } else {
            #expect(outcome.snapshot != nil, "\(outcome.summary)")
        }
        #expect(transport.statistics.bytesRead <= Int64(try Data(contentsOf: archive).count) + (2 << 20))
        #expect(fixture.spoolIsEmpty)
    }

    /// Backpressure is not silence: while the pipeline verifies the index, the connection is not
    /// read, for longer than the read timeout, and the archive is read on afterwards.
    @Test func aPauseLongerThanTheReadTimeoutIsNotATimeout() async throws {
        let scratch = Scratch("zm-archive-net")
        var tree = sampleTree()
        tree["releases/2.7.1/servermodels/zz-large.yml"] = [UInt8](FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: 16 << 20))
        let fixture = try ArchiveFixture(scratch, tree: tree)
        let archive = try fixture.archive("bundle.tar", gzip: false)
        let server = try StaticHTTPServer(serving: fixture.archives)
        defer { server.stop() }

        let options = TransportOptions(connectTimeout: .seconds(5), requestTimeout: .seconds(60), readTimeout: .seconds(1))
        let transport = try fixture.transport("\(server.base)/bundle.tar", options: options)
        do {
            _ = try await transport.fetch("index.json", maxBytes: 1 << 20)
            try await Task.sleep(for: .seconds(3))
            try await transport.prepare(files: fixture.index.files, needed: Set(fixture.index.files.map(\.path)))
            for file in fixture.index.files {
                let bytes = try await transport.fetch("tree/" + file.path, maxBytes: file.size)
                #expect(bytes == Data(tree[file.path]!), "\(file.path)")
            }
        } catch {
            Issue.record("\(error)")
        }
        await transport.shutdown()
        #expect(fixture.spoolIsEmpty)
    }
}
}
