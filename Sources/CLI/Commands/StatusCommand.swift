import ArgumentParser
import Foundation
import ZephirCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows each source's installed version, expiry and last attempt, and the counts of models and open conflicts.",
        discussion: """
        An index that expires within 30 days is flagged: once it has expired, no update from that source is accepted until its publisher republishes. A source with a pinned root also shows its newest trusted root: version, root and index key ids, and expiry, flagged 30 days before the root expires.

        With --check, prints one line for Nagios, Icinga or Centreon and exits with their codes instead of those of the other commands: 0 OK, 1 WARNING (an index expires within 30 days, a source failed its last attempt but keeps its content, open warnings), 2 CRITICAL (an index expired, a source was never installed, open errors, no successful run for --max-age), 3 UNKNOWN (the configuration or the database cannot be read). Performance data follows the `|`.

        Examples:
          zephir-models status
          zephir-models status --json | jq '.sources[] | select(.lastResult != "unchanged")'
          zephir-models status --check --max-age 2h
        """
    )

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print one monitoring-plugin line and exit 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN.")
    var check = false

    @Option(help: ArgumentHelp("With --check: CRITICAL when no run succeeded for this long. Default 26h (an hourly timer); twice the interval for the daemon.", valueName: "duration"))
    var maxAge: String?

    func validate() throws {
        guard let maxAge else { return }
        guard check else { throw ValidationError("--max-age applies to --check only: add --check") }
        guard DurationText.seconds(maxAge) != nil else { throw ValidationError("--max-age '\(maxAge)' is not a duration such as 2h or 26h") }
    }

    func run() async throws {
        if check { return try await runCheck() }
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
                if let mirrors = source.mirrors {
                    for mirror in mirrors {
                        let result = mirror.lastResult.map { status in
                            [status.rawValue, mirror.version.map { "version \($0)" }, mirror.detail].compactMap { $0 }.joined(separator: ", ")
                        } ?? "not tried yet"
                        lines.append("    mirror:     \(mirror.url): \(result)")
                    }
                } else if let url = source.url {
                    lines.append("    url:        \(url)")
                }
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

    /// `--check`: whatever goes wrong is the UNKNOWN state, never another exit code.
    private func runCheck() async throws {
        let result: StatusCheck
        do {
            let (config, store) = try Bootstrap.open(options.config)
            result = try await StatusCheck.build(config: config, store: store, maxAge: maxAge.flatMap(DurationText.seconds) ?? StatusCheck.defaultMaxAge)
        } catch {
            result = StatusCheck.unknown(String(describing: error))
        }
        if options.json { Terminal.json(result) } else { Terminal.print(result.line) }
        if result.state != .ok { throw ExitCode(result.state.rawValue) }
    }
}
