import Foundation

/// Reads back, in full, the few outlined models a run must compare or read: models offered by
/// several layers (the resolver compares them), root ancestors of local models (the planner
/// checks their variables), and models written although this run did not decode them (their
/// source's priority or scope changed). Each comes from the run's spill, else the fetch cache,
/// else the store, and is checked against its digest before it is decoded.
struct ContentMaterializer: Sendable {
    let cache: FetchCache
    let store: (any ModelStore)?

    /// Makes full every model that more than one layer offers.
    func completeShared(_ layers: inout [SourceLayer], content: inout RunContent) async throws {
        guard !content.layers.isEmpty, layers.count > 1 else { return }
        var offers: [ModelKey: Int] = [:]
        for layer in layers {
            for (release, models) in layer.tree.releases {
                for name in models.models.keys { offers[ModelKey(release: release, name: name), default: 0] += 1 }
            }
        }
        for i in layers.indices {
            let source = layers[i].source
            guard content.layers[source] != nil else { continue }
            for (release, models) in layers[i].tree.releases {
                for name in models.models.keys where offers[ModelKey(release: release, name: name), default: 0] > 1 {
                    let model = try await self.model(source: source, key: ModelKey(release: release, name: name), content: &content)
                    layers[i].tree.releases[release]?.models[name] = model
                }
            }
        }
    }

    /// Makes full every root model in force that a local model derives from, directly or not.
    func completeAncestors(of locals: [LocalModel], in resolved: inout ResolvedState, content: inout RunContent) async throws {
        guard !content.layers.isEmpty, !locals.isEmpty else { return }
        let byKey = Dictionary(locals.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for local in locals {
            var key = ModelKey(release: local.release, name: local.parent)
            var seen: Set<ModelKey> = [local.key]
            while seen.insert(key).inserted {
                if let parent = byKey[key] {
                    key = ModelKey(release: key.release, name: parent.parent)
                    continue
                }
                guard let root = resolved.models[key] else { break }
                if content.layers[root.source] != nil {
                    resolved.models[key]?.value = try await model(source: root.source, key: key, content: &content)
                }
                guard let parent = root.value.parent else { break }
                key = ModelKey(release: key.release, name: parent)
            }
        }
    }

    /// Reads the content of every model `changes` writes that this run has not decoded.
    func complete(_ changes: ChangeSet, content: inout RunContent) async throws {
        guard !content.layers.isEmpty else { return }
        for (key, resolved) in changes.addModels.merging(changes.changeModels, uniquingKeysWith: { first, _ in first })
        where content.needsContent(resolved, key: key) {
            _ = try await model(source: resolved.source, key: key, content: &content)
        }
    }

    /// The full model `source` defines under `key`; remembered in `content`.
    private func model(source: String, key: ModelKey, content: inout RunContent) async throws -> ServerModel {
        let path = TreePath.model(release: key.release, name: key.name).path
        if let known = content.materialized[source]?[path] { return known }
        guard let layer = content.layers[source] else { throw SyncError.corruptLayer(source: source, reason: "\(path) is not in its layer") }
        if let spilled = try layer.model(at: path) { return spilled }
        guard let entry = layer.outline.entries.first(where: { $0.file.path == path }) else {
            throw SyncError.corruptLayer(source: source, reason: "\(path) is not in its layer")
        }
        var bytes = cache.read(entry.file)
        if bytes == nil, let stored = try await store?.fileBytes(sha256: entry.file.sha256) {
            bytes = try? BundleReader.check(Data(stored), against: entry.file)
        }
        guard let bytes else {
            throw SyncError.corruptLayer(source: source, reason: "\(path) is neither in the fetch cache nor in the database with its digest")
        }
        let model: ServerModel
        do {
            guard case .model(_, let decoded) = try TreeFileDecoder().decode(path: path, bytes: bytes) else {
                throw SyncError.corruptLayer(source: source, reason: "\(path) is not a model")
            }
            model = decoded
        } catch let error as TreeError {
            throw SyncError.corruptLayer(source: source, reason: error.description)
        }
        content.materialized[source, default: [:]][path] = model
        return model
    }
}
