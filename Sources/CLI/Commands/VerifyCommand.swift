import ArgumentParser
import Foundation
import ZephirCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verifies a bundle end to end, without touching any database.",
        discussion: """
        Checks the signatures of index.json against the trusted keys (each key counted once towards the threshold), the index's expiry, then every file's size and SHA-256, then the datasource tree. Exits 0 when the bundle is trustworthy, 65 with the reason when it is not, 3 when it cannot be fetched.

        With --root, the chain of root documents is followed from the pinned root, as a client does, and the index must be signed by the newest root's index keys.

        Examples:
          zephir-models verify https://eole.example/zephir/eole --trust keys/eole.pub --threshold 1
          zephir-models verify /srv/www/zephir/eole --root keys/eole.root.json
          zephir-models verify /media/usb/eole-42.tar.gz --root keys/eole.root.json
          zephir-models verify oci://registry.example/eole:stable --trust eole.pub --auth-file auth.json
        """
    )

    @Argument(help: ArgumentHelp("The bundle: a folder, a file: URL, an http(s) URL, a .tar or .tar.gz archive (path or URL), or oci://HOST/REPOSITORY:TAG.", valueName: "DIR_OR_URL"))
    var location: String

    @Option(name: .customLong("trust"), help: ArgumentHelp("A trusted public key: a .pub file or `ed25519:BASE64` (repeatable).", valueName: "PUB"))
    var trust: [String] = []

    @Option(help: ArgumentHelp("A pinned root document: the chain root/N.json is followed from it and its newest root's index keys must sign (instead of --trust).", valueName: "ROOT_FILE"))
    var root: String?

    @Option(help: "How many distinct trusted keys must have signed.")
    var threshold = 1

    @Option(help: "Also require the index to name this source.")
    var source: String?

    @Option(help: ArgumentHelp("A PEM file of certificate authorities for https (default: the system's).", valueName: "PATH"))
    var caFile: String?

    @Option(help: ArgumentHelp("Registry credentials in docker's config.json format, for an oci://… bundle.", valueName: "FILE"))
    var authFile: String?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if root != nil {
            guard trust.isEmpty else { throw ValidationError("give either --root or --trust keys, not both: with a root, the root says which keys must sign") }
            return
        }
        guard !trust.isEmpty else { throw ValidationError("give at least one --trust key, or --root ROOT_FILE") }
        guard threshold >= 1, threshold <= trust.count else {
            throw ValidationError("--threshold must be between 1 and the number of --trust keys (\(trust.count))")
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let keys = try trust.map { text throws(KeyError) in
                text.hasPrefix("ed25519:") ? try PublicKey(text: text, origin: "--trust") : try PublicKey(contentsOf: text)
            }
            do {
                var pinned: TrustedRoot?
                if let root {
                    guard let bytes = FileManager.default.contents(atPath: root) else { throw KeyError.unreadable(path: root) }
                    pinned = try TrustedRoot.pinned(bytes, file: root)
                }
                var options = TransportOptions(caFile: caFile)
                options.authFile = authFile
                let report = try await BundleVerification.verify(location: location, trusted: keys, threshold: threshold, root: pinned,
                                                                 expectedSource: source, options: options)
                if json {
                    Terminal.json(VerifyOutput(ok: true, report: report))
                } else {
                    Terminal.print("OK \(report.source) version \(report.version), expires \(report.expires)" + (report.rootVersion.map { ", root \($0)" } ?? ""))
                    Terminal.print("  signed by \(report.signedBy.joined(separator: ", "))")
                    Terminal.print("  \(report.files) files, \(report.bytes) bytes: \(report.versions) versions, \(report.releases) releases, \(report.services) services, \(report.models) models, \(report.variables) variables")
                }
            } catch let error as TrustError {
                if json { Terminal.json(VerifyOutput(ok: false, reason: error.reason, message: error.description)) }
                throw VerifyRejected(error: error)
            }
        }
    }
}

private struct VerifyOutput: Encodable {
    var ok: Bool
    var report: BundleVerification.Report?
    var reason: String?
    var message: String?
}

/// A rejected bundle: printed with its named reason, exit 65.
struct VerifyRejected: Error, CustomStringConvertible {
    let error: TrustError
    var description: String { "rejected (\(error.reason)): \(error.description)" }
}
