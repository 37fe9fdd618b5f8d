import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// `models graph` (SPEC §9) drawn by Graphviz's `dot`, which `.ci/run` installs.
@Suite(.serialized) struct GraphEndToEndTests {
    static let dot = "/usr/bin/dot"

    /// Runs `dot -Tsvg FILE`; its exit status and the size of the picture.
    func drawn(_ file: URL) throws -> (status: Int32, svg: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.dot)
        process.arguments = ["-Tsvg", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let svg = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, svg)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: dot), "graphviz is not installed (apt-get install graphviz)"))
    func theDemoIsDrawnWithItsSourcesLocalChildrenAndConflicts() async throws {
        let w = Workspace()
        let config = ZephirExecutable.repository.appendingPathComponent("config/zephir-models.yml").path
        #expect(try await w.cli.run(["sync", "--config", config]).code == 0)
        #expect(try await w.cli.run(["models", "derive", "--parent", "2.7.1/amon", "--name", "amon-lycee", "--config", config]).code == 0)
        let graph = try await w.cli.run(["models", "graph", "--config", config])
        #expect(graph.code == 0, "\(graph.stderr)")
        try w.write("demo.dot", graph.stdout)
        let picture = try drawn(w.file("demo.dot"))
        #expect(picture.status == 0, "dot -Tsvg accepts the demo's graph")
        #expect(picture.svg.contains("<svg"))
        // The demo's acme ships a scribe.yml outside its scope: an open out-of-scope conflict on 2.7.1/scribe.
        let scribe = graph.stdout.split(separator: "\n").first { $0.contains("\"2.7.1/scribe\" [") } ?? ""
        #expect(scribe.contains("color=\"#d62728\"") && scribe.contains("open conflicts: out-of-scope"), "\(scribe)")
        #expect(graph.stdout.contains("\"2.7.1/amon\" -> \"2.7.1/amon-lycee\" [style=dashed];"))
        for source in ["eole", "acme", "fake"] { #expect(graph.stdout.contains("[label=\"\(source)\\npriority")) }

        let svg = try await w.cli.run(["models", "graph", "--release", "2.7.1", "--format", "svg", "--config", config])
        #expect(svg.code == 0)
        #expect(svg.stdout.hasPrefix("<?xml") && svg.stdout.contains("<svg") && svg.stdout.contains("release 2.7.1"))
        #expect(!svg.stdout.contains("release 2.7.0"), "--release keeps one release")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: dot), "graphviz is not installed (apt-get install graphviz)"))
    func aGeneratedThousandModelDatasetIsDrawn() async throws {
        let w = Workspace()
        try w.configure(["""
              - name: fake
                kind: fake
                priority: 10
                fake: {seed: 7, releases: 1, models: 1000, variables: 2}
                signature: {policy: off}

            """])
        #expect(try await w.sync().code == 0)
        let graph = try await w.zm(["models", "graph"])
        #expect(graph.code == 0)
        let nodes = graph.stdout.split(separator: "\n").filter { $0.contains("root model from fake") }
        #expect(nodes.count == 1000)
        try w.write("big.dot", graph.stdout)
        let started = Date()
        #expect(try drawn(w.file("big.dot")).status == 0, "dot -Tsvg accepts the 1,000-model graph")
        #expect(Date().timeIntervalSince(started) < 60)
    }

    @Test func withoutGraphvizSVGFailsNamingThePackage() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.configure([fileSource("eole", priority: 100)])
        #expect(try await w.sync().code == 0)
        try FileManager.default.createDirectory(at: w.file("empty-bin"), withIntermediateDirectories: true)
        let result = try await w.cli.run(["models", "graph", "--format", "svg", "--config", "config.yml"], environment: ["PATH": w.file("empty-bin").path])
        #expect(result.code == 69)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("install the Debian package graphviz"), "\(result.stderr)")
    }
}
