import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// Every way an index entry could name a file outside the tree (SPEC §5: relative, normalized,
/// under `versions/` or `releases/`): refused as `unsafe-path` when the index is read, before any
/// file is requested, in a signed index that is otherwise valid.
@Suite struct PathTraversalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var form: String
        var path: String
        var testDescription: String { form }
    }

    static let marker = "zm-escape-\(UUID().uuidString.prefix(8))"

    static let cases: [Case] = [
        Case(form: "dot-dot", path: "releases/../../../\(marker).yml"),
        Case(form: "dot-dot inside", path: "releases/2.7.1/../../../../tmp/\(marker).yml"),
        Case(form: "trailing dot-dot", path: "releases/2.7.1/servermodels/.."),
        Case(form: "absolute", path: "/tmp/\(marker).yml"),
        Case(form: "absolute under releases", path: "/releases/2.7.1/release.yml"),
        Case(form: "backslash", path: "releases\\..\\..\\\(marker).yml"),
        Case(form: "backslash inside a segment", path: "releases/2.7.1/servermodels/..\\..\\\(marker).yml"),
        Case(form: "dot segment", path: "releases/./2.7.1/release.yml"),
        Case(form: "leading dot segment", path: "./releases/2.7.1/release.yml"),
        Case(form: "hidden file", path: "releases/2.7.1/servermodels/.amon.yml"),
        Case(form: "empty segment", path: "releases//2.7.1/release.yml"),
        Case(form: "trailing slash", path: "releases/2.7.1/"),
        Case(form: "empty path", path: ""),
        Case(form: "percent-encoded dots", path: "releases/%2e%2e/%2e%2e/\(marker).yml"),
        Case(form: "percent-encoded slash", path: "releases/..%2f..%2f\(marker).yml"),
        Case(form: "double percent-encoding", path: "releases/%252e%252e/\(marker).yml"),
        Case(form: "one dot leader (U+2024)", path: "releases/\u{2024}\u{2024}/\u{2024}\u{2024}/\(marker).yml"),
        Case(form: "two dot leader (U+2025)", path: "releases/\u{2025}/\u{2025}/\(marker).yml"),
        Case(form: "fullwidth full stop (U+FF0E)", path: "releases/\u{FF0E}\u{FF0E}/\(marker).yml"),
        Case(form: "small full stop (U+FE52)", path: "releases/\u{FE52}\u{FE52}/\(marker).yml"),
        Case(form: "fullwidth solidus (U+FF0F)", path: "releases/2.7.1\u{FF0F}..\u{FF0F}..\u{FF0F}\(marker).yml"),
        Case(form: "division slash (U+2215)", path: "releases/2.7.1\u{2215}..\u{2215}\(marker).yml"),
        Case(form: "dot with combining mark", path: "releases/.\u{0301}./\(marker).yml"),
        Case(form: "slash hidden in a grapheme (U+0600 prepended)", path: "releases/x\u{0600}/../\(marker).yml"),
        Case(form: "zero-width joiner", path: "releases/.\u{200D}./\(marker).yml"),
        Case(form: "NUL", path: "releases/2.7.1/release.yml\u{0}../../\(marker)"),
        Case(form: "control character", path: "releases/2.7.1/\u{1B}[2Jrelease.yml"),
        Case(form: "newline", path: "releases/2.7.1/release.yml\n../\(marker)"),
        Case(form: "outside versions/ and releases/", path: "tree/\(marker).yml"),
        Case(form: "the index itself", path: "index.json"),
        Case(form: "a top-level folder only", path: "releases"),
        Case(form: "lookalike top-level folder", path: "releases.d/2.7.1/release.yml"),
        Case(form: "upper-case top-level folder", path: "Releases/2.7.1/release.yml"),
        Case(form: "Windows drive", path: "C:/releases/\(marker).yml"),
        Case(form: "UNC path", path: "//server/share/\(marker).yml"),
        Case(form: "URL", path: "releases/http://127.0.0.1:1/\(marker).yml"),
        Case(form: "overlong path", path: "releases/" + String(repeating: "a/", count: 600) + "x.yml"),
    ]

    @Test(arguments: cases)
    func anUnsafePathIsRefusedBeforeAnyFileIsRequested(_ c: Case) async throws {
        let scratch = Scratch()
        let bundle = ForgedBundle()
        var files = bundle.served(resigning: { index in
            index.files.append(BundleIndex.File(path: c.path, sha256: SHA256Digest.hex(Data("x".utf8)), size: 1))
        })
        files["tree/" + c.path] = Data("x".utf8)
        // On disk too: the signed index with the path, and the file where a file system would
        // put it when that is inside the bundle and not one of the tree's own files.
        try bundle.write(to: scratch.bundle)
        try files["index.json"]!.write(to: scratch.bundle.appendingPathComponent("index.json"))
        let target = scratch.bundle.appendingPathComponent("tree/" + c.path).standardizedFileURL
        if target.path.hasPrefix(scratch.bundle.path + "/tree/"), !c.path.contains("\0"), !FileManager.default.fileExists(atPath: target.path) {
            try? FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data("x".utf8).write(to: target)
        }
        scratch.seal()
        for transport in [RecordingTransport(MemoryTransport(name: "traversal", files: files)), RecordingTransport(FileTransport(root: scratch.bundle))] {
            let outcome = try await Bounded.run(c.form, seconds: 10) { await FetchRun().run(transport, scratch: scratch) }
            #expect(outcome.rejection == .unsafePath(c.path), "\(c.form): \(outcome.summary)")
            #expect(transport.paths == ["index.json"], "\(c.form): \(transport.paths)")
        }
        scratch.audit()
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(Self.marker).yml"))
        #expect(!FileManager.default.fileExists(atPath: scratch.root.deletingLastPathComponent().appendingPathComponent("\(Self.marker).yml").path))
    }

    /// The rule is no stricter than a tree needs: every path a generated tree holds is safe.
    @Test func everyPathOfAGeneratedTreeIsSafe() {
        let paths = ForgedBundle().tree.keys.sorted() + ["versions/2.10.yml", "releases/2.10.0-rc_1/servermodels/module-0001.yml"]
        for path in paths { #expect(BundlePath.isSafe(path), "\(path)") }
    }
}
