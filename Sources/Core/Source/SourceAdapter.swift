/// A kind of source (SPEC §6 `kind:`): it says *where* a source's bundle is and *what* the
/// source may define; Core's ``SourceFetcher`` says how it is trusted.
///
/// Adapters know nothing of the store. Register one in ``SourceRegistry``.
public protocol SourceAdapter: Sendable {
    /// The `kind:` value that selects this adapter.
    static var kind: String { get }
    /// What sources of this kind may define.
    static var role: SourceRole { get }
    /// Whether the kind needs a `url:`.
    static var needsURL: Bool { get }

    /// Checks the kind's own settings; `config.kindOptions` holds them. The registry adds the
    /// file, line and source name to the error, so its message says only what is wrong.
    init(config: SourceConfig) throws(ConfigError)

    /// The transport that reads this source's bundle for one run.
    func makeTransport() throws(FetchError) -> any BundleTransport

    /// One transport per mirror of the source (SPEC §5.2), in the configured order; a mirror
    /// whose transport cannot be made is one that failed. By default, ``makeTransport()`` alone.
    func makeTransports() -> [SourceMirror]
}

extension SourceAdapter {
    public func makeTransports() -> [SourceMirror] {
        [SourceMirror(name: Self.kind, transport: Result { () throws(FetchError) in try makeTransport() })]
    }
}

/// The adapters this program knows, keyed by kind, chosen in one place (like swift-log's bootstrap).
public struct SourceRegistry: Sendable {
    public let adapters: [String: any SourceAdapter.Type]

    public init(_ adapters: [any SourceAdapter.Type]) {
        self.adapters = Dictionary(adapters.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var kinds: [String] { adapters.keys.sorted() }

    /// The adapter of a configured source.
    public func adapter(for config: SourceConfig, file: String) throws(ConfigError) -> any SourceAdapter {
        guard let type = adapters[config.kind] else {
            throw ConfigError(file: file, line: config.line, "source '\(config.name)': unknown kind '\(config.kind)'; known kinds: \(kinds.joined(separator: ", "))")
        }
        do {
            return try type.init(config: config)
        } catch {
            throw ConfigError(file: file, line: error.line ?? config.line, "source '\(config.name)': \(error.message)")
        }
    }
}

extension SourceRegistry {
    /// The adapter of every enabled source of `config`, by source name.
    public func adapters(for config: Config) throws(ConfigError) -> [String: any SourceAdapter] {
        var adapters: [String: any SourceAdapter] = [:]
        for source in config.sources where source.enabled {
            adapters[source.name] = try adapter(for: source, file: config.file)
        }
        return adapters
    }
}

/// An adapter that reads a bundle from the source's URL (`file:`, `http:`, `https:`).
public protocol URLSourceAdapter: SourceAdapter {
    var config: SourceConfig { get }
}

extension URLSourceAdapter {
    public static var needsURL: Bool { true }

    public func makeTransport() throws(FetchError) -> any BundleTransport {
        guard let url = config.url else { throw .unsupportedURL("(none)") }
        return try Transports.make(for: url, options: config.transportOptions)
    }

    public func makeTransports() -> [SourceMirror] {
        config.urls.map { url in
            SourceMirror(name: url, transport: Result { () throws(FetchError) in try Transports.make(for: url, options: config.transportOptions) })
        }
    }
}
