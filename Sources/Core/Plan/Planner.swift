/// Diffs the resolved state against what the store holds and reports what that does to the
/// local child models (SPEC §7). A pure function: no I/O, no clock.
///
/// - A resolved root with the key of a local child is not applied (`name-collision`).
/// - Every entity whose `source:digest` stamp differs is written; every stored one no longer
///   resolved is removed. Nothing else is touched, so an unchanged resolution plans nothing.
/// - Each local child is checked against the roots that will be in force: `parent-removed`,
///   `parent-updated`, `override-unknown-variable`, `override-invalid-value`,
///   `override-redundant`, `service-missing`. Local models themselves are never in the plan.
public enum Planner {
    public static func plan(resolved: ResolvedState, current: CurrentState) -> Plan {
        var changes = ChangeSet()
        var conflicts: [Conflict] = []
        let locals = Dictionary(current.localModels.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })

        var inForce = resolved.models
        for key in resolved.models.keys.sorted() where locals[key] != nil {
            let root = resolved.models[key]!
            inForce[key] = nil
            conflicts.append(Conflict(
                kind: .nameCollision, subject: key.description, sources: [root.source],
                detail: "source '\(root.source)' now defines \(key), the key of a local child model; the root is not applied "
                    + "until the child is renamed (derive it again under another name, then delete it)"))
        }

        diff(resolved.versions, current.versions, upsert: { changes.upsertVersions.append($1) }, delete: { changes.deleteVersions.append($0) })
        diff(resolved.releases, current.releases, upsert: { changes.upsertReleases.append($1) }, delete: { changes.deleteReleases.append($0) })
        diff(resolved.services, current.services, upsert: { changes.upsertServices[$0] = $1 },
             delete: { changes.deleteServices.append($0) })
        for (key, model) in inForce {
            switch current.models[key] {
            case nil: changes.addModels[key] = model
            case let stamp? where stamp != CurrentState.stamp(model): changes.changeModels[key] = model
            default: break
            }
        }
        changes.removeModels = current.models.keys.filter { inForce[$0] == nil }.sorted()
        changes.deleteVersions.sort()
        changes.deleteReleases.sort()
        changes.deleteServices.sort()
        changes.upsertVersions.sort { $0.value.name < $1.value.name }
        changes.upsertReleases.sort { $0.value.name < $1.value.name }

        for local in current.localModels.sorted(by: { $0.key < $1.key }) {
            conflicts += childConflicts(local, locals: locals, roots: inForce, services: resolved.services)
        }
        return Plan(changes: changes, conflicts: conflicts)
    }

    /// Calls `upsert` for each resolved entity whose stamp differs from the stored one and
    /// `delete` for each stored one no longer resolved.
    private static func diff<K: Hashable, T>(_ resolved: [K: Resolved<T>], _ current: [K: String], upsert: (K, Resolved<T>) -> Void,
                                              delete: (K) -> Void) {
        for (key, value) in resolved where current[key] != CurrentState.stamp(value) { upsert(key, value) }
        for key in current.keys where resolved[key] == nil { delete(key) }
    }

    /// What the roots in force do to one local child.
    static func childConflicts(_ local: LocalModel, locals: [ModelKey: LocalModel], roots: [ModelKey: Resolved<ServerModel>],
                               services: [ServiceKey: Resolved<ApplicationService>]) -> [Conflict] {
        let key = local.key
        // Walk local ancestors first: a local key takes precedence over a colliding root.
        var current = ModelKey(release: local.release, name: local.parent)
        var seen: Set<ModelKey> = [key]
        while let ancestor = locals[current] {
            guard seen.insert(current).inserted else {
                return [Conflict(kind: .parentRemoved, subject: key.description,
                                 detail: "local model \(key) has a loop among its local ancestors at \(current); derive it again from a root model",
                                 fields: Conflict.Fields(parent: current.description))]
            }
            current = ModelKey(release: local.release, name: ancestor.parent)
        }
        let direct = ModelKey(release: local.release, name: local.parent)
        guard let root = roots[current], let effective = ModelInheritance.effective(current, lookup: { roots[$0]?.value }) else {
            let which = current == direct ? "its parent \(direct)" : "its root ancestor \(current) (through \(direct))"
            return [Conflict(kind: .parentRemoved, subject: key.description,
                             detail: "\(which) is no longer in force; the child is kept unchanged, but servers cannot be installed from it until it is derived again from a model that exists",
                             fields: Conflict.Fields(parent: current.description))]
        }
        var conflicts: [Conflict] = []
        let source = [root.source]
        if let digest = ModelInheritance.rootChainDigest(of: current, in: roots), digest != local.parentDigest {
            conflicts.append(Conflict(kind: .parentUpdated, subject: key.description, sources: source,
                                      detail: "\(current) (from source '\(root.source)') or one of its parents changed since \(key) was created or last reviewed; "
                                          + "review with `zephir-models models show \(key)`, then `zephir-models conflicts ack ID`",
                                      fields: Conflict.Fields(parent: current.description)))
        }
        let variables = Dictionary(effective.variables.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        for override in local.overrides {
            guard let variable = variables[override.name] else {
                conflicts.append(Conflict(kind: .overrideUnknownVariable, subject: key.description, sources: source,
                                          detail: "\(key) sets \(override.name)=\(override.value), but \(current) and its parents no longer define \(override.name); the value has no effect",
                                          fields: Conflict.Fields(variable: override.name, value: override.value)))
                continue
            }
            if let problem = variable.problem(with: override.value) {
                conflicts.append(Conflict(kind: .overrideInvalidValue, subject: key.description, sources: source,
                                          detail: "\(key) sets \(override.name)=\(override.value), which no longer fits its \(variable.type.rawValue) type: \(problem)",
                                          fields: Conflict.Fields(variable: override.name, value: override.value, expected: variable.type.rawValue,
                                                                  choices: variable.type == .choice ? variable.choices ?? [] : nil)))
            } else if variable.defaultValue == override.value {
                conflicts.append(Conflict(kind: .overrideRedundant, subject: key.description, sources: source,
                                          detail: "\(key) sets \(override.name)=\(override.value), which is now the parent's default; the override can be dropped",
                                          fields: Conflict.Fields(variable: override.name, value: override.value, expected: variable.defaultValue)))
            }
        }
        for service in local.addServices where services[ServiceKey(release: local.release, name: service)] == nil {
            conflicts.append(Conflict(kind: .serviceMissing, subject: key.description,
                                      detail: "\(key) adds service \(service), which release \(local.release) no longer has",
                                      fields: Conflict.Fields(service: Resolver.serviceSubject(ServiceKey(release: local.release, name: service)))))
        }
        return conflicts
    }
}
