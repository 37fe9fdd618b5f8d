/// Why a sync could not run at all.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case unknownSource(String, known: [String])
    case corruptLayer(source: String, reason: String)

    public var description: String {
        switch self {
        case .unknownSource(let name, let known):
            return "no source named '\(name)' in the configuration; configured sources: \(known.joined(separator: ", "))"
        case .corruptLayer(let source, let reason):
            return "the stored layer of source '\(source)' cannot be read back (\(reason)); run `zephir-models sync --source \(source)` after the publisher bumps its version, or restore the database"
        }
    }
}
