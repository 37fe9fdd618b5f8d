import Foundation

/// An archive read over `http:` or `https:`: one GET whose body the HTTP client's event loop
/// pours into a bounded ``BytePipe``, which libarchive drains from the archive's own thread.
/// Closing the source refuses the rest of the body, which ends the request and closes its
/// connection: a sync that needs only the head of the archive does not download the rest.
///
/// The read timeout is kept by ``HTTPTransport/stream(_:into:)``, not by the client, whose timer
/// would also run while the pipe is full and the connection deliberately not read (the pipeline
/// verifying the index, the spool being written).
final class HTTPByteSource: ArchiveByteSource, @unchecked Sendable {
    /// How many bytes may wait between the connection and the archive.
    static let pipeCapacity = 1 << 20

    private let pipe = BytePipe(capacity: pipeCapacity)
    /// The task that makes the request (and follows redirects); awaited by ``finished()``.
    let request: Task<Void, Never>

    /// Starts the request for `url` through `http` (its timeouts, redirects and TLS settings).
    init(url: String, http: HTTPTransport) {
        let pipe = self.pipe
        request = Task {
            do throws(FetchError) {
                try await http.stream(url, into: pipe)
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

    var bytesRead: Int64 { pipe.received }

    func release() {
        pipe.close()
        request.cancel()
    }

    /// Waits until the request has ended (after ``release()``: until the connection is let go).
    func finished() async { await request.value }
}
