import Foundation
@testable import ZephirCore
import ZephirTestSupport

/// Random source layers and local models for property tests: a few releases, sources with
/// random priorities, roles and scopes, and trees that overlap, shadow, leave the scope,
/// reference what is missing and form cycles.
struct RandomWorld {
    static let releases = ["2.7.0", "2.7.1", "2.8.0"]
    static let models = ["eolebase", "amon", "scribe", "horus", "acme-fw", "acme-vpn", "m1", "m2"]
    static let services = ["web", "proxy", "dns", "acme-agent"]
    static let scopes = ["*", "2.7.*", "2.7.1", "2.8.*", "*/acme-*", "2.7.*/acme-*", "2.7.1/m*", "*/amon", "2.9.*", "2.?.0"]

    var layers: [SourceLayer] = []

    static func version(of release: String) -> String { String(release.prefix(3)) }

    init(_ rng: inout SplitMix) {
        let count = 1 + Int(rng.next() % 5)
        var priorities = Array(1...1000).shuffled(using: &rng).prefix(count)
        for i in 0..<count {
            let role: SourceRole = i == 0 || rng.chance(0.5) ? .authority : .addon
            let scopeCount = 1 + Int(rng.next() % 2)
            let scope = (0..<scopeCount).map { _ in ScopeGlob(Self.scopes.randomElement(using: &rng)!)! }
            var tree = DatasourceTree()
            for release in Self.releases where rng.chance(0.7) {
                if rng.chance(role == .authority ? 0.8 : 0.15) {
                    if rng.chance(0.9) { tree.add(.version(Version(name: Self.version(of: release), label: "EOLE \(Self.version(of: release))"))) }
                    tree.add(.release(Release(name: release, version: Self.version(of: release), status: rng.chance(0.5) ? .stable : .testing, date: "2025-01-01")))
                }
                var defined: [String] = []
                for service in Self.services where rng.chance(0.5) {
                    let depends = defined.filter { _ in rng.chance(0.3) } + (rng.chance(0.05) ? ["ghost"] : [])
                    tree.add(.service(release: release, ApplicationService(name: service, description: rng.chance(0.3) ? "v\(i)" : "", depends: depends)))
                    defined.append(service)
                }
                for model in Self.models where rng.chance(0.5) {
                    let parent = rng.chance(0.3) ? nil : Self.models.randomElement(using: &rng).flatMap { $0 == model ? nil : $0 }
                    let services = Self.services.filter { _ in rng.chance(0.25) }
                    let variables = (0..<Int(rng.next() % 3)).map { n in
                        Variable(name: "v\(n)", type: .integer, defaultValue: String(rng.next() % 3))
                    }
                    tree.add(.model(release: release, ServerModel(name: model, description: rng.chance(0.3) ? "from \(i)" : "", parent: parent,
                                                                 services: services, variables: variables)))
                }
            }
            layers.append(SourceLayer(source: "s\(i)", role: role, priority: priorities.removeFirst(), scope: scope, version: 1, tree: tree))
        }
    }

    /// Local child models: some with the key of a root model (name collisions), some new.
    static func locals(_ resolved: ResolvedState, _ rng: inout SplitMix) -> [LocalModel] {
        var locals: [LocalModel] = []
        let roots = resolved.models.keys.sorted()
        for (i, key) in roots.enumerated() where rng.chance(0.15) {
            // A child that took a key a source now also defines.
            locals.append(LocalModel(release: key.release, name: key.name, parent: roots[(i + 1) % roots.count].name, parentDigest: "x", createdAt: "2026-01-01T00:00:00Z"))
        }
        for n in 0..<Int(rng.next() % 4) {
            let release = releases.randomElement(using: &rng)!
            let parent = (roots.filter { $0.release == release }.randomElement(using: &rng)?.name) ?? models.randomElement(using: &rng)!
            locals.append(LocalModel(release: release, name: "local-\(n)", parent: rng.chance(0.2) ? "local-\((n + 1) % 4)" : parent,
                                     overrides: [.init(name: "v0", value: String(rng.next() % 4))], addServices: rng.chance(0.3) ? ["dns"] : [],
                                     parentDigest: rng.chance(0.5) ? "" : "stale", createdAt: "2026-01-01T00:00:00Z"))
        }
        return locals
    }
}

extension CurrentState {
    /// What the store holds after applying `resolved` entirely (no locals).
    init(applied resolved: ResolvedState, locals: [LocalModel] = []) {
        let localKeys = Set(locals.map(\.key))
        self.init(versions: resolved.versions.mapValues(CurrentState.stamp), releases: resolved.releases.mapValues(CurrentState.stamp),
                  services: resolved.services.mapValues(CurrentState.stamp),
                  models: resolved.models.filter { !localKeys.contains($0.key) }.mapValues(CurrentState.stamp), localModels: locals)
    }

    /// This state with a change set applied, as a store applies it.
    func applying(_ c: ChangeSet) -> CurrentState {
        var s = self
        for v in c.upsertVersions { s.versions[v.value.name] = CurrentState.stamp(v) }
        for name in c.deleteVersions { s.versions[name] = nil }
        for r in c.upsertReleases { s.releases[r.value.name] = CurrentState.stamp(r) }
        for name in c.deleteReleases { s.releases[name] = nil }
        for (key, service) in c.upsertServices { s.services[key] = CurrentState.stamp(service) }
        for key in c.deleteServices { s.services[key] = nil }
        for key in c.removeModels { s.models[key] = nil }
        for (key, model) in c.addModels { s.models[key] = CurrentState.stamp(model) }
        for (key, model) in c.changeModels { s.models[key] = CurrentState.stamp(model) }
        return s
    }
}
