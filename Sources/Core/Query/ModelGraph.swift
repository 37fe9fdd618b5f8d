import Foundation

/// `models graph` (SPEC §9): the inheritance forest of the resolved layer, per release, with
/// each root model's source, the local children apart, and the kinds of the open conflicts
/// whose subject is a model. ``dot()`` renders it for Graphviz.
public struct ModelGraph: Sendable, Equatable {
    /// One model and what the picture shows of it.
    public struct Node: Sendable, Equatable {
        public var release: String
        public var name: String
        public var origin: ModelSummary.Origin
        /// The parent's name, in the same release.
        public var parent: String?
        /// For a root model: its source and that source's installed version.
        public var source: String?
        public var sourceVersion: Int?
        /// The kinds of the open conflicts about this model, sorted, without repeats.
        public var conflicts: [String]

        public var key: String { "\(release)/\(name)" }
    }

    /// One source of the legend, in the order of the configuration (then any other, by name).
    public struct Source: Sendable, Equatable {
        public var name: String
        public var priority: Int?
    }

    public var nodes: [Node]
    public var sources: [Source]
    /// The release shown, or `nil` for every release.
    public var release: String?

    /// Reads the models in force (of `release`, or all) and the open conflicts.
    public static func build(config: Config, store: any ModelStore, release: String? = nil) async throws -> ModelGraph {
        try await store.migrate()
        let models = try await store.listModels(release: release, origin: nil)
        var kinds: [String: Set<String>] = [:]
        for stored in try await store.conflicts(all: false) where !stored.acknowledged {
            kinds[stored.conflict.subject, default: []].insert(stored.conflict.kind.rawValue)
        }
        let nodes = models.map { model in
            Node(release: model.release, name: model.name, origin: model.origin, parent: model.parent, source: model.source,
                 sourceVersion: model.sourceVersion, conflicts: (kinds["\(model.release)/\(model.name)"] ?? []).sorted())
        }
        var sources = config.sources.map { Source(name: $0.name, priority: $0.priority) }
        let configured = Set(sources.map(\.name))
        sources += Set(nodes.compactMap(\.source)).subtracting(configured).sorted().map { Source(name: $0, priority: nil) }
        return ModelGraph(nodes: nodes, sources: sources, release: release)
    }
}
