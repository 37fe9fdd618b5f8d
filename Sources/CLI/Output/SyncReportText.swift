import Foundation
import ZephirCore

/// A sync or plan report for a person: sources, then changes per source, then conflicts,
/// then what happened (like `terraform plan`).
enum SyncReportText {
    static let changesShownPerSource = 200

    /// `--quiet`: the outcome in one line, then the error conflicts, if any.
    static func quiet(_ report: SyncReport) -> String {
        let errors = report.conflicts.filter { $0.severity == .error }
        let outcome = "\(report.dryRun ? "plan" : "run \(report.run.map(String.init) ?? "-")"): \(report.status.rawValue), models +\(report.modelsAdded) ~\(report.modelsChanged) -\(report.modelsRemoved), \(report.conflicts.count) conflicts (\(errors.count) errors)"
        return ([outcome] + ConflictText.lines(errors)).joined(separator: "\n")
    }

    static func render(_ report: SyncReport, verbose: Bool = false) -> String {
        let shownPerSource = verbose ? Int.max : changesShownPerSource
        var lines: [String] = []
        lines.append(report.dryRun ? "Plan (dry run: nothing is written)" : "Sync" + (report.run.map { " run \($0)" } ?? ""))
        lines.append("")
        lines.append("Sources:")
        let width = report.sources.map(\.source.count).max() ?? 0
        for attempt in report.sources {
            // The longest results (`unavailable`, `rolled-back`) are 11 characters: one space more.
            var text = "  " + pad(attempt.source, width) + "  " + pad(attempt.result.rawValue, 12)
            if let message = attempt.message { text += message } else if let version = attempt.version { text += "version \(version)" }
            if attempt.filesFetched > 0 || (verbose && attempt.result == .updated) {
                text += " (\(attempt.filesFetched) files, \(ByteCount.text(attempt.bytesFetched)) downloaded)"
            }
            lines.append(text)
        }
        for note in report.notes { lines.append("  note: \(note)") }

        lines.append("")
        if report.changes.isEmpty {
            lines.append(report.status == .failed ? "Nothing applied." : "No changes: the root models in force are up to date.")
        } else {
            let added = report.changes.filter { $0.action == .add }.count
            let changed = report.changes.filter { $0.action == .change }.count
            let removed = report.changes.filter { $0.action == .remove }.count
            lines.append("Changes: \(added) to add, \(changed) to change, \(removed) to remove"
                         + " (models: +\(report.modelsAdded) ~\(report.modelsChanged) -\(report.modelsRemoved))")
            let bySource = Dictionary(grouping: report.changes) { $0.source ?? $0.previousSource ?? "?" }
            for source in bySource.keys.sorted() {
                let changes = bySource[source]!
                lines.append("  from \(source):")
                for change in changes.prefix(shownPerSource) {
                    let mark = change.action == .add ? "+" : change.action == .change ? "~" : "-"
                    var text = "    \(mark) \(change.entity.rawValue) \(change.subject)"
                    if change.action == .change, let previous = change.previousSource, previous != change.source { text += " (was from \(previous))" }
                    lines.append(text)
                }
                if changes.count > shownPerSource {
                    lines.append("    … and \(changes.count - shownPerSource) more (`--verbose` or `--json` list every change)")
                }
            }
        }

        if !report.conflicts.isEmpty {
            lines.append("")
            let counts = Conflict.Severity.allCases.reversed().map { severity in "\(report.conflicts.filter { $0.severity == severity }.count) \(severity.rawValue)" }
            lines.append("Conflicts: " + counts.joined(separator: ", "))
            lines += ConflictText.lines(report.conflicts.sorted { ($1.severity, $0.subject) < ($0.severity, $1.subject) })
        }

        lines.append("")
        switch (report.dryRun, report.status) {
        case (true, _):
            lines.append(report.changes.isEmpty ? "Nothing to apply." : "Run `zephir-models sync` to apply.")
        case (false, .failed):
            lines.append("Nothing applied: every source failed or the run aborted; the database is unchanged.")
        case (false, .unchanged):
            lines.append("Done: nothing changed.")
        case (false, .applied):
            lines.append("Applied in run \(report.run.map(String.init) ?? "?").")
        }
        if report.exitCode == 2 {
            lines.append("At least one source failed and kept its last good content: see the conflicts above.")
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// Conflicts as aligned lines: severity, kind, subject, sources, detail.
enum ConflictText {
    static func lines(_ conflicts: [Conflict], ids: [Int64]? = nil) -> [String] {
        conflicts.enumerated().map { index, conflict in
            let id = ids.map { "#\($0[index]) " } ?? ""
            let sources = conflict.sources.isEmpty ? "" : " [\(conflict.sources.joined(separator: ", "))]"
            return "  \(id)\(SyncReportText.pad(conflict.severity.rawValue, 7)) \(SyncReportText.pad(conflict.kind.rawValue, 25)) \(conflict.subject)\(sources)\n      \(conflict.detail)"
        }
    }
}

/// Byte counts for people.
enum ByteCount {
    static func text(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
