import ZephirCore

/// The `eole` kind: EOLE's official publications, or another ministry maintaining EOLE
/// modules. Defines versions, releases, services and models; fetched from its URL.
public struct EOLESourceAdapter: URLSourceAdapter {
    public static let kind = "eole"
    public static let role = SourceRole.authority

    public let config: SourceConfig

    public init(config: SourceConfig) throws(ConfigError) {
        self.config = config
    }
}
