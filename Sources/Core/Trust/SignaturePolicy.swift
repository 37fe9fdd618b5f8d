/// How a source's index must be signed (SPEC §6).
public struct SignaturePolicy: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// At least `threshold` distinct trusted keys signed it.
        case required
        /// Accepted unsigned or badly signed, and annotated (`unsigned-accepted`).
        case warn
        /// Not checked: for the fake source and tests.
        case off
    }

    public var mode: Mode
    public var threshold: Int
    public var keys: [PublicKey]
    /// The pinned root (SPEC §5.1 `signature.root:`): when set, the index keys and threshold
    /// come from the newest root of its chain, not from `keys` and `threshold`.
    public var root: TrustedRoot?

    public init(mode: Mode, threshold: Int = 1, keys: [PublicKey] = [], root: TrustedRoot? = nil) {
        self.mode = mode
        self.threshold = threshold
        self.keys = keys
        self.root = root
    }
}
