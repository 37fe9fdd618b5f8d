import Foundation
import Testing
@testable import ZephirCore

/// `HTTPTransport`'s timeouts as configured, to the millisecond: a sub-second timeout is not
/// truncated to whole seconds (0.9 s used to become 0, failing every fetch), and a server that
/// stays silent is cut off by the read timeout, not by the connect timeout.
@Suite(.serialized) struct HTTPTimeoutTests {
    static let server = NetworkFaultTests.server

    @Test func aSubSecondRequestTimeoutIsKept() async throws {
        let options = TransportOptions(connectTimeout: .seconds(5), requestTimeout: .milliseconds(900), readTimeout: .seconds(5))
        let ok = try HTTPTransport(base: Self.server.url(.ok, on: "any"), options: options)
        let index = try await Bounded.run("ok under 0.9 s", seconds: 30) { try await ok.fetch("index.json", maxBytes: 1 << 20) }
        await ok.shutdown()
        #expect(!index.isEmpty, "a fast answer fits in 0.9 s")

        let drip = try HTTPTransport(base: Self.server.url(.drip, on: "index"), options: options)
        let start = ContinuousClock.now
        let error = try await Bounded.run("drip under 0.9 s", seconds: 30) { () async -> FetchError? in
            do throws(FetchError) { _ = try await drip.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        await drip.shutdown()
        #expect(error == .timeout(url: Self.server.url(.drip, on: "index") + "index.json", seconds: 0.9))
        #expect(error?.description.hasSuffix("no complete answer within 0.9 s") == true)
        #expect(ContinuousClock.now - start < .seconds(5), "cut off after 0.9 s, not a whole second more or never")
    }

    @Test func aSilentServerIsCutOffByTheReadTimeoutNotTheConnectTimeout() async throws {
        let options = TransportOptions(connectTimeout: .seconds(20), requestTimeout: .seconds(60), readTimeout: .milliseconds(700))
        let stall = try HTTPTransport(base: Self.server.url(.stall, on: "index"), options: options)
        let start = ContinuousClock.now
        let error = try await Bounded.run("stall", seconds: 40) { () async -> FetchError? in
            do throws(FetchError) { _ = try await stall.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        await stall.shutdown()
        #expect(error == .timeout(url: Self.server.url(.stall, on: "index") + "index.json", seconds: 0.7), "\(String(describing: error))")
        #expect(ContinuousClock.now - start < .seconds(10), "the read timeout (0.7 s) ends it, not the connect timeout (20 s)")
    }

    @Test func durationsConvertToTheNanosecond() {
        #expect(HTTPTransport.timeAmount(.milliseconds(500)).nanoseconds == 500_000_000)
        #expect(HTTPTransport.timeAmount(.seconds(2) + .microseconds(3)).nanoseconds == 2_000_003_000)
        #expect(HTTPTransport.seconds(.milliseconds(1500)) == 1.5)
    }
}
