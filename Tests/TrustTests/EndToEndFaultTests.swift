import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

extension RealProcesses {
    /// Faults end to end, where the database matters: a real `zephir-models sync` against a
    /// misbehaving server and hostile bundles exits with its code, reports the source as
    /// unavailable or rejected with the reason, leaves the database exactly as it was, and ends in
    /// bounded time. (The twelve signature, rollback, equivocation, expiry, digest and size
    /// rejections are in EndToEndTests/RejectionEndToEndTests.)
    @Suite struct EndToEndFaultTests {
        struct Case: Sendable, CustomTestStringConvertible {
            var name: String
            /// The server mode, or nil for a bundle read from disk.
            var mode: MisbehavingServer.Mode?
            var on = "tree"
            var result: String
            var conflict: String
            /// The conflict's `reason` token.
            var reason: String
            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "slow drip", mode: .drip, result: "unavailable", conflict: "source-unavailable", reason: "timeout"),
            Case(name: "stall on the index", mode: .stall, on: "index", result: "unavailable", conflict: "source-unavailable", reason: "timeout"),
            Case(name: "reset mid-body", mode: .reset, result: "unavailable", conflict: "source-unavailable", reason: "network"),
            Case(name: "503", mode: .unavailable, on: "index", result: "unavailable", conflict: "source-unavailable", reason: "http-status"),
            Case(name: "redirect loop", mode: .loop, result: "unavailable", conflict: "source-unavailable", reason: "too-many-redirects"),
            Case(name: "endless file", mode: .endless, result: "rejected", conflict: "source-rejected", reason: "size-mismatch"),
            Case(name: "endless index", mode: .endless, on: "index", result: "rejected", conflict: "source-rejected", reason: "too-large"),
            Case(name: "short Content-Length", mode: .lengthShort, result: "rejected", conflict: "source-rejected", reason: "size-mismatch"),
            Case(name: "billion laughs", mode: nil, result: "rejected", conflict: "source-rejected", reason: "invalid-tree"),
            Case(name: "unicode lookalike path", mode: nil, result: "rejected", conflict: "source-rejected", reason: "unsafe-path"),
            Case(name: "mix and match", mode: nil, result: "rejected", conflict: "source-rejected", reason: "digest-mismatch"),
        ]

        /// Publishes version 2 and syncs it over HTTP; then publishes version 3 (one model changed).
        func setUp() async throws -> (SyncWorkspace, MisbehavingServer) {
            let w = SyncWorkspace("zm-e2e-faults")
            let key = Keys.eole
            try w.write("eole.pub", key.publicKey.text + "\n")
            try publish(w, version: 2, tree: sampleTree())
            let server = try MisbehavingServer(serving: w.root.appendingPathComponent("bundles/eole"))
            try configure(w, url: server.url(.ok, on: "any"))
            let first = try await w.sync()
            #expect(first.code == 0, "\(first.stderr)")
            try publish(w, version: 3, tree: sampleTree(amonDefault: "strict"))
            return (w, server)
        }

        func publish(_ w: SyncWorkspace, version: Int, tree: [String: [UInt8]]) throws {
            let files = tree.keys.sorted().map { (path: $0, bytes: tree[$0]!) }
            _ = try BundleWriter.publish(files: files, .init(source: "eole", keys: [Keys.eole], version: version, expires: Date().addingTimeInterval(86_400),
                                                               output: w.root.appendingPathComponent("bundles/eole")))
        }

        func configure(_ w: SyncWorkspace, url: String) throws {
            try w.write("config.yml", """
                database: sqlite:state.db
                cache: cache
                lock_timeout: 10s
                sources:
                  - name: eole
                    kind: eole
                    url: \(url)
                    priority: 100
                    timeout: 2s
                    signature: {policy: required, threshold: 1, keys: [eole.pub]}

                """)
        }

        /// Rewrites `bundles/eole` (version 3) into the hostile bundle of `c`, re-signed by the publisher.
        func forge(_ c: Case, _ w: SyncWorkspace) throws {
            let folder = w.root.appendingPathComponent("bundles/eole")
            let indexURL = folder.appendingPathComponent("index.json")
            var index = try BundleIndex.parse(Envelope.parse(Data(contentsOf: indexURL)).payloadBytes())
            switch c.name {
            case "billion laughs":
                let bomb = Array(HostileYAMLTests.billionLaughs.utf8)
                try Data(bomb).write(to: folder.appendingPathComponent("tree/" + AttackTests.amon))
                let i = index.files.firstIndex { $0.path == AttackTests.amon }!
                index.files[i] = BundleIndex.File(path: AttackTests.amon, sha256: SHA256Digest.hex(bomb), size: bomb.count)
            case "unicode lookalike path":
                index.files.append(BundleIndex.File(path: "releases/\u{FF0E}\u{FF0E}/\u{FF0E}\u{FF0E}/zm-escape.yml", sha256: SHA256Digest.hex(Data("x".utf8)), size: 1))
            case "mix and match":
                // The signed index of version 3 over the files of version 2.
                let old = sampleTree()[AttackTests.amon]!
                try Data(old).write(to: folder.appendingPathComponent("tree/" + AttackTests.amon))
            default:
                return
            }
            try Envelope.sign(payload: index.encoded(), keys: [Keys.eole]).encoded().write(to: indexURL)
        }

        @Test(arguments: cases)
        func aFaultLeavesTheDatabaseAsItWas(_ c: Case) async throws {
            let (w, server) = try await setUp()
            defer { server.stop() }
            let before = try await w.probe()
            try forge(c, w)
            try configure(w, url: c.mode.map { server.url($0, on: c.on) } ?? server.url(.ok, on: "any"))

            let run = try await w.sync()
            #expect(run.seconds < 20, "\(c.name): the sync took \(run.seconds) s")
            // The only source failed: nothing applied.
            #expect(run.code == 3, "\(c.name): exit \(run.code): \(run.stderr.suffix(500))")
            let report = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
            let source = (report["sources"] as? [[String: Any]])?.first
            #expect(source?["result"] as? String == c.result, "\(c.name): \(run.stdout.prefix(800))")
            let conflicts = report["conflicts"] as? [[String: Any]] ?? []
            let conflict = conflicts.first { $0["kind"] as? String == c.conflict }
            #expect(conflict?["reason"] as? String == c.reason, "\(c.name): \(conflict ?? [:])")
            #expect((conflict?["detail"] as? String)?.contains("version 2 kept") == true, "\(c.name): \(conflict ?? [:])")

            let after = try await w.probe()
            #expect(after.integrity == "ok" && after.content == before.content && after.layers == before.layers, "\(c.name): the database changed")
            #expect(!FileManager.default.fileExists(atPath: w.root.deletingLastPathComponent().appendingPathComponent("zm-escape.yml").path))

            // Once the server behaves and the publisher republishes, the next version applies.
            try FileManager.default.removeItem(at: w.root.appendingPathComponent("bundles/eole"))
            try publish(w, version: 4, tree: sampleTree(amonDefault: "strict"))
            try configure(w, url: server.url(.ok, on: "any"))
            let healed = try await w.sync()
            #expect(healed.code == 0, "\(c.name): \(healed.stderr.suffix(500))")
            let healedState = try await w.probe()
            #expect(healedState.layers == ["eole": 4])
        }
    }
}
