import Foundation

/// The tables of a PostgreSQL run (`--store`): its operations beside the SQLite cold sync of the
/// same bundle, the peer into the same server and the `COPY` floor, then the targets of issue 11
/// as ratios within the run.
enum PostgresReport {
    static func render(_ results: [SizeResult], server: PostgresServer) -> String {
        let (median, time, mib) = (Report.median, Report.time, Report.mib)
        var lines: [String] = []
        lines.append("## zephir-models-bench --store postgres://…")
        lines.append("")
        lines.append("Machine: \(Machine.describe()); PostgreSQL: \(serverVersion(server))")
        lines.append("")
        lines.append("| size (models × variables) | operation | median time | peak RSS | peak anon | peer ÷ this | this ÷ floor | % of cold sync |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in results {
            let cold = median(r.cold.map(\.seconds)), peer = median(r.peer.map(\.seconds)), floor = median(r.floor)
            let label = "\(r.size) (\(r.files) files, \(mib(r.bytes)), \(r.rows) rows)"
            func row(_ name: String, _ outcomes: [ChildProcess.Outcome], ofCold: Bool = true) -> String {
                let t = median(outcomes.map(\.seconds))
                return "| \(label) | \(name) | \(time(t)) | \(mib(outcomes.map(\.peakRSS).max() ?? 0)) | \(mib(outcomes.map(\.peakAnon).max() ?? 0)) | "
                    + "\(String(format: "%.1f×", peer / t)) | \(String(format: "%.2f×", t / floor)) | "
                    + (ofCold ? "\(String(format: "%.1f %%", 100 * t / cold)) |" : " |")
            }
            lines.append(row("cold sync (PostgreSQL)", r.cold))
            lines.append(row("no-change sync (PostgreSQL)", r.unchanged))
            lines.append(row("one model changed (PostgreSQL)", r.oneModel))
            lines.append(row("cold sync (SQLite, same bundle)", r.sqliteCold, ofCold: false))
            lines.append(row("peer (peer_loader.py, psycopg COPY)", r.peer, ofCold: false))
            lines.append("| \(label) | floor (libyaml scan + one COPY) | \(time(floor)) = \(time(median(r.floorScan))) + \(time(median(r.floorInsert))) | | | | 1.00× | |")
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
            let cold = median(r.cold.map(\.seconds)), peer = median(r.peer.map(\.seconds)), floor = median(r.floor)
            let unchanged = median(r.unchanged.map(\.seconds)), one = median(r.oneModel.map(\.seconds))
            let rss = Double(r.cold.map(\.peakRSS).max() ?? 0) / Double(max(1, r.sqliteCold.map(\.peakRSS).max() ?? 0))
            let anon = Double(r.cold.map(\.peakAnon).max() ?? 0) / Double(max(1, r.sqliteCold.map(\.peakAnon).max() ?? 0))
            func mark(_ ok: Bool, _ text: String) -> String { (ok ? "✅ " : "❌ ") + text }
            lines.append("| \(r.size) | \(mark(peer / cold >= 5, String(format: "%.1f×", peer / cold))) | \(mark(cold / floor <= 2, String(format: "%.2f×", cold / floor))) | "
                + "\(mark(unchanged < 0.05, time(unchanged))) | \(mark(one / cold < 0.05, String(format: "%.1f %%", 100 * one / cold))) | "
                + "\(mark(rss <= 1.3, String(format: "%.2f×", rss))) (\(String(format: "%.2f×", anon))) |")
        }
        return lines.joined(separator: "\n")
    }

    private static func serverVersion(_ server: PostgresServer) -> String {
        ((try? server.psql("SHOW server_version").stdout) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
