import ArgumentParser
import Foundation
import ZephirCore

struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Stops updating a source: its installed content stays in force until `unhold`.",
        discussion: """
        A held source is not fetched by `sync` or the daemon. `rollback` holds the sources it rolls back, so that the next sync does not undo it.

        Example:
          zephir-models hold acme
        """
    )

    @OptionGroup var options: CommonOptions

    @Argument(help: "The source, as named in the configuration.")
    var source: String

    func run() async throws {
        try await HoldRunner.set(source, held: true, options: options)
    }
}

struct UnholdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unhold",
        abstract: "Resumes updates of a held source at the next sync.",
        discussion: """
        Rollback protection still applies: the source must offer a version at least as high as the highest ever installed.

        Example:
          zephir-models unhold acme && zephir-models sync --source acme
        """
    )

    @OptionGroup var options: CommonOptions

    @Argument(help: "The source, as named in the configuration.")
    var source: String

    func run() async throws {
        try await HoldRunner.set(source, held: false, options: options)
    }
}

enum HoldRunner {
    static func set(_ source: String, held: Bool, options: CommonOptions) async throws {
        try await ExitStatus.guarded {
            let (config, store) = try Bootstrap.open(options.config)
            let known = config.sources.map(\.name)
            guard known.contains(source) else { throw SyncError.unknownSource(source, known: known) }
            try await store.migrate()
            try await store.setHold(source: source, held: held)
            if options.json { Terminal.json(["source": source, "held": held ? "true" : "false"]); return }
            Terminal.print(held ? "source \(source) is on hold: `zephir-models unhold \(source)` resumes its updates"
                                : "source \(source) is no longer on hold: the next sync fetches it")
        }
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Restores the root models and source layers as they were after an earlier run.",
        discussion: """
        The rollback is one transaction, recorded as a new run. Every source it rolls back is put on hold so that the next sync does not undo it; `unhold` resumes it. Rollback protection is kept: an unheld source must still offer a version at least as high as the highest ever installed. Local child models are not touched.

        Example:
          zephir-models history && zephir-models rollback --to 12
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("The run to go back to, as `history` lists it.", valueName: "RUN"))
    var to: Int64

    func run() async throws {
        try await ExitStatus.guarded {
            let (config, store) = try Bootstrap.open(options.config)
            let report = try await Rollback(config: config, registry: Bootstrap.sources, store: store).run(to: to)
            if options.json { Terminal.json(report) } else { Terminal.print(SyncReportText.render(report)) }
            await Delivery.deliver(store: store, quiet: options.json)
        }
    }
}
