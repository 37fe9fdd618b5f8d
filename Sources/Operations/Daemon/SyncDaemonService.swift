import Logging
import ServiceLifecycle
import ZephirCore

/// The daemon's loop as a swift-service-lifecycle service: a graceful shutdown (SIGTERM or
/// SIGINT through the service group) cancels the loop, which stops between runs or abandons
/// the run in flight before its commit, then returns.
public struct SyncDaemonService: Service {
    public let daemon: SyncDaemon
    public let options: SyncDaemon.Options
    /// Told when the loop has returned.
    public let health: DaemonHealth?

    public init(daemon: SyncDaemon, options: SyncDaemon.Options, health: DaemonHealth? = nil) {
        self.daemon = daemon
        self.options = options
        self.health = health
    }

    public func run() async throws {
        defer { health?.stopped() }
        let daemon = self.daemon, options = self.options
        await cancelWhenGracefulShutdown { await daemon.run(options) }
    }
}
