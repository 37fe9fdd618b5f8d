import ZephirCore

/// A fetch's outcome as the trust and carrier tests look at it.
extension SourceFetcher.Outcome {
    public var snapshot: SourceFetcher.Snapshot? { if case .updated(let s) = self { return s } else { return nil } }
    /// The named reason of a rejection (`TrustError.reason`), else nil.
    public var rejection: TrustError? { if case .rejected(let e) = self { return e } else { return nil } }
    public var unavailability: FetchError? { if case .unavailable(let e) = self { return e } else { return nil } }
    public var isUnchanged: Bool { if case .unchanged = self { return true } else { return false } }

    /// One line for a failed expectation's message.
    public var summary: String {
        switch self {
        case .unchanged(let v): return "unchanged v\(v.index.version)"
        case .updated(let s): return "updated v\(s.verified.index.version)"
        case .rejected(let e): return "rejected \(e.reason): \(e)"
        case .unavailable(let e): return "unavailable \(e.reason): \(e)"
        }
    }
}
