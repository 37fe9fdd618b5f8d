import Foundation

/// Fetched files by SHA-256 (SPEC §6 `cache:`), so that a file already fetched is never
/// downloaded again. Files are checked against their digest when read back.
public struct FetchCache: Sendable {
    public let root: URL

    public init(root: String) { self.root = URL(fileURLWithPath: root) }

    private func url(_ sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    /// The cached bytes of `file`, if present and intact.
    public func read(_ file: BundleIndex.File) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: url(file.sha256).path) else { return nil }
        return try? BundleReader.check(data, against: file)
    }

    /// Stores verified bytes (atomically: a crash never leaves a partial file under its digest).
    public func write(_ bytes: [UInt8], sha256: String) {
        let target = url(sha256)
        let folder = target.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(sha256).\(getpid()).tmp")
        try? FileManager.default.removeItem(at: temporary)
        guard (try? FileOutput.writeExclusive(Data(bytes), to: temporary.path, mode: 0o644)) != nil else { return }
        if rename(temporary.path, target.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }
}
