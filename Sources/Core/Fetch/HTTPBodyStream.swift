import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Takes a streamed HTTP body on the client's event loop (see ``HTTPTransport/stream(_:into:)``).
protocol HTTPBodySink: AnyObject, Sendable {
    /// Takes a part of the body. The future completes once the sink has room for more (the
    /// connection is not read until then), or fails when the sink wants no more (the request is
    /// then ended and its connection closed).
    func receive(_ bytes: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
}

extension HTTPTransport {
    /// Streams the body of `url` (an absolute URL; redirects followed as for
    /// ``fetch(_:maxBytes:)``) into `sink`, within the request timeout.
    ///
    /// The body is read on the client's event loop, never on the Swift cooperative pool, and
    /// the read timeout is timed there too, only while the sink has room: a sink that holds the
    /// connection back (backpressure) is not a silent server, and a busy pool never makes a
    /// timeout fire early.
    func stream(_ url: String, into sink: any HTTPBodySink) async throws(FetchError) {
        try await Self.withDeadline(url: url, options: options) { [self] () async throws(FetchError) in
            var current = url
            for _ in 0...self.options.maxRedirects {
                switch try await self.streamOnce(current, into: sink) {
                case .body: return
                case .redirect(let next): current = next
                }
            }
            throw .tooManyRedirects(url: url, limit: self.options.maxRedirects)
        }
    }

    /// One request: its body into `sink` when the answer is 200, else where it redirects.
    /// A request that failed before any of the body reached the sink, for a reason that
    /// ``ConnectionRetry/mayPass(_:method:)``, is made once more: the sink has seen nothing.
    private func streamOnce(_ url: String, into sink: any HTTPBodySink) async throws(FetchError) -> BodyStreamDelegate.Outcome {
        let request: HTTPClient.Request
        do { request = try HTTPClient.Request(url: url) } catch { throw .network(url: url, reason: Self.describe(error)) }
        let idle = min(options.readTimeout, options.requestTimeout)
        var delegate: BodyStreamDelegate?   // the latest attempt's
        let passedBody = { delegate?.passedBody ?? false }
        do {
            return try await ConnectionRetry.perform(method: .GET, {
                let attempt = BodyStreamDelegate(url: url, sink: sink, idle: Self.timeAmount(idle))
                delegate = attempt
                let task = client.execute(request: request, delegate: attempt, deadline: .now() + Self.timeAmount(options.requestTimeout))
                return try await withTaskCancellationHandler {
                    try await task.futureResult.get()
                } onCancel: {
                    task.cancel()
                }
            }, allowed: { !passedBody() })
        } catch let error as FetchError {
            throw error
        } catch is BodyStreamDelegate.Silence {
            throw .timeout(url: url, seconds: Self.seconds(idle))
        } catch is CancellationError {
            throw .network(url: url, reason: "cancelled before it was tried again")
        } catch where !passedBody() {
            // Refused, reset or closed before the body: said as for any other request.
            throw Self.failure(error, url: url, options: options)
        } catch {
            throw Self.timeout(error, url: url, options: options) ?? .network(url: url, reason: "the connection broke while reading: \(Self.describe(error))")
        }
    }
}

/// Passes a 200 body to an ``HTTPBodySink`` and times the server's silence on the event loop:
/// the timer runs from the request's end until the body's end, paused while the sink holds the
/// connection back. Every callback comes on the task's event loop, which alone touches the state.
final class BodyStreamDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    enum Outcome: Sendable {
        case body
        case redirect(String)
    }

    /// The server stayed silent for the read timeout.
    struct Silence: Error {}

    private let url: String
    private let sink: any HTTPBodySink
    private let idle: TimeAmount
    private var status: UInt = 0
    private var location: String?
    private var timer: Scheduled<Void>?
    /// Whether any of a 200 body has gone to the sink. Set on the event loop; read only once
    /// the task's future has completed, which happens there after the last callback.
    private(set) var passedBody = false

    init(url: String, sink: any HTTPBodySink, idle: TimeAmount) {
        self.url = url
        self.sink = sink
        self.idle = idle
    }

    func didSendRequest(task: HTTPClient.Task<Outcome>) { arm(task) }

    func didReceiveHead(task: HTTPClient.Task<Outcome>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = head.status.code
        location = head.headers.first(name: "location")
        arm(task)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Outcome>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard status == 200 else {
            // The short body of a redirect or an error: dropped.
            arm(task)
            return task.eventLoop.makeSucceededVoidFuture()
        }
        timer?.cancel()
        timer = nil
        passedBody = true
        let taken = sink.receive(buffer, on: task.eventLoop)
        taken.whenSuccess { self.arm(task) }
        return taken
    }

    func didReceiveError(task: HTTPClient.Task<Outcome>, _ error: Error) {
        timer?.cancel()
        timer = nil
    }

    func didFinishRequest(task: HTTPClient.Task<Outcome>) throws -> Outcome {
        timer?.cancel()
        timer = nil
        guard status != 200 else { return .body }
        return .redirect(try HTTPTransport.redirect(from: url, status: status, location: location))
    }

    /// (Re)starts the silence timer.
    private func arm(_ task: HTTPClient.Task<Outcome>) {
        timer?.cancel()
        timer = task.eventLoop.scheduleTask(in: idle) { task.fail(reason: Silence()) }
    }
}
