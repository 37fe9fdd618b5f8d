import Foundation

/// Reads and validates the configuration file (SPEC §6): unique names and priorities, known
/// kinds, readable keys, valid URLs and scope globs; every error names the key and its line.
public struct ConfigLoader: Sendable {
    public let registry: SourceRegistry

    public init(registry: SourceRegistry) { self.registry = registry }

    /// The default places, in order: `config/zephir-models.yml`, then `/etc/zephir-models/config.yml`.
    public static let defaultPaths = ["config/zephir-models.yml", "/etc/zephir-models/config.yml"]

    /// The file to read: `explicit` if given, else the first default that exists.
    public static func locate(_ explicit: String?) throws(ConfigError) -> String {
        if let explicit { return explicit }
        for path in defaultPaths where FileManager.default.fileExists(atPath: path) { return path }
        throw ConfigError(file: defaultPaths.joined(separator: " or "), "no configuration found; run `zephir-models init` to write a commented sample, or pass --config PATH")
    }

    public func load(path: String) throws(ConfigError) -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, "cannot read the configuration file; check the path (--config) and its permissions")
        }
        let root: YAMLNode
        do {
            root = try YAMLReader(limits: YAMLLimits(maxDocumentBytes: 1 << 20)).read([UInt8](data))
        } catch {
            throw ConfigError(file: path, line: error.mark?.line, error.description)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try parse(root, file: path, base: base)
    }

    func parse(_ root: YAMLNode, file: String, base: URL) throws(ConfigError) -> Config {
        let m = try wrap(file) { () throws(TreeError) in
            try MappingReader(root, file: file, allowed: ["database", "cache", "on_source_failure", "clock_skew", "lock_timeout", "history", "sources", "notify"])
        }
        let database = try wrap(file) { () throws(TreeError) in try m.optionalText("database") } ?? "sqlite:zephir-models.db"
        guard database.hasPrefix("sqlite:") || database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else {
            throw ConfigError(file: file, line: m.line("database"), "database '\(database)' is neither sqlite:PATH nor postgres://USER@HOST:PORT/DB")
        }
        let cache = try wrap(file) { () throws(TreeError) in try m.optionalText("cache") } ?? ".zephir-models-cache"
        let failureText = try wrap(file) { () throws(TreeError) in try m.optionalText("on_source_failure") } ?? SourceFailurePolicy.keepLastGood.rawValue
        guard let onFailure = SourceFailurePolicy(rawValue: failureText) else {
            throw ConfigError(file: file, line: m.line("on_source_failure"), "on_source_failure is '\(failureText)'; expected keep-last-good or abort")
        }
        let skew = try duration(m, "clock_skew", file: file) ?? 300
        let lockTimeout = try duration(m, "lock_timeout", file: file) ?? 30

        guard case .sequence(let entries, _)? = m.node("sources") else {
            throw ConfigError(file: file, line: m.line("sources"), "'sources' must be a list of sources (name, kind, url, priority, signature, scope)")
        }
        guard !entries.isEmpty else { throw ConfigError(file: file, line: m.line("sources"), "'sources' is empty; configure at least one source") }
        var sources: [SourceConfig] = []
        var names: [String: Int] = [:]
        var priorities: [Int: String] = [:]
        for entry in entries {
            let source = try parseSource(entry, file: file, base: base)
            if let first = names[source.name] {
                throw ConfigError(file: file, line: source.line, "two sources are named '\(source.name)' (first at line \(first)); names must be unique")
            }
            if let other = priorities[source.priority] {
                throw ConfigError(file: file, line: source.line, "sources '\(other)' and '\(source.name)' have the same priority \(source.priority); priorities must be unique (higher wins)")
            }
            names[source.name] = source.line ?? 0
            priorities[source.priority] = source.name
            _ = try registry.adapter(for: source, file: file)
            sources.append(source)
        }
        let notify = try parseNotify(m.node("notify"), file: file)
        let history = try parseHistory(m.node("history"), file: file)
        return Config(file: file, database: database, cache: URL(fileURLWithPath: cache).standardizedFileURL.path, onSourceFailure: onFailure,
                      clockSkew: skew, lockTimeout: .milliseconds(Int64(lockTimeout * 1000)), history: history, sources: sources, notify: notify)
    }

    private func parseSource(_ node: YAMLNode, file: String, base: URL) throws(ConfigError) -> SourceConfig {
        let line = node.mark.line
        let allowed = ["name", "kind", "url", "priority", "signature", "scope", "ca_file", "auth_file", "enabled", "timeout"] + registry.kinds
        let m = try wrap(file) { () throws(TreeError) in try MappingReader(node, file: file, allowed: allowed, context: "sources[]") }
        let name = try wrap(file) { () throws(TreeError) in try m.name("name") }
        let kind = try wrap(file) { () throws(TreeError) in try m.text("kind") }
        guard let adapterType = registry.adapters[kind] else {
            throw ConfigError(file: file, line: m.line("kind"), "source '\(name)': unknown kind '\(kind)'; known kinds: \(registry.kinds.joined(separator: ", "))")
        }
        for other in registry.kinds where other != kind && m.has(other) {
            throw ConfigError(file: file, line: m.line(other), "source '\(name)': settings '\(other):' belong to kind \(other), not \(kind)")
        }
        guard case .scalar(let p)? = m.node("priority"), p.isPlain, case .int(let priority) = PlainScalar.resolve(p.text) else {
            throw ConfigError(file: file, line: m.line("priority"), "source '\(name)': 'priority' must be an integer (unique; higher wins)")
        }
        var urls = try urlList(m, source: name, file: file)
        if adapterType.needsURL {
            guard !urls.isEmpty else {
                throw ConfigError(file: file, line: line, "source '\(name)': kind \(kind) needs a 'url' (https://…, http://…, file:…, oci://…, or a list of mirrors)")
            }
            urls = try urls.map { (u, urlLine) throws(ConfigError) in (try checkURL(u, source: name, line: urlLine, file: file, base: base), urlLine) }
        } else if !urls.isEmpty {
            throw ConfigError(file: file, line: m.line("url"), "source '\(name)': kind \(kind) is generated in process and takes no 'url'")
        }
        let signature = try parseSignature(m.node("signature"), source: name, file: file, base: base, line: m.line("signature"))
        if let plain = urls.first(where: { $0.0.hasPrefix("http://") || $0.0.hasPrefix("oci+http://") }), signature.mode != .required {
            throw ConfigError(file: file, line: plain.1, "source '\(name)': over plain http (\(plain.0)) integrity comes from signatures alone, so 'signature: {policy: required}' is mandatory")
        }
        var scope = [ScopeGlob("*")!]
        if m.has("scope") {
            let items = try wrap(file) { () throws(TreeError) in try m.textList("scope") }
            guard !items.isEmpty else { throw ConfigError(file: file, line: m.line("scope"), "source '\(name)': 'scope' is empty, so the source could define nothing; remove it or list globs") }
            scope = []
            for (text, itemLine) in items {
                guard let glob = ScopeGlob(text) else {
                    throw ConfigError(file: file, line: itemLine, "source '\(name)': scope '\(text)' is not a glob over RELEASE/NAME (e.g. \"*\", \"2.7.*\", \"2.7.*/acme-*\")")
                }
                scope.append(glob)
            }
        }
        let caFile = try readableFile(m, "ca_file", source: name, file: file, base: base)
        let authFile = try readableFile(m, "auth_file", source: name, file: file, base: base)
        let timeout = try duration(m, "timeout", file: file)
        var options: [String: String] = [:]
        if let node = m.node(kind) {
            guard case .mapping(let pairs, _) = node else {
                throw ConfigError(file: file, line: node.mark.line, "source '\(name)': '\(kind):' must be a mapping of settings")
            }
            for (key, value) in pairs {
                guard case .scalar(let s) = value else {
                    throw ConfigError(file: file, line: value.mark.line, "source '\(name)': '\(kind).\(key.text)' must be a single value")
                }
                options[key.text] = s.text
            }
        }
        return SourceConfig(name: name, kind: kind, urls: urls.map(\.0), authFile: authFile, priority: priority, signature: signature, scope: scope, caFile: caFile,
                            enabled: try wrap(file) { () throws(TreeError) in try m.optionalBool("enabled") } ?? true,
                            timeout: timeout.map { .milliseconds(Int64($0 * 1000)) }, kindOptions: options, line: line)
    }

    /// `url:` as one URL or a list of mirrors, each with its line.
    private func urlList(_ m: MappingReader, source: String, file: String) throws(ConfigError) -> [(String, Int)] {
        guard let node = m.node("url") else { return [] }
        if case .sequence = node {
            let items = try wrap(file) { () throws(TreeError) in try m.textList("url") }
            guard !items.isEmpty else { throw ConfigError(file: file, line: m.line("url"), "source '\(source)': 'url' is an empty list; give one URL or its mirrors") }
            var seen: Set<String> = []
            for (url, line) in items where !seen.insert(url).inserted {
                throw ConfigError(file: file, line: line, "source '\(source)': mirror \(url) is listed twice")
            }
            return items
        }
        return [(try wrap(file) { () throws(TreeError) in try m.text("url") }, m.line("url"))]
    }

    /// A file named relative to the configuration, made absolute; it must be readable.
    private func readableFile(_ m: MappingReader, _ key: String, source: String, file: String, base: URL) throws(ConfigError) -> String? {
        guard let path = try wrap(file, { () throws(TreeError) in try m.optionalText(key) }) else { return nil }
        let resolved = path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
        guard FileManager.default.isReadableFile(atPath: resolved) else {
            throw ConfigError(file: file, line: m.line(key), "source '\(source)': \(key) \(resolved) cannot be read")
        }
        return resolved
    }

    private func checkURL(_ url: String, source: String, line: Int, file: String, base: URL) throws(ConfigError) -> String {
        do {
            return try Self.normalizeURL(url, base: base)
        } catch {
            throw ConfigError(file: file, line: line, "source '\(source)': \(error.message)")
        }
    }

    /// A source's URL checked and made absolute: `file:` URLs and plain paths relative to
    /// `base`, `https:`/`http:` with a host, `oci:`/`oci+http:` references (SPEC §5.2).
    public static func normalizeURL(_ url: String, base: URL) throws(ConfigError) -> String {
        if url.hasPrefix("file:") || (!url.contains("://") && !url.isEmpty && !url.hasPrefix("oci:")) {
            let path = url.hasPrefix("file:") ? FileTransport.path(of: url) : url
            return "file:" + (path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path)
        }
        if url.hasPrefix("https://") || url.hasPrefix("http://"), let parsed = URL(string: url), parsed.host?.isEmpty == false {
            return url
        }
        if url.hasPrefix("oci://") || url.hasPrefix("oci+http://") {
            do { _ = try OCIReference(url) } catch { throw ConfigError(file: "", line: nil, error.description) }
            return url
        }
        throw ConfigError(file: "", line: nil, "url '\(url)' is not a valid https://, http://, file: or oci:// URL, nor a path")
    }

    private func parseSignature(_ node: YAMLNode?, source: String, file: String, base: URL, line: Int) throws(ConfigError) -> SignaturePolicy {
        guard let node else {
            throw ConfigError(file: file, line: line, "source '\(source)': 'signature' is missing; write e.g. signature: {policy: required, threshold: 1, keys: [keys/\(source).pub]}")
        }
        let m = try wrap(file) { () throws(TreeError) in try MappingReader(node, file: file, allowed: ["policy", "threshold", "keys", "root"], context: "signature") }
        let policyText = try wrap(file) { () throws(TreeError) in try m.text("policy") }
        guard let mode = SignaturePolicy.Mode(rawValue: policyText) else {
            throw ConfigError(file: file, line: m.line("policy"), "source '\(source)': signature policy '\(policyText)'; expected required, warn or off")
        }
        if m.has("root") {
            return try parsePinnedRoot(m, mode: mode, source: source, file: file, base: base)
        }
        var keys: [PublicKey] = []
        for (text, keyLine) in try wrap(file, { () throws(TreeError) in try m.textList("keys") }) {
            do {
                if text.hasPrefix("ed25519:") {
                    keys.append(try PublicKey(text: text, origin: "\(file):\(keyLine)"))
                } else {
                    keys.append(try PublicKey(contentsOf: text.hasPrefix("/") ? text : base.appendingPathComponent(text).path))
                }
            } catch {
                throw ConfigError(file: file, line: keyLine, "source '\(source)': \(error.description)")
            }
        }
        var threshold = 1
        if let t = m.node("threshold") {
            guard case .scalar(let s) = t, s.isPlain, case .int(let n) = PlainScalar.resolve(s.text), n >= 1 else {
                throw ConfigError(file: file, line: t.mark.line, "source '\(source)': threshold must be a positive integer")
            }
            threshold = n
        }
        if mode == .required {
            guard !keys.isEmpty else { throw ConfigError(file: file, line: m.line("policy"), "source '\(source)': policy required needs at least one trusted key in 'keys'") }
            guard threshold <= Set(keys.map(\.keyID)).count else {
                throw ConfigError(file: file, line: m.line("threshold"), "source '\(source)': threshold \(threshold) is more than the \(Set(keys.map(\.keyID)).count) distinct trusted keys; no bundle could pass")
            }
        }
        return SignaturePolicy(mode: mode, threshold: threshold, keys: keys)
    }

    /// `signature: {policy: required, root: FILE}` (SPEC §5.1): the pinned root document, which
    /// must be signed by a threshold of its own root keys, name this source and not be combined
    /// with `keys:`/`threshold:`.
    private func parsePinnedRoot(_ m: MappingReader, mode: SignaturePolicy.Mode, source: String, file: String, base: URL) throws(ConfigError) -> SignaturePolicy {
        let line = m.line("root")
        for key in ["keys", "threshold"] where m.has(key) {
            throw ConfigError(file: file, line: m.line(key), "source '\(source)': 'signature' has both 'root' and '\(key)'; with a pinned root the index keys come from the root: remove '\(key)'")
        }
        guard mode == .required else {
            throw ConfigError(file: file, line: m.line("policy"), "source '\(source)': a pinned root needs 'policy: required' (the root says which keys must sign)")
        }
        guard let text = try wrap(file, { () throws(TreeError) in try m.optionalText("root") }) else {
            throw ConfigError(file: file, line: line, "source '\(source)': 'root' must be the path of a root document (e.g. keys/\(source).root.json)")
        }
        let path = text.hasPrefix("/") ? text : base.appendingPathComponent(text).path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: file, line: line, "source '\(source)': cannot read the pinned root \(path); copy root/1.json (or a later root) from the publisher there")
        }
        let root: TrustedRoot
        do { root = try TrustedRoot.pinned(bytes, file: path) } catch {
            throw ConfigError(file: file, line: line, "source '\(source)': the pinned root is not usable (\(error.reason)): \(error.description)")
        }
        guard root.document.source == source else {
            throw ConfigError(file: file, line: line, "source '\(source)': the pinned root \(path) is a root of source '\(root.document.source)'; pin this publisher's root")
        }
        return SignaturePolicy(mode: .required, threshold: root.document.index.threshold, keys: (try? root.document.index.publicKeys()) ?? [], root: root)
    }

    private func parseNotify(_ node: YAMLNode?, file: String) throws(ConfigError) -> [NotifySink] {
        guard let node else { return [] }
        guard case .sequence(let items, _) = node else { throw ConfigError(file: file, line: node.mark.line, "'notify' must be a list of {webhook: URL} or {command: PATH}") }
        var sinks: [NotifySink] = []
        for item in items {
            let m = try wrap(file) { () throws(TreeError) in try MappingReader(item, file: file, allowed: ["webhook", "command"], context: "notify[]") }
            if let hook = try wrap(file, { () throws(TreeError) in try m.optionalText("webhook") }) {
                guard hook.hasPrefix("https://") || hook.hasPrefix("http://"), URL(string: hook) != nil else {
                    throw ConfigError(file: file, line: m.line("webhook"), "webhook '\(hook)' is not an http(s) URL")
                }
                sinks.append(.webhook(hook))
            } else if let command = try wrap(file, { () throws(TreeError) in try m.optionalText("command") }) {
                sinks.append(.command(command))
            } else {
                throw ConfigError(file: file, line: item.mark.line, "a notify entry needs 'webhook' or 'command'")
            }
        }
        return sinks
    }

    /// `history: {keep_runs: N}` (SPEC §8), N ≥ 1.
    private func parseHistory(_ node: YAMLNode?, file: String) throws(ConfigError) -> HistoryPolicy {
        guard let node else { return HistoryPolicy() }
        let m = try wrap(file) { () throws(TreeError) in try MappingReader(node, file: file, allowed: ["keep_runs"], context: "history") }
        guard let value = m.node("keep_runs") else { return HistoryPolicy() }
        guard case .scalar(let k) = value, k.isPlain, case .int(let runs) = PlainScalar.resolve(k.text), runs >= 1 else {
            throw ConfigError(file: file, line: m.line("keep_runs"),
                              "history.keep_runs must be a whole number of runs, at least 1 (default \(HistoryPolicy.defaultKeepRuns)): the runs `rollback --to` can restore")
        }
        return HistoryPolicy(keepRuns: runs)
    }

    private func duration(_ m: MappingReader, _ key: String, file: String) throws(ConfigError) -> TimeInterval? {
        guard let text = try wrap(file, { () throws(TreeError) in try m.optionalText(key) }) else { return nil }
        guard let seconds = DurationText.seconds(text) else {
            throw ConfigError(file: file, line: m.line(key), "'\(key)' is '\(text)'; expected a duration such as 30s, 5m, 12h")
        }
        return seconds
    }

    /// Turns the tree reader's errors into configuration errors (same file and line).
    private func wrap<T>(_ file: String, _ body: () throws(TreeError) -> T) throws(ConfigError) -> T {
        do {
            return try body()
        } catch {
            let text = error.description
            let prefix = error.line.map { "\(file):\($0): " } ?? "\(file): "
            throw ConfigError(file: file, line: error.line, text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        }
    }
}
