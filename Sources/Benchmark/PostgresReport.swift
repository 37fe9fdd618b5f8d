import Foundation

/// The tables of a PostgreSQL run (`--store`): its operations beside the SQLite cold sync of the
/// same bundle, the peer into the same server and the `COPY` floor, then the targets of issue 11
/// as ratios within the run.
enum PostgresReport {
    static func render(_ results: [SizeResult], server: PostgresServer) -> String {
        var lines: [String] = []
        lines.append("## zephir-models-bench --store postgres://…")
        lines.append("")
        lines.append("Machine: \(Machine.describe()); PostgreSQL: \(serverVersion(server))")
        lines.append("")
        lines += Report.timingHeader
        for r in results {
            lines.append(Report.timingRow(r, "cold sync (PostgreSQL)", r.cold))
            lines.append(Report.timingRow(r, "no-change sync (PostgreSQL)", r.unchanged))
            lines.append(Report.timingRow(r, "one model changed (PostgreSQL)", r.oneModel))
            lines.append(Report.timingRow(r, "cold sync (SQLite, same bundle)", r.sqliteCold, ofCold: false))
            lines.append(Report.timingRow(r, "peer (peer_loader.py, psycopg COPY)", r.peer, ofCold: false))
            lines.append(Report.floorRow(r, "one COPY"))
        }
        lines.append("")
        lines.append("Runs per size: " + results.map { "\($0.size): \($0.cold.count)" }.joined(separator: ", ")
            + ". Times are medians; peak RSS and peak anon are the largest of the runs. Each run syncs into a fresh schema; "
            + "the floor's COPY is one `psql -1` run, timed less a `psql -c 'SELECT 1'` run (client start and connection).")
        lines.append("")
        lines.append("### Targets")
        lines.append("")
        lines.append("| size | cold ≥ 5× faster than the peer | cold ≤ 2× the floor | no-change < 50 ms | one model < 5 % of cold | peak RSS ≤ 1.3× SQLite's (peak anon ratio) |")
        lines.append("|---|---|---|---|---|---|")
        for r in results {
            let rss = Double(r.cold.map(\.peakRSS).max() ?? 0) / Double(max(1, r.sqliteCold.map(\.peakRSS).max() ?? 0))
            let anon = Double(r.cold.map(\.peakAnon).max() ?? 0) / Double(max(1, r.sqliteCold.map(\.peakAnon).max() ?? 0))
            lines.append(Report.timingTargets(r) + "\(Report.mark(rss <= 1.3, String(format: "%.2f×", rss))) (\(String(format: "%.2f×", anon))) |")
        }
        return lines.joined(separator: "\n")
    }

    private static func serverVersion(_ server: PostgresServer) -> String {
        ((try? server.psql("SHOW server_version").stdout) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
