import Foundation
import Testing
import ZephirTestSupport

/// The `--help` of every command, pinned: each is compared with its snapshot under
/// Tests/HelpSnapshots/, at a fixed width (COLUMNS=100) so that the parser wraps the prose the
/// same way everywhere. After a deliberate change, `ZEPHIR_RECORD_HELP=1 swift test --filter
/// HelpSnapshotTests` rewrites the snapshots; review them with `git diff`.
@Suite struct HelpSnapshotTests {
    static let width = 100
    static let folder = ZephirExecutable.repository.appendingPathComponent("Tests/HelpSnapshots")
    static let record = ProcessInfo.processInfo.environment["ZEPHIR_RECORD_HELP"] == "1"

    func help(_ path: [String]) async throws -> String {
        let cli = CLI(directory: FileManager.default.temporaryDirectory)
        let result = try await cli.run(path + ["--help"], environment: ["COLUMNS": String(Self.width), "LINES": "50"])
        #expect(result.code == 0, "\(path) --help")
        return result.stdout
    }

    /// The subcommands a help text lists.
    func subcommands(of help: String) -> [String] {
        guard let start = help.range(of: "\nSUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { !$0.isEmpty }
            .compactMap { line in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.dropFirst(2).split(separator: " ").first.map(String.init)
            }
    }

    /// Every command path, found from the root's help down.
    func commands() async throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            found.append(path)
            queue += subcommands(of: try await help(path)).map { path + [$0] }
        }
        return found
    }

    func snapshot(_ path: [String]) -> URL {
        Self.folder.appendingPathComponent((["zephir-models"] + path).joined(separator: "-") + ".txt")
    }

    @Test func everyCommandsHelpMatchesItsSnapshot() async throws {
        let commands = try await commands()
        #expect(commands.count >= 20, "\(commands)")
        if Self.record { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        for path in commands {
            let text = try await help(path)
            if Self.record { try Data(text.utf8).write(to: snapshot(path)) }
            let expected = try? String(contentsOf: snapshot(path), encoding: .utf8)
            #expect(expected != nil, "no snapshot for `\((["zephir-models"] + path).joined(separator: " ")) --help`: record it with ZEPHIR_RECORD_HELP=1")
            #expect(text == expected, "`\((["zephir-models"] + path).joined(separator: " ")) --help` changed: \(text)")
        }
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".txt") }
        #expect(Set(snapshots) == Set(commands.map { snapshot($0).lastPathComponent }), "a snapshot for each command and no other")
    }

    @Test func proseIsWrappedByTheParserNotInTheSource() async throws {
        // A sentence of the sync help that the source used to break after "passes".
        let text = try await help(["sync"])
        #expect(text.contains("Every enabled source not on hold is fetched concurrently and trusted only if it passes its\nsignature policy"), "\(text)")
    }
}
