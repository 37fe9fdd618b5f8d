import NIOConcurrencyHelpers

/// `/healthz` of the daemon: healthy while its loop is alive and its last iteration ended less
/// than two periods ago (a period: the interval plus the jitter, the longest wait between runs).
/// Until the first iteration ends, the loop's start counts as the last end.
public final class DaemonHealth: Sendable {
    private struct State {
        var alive = true
        var lastEnd: ContinuousClock.Instant
    }

    public let period: Duration
    private let state: NIOLockedValueBox<State>

    public init(period: Duration, now: ContinuousClock.Instant = .now) {
        self.period = period
        state = NIOLockedValueBox(State(lastEnd: now))
    }

    /// An iteration of the loop ended (a run, or a skipped one).
    public func iterationEnded(at now: ContinuousClock.Instant = .now) {
        state.withLockedValue { $0.lastEnd = now }
    }

    /// The loop returned: never healthy again.
    public func stopped() {
        state.withLockedValue { $0.alive = false }
    }

    /// `nil` when healthy, else why not (the body of a 503).
    public func unhealthy(at now: ContinuousClock.Instant = .now) -> String? {
        let state = state.withLockedValue { $0 }
        guard state.alive else { return "the sync loop has stopped" }
        let since = now - state.lastEnd
        guard since < period * 2 else {
            return "the last sync iteration ended \(since.components.seconds) s ago, more than two periods (\((period * 2).components.seconds) s)"
        }
        return nil
    }
}
