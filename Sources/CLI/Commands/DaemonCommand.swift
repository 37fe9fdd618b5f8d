import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ZephirCore
import ZephirOperations

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Syncs on a schedule until SIGTERM or SIGINT.",
        discussion: """
        Runs `sync` every --interval (plus a random part of --jitter, so that many instances do not all fetch at once), reloading the configuration each time, delivering pending notifications, and logging one line per run on stderr. A failing source is retried after 1, 2, 4 … intervals (at most 6 hours). On SIGTERM or SIGINT it stops between runs, or abandons the run in flight before its commit; a second one stops it at once (the database is left as the last commit made it). For a timer-driven setup instead, see config/systemd/.

        Example:
          zephir-models daemon --interval 1h --jitter 10m --config /etc/zephir-models/config.yml
        """
    )

    @Option(help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("Time between runs: 90s, 15m, 1h.", valueName: "duration"))
    var interval = "1h"

    @Option(help: ArgumentHelp("A random extra wait of up to this long before each run.", valueName: "duration"))
    var jitter = "0"

    @Option(help: ArgumentHelp("Serve /metrics (Prometheus' text format) and /healthz on this address, such as 127.0.0.1:9464.", valueName: "addr:port"))
    var metricsListen: String?

    private var jitterSeconds: TimeInterval? { jitter == "0" || jitter == "0s" ? 0 : DurationText.seconds(jitter) }

    func validate() throws {
        guard let seconds = DurationText.seconds(interval), seconds >= 1 else {
            throw ValidationError("--interval '\(interval)' is not a duration of at least 1s, such as 90s, 15m or 1h")
        }
        guard jitterSeconds != nil else { throw ValidationError("--jitter '\(jitter)' is not a duration such as 0 or 10m") }
        if let metricsListen, ListenAddress(metricsListen) == nil {
            throw ValidationError("--metrics-listen '\(metricsListen)' is not ADDR:PORT, such as 127.0.0.1:9464 or [::1]:9464")
        }
    }

    func run() async throws {
        let logger = Logger(label: "zephir-models.daemon")
        let configPath = config
        try await ExitStatus.guarded {
            _ = try Bootstrap.open(configPath)   // fail fast (exit 78) on a broken configuration at start
            let options = SyncDaemon.Options(interval: .milliseconds(Int64(DurationText.seconds(interval)! * 1000)),
                                             jitter: .milliseconds(Int64(jitterSeconds! * 1000)))
            let monitoring = metricsListen.map { _ in
                DaemonMonitoring(metrics: SyncMetrics(), health: DaemonHealth(period: options.interval + options.jitter), logger: logger)
            }
            var observer: SyncDaemon.Observer?
            if let monitoring { observer = { iteration, engine in await monitoring.observe(iteration, engine: engine) } }
            let daemon = SyncDaemon(logger: logger, observer: observer) {
                let (config, store) = try Bootstrap.open(configPath)
                return (try SyncEngine(config: config, registry: Bootstrap.sources, store: store), Notifier(store: store, logger: logger))
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let monitoring, let address = metricsListen.flatMap(ListenAddress.init) {
                // First in the group, so that it is shut down last: /metrics answers until the loop has stopped.
                services.append(.init(service: MonitoringHTTPServer(address: address, routes: monitoring.routes, logger: logger)))
            }
            services.append(.init(service: SyncDaemonService(daemon: daemon, options: options, health: monitoring?.health),
                                  successTerminationBehavior: .gracefullyShutdownGroup))
            // Last, so that it is the first told when the group stops for another reason.
            services.append(.init(service: TerminationSignals(logger: logger), successTerminationBehavior: .gracefullyShutdownGroup))
            logger.info("daemon started", metadata: ["interval": "\(interval)", "jitter": "\(jitter)", "metrics": "\(metricsListen ?? "off")"])
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
            try await group.run()
        }
    }
}
