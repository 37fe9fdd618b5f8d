import ZephirCore

/// The `external` kind: a vendor's bundle. It adds services and models to releases an
/// `eole` source defines, within its scope; versions and releases it ships are out of scope.
public struct ExternalSourceAdapter: URLSourceAdapter {
    public static let kind = "external"
    public static let role = SourceRole.addon

    public let config: SourceConfig

    public init(config: SourceConfig) throws(ConfigError) {
        self.config = config
    }
}
