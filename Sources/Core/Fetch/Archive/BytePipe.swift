import Foundation

/// A bounded queue of bytes from an async producer (an HTTP body) to a blocking consumer
/// (libarchive's read callback on the archive's own thread).
///
/// The producer waits without holding a thread while `capacity` bytes are queued (backpressure:
/// the connection is read no faster than the archive is); the consumer blocks its own thread
/// until bytes, the end or a failure come. When the consumer closes the pipe, the producer's
/// next ``push(_:)`` returns `false` and it stops reading.
final class BytePipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    /// Bytes of `chunks[0]` already taken.
    private var offset = 0
    private var queued = 0
    private var end: FetchError??
    private var closed = false
    private var waitingForRoom: CheckedContinuation<Void, Never>?
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    // MARK: producer

    /// Queues `bytes`, waiting while the pipe is full.
    /// - Returns: `false` when the consumer closed the pipe or the task was cancelled: stop producing.
    func push(_ bytes: [UInt8]) async -> Bool {
        while true {
            let admitted: Bool? = condition.withLock {
                if closed { return false }
                guard queued < capacity else { return nil }
                chunks.append(bytes)
                queued += bytes.count
                condition.broadcast()
                return true
            }
            if let admitted { return admitted }
            if Task.isCancelled { return false }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now: Bool = condition.withLock {
                        if closed || queued < capacity || Task.isCancelled { return true }
                        waitingForRoom = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                wakeProducer()
            }
        }
    }

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
                waiting.resume()
            }
            return .success(count)
        }
        return try result.get()
    }

    /// The consumer stops reading: queued bytes are dropped and the producer is told to stop.
    func close() {
        condition.withLock {
            closed = true
            chunks = []
            queued = 0
            condition.broadcast()
        }
        wakeProducer()
    }

    private func wakeProducer() {
        let waiting: CheckedContinuation<Void, Never>? = condition.withLock {
            defer { waitingForRoom = nil }
            return waitingForRoom
        }
        waiting?.resume()
    }
}
