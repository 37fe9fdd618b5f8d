/// The content of one outlined layer in a run: its outline, and where this run put the bytes
/// of each file it fetched and the full content of each model it decoded.
public struct LayerContent: Sendable {
    struct Spilled: Sendable {
        var bytes: ContentSpill.Extent
        var model: ContentSpill.Extent?
    }

    public var source: String
    public var outline: LayerOutline
    /// By path; files reused from the installed layer have none (the store has their bytes).
    var spilled: [String: Spilled]
    let spill: ContentSpill

    init(source: String, outline: LayerOutline, spilled: [String: Spilled], spill: ContentSpill) {
        self.source = source
        self.outline = outline
        self.spilled = spilled
        self.spill = spill
    }

    /// A layer read back from a store's outline: nothing of it was fetched by this run.
    public init(source: String, outline: LayerOutline) {
        self.init(source: source, outline: outline, spilled: [:], spill: ContentSpill())
    }

    /// Whether this run fetched the file at `path` (otherwise it was reused from the installed layer).
    public func wasFetched(_ path: String) -> Bool { spilled[path] != nil }

    /// The verified bytes of a file this run fetched; `nil` for a file reused from the installed layer.
    public func bytes(of path: String) throws(SyncError) -> [UInt8]? {
        guard let extent = spilled[path]?.bytes else { return nil }
        do { return try spill.read(extent) } catch { throw .corruptLayer(source: source, reason: error.description) }
    }

    /// The spilled record of a model this run decoded; `nil` for one it did not.
    public func record(at path: String) throws(SyncError) -> ModelRecord? {
        guard let extent = spilled[path]?.model else { return nil }
        do { return try ModelRecord(try spill.read(extent)) } catch { throw .corruptLayer(source: source, reason: "\(error)") }
    }

    /// The full content of a model this run decoded; `nil` for one it did not.
    public func model(at path: String) throws(SyncError) -> ServerModel? {
        guard let extent = spilled[path]?.model else { return nil }
        do {
            guard case .model(_, let model) = try TreeFileCodec.decode(try spill.read(extent)) else { throw TreeFileCodec.Malformed() }
            return model
        } catch {
            throw .corruptLayer(source: source, reason: "\(error)")
        }
    }
}

/// What a run holds of its layers' content outside memory, for a ``StreamingModelStore``: the
/// layers whose models are outlines (``LayerOutline``), and how to get each model's full content
/// when it is written.
public struct RunContent: Sendable {
    /// Every outlined layer taking part in the run, by source.
    public var layers: [String: LayerContent] = [:]
    /// Full models read back for this run (from the fetch cache or the store) because they are
    /// needed but were not decoded by it, by source then path.
    public var materialized: [String: [String: ServerModel]] = [:]

    public init() {}

    /// Whether `resolved`, in force under `key`, is an outline that must be read in full before it is written.
    public func needsContent(_ resolved: Resolved<ServerModel>, key: ModelKey) -> Bool {
        guard let layer = layers[resolved.source] else { return false }
        let path = TreePath.model(release: key.release, name: key.name).path
        return materialized[resolved.source]?[path] == nil
            && !(layer.spilled[path]?.model != nil)
    }

    /// The spilled record of a model in force, when this run decoded it and nothing replaced it
    /// since (see ``materialized``); `nil` otherwise: use ``model(_:key:)``.
    public func record(_ resolved: Resolved<ServerModel>, key: ModelKey) throws(SyncError) -> ModelRecord? {
        guard let layer = layers[resolved.source] else { return nil }
        let path = TreePath.model(release: key.release, name: key.name).path
        guard materialized[resolved.source]?[path] == nil else { return nil }
        return try layer.record(at: path)
    }

    /// The full content of a model in force: `resolved.value` itself unless its layer is outlined.
    /// - Throws: ``SyncError/corruptLayer(source:reason:)`` when the content cannot be read.
    public func model(_ resolved: Resolved<ServerModel>, key: ModelKey) throws(SyncError) -> ServerModel {
        guard let layer = layers[resolved.source] else { return resolved.value }
        let path = TreePath.model(release: key.release, name: key.name).path
        if let model = materialized[resolved.source]?[path] { return model }
        if let model = try layer.model(at: path) { return model }
        throw .corruptLayer(source: resolved.source, reason: "the content of \(path) was not read back before writing it")
    }
}
