import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// Registry credentials (SPEC §5.2 `auth_file`): basic authentication against the real
/// registry with `htpasswd`, and the bearer-token flow against ``TokenProxy``.
@Suite(.serialized) struct OCIAuthenticationTests {
    /// The detail of an `unauthorized` outcome, or an issue.
    static func refusal(_ outcome: SourceFetcher.Outcome, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard case .unauthorized(_, let detail)? = outcome.unavailability else {
            Issue.record("expected unauthorized, got \(outcome.summary)", sourceLocation: sourceLocation)
            return ""
        }
        return detail
    }

    @Test func basicCredentialsComeFromTheAuthFile() async throws {
        let registry = try Registry(users: ["alice": "s3cret"])
        let world = CarrierWorld()
        let files = try world.publish(version: 1)
        let reference = try OCIReference(registry.url())
        let auth = try world.authFile(registry: registry.host, user: "alice", password: "s3cret")

        // Without credentials: refused, with a message naming the registry and what to set.
        await #expect(throws: FetchError.self) { try await OCIPusher.push(files, to: reference, options: world.options()) }
        let anonymous = Self.refusal(await world.fetch(registry.url()))
        #expect(anonymous.contains("the registry \(registry.host) requires credentials") && anonymous.contains("auth_file"), "\(anonymous)")

        var mark = await registry.mark()
        let pushed = try await OCIPusher.push(files, to: reference, options: world.options(authFile: auth))
        let pushLog = await registry.requests(since: mark)
        #expect(pushed.uploaded == files.count + 1 && pushed.requests == pushLog.count)
        #expect(pushLog.filter { $0.status == 401 }.count == 1, "one challenge, then the credentials go with every request: \(pushLog)")

        mark = await registry.mark()
        let outcome = await world.fetch(registry.url(), authFile: auth)
        #expect(outcome.snapshot?.filesFetched == 5, "\(outcome.summary)")
        #expect((await registry.requests(since: mark)).map(\.status) == [401, 200, 200, 200, 200, 200, 200])

        // Wrong password, an entry for another registry only, a broken file, no file.
        let wrong = try world.authFile(registry: registry.host, user: "alice", password: "nope", name: "wrong.json")
        let refused = Self.refusal(await CarrierWorld().fetch(registry.url(), authFile: wrong))
        #expect(refused.contains("refused the credentials of the auth_file \(wrong)"), "\(refused)")
        let other = try world.authFile(registry: "registry.example:5000", user: "alice", password: "s3cret", name: "other.json")
        let none = Self.refusal(await CarrierWorld().fetch(registry.url(), authFile: other))
        #expect(none.contains("the auth_file \(other) has none for it") && none.contains("\"\(registry.host)\""), "\(none)")
        let broken = try world.write("broken.json", "{\"auths\": ")
        let unreadable = await CarrierWorld().fetch(registry.url(), authFile: broken)
        #expect(unreadable.unavailability?.reason == "bad-auth-file" && "\(unreadable.unavailability!)".contains(broken), "\(unreadable.summary)")
        let missing = await CarrierWorld().fetch(registry.url(), authFile: world.folder.appendingPathComponent("absent.json").path)
        #expect("\(missing.unavailability.map { "\($0)" } ?? "")".contains("absent.json: no such file"), "\(missing.summary)")
    }

    @Test func bearerTokensAreAskedOncePerScopeAndNeverSentToAnotherHost() async throws {
        let registry = try Registry()
        let world = CarrierWorld()
        let proxy = try TokenProxy(upstream: registry, user: "bob", password: "pw", identityToken: "refresh-123", in: world.folder)
        let auth = try world.authFile(registry: proxy.host, user: "bob", password: "pw")
        let files = try world.publish(version: 1)

        let pushed = try await OCIPusher.push(files, to: try OCIReference(proxy.url()), options: world.options(authFile: auth))
        #expect(pushed.uploaded == files.count + 1)
        #expect(proxy.lines().filter { $0.hasPrefix("TOKEN") } == ["TOKEN GET repository:zm/eole:pull,push ok"], "\(proxy.lines())")

        // A sync: one challenge, one token for pulling, the blobs from the storage without the token.
        var before = proxy.lines().count
        let outcome = await world.fetch(proxy.url(), authFile: auth)
        #expect(outcome.snapshot?.filesFetched == 5, "\(outcome.summary)")
        var lines = proxy.lines().dropFirst(before)
        #expect(lines.filter { $0.hasPrefix("TOKEN") } == ["TOKEN GET repository:zm/eole:pull ok"])
        #expect(lines.filter { $0.hasPrefix("CHALLENGE") }.count == 1 && lines.filter { $0.hasPrefix("STORAGE") }.count == 5)
        #expect(!lines.contains { $0.hasPrefix("LEAK") }, "\(lines)")

        // An identity token is exchanged with the refresh_token grant.
        let identity = try world.write("identity.json", "{\"auths\": {\"http://\(proxy.host)/v2/\": {\"identitytoken\": \"refresh-123\"}}}")
        before = proxy.lines().count
        let withIdentity = await CarrierWorld().fetch(proxy.url(), authFile: identity)
        #expect(withIdentity.snapshot != nil, "\(withIdentity.summary)")
        lines = proxy.lines().dropFirst(before)
        #expect(lines.filter { $0.hasPrefix("TOKEN") } == ["TOKEN POST repository:zm/eole:pull ok"])

        // Without credentials the token endpoint refuses: the message says what to set.
        let anonymous = Self.refusal(await CarrierWorld().fetch(proxy.url()))
        #expect(anonymous.contains("the registry \(proxy.host) requires credentials (bearer)") && anonymous.contains("auth_file"), "\(anonymous)")
        let wrong = try world.authFile(registry: proxy.host, user: "bob", password: "nope", name: "wrong.json")
        let refused = Self.refusal(await CarrierWorld().fetch(proxy.url(), authFile: wrong))
        #expect(refused.contains("refused the credentials of the auth_file \(wrong)"), "\(refused)")
    }
}
