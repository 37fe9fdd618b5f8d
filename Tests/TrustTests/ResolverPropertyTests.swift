import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// The resolver's rules (SPEC §6) checked on random sources: the winner of every key is the
/// highest-priority source whose scope (and role) allows it, unless the key is excluded, and
/// then a dangling-reference or inheritance-cycle conflict names it; every key some source
/// offers is resolved or annotated; what is resolved references only what is resolved.
///
/// `ZEPHIR_PROPERTY_RUNS` random worlds (default 1,000).
@Suite struct ResolverPropertyTests {
    static let runs = environmentInt("ZEPHIR_PROPERTY_RUNS", 1_000)

    /// Whether `name` is a member of an inheritance cycle reported for `release`.
    static func inCycle(_ name: String, release: String, _ state: ResolvedState) -> Bool {
        state.conflicts.contains { conflict in
            conflict.kind == .inheritanceCycle && conflict.fields.members?.contains(ModelKey(release: release, name: name).description) == true
        }
    }

    static func annotated(_ subject: String, _ kinds: Set<Conflict.Kind>, _ state: ResolvedState) -> Bool {
        state.conflicts.contains { $0.subject == subject && kinds.contains($0.kind) }
    }

    @Test func theWinnerIsTheHighestPrioritySourceInScopeOrTheExclusionIsExplained() async {
        var rng = SplitMix(seed: 0xA11CE)
        var resolvedKeys = 0, excludedKeys = 0, outOfScopeKeys = 0
        for world in 0..<Self.runs {
            if world % 50 == 0 { await Task.yield() }
            let layers = RandomWorld(&rng).layers
            let state = Resolver.resolve(layers.shuffled(using: &rng))
            let byPriority = layers.sorted { $0.priority > $1.priority }

            // Models.
            var offered: Set<ModelKey> = []
            for layer in layers { for (release, content) in layer.tree.releases { for name in content.models.keys { offered.insert(ModelKey(release: release, name: name)) } } }
            for key in offered {
                let offering = byPriority.filter { $0.tree.releases[key.release]?.models[key.name] != nil }
                let eligible = offering.filter { $0.scope.allows(release: key.release, name: key.name) }
                let candidates = state.candidates[key] ?? []
                #expect(Set(candidates.map(\.source)) == Set(offering.map(\.source)), "world \(world) \(key): candidates")
                guard let winner = eligible.first else {
                    #expect(state.models[key] == nil, "world \(world) \(key): resolved although no source may define it")
                    for layer in offering {
                        #expect(state.conflicts.contains { $0.kind == .outOfScope && $0.subject == key.description && $0.sources == [layer.source] },
                                 "world \(world) \(key): out-of-scope offer of \(layer.source) not annotated")
                    }
                    outOfScopeKeys += 1
                    continue
                }
                #expect(candidates.filter { $0.outcome == .won }.map(\.source) == [winner.source], "world \(world) \(key): won")
                if eligible.count > 1 {
                    #expect(state.conflicts.contains { $0.kind == .shadowed && $0.subject == key.description && $0.sources == eligible.map(\.source) },
                             "world \(world) \(key): shadowed")
                }
                if let resolved = state.models[key] {
                    #expect(resolved.source == winner.source && resolved.value == winner.tree.releases[key.release]!.models[key.name]!,
                            "world \(world) \(key): \(resolved.source) won, expected \(winner.source)")
                    resolvedKeys += 1
                } else {
                    #expect(Self.annotated(key.description, [.danglingReference], state) || Self.inCycle(key.name, release: key.release, state),
                            "world \(world) \(key): excluded without a dangling-reference or inheritance-cycle conflict")
                    excludedKeys += 1
                }
            }

            // Releases: authorities only, by priority within scope, or excluded for a missing version.
            var releases: Set<String> = []
            for layer in layers { for (name, content) in layer.tree.releases where content.release != nil { releases.insert(name) } }
            for name in releases {
                let offering = byPriority.filter { $0.tree.releases[name]?.release != nil }
                let eligible = offering.filter { $0.role == .authority && $0.scope.allows(release: name) }
                if let resolved = state.releases[name] {
                    #expect(resolved.source == eligible.first?.source, "world \(world) release \(name)")
                } else if eligible.isEmpty {
                    #expect(Self.annotated(name, [.outOfScope], state), "world \(world) release \(name) not annotated")
                } else {
                    #expect(Self.annotated(name, [.danglingReference], state), "world \(world) release \(name) excluded silently")
                }
            }

            // Services, by priority within scope, or excluded with a reason.
            var services: Set<ServiceKey> = []
            for layer in layers { for (release, content) in layer.tree.releases { for name in content.services.keys { services.insert(ServiceKey(release: release, name: name)) } } }
            for key in services {
                let eligible = byPriority.filter { $0.tree.releases[key.release]?.services[key.name] != nil && $0.scope.allows(release: key.release, name: key.name) }
                let subject = "\(key.release)/service/\(key.name)"
                if let resolved = state.services[key] {
                    #expect(resolved.source == eligible.first?.source, "world \(world) \(subject)")
                } else {
                    #expect(Self.annotated(subject, eligible.isEmpty ? [.outOfScope] : [.danglingReference], state), "world \(world) \(subject) not annotated")
                }
            }

            // Closure: nothing in force references what is not.
            for (key, model) in state.models {
                #expect(state.releases[key.release] != nil, "world \(world) \(key): release missing")
                if let parent = model.value.parent { #expect(state.models[ModelKey(release: key.release, name: parent)] != nil, "world \(world) \(key): parent missing") }
                for service in model.value.services { #expect(state.services[ServiceKey(release: key.release, name: service)] != nil, "world \(world) \(key): service missing") }
            }
            for (key, service) in state.services {
                #expect(state.releases[key.release] != nil)
                for dependency in service.value.depends { #expect(state.services[ServiceKey(release: key.release, name: dependency)] != nil, "world \(world) \(key)") }
            }
            for (_, release) in state.releases { #expect(state.versions[release.value.version] != nil, "world \(world) \(release.value.name)") }

            // Deterministic whatever the order of the layers.
            let again = Resolver.resolve(layers.reversed())
            #expect(again.models == state.models && again.releases == state.releases && again.services == state.services && again.conflicts == state.conflicts,
                    "world \(world): the order of the layers changed the result")
        }
        print("resolver properties: \(Self.runs) worlds, \(resolvedKeys) model keys resolved, \(excludedKeys) excluded with a reason, \(outOfScopeKeys) out of scope only")
        #expect(resolvedKeys > 0 && excludedKeys > 0 && outOfScopeKeys > 0, "the generator should reach every branch")
    }
}
