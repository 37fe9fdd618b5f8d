import ArgumentParser
import Dispatch
import Foundation
import Logging
import ZephirCore

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Syncs on a schedule until SIGTERM or SIGINT.",
        discussion: """
        Runs `sync` every --interval (plus a random part of --jitter, so that many instances do
        not all fetch at once), reloading the configuration each time, delivering pending
        notifications, and logging one line per run on stderr. A failing source is retried
        after 1, 2, 4 … intervals (at most 6 hours). On SIGTERM or SIGINT it stops between runs,
        or abandons the run in flight before its commit. For a timer-driven setup instead, see
        config/systemd/.

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

    private var jitterSeconds: TimeInterval? { jitter == "0" || jitter == "0s" ? 0 : DurationText.seconds(jitter) }

    func validate() throws {
        guard let seconds = DurationText.seconds(interval), seconds >= 1 else {
            throw ValidationError("--interval '\(interval)' is not a duration of at least 1s, such as 90s, 15m or 1h")
        }
        guard jitterSeconds != nil else { throw ValidationError("--jitter '\(jitter)' is not a duration such as 0 or 10m") }
    }

    func run() async throws {
        Signals.unblockTermination()
        let logger = Logger(label: "zephir-models.daemon")
        let configPath = config
        try await ExitStatus.guarded {
            _ = try Bootstrap.open(configPath)   // fail fast (exit 78) on a broken configuration at start
            let daemon = SyncDaemon(logger: logger) {
                let (config, store) = try Bootstrap.open(configPath)
                return (try SyncEngine(config: config, registry: Bootstrap.sources, store: store), Notifier(store: store, logger: logger))
            }
            let options = SyncDaemon.Options(interval: .milliseconds(Int64(DurationText.seconds(interval)! * 1000)),
                                             jitter: .milliseconds(Int64(jitterSeconds! * 1000)))
            logger.info("daemon started", metadata: ["interval": "\(interval)", "jitter": "\(jitter)"])
            let task = Task { await daemon.run(options) }
            let stop = Signals.onTermination { logger.info("stopping on signal"); task.cancel() }
            await task.value
            stop.forEach { $0.cancel() }
        }
    }
}

/// SIGTERM and SIGINT as cancellation.
enum Signals {
    /// A process started by another (a test runner, some supervisors) may inherit a blocked
    /// SIGTERM; the daemon must see it.
    static func unblockTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func onTermination(_ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
