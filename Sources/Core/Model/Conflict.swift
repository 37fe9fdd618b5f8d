/// An annotation a sync run writes (SPEC §7): what happened, to what, from which sources.
public struct Conflict: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case shadowed
        case outOfScope = "out-of-scope"
        case sourceRejected = "source-rejected"
        case sourceUnavailable = "source-unavailable"
        case unsignedAccepted = "unsigned-accepted"
        case danglingReference = "dangling-reference"
        case inheritanceCycle = "inheritance-cycle"
        case parentRemoved = "parent-removed"
        case parentUpdated = "parent-updated"
        case overrideUnknownVariable = "override-unknown-variable"
        case overrideInvalidValue = "override-invalid-value"
        case overrideRedundant = "override-redundant"
        case serviceMissing = "service-missing"
        case nameCollision = "name-collision"

        /// The severity SPEC §7 gives the kind (`shadowed` is `info` when the copies are identical).
        public var defaultSeverity: Severity {
            switch self {
            case .sourceRejected, .danglingReference, .inheritanceCycle, .parentRemoved, .overrideInvalidValue, .nameCollision: return .error
            case .shadowed, .outOfScope, .sourceUnavailable, .unsignedAccepted, .overrideUnknownVariable, .serviceMissing: return .warning
            case .parentUpdated, .overrideRedundant: return .info
            }
        }

        /// Whether the kind is about a source's fetch rather than the resolution.
        public var isSourceLevel: Bool { self == .sourceRejected || self == .sourceUnavailable || self == .unsignedAccepted }
    }

    public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case info, warning, error

        public static func < (a: Severity, b: Severity) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var kind: Kind
    public var severity: Severity
    /// `RELEASE/NAME`, `RELEASE/service/NAME`, a source name, a version or release name, or a file.
    public var subject: String
    /// The sources involved, the winner first where there is one.
    public var sources: [String]
    /// One sentence a person can act on.
    public var detail: String

    public init(kind: Kind, severity: Severity? = nil, subject: String, sources: [String] = [], detail: String) {
        self.kind = kind
        self.severity = severity ?? kind.defaultSeverity
        self.subject = subject
        self.sources = sources
        self.detail = detail
    }
}

/// A conflict as stored: with its id and the run that wrote it.
public struct StoredConflict: Sendable, Hashable, Codable {
    public var id: Int64
    public var run: Int64
    public var acknowledged: Bool
    public var conflict: Conflict

    public init(id: Int64, run: Int64, acknowledged: Bool, conflict: Conflict) {
        self.id = id
        self.run = run
        self.acknowledged = acknowledged
        self.conflict = conflict
    }
}
