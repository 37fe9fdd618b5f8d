import Foundation

/// The built `zephir-models` executable, which tests run as a separate process as an operator would.
public enum ZephirExecutable {
    /// The repository's root (for the shipped demo config and systemd units).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Beside the test bundle (`swift test` builds it there), else under `.build/debug`.
    public static let url: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("zephir-models")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repository.appendingPathComponent(".build/debug/zephir-models")
    }()

    /// Whether the executable exists (a test that needs it is skipped, saying so, when it does not).
    public static var exists: Bool { FileManager.default.isExecutableFile(atPath: url.path) }
}
