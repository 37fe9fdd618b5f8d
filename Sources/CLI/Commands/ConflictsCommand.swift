import ArgumentParser
import Foundation
import ZephirCore

struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "Lists the open conflicts of the latest run (or all), and acknowledges them.",
        discussion: """
        A conflict says what a sync found: a rejected source, a shadowed or dangling root, or what an update did to a local child model (parent removed or updated, an override that no longer fits). `conflicts ack ID…` records that someone reviewed them; acknowledging a `parent-updated` conflict records the parent's new state, so it is not raised again.

        Examples:
          zephir-models conflicts --severity error
          zephir-models conflicts ack 12 13
        """,
        subcommands: [ListConflicts.self, AckConflicts.self],
        defaultSubcommand: ListConflicts.self
    )
}

struct ListConflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists open conflicts (the default).")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Every conflict of every run, acknowledged or not.")
    var all = false

    @Option(help: "Only this severity or worse: info, warning, error.")
    var severity: Conflict.Severity?

    func run() async throws {
        try await ExitStatus.guarded {
            let (_, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            var conflicts = try await store.conflicts(all: all)
            if let severity { conflicts = conflicts.filter { $0.conflict.severity >= severity } }
            if options.json { Terminal.json(conflicts); return }
            guard !conflicts.isEmpty else { Terminal.print("No open conflicts."); return }
            Terminal.print(ConflictText.lines(conflicts.map(\.conflict), ids: conflicts.map(\.id)).joined(separator: "\n"))
            Terminal.note("Acknowledge reviewed conflicts with `zephir-models conflicts ack ID…`.")
        }
    }
}

extension Conflict.Severity: ExpressibleByArgument {}

struct AckConflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Records that conflicts were reviewed.",
        discussion: "Example:\n  zephir-models conflicts ack 12 13"
    )

    @OptionGroup var options: CommonOptions

    @Argument(help: "Conflict ids, as `conflicts` shows them.")
    var ids: [Int64]

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one conflict id; `zephir-models conflicts` lists them") }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let (_, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            let acknowledged = try await ConflictAcknowledgement.acknowledge(ids, in: store)
            if options.json { Terminal.json(acknowledged); return }
            for stored in acknowledged {
                Terminal.print("acknowledged #\(stored.id) \(stored.conflict.kind.rawValue) \(stored.conflict.subject)")
            }
        }
    }
}
