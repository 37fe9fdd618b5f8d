import Foundation

/// One configured source (SPEC §6 `sources:`), validated.
public struct SourceConfig: Sendable {
    public var name: String
    public var kind: String
    /// Where the bundle is served (SPEC §5.2): one URL, or several mirrors of the same bundle, in
    /// the configured order; `https:`, `http:`, `file:` (paths already made absolute; a path
    /// ending in `.tar` or `.tar.gz` is an archive), `oci:` or `oci+http:`. Empty for in-process kinds.
    public var urls: [String]
    /// A docker `config.json` holding the credentials of the source's OCI registry (absolute path).
    public var authFile: String?
    public var priority: Int
    public var signature: SignaturePolicy
    public var scope: [ScopeGlob]
    public var caFile: String?
    public var enabled: Bool
    public var timeout: Duration?
    /// The kind's own settings (the mapping under the key named after the kind), as text.
    public var kindOptions: [String: String]
    /// The line of the source's entry, for messages.
    public var line: Int?

    public init(name: String, kind: String, url: String? = nil, urls: [String] = [], authFile: String? = nil, priority: Int, signature: SignaturePolicy, scope: [ScopeGlob] = [ScopeGlob("*")!],
                caFile: String? = nil, enabled: Bool = true, timeout: Duration? = nil, kindOptions: [String: String] = [:], line: Int? = nil) {
        self.name = name
        self.kind = kind
        self.urls = urls.isEmpty ? url.map { [$0] } ?? [] : urls
        self.authFile = authFile
        self.priority = priority
        self.signature = signature
        self.scope = scope
        self.caFile = caFile
        self.enabled = enabled
        self.timeout = timeout
        self.kindOptions = kindOptions
        self.line = line
    }

    /// The first of ``urls`` (the only one for a source without mirrors); setting it replaces them all.
    public var url: String? {
        get { urls.first }
        set { urls = newValue.map { [$0] } ?? [] }
    }

    /// Transport options for this source.
    public var transportOptions: TransportOptions {
        var options = TransportOptions(caFile: caFile)
        options.authFile = authFile
        if let timeout { options.requestTimeout = timeout }
        return options
    }
}

/// A notification sink (SPEC §6 `notify:`).
public enum NotifySink: Sendable, Hashable, CustomStringConvertible {
    case webhook(String)
    case command(String)

    /// `webhook:URL` or `command:COMMAND`: how the outbox names the sink.
    public var description: String {
        switch self {
        case .webhook(let url): return "webhook:" + url
        case .command(let command): return "command:" + command
        }
    }

    /// Parses ``description``.
    public init?(_ text: String) {
        if text.hasPrefix("webhook:") { self = .webhook(String(text.dropFirst(8))) }
        else if text.hasPrefix("command:") { self = .command(String(text.dropFirst(8))) }
        else { return nil }
    }
}

/// What to do when a source fails (SPEC §6).
public enum SourceFailurePolicy: String, Sendable, Hashable, CaseIterable {
    case keepLastGood = "keep-last-good"
    case abort
}

/// The whole configuration, validated (SPEC §6).
public struct Config: Sendable {
    /// The file it was read from.
    public var file: String
    public var database: String
    /// Absolute path of the cache of fetched files.
    public var cache: String
    public var onSourceFailure: SourceFailurePolicy
    /// Allowance for clocks when checking expiry.
    public var clockSkew: TimeInterval
    /// How long a run waits for another run's lock before giving up (exit 3).
    public var lockTimeout: Duration
    /// How many runs keep their layer history.
    public var history: HistoryPolicy
    public var sources: [SourceConfig]
    public var notify: [NotifySink]

    public init(file: String, database: String, cache: String, onSourceFailure: SourceFailurePolicy = .keepLastGood, clockSkew: TimeInterval = 300,
                lockTimeout: Duration = .seconds(30), history: HistoryPolicy = HistoryPolicy(), sources: [SourceConfig], notify: [NotifySink] = []) {
        self.file = file
        self.database = database
        self.cache = cache
        self.onSourceFailure = onSourceFailure
        self.clockSkew = clockSkew
        self.lockTimeout = lockTimeout
        self.history = history
        self.sources = sources
        self.notify = notify
    }
}
