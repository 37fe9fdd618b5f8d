import ArgumentParser
import Foundation
import ZephirCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows each source's installed version, expiry and last attempt, and the counts of models and open conflicts.",
        discussion: """
        An index that expires within two weeks is flagged: once it has expired, no update from that source is accepted until its publisher republishes. A source with a pinned root also shows its newest trusted root: version, root and index key ids, and expiry, flagged 30 days before the root expires.

        Examples:
          zephir-models status
          zephir-models status --json | jq '.sources[] | select(.lastResult != "unchanged")'
        """
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ExitStatus.guarded {
            let (config, store) = try Bootstrap.open(options.config)
            let report = try await StatusReport.build(config: config, store: store)
            if options.json { Terminal.json(report); return }
            var lines = ["Database: \(report.database)", "", "Sources:"]
            for source in report.sources {
                var head = "  \(source.name) (\(source.kind), priority \(source.priority))"
                if !source.enabled { head += " disabled" }
                if source.held { head += " ON HOLD" }
                lines.append(head)
                if let url = source.url { lines.append("    url:        \(url)") }
                if let version = source.installedVersion {
                    lines.append("    installed:  version \(version), digest \(source.digest.map { String($0.prefix(16)) } ?? "?")…, expires \(source.expires ?? "?")")
                } else {
                    lines.append("    installed:  nothing yet")
                }
                if let warning = source.expiryWarning { lines.append("    WARNING:    \(warning)") }
                if let root = source.root {
                    lines.append("    root:       version \(root.version), expires \(root.expires)")
                    lines.append("    root keys:  \(root.rootThreshold) of \(root.rootKeyIDs.joined(separator: ", "))")
                    lines.append("    index keys: \(root.indexThreshold) of \(root.indexKeyIDs.joined(separator: ", "))")
                    if let warning = root.expiryWarning { lines.append("    WARNING:    \(warning)") }
                }
                if let attempt = source.lastAttempt {
                    lines.append("    last:       \(attempt) \(source.lastResult ?? "")" + (source.lastMessage.map { ": \($0)" } ?? ""))
                }
            }
            lines.append("")
            lines.append("Models: \(report.rootModels) root, \(report.localModels) local")
            let open = ["error", "warning", "info"].map { "\(report.openConflicts[$0] ?? 0) \($0)" }.joined(separator: ", ")
            lines.append("Open conflicts: \(open)" + (report.openConflicts.isEmpty ? "" : " (`zephir-models conflicts` lists them)"))
            if let run = report.lastRun {
                lines.append("Last run: #\(run.id ?? 0) \(run.status.rawValue) at \(run.finishedAt)")
            } else {
                lines.append("Last run: none yet (`zephir-models sync`)")
            }
            Terminal.print(lines.joined(separator: "\n"))
        }
    }
}
