import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Reads a bundle over `http:` or `https:` (certificates verified against the system's store or
/// a source's `ca_file`), with timeouts, bounded redirects that keep their scheme, and size
/// limits enforced while reading.
public final class HTTPTransport: BundleTransport {
    public let base: String
    let client: HTTPClient
    let options: TransportOptions

    public convenience init(base: String, options: TransportOptions) throws(FetchError) {
        try self.init(base: base, options: options, clientReadTimeout: true)
    }

    /// - Parameter clientReadTimeout: whether the client cuts off a server silent for the read
    ///   timeout. A reader that applies backpressure (``stream(_:into:)`` into an archive) times
    ///   the silence itself: while it does not ask for bytes, the server is not silent.
    init(base: String, options: TransportOptions, clientReadTimeout: Bool) throws(FetchError) {
        self.base = base.hasSuffix("/") ? base : base + "/"
        self.options = options
        client = try Self.makeClient(for: base, options: options, readTimeout: clientReadTimeout)
    }

    /// The HTTP client of a network transport: certificates verified against the system's store
    /// or the options' `ca_file`, the options' connect and read timeouts (the read timeout left
    /// out when `readTimeout` is false), redirects left to the caller (which keeps their scheme),
    /// no decompression (sizes are those of the bytes sent). A connection that cannot be made
    /// fails the request at once, with its reason (refused, no route…): AsyncHTTPClient would
    /// otherwise try again until the connect timeout and report only that, which made a stopped
    /// mirror cost every sync the whole timeout. ``ConnectionRetry`` tries once more after the
    /// failures that may pass.
    /// - Throws: ``FetchError/network(url:reason:)`` when the `ca_file` cannot be read.
    static func makeClient(for location: String, options: TransportOptions, readTimeout: Bool = true) throws(FetchError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw .network(url: location, reason: "the ca_file \(caFile) cannot be read")
            }
            tls.trustRoots = .file(caFile)
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeAmount(options.connectTimeout),
                           read: readTimeout ? timeAmount(min(options.readTimeout, options.requestTimeout)) : nil),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public var location: String { base }

    /// A duration as NIO's time amount, to the nanosecond (0.5 s stays 0.5 s).
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        let url = base + relativePath.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }.joined(separator: "/")
        return try await Self.withDeadline(url: url, options: options) { [self] () async throws(FetchError) -> Data in
            let (response, final) = try await self.open(url)
            return try await Self.readBody(response, url: final, maxBytes: maxBytes, options: self.options)
        }
    }

    /// Runs `body` (one request and its answer, redirects included) within the options' request
    /// timeout: a server that answers slowly, or drips its body, is cut off at the deadline.
    static func withDeadline<T: Sendable>(url: String, options: TransportOptions,
                                          _ body: @escaping @Sendable () async throws(FetchError) -> T) async throws(FetchError) -> T {
        let seconds = Self.seconds(options.requestTimeout)
        let result: Result<T, FetchError> = await withTaskGroup(of: Result<T, FetchError>?.self) { group in
            group.addTask {
                do throws(FetchError) { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: options.requestTimeout)
                return Task.isCancelled ? nil : .failure(.timeout(url: url, seconds: seconds))
            }
            var first: Result<T, FetchError>?
            while first == nil, let next = await group.next() { first = next }
            group.cancelAll()
            return first ?? .failure(.timeout(url: url, seconds: seconds))
        }
        return try result.get()
    }

    /// The `200` answer for `start`, its body unread, and the URL that gave it, following at
    /// most `maxRedirects` redirects that keep the scheme.
    private func open(_ start: String) async throws(FetchError) -> (HTTPClientResponse, String) {
        var url = start
        for _ in 0...options.maxRedirects {
            let response: HTTPClientResponse
            do {
                response = try await ConnectionRetry.execute(client, HTTPClientRequest(url: url), timeout: Self.timeAmount(options.requestTimeout))
            } catch {
                throw Self.failure(error, url: url, options: options)
            }
            guard response.status.code != 200 else { return (response, url) }
            url = try Self.redirect(from: url, status: response.status.code, location: response.headers.first(name: "location"))
        }
        throw .tooManyRedirects(url: start, limit: options.maxRedirects)
    }

    /// Where a non-200 answer leads: the target of a redirect that keeps the scheme.
    /// - Throws: ``FetchError`` for any other status, or a redirect elsewhere.
    static func redirect(from url: String, status: UInt, location: String?) throws(FetchError) -> String {
        switch status {
        case 301, 302, 303, 307, 308:
            guard let location, let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL.absoluteString else {
                throw .httpStatus(url: url, status: Int(status))
            }
            guard next.prefix(while: { $0 != ":" }) == url.prefix(while: { $0 != ":" }) else {
                throw .redirectNotAllowed(from: url, to: next)
            }
            return next
        case 404, 410:
            throw .notFound(url: url)
        default:
            throw .httpStatus(url: url, status: Int(status))
        }
    }

    /// The body of `response`, at most `maxBytes + 1` bytes of it (one more than allowed says
    /// that the body is too long, without reading on).
    static func readBody(_ response: HTTPClientResponse, url: String, maxBytes: Int, options: TransportOptions) async throws(FetchError) -> Data {
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
            // Longer than allowed: one byte more than the limit tells the caller so, without reading on.
            return Data(count: maxBytes + 1)
        }
        var data = Data()
        do {
            for try await chunk in response.body {
                let room = maxBytes + 1 - data.count
                if chunk.readableBytes >= room {
                    data.append(contentsOf: chunk.readableBytesView.prefix(room))
                    break
                }
                data.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            throw timeout(error, url: url, options: options) ?? .network(url: url, reason: "the connection broke while reading: \(describe(error))")
        }
        return data
    }

    /// A request that failed before an answer came: a timeout, or a network failure.
    static func failure(_ error: Error, url: String, options: TransportOptions) -> FetchError {
        timeout(error, url: url, options: options) ?? .network(url: url, reason: describe(error))
    }

    /// The client's own timeouts, reported like the request deadline (whichever fires first).
    static func timeout(_ error: Error, url: String, options: TransportOptions) -> FetchError? {
        guard let error = error as? HTTPClientError else { return nil }
        switch error {
        case .deadlineExceeded: return .timeout(url: url, seconds: Self.seconds(options.requestTimeout))
        case .readTimeout: return .timeout(url: url, seconds: Self.seconds(min(options.readTimeout, options.requestTimeout)))
        case .connectTimeout: return .timeout(url: url, seconds: Self.seconds(options.connectTimeout))
        default: return nil
        }
    }

    /// A duration in seconds, fractions kept.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        return connectionFailure(error) ?? String(describing: error)
    }

    /// Why no connection could be made, in the system's words (`connection refused by
    /// 127.0.0.1:8080`, `the name … does not resolve`) rather than NIO's nested descriptions.
    static func connectionFailure(_ error: Error) -> String? {
        if let e = error as? IOError { return Self.systemMessage(e.errnoCode) }
        guard let e = error as? NIOConnectionError else { return nil }
        if e.connectionErrors.isEmpty {
            return e.dnsAError != nil || e.dnsAAAAError != nil ? "the name \(e.host) does not resolve" : "no address of \(e.host) answered"
        }
        var reasons: [String] = []
        for failure in e.connectionErrors {
            let reason = (failure.error as? IOError).map { Self.systemMessage($0.errnoCode) } ?? String(describing: failure.error)
            let text = "\(reason) by \(failure.target.ipAddress ?? e.host):\(failure.target.port ?? e.port)"
            if !reasons.contains(text) { reasons.append(text) }
        }
        return reasons.joined(separator: "; ")
    }

    /// `strerror`, lowercased: "connection refused", "no route to host".
    private static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
