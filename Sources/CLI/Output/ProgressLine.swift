import Foundation
import ZephirCore

/// One status line on stderr, rewritten in place, while a long sync runs; only when both
/// stdout and stderr are terminals (never in a pipe, a log or a timer's journal).
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String] = []
    private var done = 0
    private var bytes = 0
    private var shown = false

    static func make(enabled: Bool) -> ProgressLine? {
        enabled && isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
    }

    func update(_ event: SyncProgress) {
        lock.lock()
        defer { lock.unlock() }
        let text: String
        switch event {
        case .fetching(let source):
            running.append(source)
            text = status()
        case .fetched(let attempt):
            running.removeAll { $0 == attempt.source }
            done += 1
            bytes += attempt.bytesFetched
            text = status() + "  (\(attempt.source): \(attempt.result.rawValue), \(attempt.filesFetched) files)"
        case .resolving(let layers, let models):
            text = "resolving \(models) models from \(layers) source layers…"
        case .applying(let models):
            text = "applying: \(models) models to write in one transaction…"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    /// Clears the line before the report is printed.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func status() -> String {
        "fetching: \(done) done, \(ByteCount.text(bytes)) downloaded" + (running.isEmpty ? "" : "; now \(running.joined(separator: ", "))…")
    }
}
