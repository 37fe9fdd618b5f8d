/// An annotation a sync run writes (SPEC §7): what happened, to what, from which sources.
///
/// In JSON its ``Fields`` appear flattened beside `detail` (`"kind": "shadowed", "winner": …`).
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
        case mirrorUnavailable = "mirror-unavailable"
        case mirrorStale = "mirror-stale"

        /// The severity SPEC §7 gives the kind (`shadowed` is `info` when the copies are identical).
        public var defaultSeverity: Severity {
            switch self {
            case .sourceRejected, .danglingReference, .inheritanceCycle, .parentRemoved, .overrideInvalidValue, .nameCollision: return .error
            case .shadowed, .outOfScope, .sourceUnavailable, .unsignedAccepted, .overrideUnknownVariable, .serviceMissing, .mirrorUnavailable: return .warning
            case .parentUpdated, .overrideRedundant, .mirrorStale: return .info
            }
        }

        /// Whether the kind is about a source's fetch rather than the resolution.
        public var isSourceLevel: Bool {
            self == .sourceRejected || self == .sourceUnavailable || self == .unsignedAccepted || self == .mirrorUnavailable || self == .mirrorStale
        }
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
    /// What a program needs, per kind (SPEC §7 last paragraph); empty for conflicts stored before them.
    public var fields: Fields

    public init(kind: Kind, severity: Severity? = nil, subject: String, sources: [String] = [], detail: String, fields: Fields = Fields()) {
        self.kind = kind
        self.severity = severity ?? kind.defaultSeverity
        self.subject = subject
        self.sources = sources
        self.detail = detail
        self.fields = fields
    }

    private enum CodingKeys: String, CodingKey { case kind, severity, subject, sources, detail }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        severity = try container.decode(Severity.self, forKey: .severity)
        subject = try container.decode(String.self, forKey: .subject)
        sources = try container.decode([String].self, forKey: .sources)
        detail = try container.decode(String.self, forKey: .detail)
        fields = try Fields(from: decoder)
    }

    /// Encodes the conflict's keys and, in the same object, its fields that are set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(severity, forKey: .severity)
        try container.encode(subject, forKey: .subject)
        try container.encode(sources, forKey: .sources)
        try container.encode(detail, forKey: .detail)
        try fields.encode(to: encoder)
    }
}

extension Conflict {
    /// The structured fields of a conflict, per kind; a field a kind does not use is `nil` and
    /// left out of JSON. Entities are named as subjects are: a version or release name,
    /// `RELEASE/NAME` for a model, `RELEASE/service/NAME` for a service.
    public struct Fields: Sendable, Hashable, Codable {
        /// `shadowed`: the source in force.
        public var winner: String?
        /// `shadowed`: the sources whose copies are ignored, highest priority first.
        public var losers: [String]?
        /// `out-of-scope` when the source's `scope:` refused: its globs, none of which allows the key.
        public var scope: [String]?
        /// `out-of-scope` when the source's kind refused: its role (`addon` may not define versions and releases).
        public var role: String?
        /// `inheritance-cycle`: the models of the cycle in order, each the parent of the one before; the last's parent is the first.
        public var members: [String]?
        /// `dangling-reference`: what is missing.
        public var missing: Reference?
        /// `override-*`: the variable the child sets.
        public var variable: String?
        /// `override-*`: the child's value.
        public var value: String?
        /// `override-invalid-value`: the variable's type (with ``choices`` for `choice`);
        /// `override-redundant`: the parent's default, which the value equals.
        public var expected: String?
        /// `override-invalid-value` of a `choice` variable: the values it accepts.
        public var choices: [String]?
        /// `source-rejected`, `unsigned-accepted`: the stable token of ``TrustError/reason``
        /// (`digest-mismatch`, `invalid-tree`, …); `source-unavailable`: ``FetchError/reason``.
        public var reason: String?
        /// `parent-removed`: the ancestor no longer in force (or where a loop of local parents closes);
        /// `parent-updated`: the root ancestor that changed.
        public var parent: String?
        /// `service-missing`: the service the child adds, which its release no longer has.
        public var service: String?
        /// `mirror-unavailable`, `mirror-stale`, and `source-rejected` when one mirror of several
        /// served what does not verify: the mirror's URL (SPEC §5.2).
        public var mirror: String?
        /// `mirror-stale`: the version the mirror serves; ``newest`` the one another mirror serves.
        public var version: Int?
        public var newest: Int?

        public init(winner: String? = nil, losers: [String]? = nil, scope: [String]? = nil, role: String? = nil, members: [String]? = nil,
                    missing: Reference? = nil, variable: String? = nil, value: String? = nil, expected: String? = nil,
                    choices: [String]? = nil, reason: String? = nil, parent: String? = nil, service: String? = nil,
                    mirror: String? = nil, version: Int? = nil, newest: Int? = nil) {
            self.winner = winner
            self.losers = losers
            self.scope = scope
            self.role = role
            self.members = members
            self.missing = missing
            self.variable = variable
            self.value = value
            self.expected = expected
            self.choices = choices
            self.reason = reason
            self.parent = parent
            self.service = service
            self.mirror = mirror
            self.version = version
            self.newest = newest
        }

        /// Whether no field is set (a conflict stored before the fields existed, or a kind without any).
        public var isEmpty: Bool { self == Fields() }
    }

    /// What a `dangling-reference` conflict's subject references and does not find.
    public struct Reference: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
            /// A release's version.
            case version
            /// A service's or model's release.
            case release
            /// A model's parent.
            case parent
            /// A service a model uses.
            case service
            /// A service another service depends on.
            case dependency
        }

        public var kind: Kind
        /// The missing entity, named as subjects are.
        public var name: String

        public init(_ kind: Kind, _ name: String) {
            self.kind = kind
            self.name = name
        }
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
