import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// The planner's promises (SPEC §6–§7) checked on random resolutions, stored states and local
/// child models: no change ever touches a local key; applying the plan to the stored state
/// yields exactly the resolved stamps (minus the roots that collide with a local child, each
/// reported); a second plan against that result is empty.
///
/// `ZEPHIR_PROPERTY_RUNS` random worlds (default 1,000).
@Suite struct PlannerPropertyTests {
    @Test func applyingThePlanYieldsTheResolutionAndNeverTouchesALocalModel() async {
        var rng = SplitMix(seed: 0xB0B)
        var collisions = 0, changes = 0
        for world in 0..<ResolverPropertyTests.runs {
            if world % 50 == 0 { await Task.yield() }
            // What the store holds: an earlier resolution of other sources, with local children.
            let earlier = Resolver.resolve(RandomWorld(&rng).layers)
            let locals = RandomWorld.locals(earlier, &rng)
            let current = CurrentState(applied: earlier, locals: locals)
            let localKeys = Set(locals.map(\.key))
            let resolved = Resolver.resolve(RandomWorld(&rng).layers)
            let plan = Planner.plan(resolved: resolved, current: current)
            let c = plan.changes

            let touched = Set(c.addModels.keys).union(c.changeModels.keys).union(c.removeModels)
            #expect(touched.isDisjoint(with: localKeys), "world \(world): the plan touches local models \(touched.intersection(localKeys))")
            #expect(Set(c.addModels.keys).isDisjoint(with: current.models.keys) && Set(c.changeModels.keys).isSubset(of: current.models.keys)
                    && Set(c.removeModels).isSubset(of: current.models.keys), "world \(world): add/change/remove inconsistent with the stored state")

            let colliding = Set(resolved.models.keys).intersection(localKeys)
            #expect(Set(plan.conflicts.filter { $0.kind == .nameCollision }.map(\.subject)) == Set(colliding.map(\.description)),
                    "world \(world): name collisions")
            collisions += colliding.count
            let childSubjects = Set(localKeys.map(\.description))
            #expect(plan.conflicts.allSatisfy { childSubjects.contains($0.subject) }, "world \(world): a planner conflict about something else than a local key")

            let after = current.applying(c)
            #expect(after.versions == resolved.versions.mapValues(CurrentState.stamp), "world \(world): versions")
            #expect(after.releases == resolved.releases.mapValues(CurrentState.stamp), "world \(world): releases")
            #expect(after.services == resolved.services.mapValues(CurrentState.stamp), "world \(world): services")
            #expect(after.models == resolved.models.filter { !colliding.contains($0.key) }.mapValues(CurrentState.stamp), "world \(world): models")
            #expect(after.localModels == locals, "world \(world): local models changed")

            let second = Planner.plan(resolved: resolved, current: after)
            #expect(second.changes.isEmpty, "world \(world): a second plan is not empty")
            #expect(Set(second.conflicts.map(\.kind.rawValue)) == Set(plan.conflicts.map(\.kind.rawValue)), "world \(world): child conflicts changed on replanning")
            if !c.isEmpty { changes += 1 }
        }
        print("planner properties: \(ResolverPropertyTests.runs) worlds, \(changes) with changes, \(collisions) name collisions")
        #expect(collisions > 0)
    }
}
