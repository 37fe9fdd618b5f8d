/// Merges source layers into the root content in force (SPEC §6), with the root-side conflicts
/// of SPEC §7. A pure function: no I/O, no clock.
///
/// Rules, in order:
/// 1. Versions and releases come from `authority` sources only; an `addon` shipping one gets an
///    `out-of-scope` conflict and is ignored for it.
/// 2. Every key (version, release, `RELEASE/NAME` of a service or model) is resolved by the
///    highest-priority source whose scope allows it; out-of-scope offers are `out-of-scope`
///    conflicts, lower in-scope offers `shadowed` (info when identical, warning otherwise).
/// 3. Models on an inheritance cycle are excluded (`inheritance-cycle`).
/// 4. Whatever references something missing after merging (a release's version, a service's
///    release or dependency, a model's release, parent or service) is excluded
///    (`dangling-reference`), repeatedly, until nothing more is excluded.
///
/// Complexity: linear in the number of entities offered, plus sorting.
public enum Resolver {
    public static func resolve(_ layers: [SourceLayer]) -> ResolvedState {
        var state = ResolvedState()
        let ordered = layers.sorted { $0.priority > $1.priority }
        resolveVersionsAndReleases(ordered, into: &state)
        resolveServices(ordered, into: &state)
        resolveModels(ordered, into: &state)
        excludeCycles(&state)
        excludeDangling(&state)
        state.conflicts.sort { ($0.subject, $0.kind.rawValue) < ($1.subject, $1.kind.rawValue) }
        return state
    }

    // MARK: - Picking winners

    private struct Offer<T: Sendable & Hashable> {
        var layer: SourceLayer
        var value: T
        var digest: String
    }

    /// Picks the winner among offers already sorted by priority (highest first) and annotates the losers.
    private static func pick<T>(_ offers: [Offer<T>], subject: String, what: String, inScope: (SourceLayer) -> Bool,
                                state: inout ResolvedState) -> (winner: Offer<T>?, candidates: [Candidate]) {
        var winner: Offer<T>?
        var candidates: [Candidate] = []
        var shadowed: [Offer<T>] = []
        for offer in offers {
            let layer = offer.layer
            guard inScope(layer) else {
                candidates.append(Candidate(source: layer.source, priority: layer.priority, outcome: .outOfScope))
                state.conflicts.append(Conflict(kind: .outOfScope, subject: subject, sources: [layer.source],
                                                detail: "source '\(layer.source)' defines \(what) \(subject) outside its scope (\(layer.scope.map(\.pattern).joined(separator: ", "))); ignored",
                                                fields: Conflict.Fields(scope: layer.scope.map(\.pattern))))
                continue
            }
            if winner == nil {
                winner = offer
                candidates.append(Candidate(source: layer.source, priority: layer.priority, outcome: .won))
            } else {
                shadowed.append(offer)
                candidates.append(Candidate(source: layer.source, priority: layer.priority, outcome: .shadowed))
            }
        }
        if let winner, !shadowed.isEmpty {
            let identical = shadowed.allSatisfy { $0.value == winner.value }
            let losers = shadowed.map { "'\($0.layer.source)' (priority \($0.layer.priority))" }.joined(separator: ", ")
            state.conflicts.append(Conflict(
                kind: .shadowed, severity: identical ? .info : .warning, subject: subject,
                sources: [winner.layer.source] + shadowed.map(\.layer.source),
                detail: "\(what) \(subject) is defined by '\(winner.layer.source)' (priority \(winner.layer.priority)) and by \(losers); "
                    + "'\(winner.layer.source)' wins by priority" + (identical ? " (identical content)" : "; the others' content is ignored"),
                fields: Conflict.Fields(winner: winner.layer.source, losers: shadowed.map(\.layer.source))))
        }
        return (winner, candidates)
    }

    private static func resolveVersionsAndReleases(_ layers: [SourceLayer], into state: inout ResolvedState) {
        var versionOffers: [String: [Offer<Version>]] = [:]
        var releaseOffers: [String: [Offer<Release>]] = [:]
        for layer in layers {
            let releases = layer.tree.releases.compactMap { $0.value.release }
            for version in layer.tree.versions.values {
                guard layer.role == .authority else {
                    state.conflicts.append(notAllowed(layer, what: "version", subject: version.name))
                    continue
                }
                versionOffers[version.name, default: []].append(
                    Offer(layer: layer, value: version, digest: layer.digest(of: .version(name: version.name), version)))
            }
            for release in releases {
                guard layer.role == .authority else {
                    state.conflicts.append(notAllowed(layer, what: "release", subject: release.name))
                    continue
                }
                releaseOffers[release.name, default: []].append(
                    Offer(layer: layer, value: release, digest: layer.digest(of: .release(release: release.name), release)))
            }
        }
        for (name, offers) in versionOffers {
            if let winner = pick(offers, subject: name, what: "version", inScope: { $0.sourceScope.allowsVersion(name, in: $0.tree) },
                                 state: &state).winner {
                state.versions[name] = Resolved(value: winner.value, source: winner.layer.source, digest: winner.digest)
            }
        }
        for (name, offers) in releaseOffers {
            if let winner = pick(offers, subject: name, what: "release", inScope: { $0.sourceScope.allowsRelease(name) }, state: &state).winner {
                state.releases[name] = Resolved(value: winner.value, source: winner.layer.source, digest: winner.digest)
            }
        }
    }

    private static func notAllowed(_ layer: SourceLayer, what: String, subject: String) -> Conflict {
        Conflict(kind: .outOfScope, subject: subject, sources: [layer.source],
                 detail: "source '\(layer.source)' is of an add-on kind and may not define \(what)s; its \(what) \(subject) is ignored (only eole sources define versions and releases)",
                 fields: Conflict.Fields(role: layer.role.rawValue))
    }

