/// Reads installed source layers back from the store, for resolving without fetching.
public enum StoredLayers {
    /// Decodes one source's installed layer.
    /// - Throws: ``SyncError/corruptLayer(source:reason:)`` when its files are missing or no longer decode.
    public static func load(_ source: SourceConfig, role: SourceRole, version: Int, from store: any ModelStore) async throws -> SourceLayer {
        guard let files = try await store.layerFiles(source: source.name) else {
            throw SyncError.corruptLayer(source: source.name, reason: "its files are missing")
        }
        return try decode(source, role: role, version: version, files: files)
    }

    /// Decodes a layer's files (already verified when they were installed).
    public static func decode(_ source: SourceConfig, role: SourceRole, version: Int, files: [LayerRecord.File]) throws -> SourceLayer {
        let decoder = TreeFileDecoder()
        var tree = DatasourceTree()
        var digests: [String: String] = [:]
        for file in files {
            do {
                tree.add(try decoder.decode(path: file.path, bytes: file.bytes))
            } catch {
                throw SyncError.corruptLayer(source: source.name, reason: error.description)
            }
            digests[file.path] = file.sha256
        }
        return SourceLayer(source: source.name, role: role, priority: source.priority, scope: source.scope, version: version, tree: tree,
                           fileDigests: digests)
    }

    /// Every enabled source's installed layer, as the next resolving run would take them.
    public static func loadAll(config: Config, adapters: [String: any SourceAdapter], from store: any ModelStore) async throws -> [SourceLayer] {
        let installed = try await store.installedSources()
        var layers: [SourceLayer] = []
        for source in config.sources where source.enabled {
            guard let adapter = adapters[source.name], let layer = installed[source.name] else { continue }
            layers.append(try await load(source, role: type(of: adapter).role, version: layer.version, from: store))
        }
        return layers
    }
}
