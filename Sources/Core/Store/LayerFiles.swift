/// The files of a layer being installed, as a store writes them: each file's index entry, and
/// its bytes on demand — from the layer itself, or from the run's spill when the layer is
/// outlined (``LayerContent``), read only for files the store does not hold yet.
public struct LayerFiles: Sendable {
    public let source: String
    /// Every file, in index order.
    public let entries: [BundleIndex.File]
    private let inline: [String: [UInt8]]
    private let content: LayerContent?

    /// `content` outlines the layer when given; `layer.files` is then empty.
    public init(_ layer: LayerRecord, content: LayerContent?) {
        source = layer.installed.name
        self.content = content
        if let content {
            entries = content.outline.entries.map(\.file)
            inline = [:]
        } else {
            entries = layer.files.map { BundleIndex.File(path: $0.path, sha256: $0.sha256, size: $0.bytes.count) }
            inline = Dictionary(layer.files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The bytes of `file`, for a store that does not hold them yet.
    /// - Throws: ``StoreError/corrupt(_:)`` when this run neither has nor fetched them.
    public func bytes(of file: BundleIndex.File) throws -> [UInt8] {
        if let bytes = inline[file.path] { return bytes }
        if let bytes = try content?.bytes(of: file.path) { return bytes }
        throw StoreError.corrupt("the file \(file.path) of source \(source) is neither stored nor fetched by this run")
    }
}
