/// What a run keeps in memory of a source layer: every file's index entry and its decoded
/// content, with each model's variables left out (they are read on demand, see ``RunContent``).
///
/// Stores that conform to ``StreamingModelStore`` keep the outline of each installed layer, so
/// that the next version of a source is read by decoding only the files that changed.
public struct LayerOutline: Sendable {
    public struct Entry: Sendable {
        public var file: BundleIndex.File
        /// The decoded file; for a model, without its variables.
        public var outline: TreeFile

        public init(file: BundleIndex.File, outline: TreeFile) {
            self.file = file
            self.outline = outline
        }
    }

    /// SHA-256 of the signed index payload the layer comes from (``InstalledSource/digest``).
    public var digest: String
    /// In index order.
    public var entries: [Entry]

    public init(digest: String, entries: [Entry]) {
        self.digest = digest
        self.entries = entries
    }

    /// A file's content with a model's variables left out.
    public static func outline(of file: TreeFile) -> TreeFile {
        guard case .model(let release, var model) = file else { return file }
        model.variables = []
        return .model(release: release, model)
    }

    /// The outlined tree.
    public var tree: DatasourceTree {
        var tree = DatasourceTree()
        for entry in entries { tree.add(entry.outline) }
        return tree
    }

    /// Each file's entry by path.
    public func entriesByPath() -> [String: Entry] {
        Dictionary(entries.map { ($0.file.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func encoded() -> [UInt8] {
        var writer = TreeFileCodec.Writer()
        writer.string(digest)
        writer.varint(entries.count)
        for entry in entries {
            writer.string(entry.file.path)
            writer.string(entry.file.sha256)
            writer.varint(entry.file.size)
            writer.append(entry.outline)
        }
        return writer.bytes
    }

    /// The outline a store kept for `source`'s installed layer with digest `digest`: `nil` when
    /// it was made for another digest (the layer changed without one, as a rollback installs it).
    /// - Throws: ``StoreError/corrupt(_:)`` naming `database` when the bytes do not decode.
    public static func stored(_ bytes: [UInt8], digest: String, source: String, database: String) throws(StoreError) -> LayerOutline? {
        let outline: LayerOutline
        do {
            outline = try LayerOutline(decoding: bytes)
        } catch {
            throw .corrupt("\(database): the stored outline of source \(source) does not decode (\(error)); the next sync reads its layer in full")
        }
        return outline.digest == digest ? outline : nil
    }

    /// - Throws: ``TreeFileCodec/Malformed`` when `bytes` are not an outline.
    public init(decoding bytes: [UInt8]) throws(TreeFileCodec.Malformed) {
        let (digest, entries) = try bytes.withUnsafeBufferPointer { (buffer) throws(TreeFileCodec.Malformed) -> (String, [Entry]) in
            var reader = TreeFileCodec.Reader(buffer)
            let digest = try reader.string()
            let count = try reader.varint()
            guard count <= buffer.count else { throw TreeFileCodec.Malformed() }
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let file = BundleIndex.File(path: try reader.string(), sha256: try reader.string(), size: try reader.varint())
                entries.append(Entry(file: file, outline: try reader.file()))
            }
            guard reader.atEnd else { throw TreeFileCodec.Malformed() }
            return (digest, entries)
        }
        self.digest = digest
        self.entries = entries
    }
}
