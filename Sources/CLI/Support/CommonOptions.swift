import ArgumentParser

/// `--config` and `--json`, shared by the commands that read the configuration.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", discussion: "Default: config/zephir-models.yml, then /etc/zephir-models/config.yml.", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: "Print stable JSON on stdout (messages stay on stderr).")
    var json = false
}
