/// A store that applies a run without the run holding whole bundles in memory: it reads each
/// new file's bytes and each written model's full content from the run's ``RunContent`` while
/// it writes them, and keeps each installed layer's ``LayerOutline`` for the next run.
///
/// ``SyncEngine`` outlines layers (see ``SourceFetcher/outlining``) only for stores that
/// conform; the others get whole layers and models through ``ModelStore/commit(_:)``.
public protocol StreamingModelStore: ModelStore {
    /// The outline kept for a source's installed layer; `nil` when there is none, or when it
    /// no longer describes the installed layer (a rollback installs layers without one).
    func layerOutline(source: String) async throws -> LayerOutline?

    /// The bytes of one of the files the store keeps, by SHA-256; `nil` when it has none.
    func fileBytes(sha256: String) async throws -> [UInt8]?

    /// Applies one run like ``ModelStore/commit(_:)``. A layer of `commit.layers` that
    /// `content` outlines comes without files: its files are `content`'s, their bytes read from
    /// it (or already stored), and its outline is kept. Models of `commit.changes` whose layer is
    /// outlined are written with ``RunContent/model(_:key:)``.
    /// - Returns: the run's id.
    func commit(_ commit: RunCommit, content: RunContent) async throws -> Int64
}
