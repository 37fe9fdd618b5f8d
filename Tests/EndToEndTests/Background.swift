import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A process of the test, stopped when the test ends whatever happens.
final class Background: @unchecked Sendable {
    let process = Process()

    init(_ executable: String, _ arguments: [String], in directory: URL, log: URL) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        FileManager.default.createFile(atPath: log.path, contents: nil)
        // Never the test runner's pipes: a process left behind would hold `swift test` open.
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Sends `signal`, waits up to `seconds` for the exit (without holding a thread of the shared
    /// pool); `nil` if it did not exit in time.
    func stop(_ signal: Int32 = SIGKILL, within seconds: TimeInterval = 10) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL, without waiting (for a `defer`).
    func forceStop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// GET `url`: status and body, or `nil` when nothing answers.
func httpGet(_ url: String) async -> (status: Int, body: String)? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 5
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, String(decoding: data, as: UTF8.self))
}

/// Polls `probe` every 200 ms until it returns a value or `seconds` pass.
func eventually<T>(within seconds: TimeInterval, _ probe: () async throws -> T?) async rethrows -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = try await probe() { return value }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return nil
}
