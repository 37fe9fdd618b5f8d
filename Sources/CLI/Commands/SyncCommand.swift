import ArgumentParser
import Foundation
import ZephirCore
import ZephirOperations

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetches every source, verifies it, merges the sources and applies the result.",
        discussion: """
        Every enabled source not on hold is fetched concurrently and trusted only if it passes its signature policy, rollback, equivocation and expiry checks, and every file matches the signed index. A source that fails keeps its last good content; the others apply. Root models are written in one transaction; local child models are never touched, and what the update did to them is reported as conflicts.

        Exit codes: 0 done (also when nothing changed), 2 done but a source was rejected or unavailable, 3 nothing applied (every source failed, the lock is held, the database is unreachable), 73 the --metrics-file cannot be written (the run itself is applied), 78 configuration error.

        Examples:
          zephir-models sync
          zephir-models sync --source eole --dry-run
          zephir-models sync --json | jq .conflicts
          zephir-models sync --quiet --metrics-file /var/lib/prometheus/node-exporter/zephir-models.prom
          zephir-models sync --source eole --from /media/usb/eole-42.tar.gz      (an air-gapped site)
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("source"), help: ArgumentHelp("Fetch only this source; the others keep their installed content (repeatable).", valueName: "name"))
    var sources: [String] = []

    @Option(help: ArgumentHelp("Read the one --source given from this archive, folder or URL instead of its configured url, for this run only (offline media). Its signature policy still decides.", valueName: "path-or-url"))
    var from: String?

    @Flag(help: "Print the plan and write nothing (the same as `plan`).")
    var dryRun = false

    @Option(help: ArgumentHelp("After the run, write the metrics of `daemon --metrics-listen` to this file, atomically, for node_exporter's textfile collector.", valueName: "path"))
    var metricsFile: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if dryRun && metricsFile != nil { throw ValidationError("--metrics-file records a run; a --dry-run is none: drop one of them") }
        if from != nil && sources.count != 1 { throw ValidationError("--from reads one source from elsewhere: name it with exactly one --source") }
    }

    func run() async throws {
        try await SyncRunner.run(options: options, sources: sources, from: from, dryRun: dryRun, verbosity: verbosity, metricsFile: metricsFile)
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Shows what `sync` would add, change and remove, and the conflicts it would raise.",
        discussion: """
        Fetches and verifies like `sync` (files land in the cache) but writes nothing to the database. The same as `sync --dry-run`.

        Example:
          zephir-models plan --source acme
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("source"), help: ArgumentHelp("Fetch only this source (repeatable).", valueName: "name"))
    var sources: [String] = []

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        try await SyncRunner.run(options: options, sources: sources, dryRun: true, verbosity: verbosity)
    }
}

/// Runs the engine and prints its report; the exit code is the report's.
enum SyncRunner {
    static func run(options: CommonOptions, sources: [String], from: String? = nil, dryRun: Bool, verbosity: Verbosity, metricsFile: String? = nil) async throws {
        ProcessMemory.returnLargeBuffers()
        var exitCode: Int32 = 0
        let started = ContinuousClock.now
        try await ExitStatus.guarded {
            var (config, store) = try Bootstrap.open(options.config)
            if let from, let source = sources.first {
                config = try config.reading(source: source, from: from, base: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            }
            let engine = try SyncEngine(config: config, registry: Bootstrap.sources, store: store)
            let report: SyncReport
            do {
                report = try await run(engine, sources: sources, dryRun: dryRun, options: options, verbosity: verbosity)
            } catch {
                if let metricsFile { try? await MetricsFile.write(to: metricsFile, status: SyncMetrics.errorStatus, duration: .now - started, config: config, store: store) }
                throw error
            }
            if !dryRun { await Delivery.deliver(store: store, quiet: options.json) }
            if let metricsFile { try await MetricsFile.write(to: metricsFile, status: report.status.rawValue, duration: .now - started, config: config, store: store) }
            exitCode = report.exitCode
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// One run, its progress and its report on stdout.
    private static func run(_ engine: SyncEngine, sources: [String], dryRun: Bool, options: CommonOptions, verbosity: Verbosity) async throws -> SyncReport {
        let progress = ProgressLine.make(enabled: !options.json && !verbosity.quiet)
        var callback: (@Sendable (SyncProgress) -> Void)?
        if let progress { callback = { progress.update($0) } }
        let report = try await engine.run(.init(sources: sources, dryRun: dryRun, progress: callback))
        progress?.finish()
        if options.json {
            Terminal.json(report)
        } else if verbosity.quiet {
            Terminal.print(SyncReportText.quiet(report))
        } else {
            Terminal.print(SyncReportText.render(report, verbose: verbosity.verbose))
        }
        return report
    }
}

/// `--quiet` and `--verbose` of the commands that run a sync.
struct Verbosity: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only the outcome and the error conflicts; no progress.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print every change (not only the first 200 per source) and what each source downloaded.")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other: give one") }
    }
}
