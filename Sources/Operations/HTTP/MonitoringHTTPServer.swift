import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A small HTTP/1.1 server on swift-nio for ``MonitoringRoutes``, run as a service of the
/// daemon's service group: it listens until the group shuts down gracefully.
public struct MonitoringHTTPServer: Service {
    /// The address could not be bound; names it and says what to do.
    public struct ListenError: Error, CustomStringConvertible {
        public var address: ListenAddress
        public var reason: String
        public var description: String { "cannot listen on \(address) for --metrics-listen: \(reason); choose another address or port" }
    }

    public let address: ListenAddress
    public let routes: MonitoringRoutes
    public let logger: Logger

    public init(address: ListenAddress, routes: MonitoringRoutes, logger: Logger) {
        self.address = address
        self.routes = routes
        self.logger = logger
    }

    public func run() async throws {
        let routes = self.routes
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(MonitoringHTTPHandler(routes: routes))
                    }
                }
                .bind(host: address.host, port: address.port).get()
        } catch {
            throw ListenError(address: address, reason: "\(error)")
        }
        logger.info("serving /metrics and /healthz", metadata: ["listen": "\(address)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// Answers each request of one connection from the routes.
final class MonitoringHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: MonitoringRoutes
    private var head: HTTPRequestHead?

    init(routes: MonitoringRoutes) { self.routes = routes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let response = routes.respond(method: head.method, uri: head.uri)
            let body = context.channel.allocator.buffer(string: response.body)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if !head.isKeepAlive {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}