    private static func resolveServices(_ layers: [SourceLayer], into state: inout ResolvedState) {
        var offers: [ServiceKey: [Offer<ApplicationService>]] = [:]
        for layer in layers {
            for (release, content) in layer.tree.releases {
                for service in content.services.values {
                    let key = ServiceKey(release: release, name: service.name)
                    offers[key, default: []].append(
                        Offer(layer: layer, value: service, digest: layer.digest(of: .service(release: release, name: service.name), service)))
                }
            }
        }
        for (key, list) in offers {
            let subject = serviceSubject(key)
            if let winner = pick(list, subject: subject, what: "service", inScope: { $0.sourceScope.allows(release: key.release, name: key.name) },
                                 state: &state).winner {
                state.services[key] = Resolved(value: winner.value, source: winner.layer.source, digest: winner.digest)
            }
        }
    }

    private static func resolveModels(_ layers: [SourceLayer], into state: inout ResolvedState) {
        var offers: [ModelKey: [Offer<ServerModel>]] = [:]
        for layer in layers {
            for (release, content) in layer.tree.releases {
                for model in content.models.values {
                    let key = ModelKey(release: release, name: model.name)
                    offers[key, default: []].append(
                        Offer(layer: layer, value: model, digest: layer.digest(of: .model(release: release, name: model.name), model)))
                }
            }
        }
        for (key, list) in offers {
            let result = pick(list, subject: key.description, what: "model", inScope: { $0.sourceScope.allows(release: key.release, name: key.name) },
                              state: &state)
            state.candidates[key] = result.candidates
            if let winner = result.winner {
                state.models[key] = Resolved(value: winner.value, source: winner.layer.source, digest: winner.digest)
            }
        }
    }

    /// How conflicts name a service: `RELEASE/service/NAME`.
    static func serviceSubject(_ key: ServiceKey) -> String { "\(key.release)/service/\(key.name)" }

    // MARK: - Exclusions

    private static func excludeCycles(_ state: inout ResolvedState) {
        let byRelease = Dictionary(grouping: state.models.keys, by: \.release)
        for (release, keys) in byRelease {
            var parents: [String: String?] = [:]
            for key in keys { parents[key.name] = .some(state.models[key]!.value.parent) }
            for cycle in InheritanceCycles.find(parents: parents) {
                let members = cycle.map { ModelKey(release: release, name: $0) }
                let sources = Array(Set(members.compactMap { state.models[$0]?.source })).sorted()
                for member in members { state.models[member] = nil }
                state.conflicts.append(Conflict(
                    kind: .inheritanceCycle, subject: members[0].description, sources: sources,
                    detail: "parents form a cycle in release \(release): \((cycle + [cycle[0]]).joined(separator: " → ")); these models are excluded until a publisher breaks the cycle",
                    fields: Conflict.Fields(members: members.map(\.description))))
            }
        }
    }

    private static func excludeDangling(_ state: inout ResolvedState) {
        func dangling(_ subject: String, _ source: String, _ missing: Conflict.Reference, _ detail: String) -> Conflict {
            Conflict(kind: .danglingReference, subject: subject, sources: [source], detail: detail + "; excluded until its publisher or another source provides it",
                     fields: Conflict.Fields(missing: missing))
        }
        for (name, release) in state.releases where state.versions[release.value.version] == nil {
            state.releases[name] = nil
            state.conflicts.append(dangling(name, release.source, Conflict.Reference(.version, release.value.version),
                                            "release \(name) belongs to version \(release.value.version), which no source defines"))
        }
        var changed = true
        while changed {
            changed = false
            // In key order, so that a cascade names the same cause whatever the layers' order.
            for key in state.services.keys.sorted() {
                guard let service = state.services[key] else { continue }
                var missing: (Conflict.Reference, String)?
                if state.releases[key.release] == nil {
                    missing = (Conflict.Reference(.release, key.release), "its release \(key.release) is not defined by any eole source")
                } else if let dependency = service.value.depends.first(where: { state.services[ServiceKey(release: key.release, name: $0)] == nil }) {
                    missing = (Conflict.Reference(.dependency, serviceSubject(ServiceKey(release: key.release, name: dependency))),
                               "it depends on service \(dependency), which is missing from release \(key.release)")
                }
                if let (reference, why) = missing {
                    state.services[key] = nil
                    state.conflicts.append(dangling(serviceSubject(key), service.source, reference, "service \(key.name): \(why)"))
                    changed = true
                }
            }
        }
        changed = true
        while changed {
            changed = false
            for key in state.models.keys.sorted() {
                guard let model = state.models[key] else { continue }
                var missing: (Conflict.Reference, String)?
                if state.releases[key.release] == nil {
                    missing = (Conflict.Reference(.release, key.release), "its release \(key.release) is not defined by any eole source")
                } else if let parent = model.value.parent, state.models[ModelKey(release: key.release, name: parent)] == nil {
                    missing = (Conflict.Reference(.parent, ModelKey(release: key.release, name: parent).description),
                               "its parent \(key.release)/\(parent) is not in force")
                } else if let service = model.value.services.first(where: { state.services[ServiceKey(release: key.release, name: $0)] == nil }) {
                    missing = (Conflict.Reference(.service, serviceSubject(ServiceKey(release: key.release, name: service))),
                               "it uses service \(service), which is missing from release \(key.release)")
                }
                if let (reference, why) = missing {
                    state.models[key] = nil
                    state.conflicts.append(dangling(key.description, model.source, reference, "model \(key): \(why)"))
                    changed = true
                }
            }
        }
    }
}
