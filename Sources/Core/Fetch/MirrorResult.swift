/// How one mirror of a source fared in a run (SPEC §5.2): what `status` shows per mirror and
/// what the run's `mirror-*` conflicts say.
public struct MirrorResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// It served the version the run took (or the same as installed).
        case served
        /// It served an older valid index than another mirror.
        case stale
        /// It could not be reached or read, or failed mid-way while serving a file.
        case unavailable
        /// It served what does not verify (a forged index, a tampered file).
        case rejected
    }

    /// The mirror's URL, as configured.
    public var mirror: String
    public var status: Status
    /// The version its index offered, when one verified.
    public var version: Int?
    /// The stable token of the failure (``FetchError/reason``, ``TrustError/reason``).
    public var reason: String?
    /// What went wrong, for people.
    public var detail: String?

    public init(mirror: String, status: Status, version: Int? = nil, reason: String? = nil, detail: String? = nil) {
        self.mirror = mirror
        self.status = status
        self.version = version
        self.reason = reason
        self.detail = detail
    }
}

/// One place a source's bundle is served from, and the transport that reads it (or why none
/// could be made for it).
public struct SourceMirror: Sendable {
    /// The URL as configured, to name the mirror in messages.
    public var name: String
    public var transport: Result<any BundleTransport, FetchError>

    public init(name: String, transport: Result<any BundleTransport, FetchError>) {
        self.name = name
        self.transport = transport
    }
}
