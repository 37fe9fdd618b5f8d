import Foundation
import NIOCore

/// An archive read over `http:` or `https:`: one GET, whose body an async task pushes into a
/// bounded ``BytePipe`` that libarchive drains from the archive's own thread. Closing the source
/// stops the task, which drops the response and so closes the connection: a sync that needs
/// only the head of the archive does not download the rest.
final class HTTPByteSource: ArchiveByteSource, @unchecked Sendable {
    /// How many bytes may wait between the connection and the archive.
    static let pipeCapacity = 1 << 20

    private let pipe = BytePipe(capacity: pipeCapacity)
    /// The task reading the body; awaited by ``finished()``.
    let producer: Task<Void, Never>
    private let counter = Counter()

    /// Starts the request for `url` through `http` (its timeouts, redirects and TLS settings).
    init(url: String, http: HTTPTransport) {
        let pipe = self.pipe, counter = self.counter
        producer = Task {
            do throws(FetchError) {
                try await http.stream(url) { chunk in
                    counter.add(chunk.readableBytes)
                    return await pipe.push(Array(chunk.readableBytesView))
                }
                pipe.finish(nil)
            } catch {
                pipe.finish(error)
            }
        }
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        try pipe.pull(into: buffer)
    }

    func skip(_ count: Int64) -> Int64 { 0 }

    var bytesRead: Int64 { counter.value }

    func release() {
        pipe.close()
        producer.cancel()
    }

    /// Waits until the request has ended (after ``release()``: until the connection is let go).
    func finished() async { await producer.value }

    /// Bytes received, counted by the producer and read by the archive's thread.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total: Int64 = 0
        func add(_ n: Int) { lock.withLock { total += Int64(n) } }
        var value: Int64 { lock.withLock { total } }
    }
}
