/// Checks the references inside one datasource tree (SPEC §4): everything that can be checked
/// without the other sources, so that a signed tree is a valid tree.
///
/// - A release the tree defines belongs to a version the tree defines.
/// - In a release the tree defines, every parent, service and dependency is defined there too.
/// - In a release defined elsewhere, references the tree cannot resolve are left to the merge.
/// - Inheritance has no cycle.
public enum TreeValidator {
    /// Every problem, in a stable order; empty when the tree is valid.
    public static func problems(in tree: DatasourceTree) -> [TreeError] {
        var errors: [TreeError] = []
        for (releaseName, content) in tree.releases.sorted(by: { $0.key < $1.key }) {
            let defined = content.release != nil
            if let release = content.release, tree.versions[release.version] == nil {
                errors.append(TreeError(file: TreePath.release(release: releaseName).path,
                                        .unknownVersion(release: releaseName, version: release.version)))
            }
            guard defined else {
                errors += cycles(in: content.models, release: releaseName)
                continue
            }
            for service in content.services.values.sorted(by: { $0.name < $1.name }) {
                for dependency in service.depends where content.services[dependency] == nil {
                    errors.append(TreeError(file: TreePath.service(release: releaseName, name: service.name).path,
                                            .danglingReference(from: "service \(service.name)", kind: .dependency, name: dependency, release: releaseName)))
                }
            }
            for model in content.models.values.sorted(by: { $0.name < $1.name }) {
                let file = TreePath.model(release: releaseName, name: model.name).path
                if let parent = model.parent, content.models[parent] == nil {
                    errors.append(TreeError(file: file, .danglingReference(from: "model \(model.name)", kind: .parent, name: parent, release: releaseName)))
                }
                for service in model.services where content.services[service] == nil {
                    errors.append(TreeError(file: file, .danglingReference(from: "model \(model.name)", kind: .service, name: service, release: releaseName)))
                }
            }
            errors += cycles(in: content.models, release: releaseName)
        }
        return errors
    }

    /// A reference into a release the tree does not define: left for the merge with the other
    /// sources (SPEC §4 step 4), where nothing satisfying it makes a `dangling-reference`.
    public struct OpenReference: Sendable, Hashable, Encodable, CustomStringConvertible {
        public var file: String
        public var from: String
        public var kind: String
        public var name: String
        public var release: String

        public var description: String {
            "\(file): \(from) refers to \(kind) '\(name)' of release \(release), which this tree does not define; another source must provide it"
        }
    }

    /// The references the tree leaves open, in a stable order (what `publish` warns about).
    public static func openReferences(in tree: DatasourceTree) -> [OpenReference] {
        var open: [OpenReference] = []
        for (releaseName, content) in tree.releases.sorted(by: { $0.key < $1.key }) where content.release == nil {
            for service in content.services.values.sorted(by: { $0.name < $1.name }) {
                let file = TreePath.service(release: releaseName, name: service.name).path
                for dependency in service.depends where content.services[dependency] == nil {
                    open.append(OpenReference(file: file, from: "service \(service.name)", kind: TreeError.ReferenceKind.dependency.rawValue,
                                              name: dependency, release: releaseName))
                }
            }
            for model in content.models.values.sorted(by: { $0.name < $1.name }) {
                let file = TreePath.model(release: releaseName, name: model.name).path
                if let parent = model.parent, content.models[parent] == nil {
                    open.append(OpenReference(file: file, from: "model \(model.name)", kind: TreeError.ReferenceKind.parent.rawValue,
                                              name: parent, release: releaseName))
                }
                for service in model.services where content.services[service] == nil {
                    open.append(OpenReference(file: file, from: "model \(model.name)", kind: TreeError.ReferenceKind.service.rawValue,
                                              name: service, release: releaseName))
                }
            }
        }
        return open
    }

    /// Throws ``TreeValidationError`` listing every problem, if any.
    public static func validate(_ tree: DatasourceTree) throws(TreeValidationError) {
        let errors = problems(in: tree)
        if !errors.isEmpty { throw TreeValidationError(errors) }
    }

    /// One error per inheritance cycle among `models`, reported on its smallest member.
    static func cycles(in models: [String: ServerModel], release: String) -> [TreeError] {
        InheritanceCycles.find(parents: models.mapValues(\.parent)).map { cycle in
            TreeError(file: TreePath.model(release: release, name: cycle[0]).path, .inheritanceCycle(release: release, models: cycle))
        }
    }
}
