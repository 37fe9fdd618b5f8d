import Foundation

/// Graphviz's `dot`, found on `PATH`, turning DOT text into a picture (`models graph --format svg`).
public enum Graphviz {
    /// Why a picture could not be drawn; says what to install or do.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notInstalled
        case failed(status: Int32, message: String)

        public var description: String {
            switch self {
            case .notInstalled:
                return "Graphviz's `dot` is not on PATH: install the Debian package graphviz (apt-get install graphviz), or print DOT with --format dot"
            case .failed(let status, let message):
                return "Graphviz's `dot` failed (exit \(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines)); print DOT with --format dot to see its input"
            }
        }
    }

    /// The `dot` executable of `PATH` (from `environment`), or `nil`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        for directory in (environment["PATH"] ?? "").split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("dot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `dot -T<format>` on `source`; the picture's bytes.
    /// - Throws: ``Failure``.
    public static func render(_ source: String, format: String, dot: URL? = locate()) throws -> Data {
        guard let dot else { throw Failure.notInstalled }
        // The DOT text and dot's messages go through files: only the picture comes through a pipe.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-models-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("graph.dot"), messages = folder.appendingPathComponent("dot.stderr")
        try Data(source.utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: messages.path, contents: nil)
        let process = Process()
        process.executableURL = dot
        process.arguments = ["-T\(format)", input.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: messages)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let picture = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed(status: process.terminationStatus, message: (try? String(contentsOf: messages, encoding: .utf8)) ?? "")
        }
        return picture
    }
}
