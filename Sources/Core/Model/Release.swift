/// An EOLE release (`2.7.1`) of a ``Version``.
public struct Release: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case testing, stable, oldstable, eol
    }

    public var name: String
    /// The name of the ``Version`` it belongs to.
    public var version: String
    public var status: Status
    /// `YYYY-MM-DD`.
    public var date: String

    public init(name: String, version: String, status: Status, date: String) {
        self.name = name
        self.version = version
        self.status = status
        self.date = date
    }
}
