import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// Stand-ins for the real kinds: Core's config code knows no particular source.
struct URLKind: URLSourceAdapter {
    static let kind = "remote"
    static let role = SourceRole.authority
    let config: SourceConfig
    init(config: SourceConfig) throws(ConfigError) { self.config = config }
}

struct LocalKind: SourceAdapter {
    static let kind = "local"
    static let role = SourceRole.authority
    static let needsURL = false
    init(config: SourceConfig) throws(ConfigError) {
        guard config.kindOptions["size"].flatMap(Int.init) != nil else { throw ConfigError(file: "", "'local.size' must be an integer") }
    }
    func makeTransport() throws(FetchError) -> any BundleTransport { MemoryTransport(name: "local", files: [:]) }
}

@Suite struct ConfigLoaderTests {
    let registry = SourceRegistry([URLKind.self, LocalKind.self])
    let key = PrivateKey().publicKey

    func load(_ text: String) throws(ConfigError) -> Config {
        let folder = temporaryFolder("config")
        try? Data((key.text + "\n").utf8).write(to: folder.appendingPathComponent("k.pub"))
        let path = folder.appendingPathComponent("zephir-models.yml").path
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try ConfigLoader(registry: registry).load(path: path)
    }

    func error(_ text: String) -> ConfigError? {
        do { _ = try load(text); return nil } catch { return error }
    }

    var source: String { "  - name: eole\n    kind: remote\n    url: https://eole.example/z\n    priority: 100\n    signature: {policy: required, keys: [k.pub]}\n" }

    @Test func loadsAValidConfigWithDefaults() throws {
        let config = try load("sources:\n" + source + "  - name: gen\n    kind: local\n    priority: 5\n    local: {size: 3}\n    signature: {policy: off}\n")
        #expect(config.database == "sqlite:zephir-models.db")
        #expect(config.onSourceFailure == .keepLastGood)
        #expect(config.sources.map(\.name) == ["eole", "gen"])
        #expect(config.sources[0].signature.keys == [key])
        #expect(config.sources[0].scope.map(\.pattern) == ["*"])
        #expect(config.sources[1].kindOptions == ["size": "3"])
    }

    @Test func resolvesFileURLsAndKeysAgainstTheConfigFolder() throws {
        let config = try load("sources:\n  - name: eole\n    kind: remote\n    url: file:bundles/eole\n    priority: 1\n    signature: {policy: required, keys: [k.pub, \"\(key.text)\"]}\n")
        #expect(config.sources[0].url?.hasPrefix("file:/") == true)
        #expect(config.sources[0].url?.hasSuffix("/bundles/eole") == true)
    }

    @Test func historyKeepsAHundredRunsUnlessTold() throws {
        #expect(try load("sources:\n" + source).history.keepRuns == 100)
        #expect(try load("history: {keep_runs: 3}\nsources:\n" + source).history.keepRuns == 3)
        for bad in ["0", "-2", "many", "2.5"] {
            let e = error("history: {keep_runs: \(bad)}\nsources:\n" + source)
            #expect(e?.message.contains("history.keep_runs must be a whole number of runs, at least 1") == true, "\(bad): \(String(describing: e))")
            #expect(e?.line == 1)
        }
        #expect(error("history: {keep: 3}\nsources:\n" + source)?.message.contains("keep") == true)
    }

    @Test func refusesDuplicateNamesAndPriorities() {
        #expect(error("sources:\n" + source + source)?.message.contains("two sources are named 'eole'") == true)
        let other = source.replacingOccurrences(of: "name: eole", with: "name: acme")
        let e = error("sources:\n" + source + other)
        #expect(e?.message.contains("same priority 100") == true)
        #expect(e?.line == 7)
    }

    @Test func refusesUnknownKindsAndKeys() {
        #expect(error("sources:\n" + source.replacingOccurrences(of: "kind: remote", with: "kind: ftp"))?.message.contains("unknown kind 'ftp'") == true)
        let e = error("sources:\n" + source + "    colour: blue\n")
        #expect(e?.message.contains("unknown key 'colour'") == true)
        #expect(e?.line == 7)
        #expect(error("databse: x\nsources:\n" + source)?.message.contains("unknown key 'databse'") == true)
    }

    @Test func refusesUnreadableOrMalformedKeys() {
        #expect(error("sources:\n" + source.replacingOccurrences(of: "k.pub", with: "missing.pub"))?.message.contains("cannot read the key file") == true)
        #expect(error("sources:\n" + source.replacingOccurrences(of: "[k.pub]", with: "[\"ed25519:AAAA\"]"))?.message.contains("not a usable key") == true)
    }

    @Test func refusesInvalidURLs() {
        #expect(error("sources:\n" + source.replacingOccurrences(of: "https://eole.example/z", with: "ftp://x"))?.message.contains("not a valid") == true)
        #expect(error("sources:\n" + source.replacingOccurrences(of: "    url: https://eole.example/z\n", with: ""))?.message.contains("needs a 'url'") == true)
    }

    @Test func requiresSignaturesOverPlainHTTP() {
        let plain = source.replacingOccurrences(of: "https://", with: "http://").replacingOccurrences(of: "policy: required, keys: [k.pub]", with: "policy: warn")
        #expect(error("sources:\n" + plain)?.message.contains("'signature: {policy: required}' is mandatory") == true)
    }

    @Test func refusesThresholdsNoBundleCouldMeet() {
        let e = error("sources:\n" + source.replacingOccurrences(of: "policy: required,", with: "policy: required, threshold: 2,"))
        #expect(e?.message.contains("threshold 2 is more than the 1 distinct trusted keys") == true)
        #expect(error("sources:\n" + source.replacingOccurrences(of: "keys: [k.pub]", with: "keys: []"))?.message.contains("needs at least one trusted key") == true)
    }

    @Test func refusesInvalidScopeGlobs() {
        let e = error("sources:\n" + source + "    scope: [\"2.7/a/b\"]\n")
        #expect(e?.message.contains("is not a glob") == true)
        #expect(e?.line == 7)
    }

    @Test func passesKindSettingsToTheAdapterAndReportsItsErrors() {
        let e = error("sources:\n  - name: gen\n    kind: local\n    priority: 5\n    local: {size: big}\n    signature: {policy: off}\n")
        #expect(e?.message == "source 'gen': 'local.size' must be an integer")
        #expect(e?.line == 2)
    }

    @Test func refusesAnUnknownDatabaseAndFailurePolicy() {
        #expect(error("database: mysql://x\nsources:\n" + source)?.message.contains("neither sqlite:PATH nor postgres://") == true)
        #expect(error("on_source_failure: retry\nsources:\n" + source)?.message.contains("expected keep-last-good or abort") == true)
    }

    @Test(arguments: [("*", "2.7.1", "amon", true), ("2.7.*", "2.7.1", "amon", true), ("2.7.*", "2.8.0", "amon", false),
                      ("2.7.*/acme-*", "2.7.1", "acme-fw", true), ("2.7.*/acme-*", "2.7.1", "amon", false), ("*/acme-?", "2.9", "acme-x", true)])
    func scopeGlobsMatchReleaseAndName(pattern: String, release: String, name: String, expected: Bool) {
        #expect(ScopeGlob(pattern)!.matches(release: release, name: name) == expected)
    }
}
