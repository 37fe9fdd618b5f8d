/// Where a file sits in a datasource tree, which says what it holds.
public enum TreePath: Sendable, Hashable {
    case version(name: String)
    case release(release: String)
    case service(release: String, name: String)
    case model(release: String, name: String)

    /// Classifies a relative path; throws when the path is not one a tree may hold.
    public static func classify(_ path: String) throws(TreeError) -> TreePath {
        guard BundlePath.isSafe(path) else {
            throw TreeError(file: path, .unexpectedFile("the path is not a normalized relative path inside the tree"))
        }
        let parts = path.split(separator: "/").map(String.init)
        func stem(_ file: String) throws(TreeError) -> String {
            guard file.hasSuffix(".yml") else { throw TreeError(file: path, .unexpectedFile("only .yml files are allowed")) }
            let name = String(file.dropLast(4))
            guard EntityName.isValid(name) else {
                throw TreeError(file: path, .unexpectedFile("'\(name)' is not a valid name (\(EntityName.pattern))"))
            }
            return name
        }
        switch (parts.first, parts.count) {
        case ("versions", 2):
            return .version(name: try stem(parts[1]))
        case ("releases", 3) where parts[2] == "release.yml":
            return .release(release: try releaseName(parts[1], path))
        case ("releases", 4) where parts[2] == "applicationservices":
            return .service(release: try releaseName(parts[1], path), name: try stem(parts[3]))
        case ("releases", 4) where parts[2] == "servermodels":
            return .model(release: try releaseName(parts[1], path), name: try stem(parts[3]))
        default:
            throw TreeError(file: path, .unexpectedFile("this path has no meaning in a tree"))
        }
    }

    /// The path of this entry, relative to the tree's root.
    public var path: String {
        switch self {
        case .version(let name): return "versions/\(name).yml"
        case .release(let release): return "releases/\(release)/release.yml"
        case .service(let release, let name): return "releases/\(release)/applicationservices/\(name).yml"
        case .model(let release, let name): return "releases/\(release)/servermodels/\(name).yml"
        }
    }

    private static func releaseName(_ name: String, _ path: String) throws(TreeError) -> String {
        guard EntityName.isValid(name) else {
            throw TreeError(file: path, .unexpectedFile("release folder '\(name)' is not a valid name (\(EntityName.pattern))"))
        }
        return name
    }
}
