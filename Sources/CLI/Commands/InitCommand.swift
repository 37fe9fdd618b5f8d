import ArgumentParser
import Foundation
import ZephirCore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Writes a commented sample configuration if none exists, and creates or migrates the database.",
        discussion: """
        Without an existing file at --config (default: config/zephir-models.yml), writes the sample there and stops so that you can fill in your sources and keys; run `init` again to create the database.

        Example:
          zephir-models init --config /etc/zephir-models/config.yml
        """
    )

    @Option(help: ArgumentHelp("Where the configuration is, or is to be written.", valueName: "path"))
    var config = ConfigLoader.defaultPaths[0]

    func run() async throws {
        try await ExitStatus.guarded {
            if !FileManager.default.fileExists(atPath: config) {
                let folder = URL(fileURLWithPath: config).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try FileOutput.writeExclusive(Data(SampleConfig.text.utf8), to: config, mode: 0o644)
                Terminal.print("wrote a sample configuration to \(config): edit its sources and keys, then run `zephir-models init --config \(config)` again")
                return
            }
            let (loaded, store) = try Bootstrap.open(config)
            try await store.migrate()
            Terminal.print("database \(loaded.database) is ready (\(loaded.sources.count) sources configured); next: `zephir-models sync --config \(config)`")
        }
    }
}
