import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Delivers the outbox's pending run reports to their sinks: a webhook (HTTP POST, certificates
/// verified, no redirects) or a command (the report on its stdin).
///
/// A failed delivery stays in the outbox and is tried again by a later run or by the daemon;
/// a failing sink never fails a sync. Receivers can drop duplicates (a crash between delivery
/// and its record) by the `X-Zephir-Models-Delivery` header, unique per message.
public struct Notifier: Sendable {
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        public var errors: [String] = []
    }

    public let store: any ModelStore
    public let timeout: Duration
    public let logger: Logger

    public init(store: any ModelStore, timeout: Duration = .seconds(15), logger: Logger = Logger(label: "zephir-models.notify")) {
        self.store = store
        self.timeout = timeout
        self.logger = logger
    }

    /// Tries each due message once.
    public func deliverPending(now: Date = Date()) async -> Summary {
        var summary = Summary()
        let pending: [OutboxMessage]
        do {
            pending = try await store.pendingNotifications(now: RFC3339.format(now))
        } catch {
            summary.errors.append("cannot read the notification outbox: \(error)")
            return summary
        }
        guard !pending.isEmpty else { return summary }
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5))))
        for message in pending {
            // Stopping (the daemon's SIGTERM): what is not delivered stays in the outbox.
            if Task.isCancelled { break }
            guard let id = message.id else { continue }
            let problem: String?
            switch NotifySink(message.sink) {
            case .webhook(let url)?: problem = await post(message, to: url, id: id, client: client)
            case .command(let command)?: problem = await run(command, message)
            case nil: problem = "unknown sink '\(message.sink)'"
            }
            if Task.isCancelled {
                // Not recorded (a store call in a cancelled task may fail or not): the message
                // stays as it was and is delivered again, at least once, after the restart.
                let outcome = problem ?? "delivered, but not recorded as zephir-models was stopping: it will be delivered again"
                summary.errors.append("\(message.sink): \(outcome); kept in the outbox")
                logger.warning("notification delivery interrupted", metadata: ["sink": "\(message.sink)", "run": "\(message.run ?? 0)", "error": "\(outcome)"])
                break
            }
            let attempts = message.attempts + 1
            let next = problem == nil ? nil : RFC3339.format(now.addingTimeInterval(Outbox.retryDelay(afterAttempts: attempts)))
            do {
                try await store.recordDelivery(id: id, delivered: problem == nil, error: problem, nextAttempt: next)
            } catch {
                summary.errors.append("cannot record the delivery of notification \(id): \(error)")
            }
            if let problem {
                summary.failed += 1
                summary.errors.append("\(message.sink): \(problem); kept in the outbox, tried again by the next run")
                logger.warning("notification not delivered", metadata: ["sink": "\(message.sink)", "run": "\(message.run ?? 0)", "error": "\(problem)"])
            } else {
                summary.delivered += 1
                logger.info("notification delivered", metadata: ["sink": "\(message.sink)", "run": "\(message.run ?? 0)"])
            }
        }
        try? await client.shutdown()
        return summary
    }

    private func post(_ message: OutboxMessage, to url: String, id: Int64, client: HTTPClient) async -> String? {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "zephir-models")
            request.headers.add(name: "X-Zephir-Models-Delivery", value: "\(id)")
            request.headers.add(name: "X-Zephir-Models-Run", value: "\(message.run ?? 0)")
            request.body = .bytes(ByteBuffer(bytes: Outbox.document(message)))
            let response = try await client.execute(request, timeout: .seconds(timeout.components.seconds))
            _ = try? await response.body.collect(upTo: 1 << 16)
            return (200..<300).contains(response.status.code) ? nil : "HTTP \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }

    private func run(_ command: String, _ message: OutboxMessage) async -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment["ZEPHIR_MODELS_RUN"] = "\(message.run ?? 0)"
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        signal(SIGPIPE, SIG_IGN)   // a command that does not read its stdin must not kill the sync
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "cannot start: \(error)"
        }
        // Written from a thread of its own: a command that does not read its stdin would block
        // a report larger than the pipe (64 KiB) here, before the timeout could apply. Once the
        // command is killed, the write fails (EPIPE) and the thread ends.
        let writer = input.fileHandleForWriting, document = Outbox.document(message)
        Thread.detachNewThread {
            try? writer.write(contentsOf: document)
            try? writer.close()
        }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            // Cancelled (the daemon stopping): the command is ended at once, and the message
            // stays in the outbox. Without this, the sleep below returned at once and the loop
            // spun a core until the timeout.
            let stop = Task.isCancelled ? "interrupted: zephir-models is stopping"
                     : ContinuousClock.now >= deadline ? "timed out after \(timeout)" : nil
            if let stop {
                Self.killGroup(of: process)
                return Self.reaped(process) ? stop : stop + "; something it started left its process group and keeps running"
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus == 0 ? nil : "exited with status \(process.terminationStatus)"
    }

    /// Ends the command and what it started. Foundation starts it in a process group of its own;
    /// killing only the shell left its children (a `curl`, a `sleep`) running, and
    /// `waitUntilExit` then waited for them too: a stopping daemon hung until its 20 s bound.
    private static func killGroup(of process: Process) {
        let pid = process.processIdentifier
        kill(getpgid(pid) == pid ? -pid : pid, SIGKILL)
    }

    /// Whether the killed command is seen ended within 2 s. Not `waitUntilExit`, which also
    /// waits for any descendant that left the group (a tool that daemonizes) while it holds the
    /// command's output: the sync or the daemon would hang as long as that one runs. A blocking
    /// sleep: in a cancelled task, `Task.sleep` returns at once.
    private static func reaped(_ process: Process) -> Bool {
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        return !process.isRunning
    }
}
