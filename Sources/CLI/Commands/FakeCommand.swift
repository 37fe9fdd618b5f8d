import ArgumentParser
import FakeSource
import Foundation
import ZephirCore

struct FakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake",
        abstract: "Generates deterministic EOLE-like data, for tests and benchmarks.",
        subcommands: [FakeGenerateCommand.self]
    )
}

struct FakeGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Writes a deterministic EOLE-like datasource tree (or signed bundle) of a given size.",
        discussion: """
        The same seed and sizes always give the same bytes. Releases are spread over versions 2.7, 2.8, … (three per version); each release has 8–16 application services and MODELS server models (eolebase, amon, scribe, … then module-0001, …), each with VARIABLES variables of every type. The tree is valid: `publish` accepts it as is.

        Without --sign, the tree is written to OUTDIR, which must not exist or be empty. With --sign, a signed bundle is published to OUTDIR instead, as `publish` does (the version must be greater than the one already there).

        Examples:
          zephir-models fake generate /tmp/tree --seed 42 --releases 3 \\
            --models 100 --variables 200
          zephir-models fake generate /tmp/bundle --models 1000 --variables 1000 \\
            --sign keys/test.key --version 2 --source fake --expires 30d
        """
    )

    @Argument(help: ArgumentHelp("The folder to write.", valueName: "OUTDIR"))
    var outdir: String

    @Option(help: "Seeds the generator (a non-negative integer).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Releases, three per version from 2.7 (1–\(FakeTreeParameters.maxReleases)).", valueName: "R"))
    var releases = 1

    @Option(help: ArgumentHelp("Server models per release (1–\(FakeTreeParameters.maxModels)).", valueName: "M"))
    var models = 10

    @Option(help: ArgumentHelp("Variables per model (0–\(FakeTreeParameters.maxVariables)).", valueName: "V"))
    var variables = 20

    @Option(help: ArgumentHelp("Publish a bundle signed with this private key file instead of writing a tree.", valueName: "KEY"))
    var sign: String?

    @Option(help: ArgumentHelp("The bundle's version (with --sign; default 1).", valueName: "N"))
    var version: Int?

    @Option(help: ArgumentHelp("The bundle's source name (with --sign).", valueName: "NAME"))
    var source = "fake"

    @Option(help: ArgumentHelp("When the bundle's index expires (with --sign): RFC 3339 time or a duration from now (90d, 12h).", valueName: "WHEN"))
    var expires = "365d"

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard (1...FakeTreeParameters.maxReleases).contains(releases) else {
            throw ValidationError("--releases \(releases): expected an integer from 1 to \(FakeTreeParameters.maxReleases)")
        }
        guard (1...FakeTreeParameters.maxModels).contains(models) else {
            throw ValidationError("--models \(models): expected an integer from 1 to \(FakeTreeParameters.maxModels)")
        }
        guard (0...FakeTreeParameters.maxVariables).contains(variables) else {
            throw ValidationError("--variables \(variables): expected an integer from 0 to \(FakeTreeParameters.maxVariables)")
        }
        if sign == nil {
            if version != nil { throw ValidationError("--version applies to a bundle only; add --sign KEY or remove --version") }
            let fm = FileManager.default
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: outdir, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw ValidationError("\(outdir) exists and is not a folder; choose another OUTDIR") }
                let contents = (try? fm.contentsOfDirectory(atPath: outdir)) ?? []
                guard contents.isEmpty else {
                    throw ValidationError("\(outdir) is not empty; give a new or empty OUTDIR (fake generate never mixes a tree with other files)")
                }
            }
        } else {
            if let version, version < 1 { throw ValidationError("--version \(version): expected a positive integer") }
            guard DurationText.date(expires, from: Date()) != nil else {
                throw ValidationError("--expires '\(expires)' is neither an RFC 3339 time (2027-01-31T00:00:00Z) nor a duration (90d, 12h, 30m)")
            }
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let parameters = FakeTreeParameters(seed: seed, releases: releases, models: models, variables: variables)
            let started = Date()
            var summary = FakeSummary(out: outdir, seed: seed, releases: releases, models: models, variables: variables)
            if let sign {
                let key = try PrivateKey(contentsOf: sign)
                let now = Date()
                let files = FakeTreeGenerator.generate(parameters).map { (path: $0.path, bytes: $0.contents) }
                let index = try BundleWriter.publish(
                    files: files,
                    .init(source: source, keys: [key], version: version ?? 1, expires: DurationText.date(expires, from: now)!, now: now,
                          output: URL(fileURLWithPath: outdir)))
                summary.files = index.files.count
                summary.bytes = index.totalSize
                summary.source = index.source
                summary.version = index.version
                summary.expires = index.expires
                summary.signedBy = key.publicKey.keyID
            } else {
                var files = 0, bytes = 0
                let folder = URL(fileURLWithPath: outdir)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                var created = Set<String>()
                try FakeTreeGenerator.forEachFile(parameters) { file in
                    let url = folder.appendingPathComponent(file.path)
                    let parent = url.deletingLastPathComponent().path
                    if created.insert(parent).inserted {
                        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                    }
                    try Data(file.contents).write(to: url)
                    files += 1
                    bytes += file.contents.count
                }
                summary.files = files
                summary.bytes = bytes
            }
            summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
            if json {
                Terminal.json(summary)
            } else if let version = summary.version {
                Terminal.print("published \(summary.source ?? source) version \(version) to \(outdir): \(summary.files) files, \(releases) releases, "
                    + "\(models) models and \(variables) variables per model, \(summary.bytes) bytes, expires \(summary.expires ?? "?")")
            } else {
                Terminal.print("wrote \(summary.files) files to \(outdir): \(releases) releases, \(models) models and \(variables) variables per model, "
                    + "\(summary.bytes) bytes")
            }
        }
    }
}

private struct FakeSummary: Encodable {
    var out: String
    var seed: UInt64
    var releases: Int
    var models: Int
    var variables: Int
    var files = 0
    var bytes = 0
    var source: String?
    var version: Int?
    var expires: String?
    var signedBy: String?
    var seconds = 0.0
}
