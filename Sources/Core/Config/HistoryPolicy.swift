/// How much layer history a store keeps (SPEC §8 `history: {keep_runs: N}`).
public struct HistoryPolicy: Sendable, Hashable {
    public static let defaultKeepRuns = 100

    /// The newest runs whose source layers `rollback --to` can restore, the latest included.
    public var keepRuns: Int

    public init(keepRuns: Int = HistoryPolicy.defaultKeepRuns) {
        self.keepRuns = keepRuns
    }
}
