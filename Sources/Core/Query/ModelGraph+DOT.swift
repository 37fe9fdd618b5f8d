/// The DOT text of ``ModelGraph``: one cluster per release with the local children in a dashed
/// cluster of their own, one fill colour per source, a red border (and the conflict kinds in the
/// tooltip) on models with open conflicts, and a legend.
extension ModelGraph {
    /// Fill colours (ColorBrewer's Set3), one per source in legend order, reused past twelve.
    static let palette = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                          "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"]
    static let conflictColor = "#d62728"

    /// The colour of `source` in this graph.
    public func color(of source: String) -> String {
        let index = sources.firstIndex { $0.name == source } ?? 0
        return Self.palette[index % Self.palette.count]
    }

    /// The graph in Graphviz's DOT language (`dot -Tsvg` draws it).
    public func dot() -> String {
        var out = ["digraph \"zephir-models\" {"]
        let title = release.map { "Zéphir server models, release \($0)" } ?? "Zéphir server models"
        out.append("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, label=\(Self.quote(title)), labelloc=t, nodesep=0.15, ranksep=0.6];")
        out.append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, fillcolor=\"#ffffff\", color=\"#555555\"];")
        out.append("  edge [color=\"#555555\", arrowsize=0.6];")
        out += legend()
        let byRelease = Dictionary(grouping: nodes, by: \.release)
        for (index, release) in byRelease.keys.sorted().enumerated() {
            out += cluster(release, index: index, nodes: byRelease[release]!)
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private func legend() -> [String] {
        var out = ["  subgraph cluster_legend {", "    graph [label=\"Legend\", style=\"rounded\", color=\"#999999\"];"]
        for (index, source) in sources.enumerated() {
            let label = source.name + (source.priority.map { "\npriority \($0)" } ?? "")
            out.append("    \"legend:source:\(index)\" [label=\(Self.quote(label)), fillcolor=\"\(color(of: source.name))\", tooltip=\(Self.quote("root models from source \(source.name)"))];")
        }
        out.append("    \"legend:local\" [label=\"local child\", style=\"rounded,dashed\", tooltip=\"derived on this instance, never changed by a sync\"];")
        out.append("    \"legend:conflict\" [label=\"open conflict\", color=\"\(Self.conflictColor)\", penwidth=2.5, tooltip=\"the conflict kinds are in each model's tooltip\"];")
        let order = sources.indices.map { "\"legend:source:\($0)\"" } + ["\"legend:local\"", "\"legend:conflict\""]
        if order.count > 1 { out.append("    \(order.joined(separator: " -> ")) [style=invis];") }
        out.append("  }")
        return out
    }

    private func cluster(_ release: String, index: Int, nodes: [Node]) -> [String] {
        var out = ["  subgraph cluster_release_\(index) {", "    graph [label=\(Self.quote("release \(release)")), style=\"rounded\", color=\"#333333\"];"]
        let names = Set(nodes.map(\.name))
        for node in nodes where node.origin == .root { out.append("    " + statement(node)) }
        let locals = nodes.filter { $0.origin == .local }
        if !locals.isEmpty {
            out.append("    subgraph cluster_release_\(index)_local {")
            out.append("      graph [label=\"local children\", style=\"dashed,rounded\", color=\"#777777\"];")
            for node in locals { out.append("      " + statement(node)) }
            out.append("    }")
        }
        for node in nodes {
            guard let parent = node.parent else { continue }
            let parentID = Self.quote("\(release)/\(parent)")
            if !names.contains(parent) {
                out.append("    \(parentID) [label=\(Self.quote("\(parent)\nnot in force")), style=\"rounded,dotted\", tooltip=\"a parent that is not in force\"];")
            }
            out.append("    \(parentID) -> \(Self.quote(node.key))" + (node.origin == .local ? " [style=dashed];" : ";"))
        }
        out.append("  }")
        return out
    }

    private func statement(_ node: Node) -> String {
        var attributes: [String] = []
        var tooltip: String
        switch node.origin {
        case .root:
            let source = node.source ?? "?"
            attributes.append("label=\(Self.quote("\(node.name)\n\(source) v\(node.sourceVersion.map(String.init) ?? "?")"))")
            attributes.append("fillcolor=\"\(color(of: source))\"")
            tooltip = "\(node.key): root model from \(source)" + (node.sourceVersion.map { " version \($0)" } ?? "")
        case .local:
            attributes.append("label=\(Self.quote("\(node.name)\nlocal"))")
            attributes.append("style=\"rounded,dashed\"")
            tooltip = "\(node.key): local child of \(node.parent ?? "?")"
        }
        if !node.conflicts.isEmpty {
            attributes.append("color=\"\(Self.conflictColor)\"")
            attributes.append("penwidth=2.5")
            tooltip += "; open conflicts: " + node.conflicts.joined(separator: ", ")
        }
        attributes.append("tooltip=\(Self.quote(tooltip))")
        return "\(Self.quote(node.key)) [\(attributes.joined(separator: ", "))];"
    }

    /// A DOT quoted string; a line break in `text` becomes a line break of the label.
    static func quote(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}
