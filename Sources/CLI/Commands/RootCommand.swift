import ArgumentParser
import Foundation
import ZephirCore

struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "Writes a publisher's trust roots: the offline keys that say which keys sign the index.",
        discussion: """
        A root document (root/N.json in the bundle folder) names the root keys, which sign the next root, and the index keys, which sign index.json. Operators pin one root once; every sync then follows the chain root/2.json, root/3.json… so that a publisher rotates its keys without any operator editing a configuration. Keep the root keys offline; the index keys are the ones `publish --key` uses.

        Example:
          zephir-models root create --source eole --root-key offline/root-a.key --root-threshold 1 --index-pub keys/index-2026.pub --index-threshold 1 --expires 365d --out /srv/www/zephir/eole
        """,
        subcommands: [RootCreateCommand.self, RootRotateCommand.self]
    )
}

struct RootCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Writes DIR/root/1.json, the first root of a source.",
        discussion: """
        The root is signed by every --root-key given, whose public keys become its root keys; --index-pub names the keys that may sign index.json. Give root/1.json to the operators, who pin it with `signature: {policy: required, root: keys/SOURCE.root.json}`. Refuses a folder that already holds roots.

        Example:
          zephir-models root create --source eole --root-key offline/root-a.key --root-key offline/root-b.key --root-threshold 2 --index-pub keys/index-2026.pub --index-threshold 1 --expires 365d --out /srv/www/zephir/eole
        """
    )

    @Option(help: "The source name operators configure for this publisher.")
    var source: String

    @Option(name: .customLong("root-key"), help: ArgumentHelp("A private root key file; it signs this root and becomes one of its root keys (repeatable).", valueName: "KEY"))
    var rootKeys: [String]

    @Option(name: .customLong("root-threshold"), help: "How many root keys must sign the next root.")
    var rootThreshold: Int

    @Option(name: .customLong("index-pub"), help: ArgumentHelp("A public index key: a .pub file or `ed25519:BASE64` (repeatable).", valueName: "PUB"))
    var indexPubs: [String]

    @Option(name: .customLong("index-threshold"), help: "How many index keys must sign index.json.")
    var indexThreshold: Int

    @Option(help: ArgumentHelp("When the root expires: RFC 3339 time or a duration from now (365d).", valueName: "WHEN"))
    var expires: String

    @Option(help: ArgumentHelp("The bundle folder; root/1.json is written in it.", valueName: "DIR"))
    var out: String

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard !rootKeys.isEmpty else { throw ValidationError("give at least one --root-key") }
        guard !indexPubs.isEmpty else { throw ValidationError("give at least one --index-pub") }
        guard DurationText.date(expires, from: Date()) != nil else {
            throw ValidationError("--expires '\(expires)' is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a duration (365d, 12h)")
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let now = Date()
            let root = try RootWriter.create(.init(source: source, rootKeys: try RootKeyFiles.privateKeys(rootKeys), rootThreshold: rootThreshold,
                                                   indexKeys: try RootKeyFiles.publicKeys(indexPubs, option: "--index-pub"),
                                                   indexThreshold: indexThreshold, expires: DurationText.date(expires, from: now)!, now: now,
                                                   output: URL(fileURLWithPath: out)))
            RootKeyFiles.report(root, path: URL(fileURLWithPath: out).appendingPathComponent(RootChain.path(root.version)).path, json: json)
        }
    }
}

struct RootRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Writes the next root of DIR, changing its root keys, index keys or thresholds.",
        discussion: """
        The new root keeps what is not given (root keys, index keys, thresholds) and must be signed, through --key, by a threshold of the current root's root keys and a threshold of its own: the rule every client applies. A root that clients would reject is not written (exit 65, naming the keys whose signatures are missing). After rotating the index keys, publish with the new ones: clients accept the next index signed by them and refuse one signed by the old keys.

        Example:
          zephir-models root rotate /srv/www/zephir/eole --key offline/root-a.key --index-pub keys/index-2027.pub --expires 365d
        """
    )

    @Argument(help: ArgumentHelp("The bundle folder holding root/.", valueName: "DIR"))
    var directory: String

    @Option(name: .customLong("key"), help: ArgumentHelp("A private root key file that signs the new root, old or new (repeatable).", valueName: "KEY"))
    var keys: [String]

    @Option(name: .customLong("root-pub"), help: ArgumentHelp("A public root key of the new root (repeatable; default: the current ones).", valueName: "PUB"))
    var rootPubs: [String] = []

    @Option(name: .customLong("root-threshold"), help: "How many root keys must sign the root after this one (default: unchanged).")
    var rootThreshold: Int?

    @Option(name: .customLong("index-pub"), help: ArgumentHelp("A public index key of the new root (repeatable; default: the current ones).", valueName: "PUB"))
    var indexPubs: [String] = []

    @Option(name: .customLong("index-threshold"), help: "How many index keys must sign index.json (default: unchanged).")
    var indexThreshold: Int?

    @Option(help: ArgumentHelp("When the new root expires: RFC 3339 time or a duration from now (365d).", valueName: "WHEN"))
    var expires: String

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give at least one --key to sign the new root with") }
        guard DurationText.date(expires, from: Date()) != nil else {
            throw ValidationError("--expires '\(expires)' is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a duration (365d, 12h)")
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let now = Date()
            let root = try RootWriter.rotate(.init(output: URL(fileURLWithPath: directory), keys: try RootKeyFiles.privateKeys(keys),
                                                   rootKeys: rootPubs.isEmpty ? nil : try RootKeyFiles.publicKeys(rootPubs, option: "--root-pub"),
                                                   rootThreshold: rootThreshold,
                                                   indexKeys: indexPubs.isEmpty ? nil : try RootKeyFiles.publicKeys(indexPubs, option: "--index-pub"),
                                                   indexThreshold: indexThreshold, expires: DurationText.date(expires, from: now)!, now: now))
            RootKeyFiles.report(root, path: URL(fileURLWithPath: directory).appendingPathComponent(RootChain.path(root.version)).path, json: json)
        }
    }
}

/// Key arguments of the `root` commands, and what they print (key ids only, never a private key).
enum RootKeyFiles {
    static func privateKeys(_ paths: [String]) throws(KeyError) -> [PrivateKey] {
        try paths.map { path throws(KeyError) in try PrivateKey(contentsOf: path) }
    }

    static func publicKeys(_ texts: [String], option: String) throws(KeyError) -> [PublicKey] {
        try texts.map { text throws(KeyError) in
            text.hasPrefix("ed25519:") ? try PublicKey(text: text, origin: option) : try PublicKey(contentsOf: text)
        }
    }

    static func report(_ root: TrustedRoot, path: String, json: Bool) {
        let document = root.document
        if json {
            Terminal.json(RootSummary(source: document.source, version: document.version, expires: document.expires, path: path,
                                      rootKeys: document.root.keyIDs, rootThreshold: document.root.threshold,
                                      indexKeys: document.index.keyIDs, indexThreshold: document.index.threshold))
        } else {
            Terminal.print("wrote \(path): root \(document.version) of \(document.source), expires \(document.expires)")
            Terminal.print("  root keys (\(document.root.threshold) required): \(document.root.keyIDs.joined(separator: ", "))")
            Terminal.print("  index keys (\(document.index.threshold) required): \(document.index.keyIDs.joined(separator: ", "))")
        }
    }
}

private struct RootSummary: Encodable {
    var source: String
    var version: Int
    var expires: String
    var path: String
    var rootKeys: [String]
    var rootThreshold: Int
    var indexKeys: [String]
    var indexThreshold: Int
}
