/// What one source may define (SPEC §4 step 2, §6 kinds): its kind's role and its `scope:` globs.
///
/// The resolver asks it which offers count; the fetch pipeline uses ``inScope(_:)`` to set aside
/// what the source may not define before validating the rest of its tree, so that an
/// out-of-scope entry is an `out-of-scope` conflict at the merge, never a rejection.
public struct SourceScope: Sendable, Hashable {
    public var role: SourceRole
    public var globs: [ScopeGlob]

    public init(role: SourceRole, globs: [ScopeGlob]) {
        self.role = role
        self.globs = globs
    }

    /// Whether the source may define version `name`: an authority whose scope allows one of the
    /// tree's releases of that version (or, with none, the release `name.0`).
    public func allowsVersion(_ name: String, in tree: DatasourceTree) -> Bool {
        guard role == .authority else { return false }
        let own = tree.releases.values.compactMap(\.release).filter { $0.version == name }.map(\.name)
        return own.isEmpty ? globs.allows(release: name + ".0") : own.contains { globs.allows(release: $0) }
    }

    /// Whether the source may define release `name` itself (its `release.yml`).
    public func allowsRelease(_ name: String) -> Bool {
        role == .authority && globs.allows(release: name)
    }

    /// Whether the source may define the service or model `release/name`.
    public func allows(release: String, name: String) -> Bool {
        globs.allows(release: release, name: name)
    }

    /// The part of `tree` this source may define: versions, releases, services and models
    /// outside it are dropped (the layer keeps them; the resolver reports them).
    public func inScope(_ tree: DatasourceTree) -> DatasourceTree {
        var kept = DatasourceTree()
        for (name, version) in tree.versions where allowsVersion(name, in: tree) {
            kept.versions[name] = version
        }
        for (name, content) in tree.releases {
            var part = DatasourceTree.ReleaseContent()
            if allowsRelease(name) { part.release = content.release }
            part.services = content.services.filter { allows(release: name, name: $0.key) }
            part.models = content.models.filter { allows(release: name, name: $0.key) }
            if part.release != nil || !part.services.isEmpty || !part.models.isEmpty {
                kept.releases[name] = part
            }
        }
        return kept
    }
}

extension SourceLayer {
    /// What this layer's source may define.
    public var sourceScope: SourceScope { SourceScope(role: role, globs: scope) }
}
