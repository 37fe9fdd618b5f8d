/// A configuration variable of a server model.
public struct Variable: Sendable, Hashable, Codable {
    public var name: String
    public var type: VariableType
    /// The default in canonical text form (`8080`, `true`, `192.168.0.1`); it fits `type`.
    public var defaultValue: String?
    public var mandatory: Bool
    public var description: String
    /// The allowed values of a `choice`; `nil` for every other type.
    public var choices: [String]?

    public init(name: String, type: VariableType, defaultValue: String? = nil, mandatory: Bool = false,
                description: String = "", choices: [String]? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.mandatory = mandatory
        self.description = description
        self.choices = choices
    }

    /// Why `value` does not fit this variable, or `nil` when it does.
    public func problem(with value: String) -> String? {
        type.problem(with: value, choices: choices ?? [])
    }
}
