import Testing
@testable import ZephirCore

/// The DOT text of `models graph` (SPEC §9), on graphs built in code.
@Suite struct ModelGraphTests {
    typealias Node = ModelGraph.Node

    let graph = ModelGraph(nodes: [
        Node(release: "2.7.1", name: "eolebase", origin: .root, parent: nil, source: "eole", sourceVersion: 4, conflicts: []),
        Node(release: "2.7.1", name: "amon", origin: .root, parent: "eolebase", source: "eole", sourceVersion: 4, conflicts: ["parent-updated", "shadowed"]),
        Node(release: "2.7.1", name: "acme-fw", origin: .root, parent: "amon", source: "acme", sourceVersion: 2, conflicts: []),
        Node(release: "2.7.1", name: "amon-lycee", origin: .local, parent: "amon", source: nil, sourceVersion: nil, conflicts: ["override-invalid-value"]),
        Node(release: "2.8.0", name: "orphan", origin: .local, parent: "gone", source: nil, sourceVersion: nil, conflicts: []),
    ], sources: [.init(name: "eole", priority: 100), .init(name: "acme", priority: 50)], release: nil)

    func line(_ dot: String, containing fragment: String) -> String? {
        dot.split(separator: "\n").map(String.init).first { $0.contains(fragment) }
    }

    @Test func oneColourPerSourceAndALegend() {
        let dot = graph.dot()
        #expect(graph.color(of: "eole") != graph.color(of: "acme"))
        #expect(line(dot, containing: "\"2.7.1/amon\" [")?.contains("fillcolor=\"\(graph.color(of: "eole"))\"") == true)
        #expect(line(dot, containing: "\"2.7.1/acme-fw\" [")?.contains("fillcolor=\"\(graph.color(of: "acme"))\"") == true)
        #expect(line(dot, containing: "\"legend:source:0\" [") == "    \"legend:source:0\" [label=\"eole\\npriority 100\", fillcolor=\"\(graph.color(of: "eole"))\", tooltip=\"root models from source eole\"];")
        #expect(line(dot, containing: "\"legend:local\" [")?.contains("dashed") == true)
        #expect(line(dot, containing: "\"legend:conflict\" [")?.contains("color=\"#d62728\"") == true)
    }

    @Test func localChildrenSitApartWithDashedLinks() throws {
        let dot = graph.dot()
        let lines = dot.split(separator: "\n").map(String.init)
        let cluster = try #require(lines.firstIndex { $0.contains("subgraph cluster_release_0_local") })
        let child = try #require(lines.firstIndex { $0.contains("\"2.7.1/amon-lycee\" [") })
        let close = try #require(lines[cluster...].firstIndex { $0.trimmingCharacters(in: .whitespaces) == "}" })
        #expect(cluster < child && child < close, "the local child is inside the local cluster")
        #expect(lines[child].contains("style=\"rounded,dashed\""))
        #expect(lines.contains("    \"2.7.1/amon\" -> \"2.7.1/amon-lycee\" [style=dashed];"))
        #expect(lines.contains("    \"2.7.1/amon\" -> \"2.7.1/acme-fw\";"))
        #expect(!(lines[cluster...close].contains { $0.contains("\"2.7.1/amon\" [") }), "root models are not in the local cluster")
    }

    @Test func modelsWithOpenConflictsHaveARedBorderAndTheKindsInTheirTooltip() {
        let dot = graph.dot()
        let amon = line(dot, containing: "\"2.7.1/amon\" [") ?? ""
        #expect(amon.contains("color=\"#d62728\", penwidth=2.5"))
        #expect(amon.contains("tooltip=\"2.7.1/amon: root model from eole version 4; open conflicts: parent-updated, shadowed\""))
        #expect(line(dot, containing: "\"2.7.1/amon-lycee\" [")?.contains("open conflicts: override-invalid-value") == true)
        #expect(line(dot, containing: "\"2.7.1/eolebase\" [")?.contains("#d62728") == false)
    }

    @Test func aParentNotInForceIsDrawnDotted() {
        let dot = graph.dot()
        #expect(line(dot, containing: "\"2.8.0/gone\" [")?.contains("style=\"rounded,dotted\"") == true)
        #expect(dot.contains("\"2.8.0/gone\" -> \"2.8.0/orphan\" [style=dashed];"))
    }

    @Test func quotingEscapesQuotesBackslashesAndLineBreaks() {
        #expect(ModelGraph.quote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"")
    }
}
