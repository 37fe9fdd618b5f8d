/// A decoded datasource tree: what one publisher authored (SPEC §4).
///
/// A release whose `release.yml` the tree holds is *defined* by it; a tree may also add
/// services and models to a release defined elsewhere (an external vendor's tree does).
public struct DatasourceTree: Sendable, Hashable {
    /// What the tree holds for one release.
    public struct ReleaseContent: Sendable, Hashable {
        public var release: Release?
        public var services: [String: ApplicationService] = [:]
        public var models: [String: ServerModel] = [:]

        public init(release: Release? = nil, services: [String: ApplicationService] = [:], models: [String: ServerModel] = [:]) {
            self.release = release
            self.services = services
            self.models = models
        }
    }

    public var versions: [String: Version] = [:]
    public var releases: [String: ReleaseContent] = [:]

    public init(versions: [String: Version] = [:], releases: [String: ReleaseContent] = [:]) {
        self.versions = versions
        self.releases = releases
    }

    /// Adds one decoded file.
    public mutating func add(_ file: TreeFile) {
        switch file {
        case .version(let v): versions[v.name] = v
        case .release(let r): releases[r.name, default: ReleaseContent()].release = r
        case .service(let release, let s): releases[release, default: ReleaseContent()].services[s.name] = s
        case .model(let release, let m): releases[release, default: ReleaseContent()].models[m.name] = m
        }
    }

    public var modelCount: Int { releases.values.reduce(0) { $0 + $1.models.count } }
    public var serviceCount: Int { releases.values.reduce(0) { $0 + $1.services.count } }
    public var variableCount: Int { releases.values.reduce(0) { $0 + $1.models.values.reduce(0) { $0 + $1.variables.count } } }
}
