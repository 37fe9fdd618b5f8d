import CSupport
import Foundation
import Logging
import ServiceLifecycle

/// SIGTERM and SIGINT as a service of the daemon's group: its `run()` returns when one arrives,
/// and the group, told to shut down gracefully when it does, stops the sync loop.
///
/// Not swift-service-lifecycle's own signal handling: on Linux it rests on libdispatch's signal
/// sources, which read a `signalfd`. The main thread of an async program waits in
/// `sigsuspend` with every signal unblocked, so the signal lands in libdispatch's handler there,
/// which forwards it with `pthread_kill` to the thread that first registered the source, a
/// thread that may have ended since. A daemon in CI kept serving for 10 s after SIGTERM; this
/// hop is the one we could not rule out. Here a plain handler writes the signal's number to a pipe, whichever
/// thread takes it, and a thread of our own reads the pipe. A second signal of the same kind
/// ends the process at once (the run's transaction keeps the database whole).
public struct TerminationSignals: Service {
    /// The pipe or the handler could not be set up.
    public struct SetupError: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String {
            "cannot install the SIGTERM/SIGINT handler: \(String(cString: strerror(errno))); the daemon would not stop cleanly, so it does not start"
        }
    }

    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func run() async throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SetupError(errno: errno) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Close-on-exec: the notifier commands the daemon runs do not inherit it.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard zm_forward_termination_signals(writeEnd) == 0 else { throw SetupError(errno: errno) }
        let signal = await withGracefulShutdownHandler {
            await Self.firstByte(of: readEnd)
        } onGracefulShutdown: {
            // The group stops for another reason: wake the reader, which then returns 0.
            var zero: UInt8 = 0
            _ = write(writeEnd, &zero, 1)
        }
        if signal != 0 {
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            logger.info("stopping on \(name): the run in flight, if any, is abandoned before its commit")
            Self.bound(stopping: grace, after: name, logger: logger)
        }
    }

    /// How long the loop may take to return once a signal asked it to stop.
    public var grace: Duration = .seconds(20)

    /// Ends the process if it is still there `grace` after the signal: a run that does not
    /// honour its cancellation must not keep a stopping daemon alive until systemd's SIGKILL.
    /// Ending it is safe: what was not committed is rolled back, as after a crash.
    private static func bound(stopping grace: Duration, after signal: String, logger: Logger) {
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: Double(grace.components.seconds))
            logger.error("the sync loop did not stop within \(grace.components.seconds) s of \(signal); exiting now, nothing uncommitted is kept")
            _exit(0)
        }
        watchdog.name = "zm-stop-bound"
        watchdog.start()
    }

    /// The first byte written to `fd`, read on a thread of its own (never one of the shared pool).
    private static func firstByte(of fd: Int32) async -> Int32 {
        await withCheckedContinuation { continuation in
            let reader = Thread {
                var byte: UInt8 = 0
                while read(fd, &byte, 1) < 0 && errno == EINTR {}
                continuation.resume(returning: Int32(byte))
            }
            reader.name = "zm-signals"
            reader.start()
        }
    }
}
