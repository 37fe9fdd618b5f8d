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

    /// Whether `file` is probably cached (present with its size; ``read(_:)`` still checks it):
    /// what a carrier that streams need not extract.
    public func contains(_ file: BundleIndex.File) -> Bool {
        var info = stat()
        return stat(url(file.sha256).path, &info) == 0 && Int(info.st_size) == file.size
    }

    /// Stores verified bytes (atomically: a process that dies never leaves a partial file under
    /// its digest).
    ///
    /// Not flushed to disk, so that a sync does not wait for the disk once per file: an entry a
    /// power loss leaves incomplete fails its digest check when read and is fetched again.
    public func write(_ bytes: [UInt8], sha256: String) {
        let target = url(sha256)
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(sha256).\(getpid()).tmp")
        if unlink(temporary.path) != 0 && errno == ENOENT && access(folder.path, F_OK) != 0 {
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        guard (try? FileOutput.writeExclusive(bytes, to: temporary.path, mode: 0o644, durable: false)) != nil else { return }
        if rename(temporary.path, target.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }
}
