import Foundation

/// `psql`, PostgreSQL's client (installed with the server), run on a test server from outside
/// the program under test: to drop a test's schema, or to look at the server while a sync runs.
public enum PSQL {
    /// Runs `commands` (one `-c` each, stopping at the first error) on `server`, unaligned and
    /// without headers; `nil` when `psql` cannot be started.
    /// - Returns: its exit status and its standard output, trimmed.
    @discardableResult
    public static func run(_ server: String, _ commands: [String]) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", server] + commands.flatMap { ["-c", $0] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
