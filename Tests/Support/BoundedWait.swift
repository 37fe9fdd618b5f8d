import Foundation

/// The result of `task` if it ends within `limit`; `nil` when it does not (it is then cancelled
/// and left behind). For a call that must end, such as a store call whose server went away:
/// awaiting the task itself would hang the test with it.
public func result<T: Sendable>(of task: Task<T, any Error>, within limit: Duration) async -> Result<T, any Error>? {
    let first = FirstAnswer<Result<T, any Error>?>()
    let answer = await withCheckedContinuation { continuation in
        first.start(continuation)
        Task { first.answer(await task.result) }
        Task {
            try? await Task.sleep(for: limit)
            first.answer(nil)
        }
    }
    if case .none = answer { task.cancel() }
    return answer
}

/// A continuation resumed by the first of several answers; the later ones are dropped.
private final class FirstAnswer<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, Never>?

    func start(_ continuation: CheckedContinuation<Value, Never>) {
        lock.withLock { self.continuation = continuation }
    }

    func answer(_ value: Value) {
        let waiting: CheckedContinuation<Value, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
