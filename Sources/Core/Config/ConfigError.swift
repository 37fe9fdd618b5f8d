/// A problem in the configuration file: the file, the line when known, what is wrong and what to do.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        "\(line.map { "\(file):\($0)" } ?? file): \(message)"
    }
}
