import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// Hostile tree files, correctly listed and signed in the index so that only the YAML reader
/// stands between them and the database: each is refused as `invalid-tree`, with the reader's
/// own reason, in bounded time and memory.
@Suite struct HostileYAMLTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        /// A phrase of the refusal that names the defence.
        var because: String
        var testDescription: String { name }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let billionLaughs: String = {
        var lines = ["name: amon", "description: ok", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 { lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]") }
        return lines.joined(separator: "\n") + "\n"
    }()

    static let cases: [Case] = [
        Case(name: "billion laughs", bytes: text(billionLaughs), because: "anchors and aliases"),
        Case(name: "merge key of an alias", bytes: text("base: &b {type: string}\nname: amon\nvariables:\n  v:\n    <<: *b\n"), because: "anchors and aliases"),
        Case(name: "alias to an undefined anchor", bytes: text("name: amon\ndescription: *nowhere\n"), because: "anchors and aliases"),
        Case(name: "deep flow nesting", bytes: text("name: amon\ndescription: " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "\n"),
             because: "nesting deeper"),
        Case(name: "deep block nesting", bytes: text("name: amon\nvariables:\n" + (1...40).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"),
             because: "nesting deeper"),
        Case(name: "huge scalar", bytes: text("name: amon\ndescription: \"" + String(repeating: "a", count: 8 << 20) + "\"\n"), because: "longer than"),
        Case(name: "huge key", bytes: text(String(repeating: "k", count: 1 << 20) + ": 1\nname: amon\n"), because: "longer than"),
        Case(name: "duplicate top-level key", bytes: text("name: amon\ndescription: a\nname: amon\n"), because: "appears twice"),
        Case(name: "duplicate key, other quoting", bytes: text("name: amon\n\"name\": amon\n"), because: "appears twice"),
        Case(name: "duplicate key, explicit form", bytes: text("name: amon\n? name\n: amon\n"), because: "appears twice"),
        Case(name: "duplicate variable", bytes: text("name: amon\nvariables:\n  v: {type: string}\n  v: {type: integer, default: 1}\n"), because: "appears twice"),
        Case(name: "duplicate key in flow mapping", bytes: text("name: amon\nvariables: {v: {type: string, type: integer}}\n"), because: "appears twice"),
        Case(name: "invalid UTF-8 byte", bytes: text("name: amon\ndescription: ") + [0xFF, 0xFE] + text("\n"), because: "YAML"),
        Case(name: "overlong UTF-8 slash", bytes: text("name: amon\ndescription: ..") + [0xC0, 0xAF] + text("..\n"), because: "YAML"),
        Case(name: "UTF-8 encoded surrogate", bytes: text("name: amon\ndescription: ") + [0xED, 0xA0, 0x80] + text("\n"), because: "YAML"),
        Case(name: "truncated UTF-8 sequence", bytes: text("name: amon\ndescription: ") + [0xE2, 0x82], because: "YAML"),
        Case(name: "NUL byte", bytes: text("name: amon\ndescription: a") + [0x00] + text("b\n"), because: "YAML"),
        Case(name: "language-specific tag", bytes: text("name: amon\ndescription: !!python/object/apply:os.system [\"id\"]\n"), because: "tag"),
        Case(name: "several documents", bytes: text("name: amon\n---\nname: amon\n"), because: "documents"),
    ]

    @Test(arguments: cases)
    func aHostileFileIsRefusedByTheReader(_ c: Case) async throws {
        let scratch = Scratch()
        var bundle = ForgedBundle()
        bundle.tree[AttackTests.amon] = c.bytes
        let transport = RecordingTransport(MemoryTransport(name: "yaml", files: bundle.served))
        scratch.seal()
        let outcome = try await Bounded.run(c.name, seconds: 20, memoryMB: 512) { await FetchRun().run(transport, scratch: scratch) }
        guard case .invalidTree(let detail)? = outcome.rejection else {
            Issue.record("\(c.name): \(outcome.summary)")
            return
        }
        #expect(detail.contains(AttackTests.amon) && detail.contains(c.because), "\(c.name): \(detail.prefix(400))")
        scratch.audit()
    }

    /// The node limit reaches the reader through the fetcher's limits.
    @Test func tooManyValuesAreRefused() async throws {
        var bundle = ForgedBundle()
        bundle.tree[AttackTests.amon] = Self.text("name: amon\ndescription: x\nservices: [" + Array(repeating: "a", count: 5_000).joined(separator: ", ") + "]\n")
        var run = FetchRun()
        run.limits.yaml.maxNodes = 1_000
        let (limited, files) = (run, bundle.served)
        let outcome = try await Bounded.run("many nodes", seconds: 20) { await limited.run(MemoryTransport(name: "yaml", files: files), scratch: Scratch()) }
        guard case .invalidTree(let detail)? = outcome.rejection else { Issue.record("\(outcome.summary)"); return }
        #expect(detail.contains("more than 1000 values"), "\(detail)")
    }
}
