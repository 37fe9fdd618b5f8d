/// The content of one file of a datasource tree, once decoded.
public enum TreeFile: Sendable, Hashable {
    case version(Version)
    case release(Release)
    case service(release: String, ApplicationService)
    case model(release: String, ServerModel)
}
