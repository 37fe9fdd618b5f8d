import ArgumentParser
import Foundation
import ZephirCore

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Validates a datasource tree and writes it as a signed, versioned bundle.",
        discussion: """
        The tree is checked first (every rule of the datasource format); nothing is written when it is invalid. The version must be greater than the one already at --out, so that clients, which refuse rollbacks, accept it.

        --out is where the bundle goes (SPEC §5.2):
          a folder       built beside it and swapped in atomically: readers never see half a bundle
          FILE.tar[.gz]  one archive (root/…, index.json, tree/…), for offline media; written atomically
          oci://HOST[:PORT]/REPOSITORY:TAG
                         an OCI registry: one layer per file, so only changed files are uploaded
        A folder keeps the roots it holds (root create/rotate write them there); an archive or a registry keeps the roots already there, or takes those of --roots DIR.

        Examples:
          zephir-models publish datasource/ --source eole --key keys/eole.key \\
            --version 42 --expires 90d --out /srv/www/zephir/eole
          zephir-models publish datasource/ --source eole --key keys/eole.key \\
            --version 42 --expires 90d --out eole-42.tar.gz --roots /srv/www/zephir/eole
          zephir-models publish datasource/ --source eole --key keys/eole.key \\
            --version 42 --expires 90d --out oci://registry.example/zephir/eole:stable --auth-file ~/.docker/config.json
        """
    )

    @Argument(help: ArgumentHelp("The datasource tree: the folder holding versions/ and releases/.", valueName: "TREE"))
    var tree: String

    @Option(help: "The source name operators configure for this publisher.")
    var source: String

    @Option(name: .customLong("key"), help: ArgumentHelp("A private key file (repeat for several signatures).", valueName: "KEY"))
    var keys: [String]

    @Option(help: "The bundle's version: an integer greater than the one already published.")
    var version: Int

    @Option(help: ArgumentHelp("When the index expires: RFC 3339 time or a duration from now (90d, 12h).", valueName: "WHEN"))
    var expires: String

    @Option(help: ArgumentHelp("Where to publish: a bundle folder, a .tar or .tar.gz archive, or oci://HOST/REPOSITORY:TAG.", valueName: "DIR|FILE|oci://…"))
    var out: String

    @Option(help: ArgumentHelp("A bundle folder whose root/ holds the source's roots, carried into an archive or a registry (default: the roots already there).", valueName: "DIR"))
    var roots: String?

    @Option(help: ArgumentHelp("Registry credentials in docker's config.json format, for --out oci://….", valueName: "FILE"))
    var authFile: String?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give at least one --key to sign with") }
        guard DurationText.date(expires, from: Date()) != nil else {
            throw ValidationError("--expires '\(expires)' is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a duration (90d, 12h, 30m)")
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let now = Date()
            let signing = try keys.map { path throws(KeyError) in try PrivateKey(contentsOf: path) }
            let destination = try BundleDestination(out)
            var options = TransportOptions()
            options.authFile = authFile
            let publication = try await BundlePublisher.publish(
                tree: URL(fileURLWithPath: tree),
                .init(source: source, keys: signing, version: version, expires: DurationText.date(expires, from: now)!, now: now,
                      output: URL(fileURLWithPath: out)),
                to: destination, roots: roots.map { URL(fileURLWithPath: $0) }, options: options)
            let index = publication.index
            for open in publication.openReferences {
                Terminal.warn("\(open)")
            }
            if json {
                Terminal.json(PublishSummary(source: index.source, version: index.version, expires: index.expires, files: index.files.count,
                                             bytes: index.totalSize, signedBy: signing.map(\.publicKey.keyID), out: out,
                                             openReferences: publication.openReferences, push: publication.push))
            } else {
                Terminal.print("published \(index.source) version \(index.version) to \(out): \(index.files.count) files, \(index.totalSize) bytes, expires \(index.expires)")
                for key in signing { Terminal.print("  signed by \(key.publicKey.keyID)") }
                if let push = publication.push {
                    Terminal.print("  uploaded \(push.uploaded) files (\(push.bytesUploaded) bytes), \(push.skipped) already in the registry; \(push.requests) requests; manifest \(push.manifestDigest)")
                }
            }
        }
    }
}

private struct PublishSummary: Encodable {
    var source: String
    var version: Int
    var expires: String
    var files: Int
    var bytes: Int
    var signedBy: [String]
    var out: String
    var openReferences: [TreeValidator.OpenReference]
    var push: OCIPusher.PushReport?
}
