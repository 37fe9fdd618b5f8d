import Foundation
import NIOCore

/// A bounded queue of bytes from an HTTP body (taken on the client's event loop) to a blocking
/// consumer (libarchive's read callback on the archive's own thread).
///
/// Once `capacity` bytes are queued, the body is held back until the consumer makes room
/// (backpressure: the connection is read no faster than the archive is); the consumer blocks its
/// own thread until bytes, the end or a failure come. When the consumer closes the pipe, the body
/// is refused, which ends the request and closes its connection.
final class BytePipe: HTTPBodySink, @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    /// Bytes of `chunks[0]` already taken.
    private var offset = 0
    private var queued = 0
    private var end: FetchError??
    private var closed = false
    private var waitingForRoom: EventLoopPromise<Void>?
    private var total: Int64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    // MARK: producer

    /// Bytes received so far.
    var received: Int64 { condition.withLock { total } }

    /// The sink was closed: the body is not wanted any more.
    struct Closed: Error {}

    /// Ends the stream: the consumer reads what is queued, then the end or `failure`.
    func finish(_ failure: FetchError?) {
        condition.withLock {
            if end == nil { end = .some(failure) }
            condition.broadcast()
        }
    }

    // MARK: consumer

    /// Copies the next queued bytes into `buffer`, blocking until some come; 0 at the end.
    /// - Throws: the producer's failure, once the bytes before it are read.
    func pull(into buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        let result: Result<Int, FetchError> = condition.withLock {
            while chunks.isEmpty && end == nil && !closed { condition.wait() }
            guard !chunks.isEmpty else {
                if case .some(.some(let failure)) = end { return .failure(failure) }
                return .success(0)
            }
            var count = 0
            while count < buffer.count, !chunks.isEmpty {
                let n = chunks[0].withUnsafeBytes { chunk in
                    let n = min(chunk.count - offset, buffer.count - count)
                    (buffer.baseAddress! + count).copyMemory(from: chunk.baseAddress! + offset, byteCount: n)
                    return n
                }
                count += n
                offset += n
                if offset == chunks[0].count {
                    chunks.removeFirst()
                    offset = 0
                }
            }
            queued -= count
            if queued < capacity, let waiting = waitingForRoom {
                waitingForRoom = nil
                waiting.succeed()
            }
            return .success(count)
        }
        return try result.get()
    }

    /// The consumer stops reading: queued bytes are dropped and the body refused.
    func close() {
        let waiting: EventLoopPromise<Void>? = condition.withLock {
            closed = true
            chunks = []
            queued = 0
            condition.broadcast()
            defer { waitingForRoom = nil }
            return waitingForRoom
        }
        waiting?.fail(Closed())
    }

    // MARK: HTTPBodySink

    func receive(_ bytes: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        condition.withLock {
            guard !closed else { return eventLoop.makeFailedFuture(Closed()) }
            chunks.append(Array(bytes.readableBytesView))
            queued += bytes.readableBytes
            total += Int64(bytes.readableBytes)
            condition.broadcast()
            guard queued >= capacity else { return eventLoop.makeSucceededVoidFuture() }
            let promise = eventLoop.makePromise(of: Void.self)
            waitingForRoom = promise
            return promise.futureResult
        }
    }
}
