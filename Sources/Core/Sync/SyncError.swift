/// Why a sync could not run at all.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case unknownSource(String, known: [String])
    case corruptLayer(source: String, reason: String)
    /// A model to write names a variable twice (only a layer not decoded by this run can: the
    /// reader refuses duplicate keys).
    case duplicateVariable(model: ModelKey, variable: String, source: String)

    public var description: String {
        switch self {
        case .unknownSource(let name, let known):
            return "no source named '\(name)' in the configuration; configured sources: \(known.joined(separator: ", "))"
        case .corruptLayer(let source, let reason):
            return "the stored layer of source '\(source)' cannot be read back (\(reason)); run `zephir-models sync --source \(source)` after the publisher bumps its version, or restore the database"
        case .duplicateVariable(let model, let variable, let source):
            return "model \(model) of source '\(source)' has two variables named \(variable); nothing was applied: ask the publisher to fix it, or hold the source (`zephir-models hold \(source)`)"
        }
    }
}
