import Foundation

/// A flag set from one task and read (or taken: read and cleared) from others.
public final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    public init() {}

    public func set() { lock.withLock { value = true } }

    public var isSet: Bool { lock.withLock { value } }

    /// Whether it was set; cleared.
    public func take() -> Bool { lock.withLock { defer { value = false }; return value } }
}
