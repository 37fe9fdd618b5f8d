import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One more try, a moment later, for a request that never reached the server for a reason that
/// may pass: a connection reset or aborted while it was being made, a name that did not resolve
/// this time, or (for `GET` and `HEAD`) a kept-alive connection the server had closed meanwhile.
///
/// AsyncHTTPClient's own retries are off (``HTTPTransport/makeClient(for:options:readTimeout:)``)
/// so that a refused connection, where nothing listens, fails at once; with them off, one failed
/// attempt fails every request waiting for a connection to that host. A refusal, an unreachable
/// network and the connect timeout are final for the request.
///
/// ``execute(_:_:timeout:)`` serves the requests whose answer is read whole (files, indexes,
/// registry calls); an archive streamed over HTTP (``HTTPTransport/stream(_:into:)``) goes
/// through ``perform(method:_:allowed:)``, retried only while none of the body has reached its
/// reader.
enum ConnectionRetry {
    static let delay: Duration = .milliseconds(250)

    /// `client.execute(request)`, tried a second time when the first failure ``mayPass(_:method:)``.
    static func execute(_ client: HTTPClient, _ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        try await perform(method: request.method) { try await client.execute(request, timeout: timeout) }
    }

    /// `attempt()`, made a second time, after ``delay``, when its first failure
    /// ``mayPass(_:method:)`` and `allowed` agrees (a streamed body: only while none of it has
    /// been passed on). A cancellation during the delay ends it with `CancellationError`.
    static func perform<T>(method: HTTPMethod, _ attempt: () async throws -> T,
                           allowed: () -> Bool = { true }) async throws -> T {
        do {
            return try await attempt()
        } catch where mayPass(error, method: method) && allowed() {
            try await Task.sleep(for: delay)
            return try await attempt()
        }
    }

    /// System errors of a connection attempt that a second attempt may not meet.
    static let passingErrors: Set<Int32> = [ECONNRESET, ECONNABORTED, EPIPE, ETIMEDOUT, EAGAIN]

    static func mayPass(_ error: Error, method: HTTPMethod) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .remoteConnectionClosed && (method == .GET || method == .HEAD)
        }
        if let error = error as? IOError { return passingErrors.contains(error.errnoCode) }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty { return error.dnsAError != nil || error.dnsAAAAError != nil }
            return error.connectionErrors.contains { ($0.error as? IOError).map { passingErrors.contains($0.errnoCode) } ?? false }
        }
        return false
    }
}
