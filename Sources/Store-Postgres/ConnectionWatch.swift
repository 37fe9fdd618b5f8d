import Foundation
import PostgresNIO

/// Runs work on a connection and ends it when the connection closes, whatever the work waits for.
///
/// postgres-nio 1.33 never answers a statement sent on a connection that has already closed:
/// `PostgresConnection.query` writes the request to the channel without a promise, and a closed
/// channel drops it, so the caller waits forever. A `sync` whose server stopped between two
/// statements of its commit never exited (seen once in CI; `PostgresServerLossTests` pins it).
/// The work runs in a task of its own while the connection is checked every ``interval``; once
/// it has closed, the work's own error (which says more) is awaited for ``grace``, then the call
/// ends with ``Closed``, and the work's task is cancelled and left behind (one stuck on a
/// dropped statement stays suspended, with what it holds, for the process's life).
enum ConnectionWatch {
    /// The connection closed while the work was still waiting on it.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the connection to the server closed in the middle of the work (the server stopped, or the network failed)" }
    }

    /// How often the connection is checked while the work runs.
    static let interval: Duration = .milliseconds(100)
    /// How long the work's own error is awaited once the connection has closed.
    static let grace: Duration = .milliseconds(200)

    /// `body`'s result, or ``Closed`` when `connection` closes first; cancelling the caller cancels `body`.
    static func run<T: Sendable>(on connection: PostgresConnection, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let first = FirstResult<T>()
        var watcher: Task<Void, Never>?
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                first.start(continuation)
                Task { first.answer(await work.result) }
                // Polled rather than a callback on the connection's close: a pooled connection
                // lives for many calls, and its callbacks would pile up.
                watcher = Task {
                    do {
                        while !connection.isClosed { try await Task.sleep(for: interval) }
                        try await Task.sleep(for: grace)
                    } catch {
                        return  // the work answered first
                    }
                    first.answer(.failure(Closed()))
                }
            }
        } onCancel: {
            work.cancel()
        }
        watcher?.cancel()
        // Closed first: the work is told to stop. A work waiting for a statement that the closed
        // channel dropped never resumes: its task stays suspended, holding what it captured.
        if case .failure(let error) = result, error is Closed { work.cancel() }
        return try result.get()
    }
}

/// A continuation resumed by the first answer; later ones are dropped.
private final class FirstResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Result<T, any Error>, Never>?

    func start(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
        lock.withLock { self.continuation = continuation }
    }

    func answer(_ result: Result<T, any Error>) {
        let waiting: CheckedContinuation<Result<T, any Error>, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: result)
    }
}
