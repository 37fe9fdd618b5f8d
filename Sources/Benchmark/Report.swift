import Foundation

/// Every measurement of one size.
struct SizeResult {
    var size: BenchOptions.Size
    var largestFile: Int
    var rows = 0
    var bytes = 0
    var files = 0
    var cold: [ChildProcess.Outcome] = []
    var unchanged: [ChildProcess.Outcome] = []
    var oneModel: [ChildProcess.Outcome] = []
    var peer: [ChildProcess.Outcome] = []
    /// PostgreSQL runs: the SQLite cold sync of the same bundle, for the memory ratio.
    var sqliteCold: [ChildProcess.Outcome] = []
    var floorScan: [Double] = []
    var floorInsert: [Double] = []

    var floor: [Double] { zip(floorScan, floorInsert).map { $0 + $1 } }

    /// The largest anonymous memory any of this size's syncs reached.
    var peakAnon: Int { (cold + unchanged + oneModel).map(\.peakAnon).max() ?? 0 }
}

/// The memory target: a sync holds no more than two files and some metadata per model on top
/// of what any sync holds whatever the data (the runtime).
enum MemoryBudget {
    /// What each model may cost: its outline (name, parent, services, digest), its stamps and
    /// its entries in the resolution, the plan and the report.
    static let perModel = 4 << 10
    /// SQLite's page cache of the writing connection (`cache_size`, 2 MiB), which only a large
    /// write fills.
    static let sqliteCache = 2 << 20

    /// The runtime: the least peak anonymous memory of a no-change sync in this run.
    static func runtime(_ results: [SizeResult]) -> Int {
        results.compactMap { $0.unchanged.map(\.peakAnon).min() }.min() ?? 0
    }

    static func allowance(_ result: SizeResult) -> Int { 2 * result.largestFile + perModel * result.size.models + sqliteCache }
}

enum Report {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func time(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// The header of the timing table, the same for both stores.
    static let timingHeader = [
        "| size (models × variables) | operation | median time | peak RSS | peak anon | peer ÷ this | this ÷ floor | % of cold sync |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    /// The label of a size in the timing table.
    static func label(_ r: SizeResult) -> String { "\(r.size) (\(r.files) files, \(mib(r.bytes)), \(r.rows) rows)" }

    /// One row of the timing table: `outcomes` against the size's peer and floor, and as a share
    /// of its cold sync unless `ofCold` is false.
    static func timingRow(_ r: SizeResult, _ name: String, _ outcomes: [ChildProcess.Outcome], ofCold: Bool = true) -> String {
        let cold = median(r.cold.map(\.seconds)), peer = median(r.peer.map(\.seconds)), floor = median(r.floor)
        let t = median(outcomes.map(\.seconds))
        return "| \(label(r)) | \(name) | \(time(t)) | \(mib(outcomes.map(\.peakRSS).max() ?? 0)) | \(mib(outcomes.map(\.peakAnon).max() ?? 0)) | "
            + "\(String(format: "%.1f×", peer / t)) | \(String(format: "%.2f×", t / floor)) | "
            + (ofCold ? "\(String(format: "%.1f %%", 100 * t / cold)) |" : " |")
    }

    /// The floor's row of the timing table (`what`: how its rows are written).
    static func floorRow(_ r: SizeResult, _ what: String) -> String {
        "| \(label(r)) | floor (libyaml scan + \(what)) | \(time(median(r.floor))) = \(time(median(r.floorScan))) + \(time(median(r.floorInsert))) | | | | 1.00× | |"
    }

    /// The first cells of a size's row of the targets table: the four timing targets, marked.
    static func timingTargets(_ r: SizeResult) -> String {
        let cold = median(r.cold.map(\.seconds)), peer = median(r.peer.map(\.seconds)), floor = median(r.floor)
        let unchanged = median(r.unchanged.map(\.seconds)), one = median(r.oneModel.map(\.seconds))
        return "| \(r.size) | \(mark(peer / cold >= 5, String(format: "%.1f×", peer / cold))) | \(mark(cold / floor <= 2, String(format: "%.2f×", cold / floor))) | "
            + "\(mark(unchanged < 0.05, time(unchanged))) | \(mark(one / cold < 0.05, String(format: "%.1f %%", 100 * one / cold))) | "
    }

    static func mark(_ ok: Bool, _ text: String) -> String { (ok ? "✅ " : "❌ ") + text }

    static func render(_ results: [SizeResult], options: BenchOptions) -> String {
        var lines: [String] = []
        lines.append("## zephir-models-bench")
        lines.append("")
        lines.append("Machine: \(Machine.describe())")
        lines.append("")
        lines += timingHeader
        for r in results {
            let peer = median(r.peer.map(\.seconds)), floor = median(r.floor)
            lines.append(timingRow(r, "cold sync", r.cold))
            lines.append(timingRow(r, "no-change sync", r.unchanged))
            lines.append(timingRow(r, "one model changed", r.oneModel))
            lines.append("| \(label(r)) | peer (peer_loader.py) | \(time(peer)) | \(mib(r.peer.map(\.peakRSS).max() ?? 0)) | \(mib(r.peer.map(\.peakAnon).max() ?? 0)) "
                + "| 1.0× | \(String(format: "%.2f×", peer / floor)) | |")
            lines.append(floorRow(r, "one INSERT"))
        }
        lines.append("")
        lines.append("Runs per size: " + results.map { "\($0.size): \($0.cold.count)" }.joined(separator: ", ")
            + ". Times are medians; peak RSS (`ru_maxrss`, code pages included) and peak anon (heap and stacks, sampled every millisecond) are the largest of the runs.")
        lines.append("")
        lines.append("### Targets")
        lines.append("")
        let runtime = MemoryBudget.runtime(results)
        lines.append("| size | cold ≥ 5× faster than the peer | cold ≤ 2× the floor | no-change < 50 ms | one model < 5 % of cold | memory: peak anon − runtime ≤ allowance |")
        lines.append("|---|---|---|---|---|---|")
        for r in results {
            let extra = r.peakAnon - runtime, allowance = MemoryBudget.allowance(r)
            lines.append(timingTargets(r) + "\(mark(extra <= allowance, "\(mib(extra)) ≤ \(mib(allowance))")) |")
        }
        lines.append("")
        lines.append("Runtime = the least peak anon of a no-change sync here (\(mib(runtime))); allowance = 2 × the largest file + "
            + "\(MemoryBudget.perModel / 1024) KiB per model + SQLite's page cache of the writing connection (\(mib(MemoryBudget.sqliteCache))). Largest files: "
            + results.map { "\($0.size): \(String(format: "%.0f KiB", Double($0.largestFile) / 1024))" }.joined(separator: ", ") + ".")
        return lines.joined(separator: "\n")
    }
}

/// The machine, for the record.
enum Machine {
    static func describe() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "?"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("MemTotal") }.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }.map { String(format: "%.0f GiB", Double($0) / 1_048_576) } ?? "?"
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) RAM, Linux \(kernel)"
    }
}
