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
        guard zm_forward_termination_signals(writeEnd) == 0 else { throw SetupError(errno: errno) }
        let signal = await withGracefulShutdownHandler {
            await Self.firstByte(of: readEnd)
        } onGracefulShutdown: {
            // The group stops for another reason: wake the reader, which then returns 0.
            var zero: UInt8 = 0
            _ = write(writeEnd, &zero, 1)
        }
        if signal != 0 {
            logger.info("stopping on \(signal == SIGINT ? "SIGINT" : "SIGTERM"): the run in flight, if any, is abandoned before its commit")
        }
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
