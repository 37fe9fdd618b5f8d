import Foundation

/// Where output goes: results on stdout, messages on stderr.
enum Terminal {
    static func print(_ text: String, terminator: String = "\n") {
        out(Data((text + terminator).utf8))
    }

    /// Writes bytes as they are (a picture).
    static func write(_ data: Data) {
        out(data)
    }

    static func error(_ text: String) {
        err(Data(("error: " + text + "\n").utf8))
    }

    /// A message for the person at the terminal, on stderr so that stdout stays the result.
    static func note(_ text: String) {
        err(Data((text + "\n").utf8))
    }

    static func warn(_ text: String) {
        err(Data(("warning: " + text + "\n").utf8))
    }

    /// Stable JSON for `--json`: sorted keys, one document.
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        out(data + Data("\n".utf8))
    }

    /// Writes a result; when its reader has gone (`zephir-models models list | head`), stops
    /// quietly, as Unix tools do, instead of trapping on the broken pipe.
    private static func out(_ data: Data) {
        signal(SIGPIPE, SIG_IGN)
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            exit(0)
        }
    }

    private static func err(_ data: Data) {
        try? FileHandle.standardError.write(contentsOf: data)
    }
}
