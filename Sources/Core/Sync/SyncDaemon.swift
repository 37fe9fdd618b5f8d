import Foundation
import Logging

/// `daemon`: syncs on a schedule until its task is cancelled (SIGTERM or SIGINT in the CLI).
///
/// Each iteration reloads the configuration (a broken edit keeps the previous one and is
/// logged), runs one sync of the sources not backing off, delivers pending notifications,
/// logs one structured line, then sleeps `interval` plus a random part of `jitter`. A source
/// that fails is skipped for exponentially longer (1, 2, 4 … intervals, at most
/// `maxBackoff`) until it succeeds again: never a tight loop. Cancellation stops it between
/// runs, or abandons the run in flight before its commit.
public struct SyncDaemon: Sendable {
    public struct Options: Sendable {
        public var interval: Duration
        public var jitter: Duration
        public var maxBackoff: Duration

        public init(interval: Duration, jitter: Duration = .zero, maxBackoff: Duration = .seconds(6 * 3600)) {
            self.interval = interval
            self.jitter = jitter
            self.maxBackoff = maxBackoff
        }
    }

    /// Builds the engine and notifier from the configuration, as it is now.
    public typealias Setup = @Sendable () throws -> (SyncEngine, Notifier)

    /// How one iteration ended, for an observer (metrics, health).
    public enum Iteration: Sendable {
        /// A run ended with this report.
        case ran(SyncReport, duration: Duration)
        /// The run threw before it could record itself (lock held, database unreachable).
        case failed(String, duration: Duration)
        /// Every source was backing off, or no configuration could be loaded.
        case skipped
        /// Cancelled in flight, before its commit.
        case abandoned
    }

    /// Called after each iteration, before the sleep, with the engine it used (if any).
    public typealias Observer = @Sendable (Iteration, SyncEngine?) async -> Void

    public let setup: Setup
    public let logger: Logger
    public let observer: Observer?

    public init(logger: Logger, observer: Observer? = nil, setup: @escaping Setup) {
        self.setup = setup
        self.logger = logger
        self.observer = observer
    }

    /// Per-source backoff of failing sources.
    public struct Backoff: Sendable, Equatable {
        public private(set) var failures: [String: Int] = [:]
        public private(set) var notBefore: [String: ContinuousClock.Instant] = [:]

        public init() {}

        public mutating func record(_ attempts: [SourceAttempt], at now: ContinuousClock.Instant, options: Options) {
            for attempt in attempts {
                switch attempt.result {
                case .rejected, .unavailable:
                    let count = (failures[attempt.source] ?? 0) + 1
                    failures[attempt.source] = count
                    let delay = min(options.interval * (1 << min(count - 1, 20)), options.maxBackoff)
                    // The next iteration starts one interval from now: only the excess holds the source back.
                    notBefore[attempt.source] = now + delay - options.interval
                case .updated, .unchanged:
                    failures[attempt.source] = nil
                    notBefore[attempt.source] = nil
                case .held, .rolledBack:
                    break
                }
            }
        }

        public func isWaiting(_ source: String, at now: ContinuousClock.Instant) -> Bool {
            notBefore[source].map { now < $0 } ?? false
        }
    }

    /// Runs until cancelled.
    public func run(_ options: Options) async {
        var backoff = Backoff()
        var last: (SyncEngine, Notifier)?
        while !Task.isCancelled {
            let clock = ContinuousClock()
            let started = clock.now
            do {
                last = try setup()
            } catch {
                logger.error("configuration not reloaded; the previous one stays in force", metadata: ["error": "\(error)"])
            }
            var iteration = Iteration.skipped
            if let (engine, notifier) = last {
                iteration = await iterate(engine, notifier, backoff: &backoff, options: options, started: started)
            }
            await observer?(iteration, last?.0)
            let jitter = options.jitter > .zero ? Duration.milliseconds(Int64.random(in: 0...options.jitter.milliseconds)) : .zero
            do {
                try await Task.sleep(for: options.interval + jitter)
            } catch {
                break
            }
        }
        logger.info("daemon stopped")
    }

    private func iterate(_ engine: SyncEngine, _ notifier: Notifier, backoff: inout Backoff, options: Options, started: ContinuousClock.Instant) async -> Iteration {
        let enabled = engine.config.sources.filter(\.enabled).map(\.name)
        let due = enabled.filter { !backoff.isWaiting($0, at: started) }
        let waiting = enabled.filter { backoff.isWaiting($0, at: started) }
        guard !due.isEmpty else {
            logger.info("run skipped: every source is backing off", metadata: ["waiting": "\(waiting.joined(separator: ","))"])
            return .skipped
        }
        do {
            let report = try await engine.run(.init(sources: waiting.isEmpty ? [] : due))
            backoff.record(report.sources, at: ContinuousClock.now, options: options)
            let delivery = await notifier.deliverPending()
            logger.info("sync run", metadata: [
                "run": "\(report.run ?? 0)", "status": "\(report.status.rawValue)", "exit": "\(report.exitCode)",
                "sources": "\(report.sources.map { "\($0.source)=\($0.result.rawValue)" }.joined(separator: ","))",
                "added": "\(report.modelsAdded)", "changed": "\(report.modelsChanged)", "removed": "\(report.modelsRemoved)",
                "conflicts": "\(report.conflicts.count)", "backing_off": "\(waiting.joined(separator: ","))",
                "notified": "\(delivery.delivered)", "notify_failed": "\(delivery.failed)",
                "seconds": "\(String(format: "%.3f", Double((ContinuousClock.now - started).milliseconds) / 1000))",
            ])
            return .ran(report, duration: ContinuousClock.now - started)
        } catch is CancellationError {
            logger.info("run abandoned before its commit: stopping")
            return .abandoned
        } catch {
            logger.error("sync run failed", metadata: ["error": "\(error)"])
            return .failed(String(describing: error), duration: ContinuousClock.now - started)
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
