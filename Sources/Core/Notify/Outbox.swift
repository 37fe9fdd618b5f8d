import Foundation

/// What goes into the notification outbox, and when (SPEC §6 `notify`).
public enum Outbox {
    /// A run is worth a notification when it changed something or raised a conflict the previous
    /// run did not have.
    public static func isNotable(_ report: SyncReport, previousConflicts: [Conflict]) -> Bool {
        if report.status == .applied { return true }
        let known = Set(previousConflicts.map { identity(of: $0) })
        return report.conflicts.contains { !known.contains(identity(of: $0)) }
    }

    /// What makes two runs' conflicts the same one: kind, subject and detail.
    static func identity(of conflict: Conflict) -> String {
        "\(conflict.kind.rawValue)|\(conflict.subject)|\(conflict.detail)"
    }

    /// The report as stored: JSON with sorted keys; the run id is filled in at delivery.
    public static func payload(_ report: SyncReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }

    /// The document delivered: the stored report with its run id.
    public static func document(_ message: OutboxMessage) -> Data {
        guard let run = message.run, var object = (try? JSONSerialization.jsonObject(with: message.payload)) as? [String: Any] else {
            return message.payload
        }
        object["run"] = run
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? message.payload
    }

    /// When a failed delivery is tried again: at the next run after the first failure, then
    /// after 1, 2, 4 … minutes, at most an hour apart.
    public static func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        attempts <= 1 ? 0 : min(60 * pow(2, Double(attempts - 2)), 3600)
    }
}
