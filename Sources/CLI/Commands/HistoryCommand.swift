import ArgumentParser
import Foundation
import ZephirCore

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Lists the sync runs, newest first.",
        discussion: """
        Each run: its id, status (applied, unchanged, failed), when it finished, how each source fared, and the models it added, changed and removed.

        Example:
          zephir-models history --limit 5
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "How many runs to show.")
    var limit = 20

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let (_, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            let runs = try await store.runs(limit: limit)
            if options.json { Terminal.json(runs); return }
            guard !runs.isEmpty else { Terminal.print("No runs yet: `zephir-models sync` runs the first."); return }
            for run in runs {
                let sources = run.sources.map { "\($0.source) \($0.result.rawValue)" + ($0.version.map { " v\($0)" } ?? "") }.joined(separator: ", ")
                Terminal.print("#\(run.id ?? 0)  \(run.finishedAt)  \(SyncReportText.pad(run.status.rawValue, 9))  models +\(run.modelsAdded) ~\(run.modelsChanged) -\(run.modelsRemoved)  conflicts \(run.conflictCount)  [\(sources)]")
            }
        }
    }
}
