import ArgumentParser

@main
struct ZephirModels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zephir-models",
        abstract: "Keeps the server models of a Zéphir instance up to date from signed, versioned sources.",
        discussion: """
        Operators run `sync` (by hand, from a timer or as a daemon) to fetch every configured source, verify it, merge the sources by priority and scope, and write the root models to the database in one transaction. Publishers use `keygen`, `publish` and `verify`.

        Exit codes: 0 done, 2 done but a source was rejected or unavailable, 3 nothing applied, 64 usage error, 65 invalid input (tree, bundle, key), 73 an output file cannot be written (keygen, publish, sync --metrics-file), 78 configuration error. `status --check` exits with the codes of monitoring plugins instead (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
        """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, SyncCommand.self, PlanCommand.self, StatusCommand.self, ModelsCommand.self, ConflictsCommand.self,
            HistoryCommand.self, RollbackCommand.self, HoldCommand.self, UnholdCommand.self, DaemonCommand.self, KeygenCommand.self, RootCommand.self, PublishCommand.self, VerifyCommand.self, FakeCommand.self,
        ]
    )
}
