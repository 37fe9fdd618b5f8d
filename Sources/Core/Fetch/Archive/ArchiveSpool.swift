import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private temporary folder (mode 0700) where an archive's members are written as they are
/// read, so that the bundle's files can then be fetched in any order without holding them in
/// memory. Removed by ``remove()``.
final class ArchiveSpool: @unchecked Sendable {
    let folder: URL
    private let files: FileTransport
    private var next = 0

    /// Creates the folder under `parent` (the system's temporary folder by default).
    /// - Throws: ``FetchError/network(url:reason:)`` naming the folder when it cannot be created.
    init(parent: URL = FileManager.default.temporaryDirectory) throws(FetchError) {
        var template = Array(parent.appendingPathComponent("zephir-models-archive-XXXXXX").path.utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
        guard let made else {
            throw .network(url: parent.path, reason: "cannot create a temporary folder for the archive's files: \(String(cString: strerror(errno))); "
                                                + "make the temporary folder (TMPDIR) writable")
        }
        folder = URL(fileURLWithPath: made, isDirectory: true)
        files = FileTransport(root: folder)
    }

    /// A new file of the spool, open for writing; its name is for ``take(_:maxBytes:)``.
    func create() throws(FetchError) -> (name: String, fd: Int32) {
        next += 1
        let name = String(next)
        let fd = open(folder.appendingPathComponent(name).path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .network(url: folder.path, reason: "cannot write a temporary file: \(String(cString: strerror(errno)))") }
        return (name, fd)
    }

    /// Appends `bytes` to `fd`, a file of ``create()``.
    func append(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws(FetchError) {
        do {
            try FileOutput.writeAll(bytes, to: fd, naming: folder.path)
        } catch {
            let reason = (error as? FileOutputError).map { String(cString: strerror($0.errno)) } ?? "\(error)"
            throw .network(url: folder.path, reason: "cannot write a temporary file: \(reason); free some space in the temporary folder")
        }
    }

    /// At most `maxBytes + 1` bytes of the spooled file `name`, which is then removed (each is
    /// fetched once: the spool of a large bundle shrinks as the sync goes).
    func take(_ name: String, maxBytes: Int) async throws(FetchError) -> Data {
        defer { unlink(folder.appendingPathComponent(name).path) }
        return try await files.fetch(name, maxBytes: maxBytes)
    }

    /// Removes the folder and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}
