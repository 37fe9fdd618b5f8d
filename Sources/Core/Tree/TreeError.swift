/// A problem in one file of a datasource tree: the file, the line when known, and what is wrong.
///
/// Its description reads like a compiler's: `releases/2.7.1/servermodels/amon.yml:4: …`.
public struct TreeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of reference a dangling one is.
    public enum ReferenceKind: String, Sendable, Equatable {
        case parent, service, dependency
    }

    public enum Problem: Sendable, Equatable {
        case unreadable(String)
        case yaml(YAMLError)
        case unexpectedFile(String)
        case notAMapping(found: String)
        case unknownKey(String, allowed: [String])
        case missingKey(String)
        case wrongType(key: String, expected: String, found: String)
        case invalidName(key: String, value: String)
        case nameMismatch(name: String, expected: String)
        case invalidValue(key: String, value: String, expected: String)
        case invalidDefault(variable: String, type: VariableType, value: String, reason: String)
        case invalidChoices(variable: String, reason: String)
        case duplicateItem(key: String, value: String)
        case unknownVersion(release: String, version: String)
        case danglingReference(from: String, kind: ReferenceKind, name: String, release: String)
        case inheritanceCycle(release: String, models: [String])
    }

    /// The file's path relative to the tree's root.
    public let file: String
    public let line: Int?
    public let problem: Problem

    public init(file: String, line: Int? = nil, _ problem: Problem) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return "\(location): \(problemDescription)"
    }

    private var problemDescription: String {
        switch problem {
        case .unreadable(let reason):
            return "cannot be read: \(reason)"
        case .yaml(let error):
            return error.description
        case .unexpectedFile(let reason):
            return "unexpected file: \(reason); a tree holds only versions/NAME.yml, releases/R/release.yml, releases/R/applicationservices/NAME.yml and releases/R/servermodels/NAME.yml"
        case .notAMapping(let found):
            return "expected a mapping of keys to values at the top of the file, found \(found)"
        case .unknownKey(let key, let allowed):
            return "unknown key '\(key)'; the keys allowed here are: \(allowed.joined(separator: ", "))"
        case .missingKey(let key):
            return "the key '\(key)' is missing; add it"
        case .wrongType(let key, let expected, let found):
            return "'\(key)' must be \(expected), found \(found)"
        case .invalidName(let key, let value):
            return "'\(key)' is '\(value)', which is not a valid name; names match \(EntityName.pattern)"
        case .nameMismatch(let name, let expected):
            return "name is '\(name)' but the file says '\(expected)'; a file's name must equal its name (rename the file or fix the name)"
        case .invalidValue(let key, let value, let expected):
            return "'\(key)' is '\(value)'; expected \(expected)"
        case .invalidDefault(let variable, let type, let value, let reason):
            return "the default '\(value)' of variable '\(variable)' does not fit its type \(type.rawValue): \(reason)"
        case .invalidChoices(let variable, let reason):
            return "variable '\(variable)': \(reason)"
        case .duplicateItem(let key, let value):
            return "'\(value)' appears twice in '\(key)'; list it once"
        case .unknownVersion(let release, let version):
            return "release \(release) belongs to version \(version), which this tree does not define; add versions/\(version).yml"
        case .danglingReference(let from, let kind, let name, let release):
            let what = kind == .dependency ? "depends on service" : kind == .parent ? "has parent model" : "uses service"
            let folder = kind == .parent ? "servermodels" : "applicationservices"
            return "\(from) \(what) '\(name)', which release \(release) does not define; add releases/\(release)/\(folder)/\(name).yml or fix the reference"
        case .inheritanceCycle(let release, let models):
            return "models of release \(release) inherit from each other in a cycle: \((models + [models[0]]).joined(separator: " -> ")); break the cycle"
        }
    }
}

/// Every problem found in a datasource tree, sorted by file and line.
public struct TreeValidationError: Error, Sendable, CustomStringConvertible {
    public let errors: [TreeError]

    public init(_ errors: [TreeError]) {
        self.errors = errors.sorted { ($0.file, $0.line ?? 0) < ($1.file, $1.line ?? 0) }
    }

    public var description: String {
        let shown = errors.prefix(50).map { "  " + $0.description }
        let more = errors.count > 50 ? ["  … and \(errors.count - 50) more"] : []
        return "the datasource tree is invalid (\(errors.count) problem\(errors.count == 1 ? "" : "s")):\n" + (shown + more).joined(separator: "\n")
    }
}
