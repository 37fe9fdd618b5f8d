import Foundation

/// Where a run keeps what it fetched and decoded until the store writes it: an unnamed
/// temporary file (created then unlinked, so nothing else can open it and nothing is left
/// behind), or memory when no file can be created.
///
/// It is what keeps a run's memory to one file at a time: the raw bytes of each fetched file
/// and the full decoded content of each model go here, and are read back one at a time while
/// the store writes them. The page cache holds it, not the process.
public final class ContentSpill: @unchecked Sendable {
    /// A record in the spill.
    public struct Extent: Sendable, Hashable {
        public var offset: Int
        public var count: Int
    }

    /// Why the spill failed (the disk is full, the file vanished).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let lock = NSLock()
    private var descriptor: Int32 = -1
    private var memory: [UInt8] = []
    private var end = 0

    /// Opens a spill file in `folder` (created if needed), falling back to memory.
    public init(folder: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var template = Array((folder + "/.spill-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            descriptor = fd
        }
    }

    /// A spill in memory only.
    public init() {}

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func append(_ bytes: [UInt8]) throws(Failure) -> Extent {
        lock.lock()
        defer { lock.unlock() }
        let extent = Extent(offset: end, count: bytes.count)
        if descriptor < 0 {
            memory.append(contentsOf: bytes)
        } else {
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, bytes.count - written, off_t(end + written)) }
                guard n > 0 else {
                    if n < 0 && errno == EINTR { continue }
                    throw Failure(description: "cannot write the run's temporary file: \(String(cString: strerror(errno)))")
                }
                written += n
            }
        }
        end += bytes.count
        return extent
    }

    public func read(_ extent: Extent) throws(Failure) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        guard extent.offset >= 0, extent.count >= 0, extent.offset + extent.count <= end else {
            throw Failure(description: "the run's temporary file has no record at \(extent.offset)")
        }
        if descriptor < 0 { return Array(memory[extent.offset..<extent.offset + extent.count]) }
        var bytes = [UInt8](repeating: 0, count: extent.count)
        var done = 0
        while done < extent.count {
            let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, extent.count - done, off_t(extent.offset + done)) }
            guard n > 0 else {
                if n < 0 && errno == EINTR { continue }
                throw Failure(description: "cannot read the run's temporary file: \(n == 0 ? "it is shorter than written" : String(cString: strerror(errno)))")
            }
            done += n
        }
        return bytes
    }
}
