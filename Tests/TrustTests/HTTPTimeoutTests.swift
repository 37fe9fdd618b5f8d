import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// `HTTPTransport`'s timeouts as configured, to the millisecond: a sub-second timeout is not
/// truncated to whole seconds (0.9 s used to become 0, failing every fetch), and a server that
/// stays silent is cut off by the read timeout, not by the connect timeout.
@Suite(.serialized) struct HTTPTimeoutTests {
    static let server = NetworkFaultTests.server

    @Test func aSubSecondRequestTimeoutIsKept() async throws {
        let options = TransportOptions(connectTimeout: .seconds(5), requestTimeout: .milliseconds(900), readTimeout: .seconds(5))
        let ok = try HTTPTransport(base: Self.server.url(.ok, on: "any"), options: options)
        let answer = try await Bounded.run("ok under 0.9 s", seconds: 30) { () async -> Result<Data, FetchError> in
            do throws(FetchError) { return .success(try await ok.fetch("index.json", maxBytes: 1 << 20)) } catch { return .failure(error) }
        }
        await ok.shutdown()
        #expect((try? answer.get())?.isEmpty == false, "a fast answer fits in 0.9 s: \(answer)")

        let drip = try HTTPTransport(base: Self.server.url(.drip, on: "index"), options: options)
        let start = ContinuousClock.now
        let error = try await Bounded.run("drip under 0.9 s", seconds: 30) { () async -> FetchError? in
            do throws(FetchError) { _ = try await drip.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        let elapsed = ContinuousClock.now - start
        await drip.shutdown()
        // Truncated, the deadline was 0 s: the error said so, and a fast answer failed too (above).
        #expect(error == .timeout(url: Self.server.url(.drip, on: "index") + "index.json", seconds: 0.9))
        #expect(error?.description.hasSuffix("no complete answer within 0.9 s") == true)
        // 0.9 s plus slack for a loaded two-core CI machine; the drip itself lasts minutes.
        #expect(elapsed < .seconds(20), "cut off by the 0.9 s deadline, took \(elapsed)")
    }

    @Test func aSilentServerIsCutOffByTheReadTimeoutNotTheConnectTimeout() async throws {
        let options = TransportOptions(connectTimeout: .seconds(60), requestTimeout: .seconds(120), readTimeout: .milliseconds(700))
        let stall = try HTTPTransport(base: Self.server.url(.stall, on: "index"), options: options)
        let start = ContinuousClock.now
        let error = try await Bounded.run("stall", seconds: 90) { () async -> FetchError? in
            do throws(FetchError) { _ = try await stall.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        let elapsed = ContinuousClock.now - start
        await stall.shutdown()
        #expect(error == .timeout(url: Self.server.url(.stall, on: "index") + "index.json", seconds: 0.7), "\(String(describing: error))")
        // 0.7 s plus slack for a loaded CI machine; the connect timeout (60 s) would take twice the bound.
        #expect(elapsed < .seconds(30), "the read timeout ends it, not the connect timeout; took \(elapsed)")
    }

    /// A mirror that is down (nothing listens, every connection refused): the attempt fails at
    /// once and says so. AsyncHTTPClient would retry the connection until the connect timeout
    /// and report only that timeout: a stopped mirror cost every sync 10 s by default.
    @Test func aRefusedConnectionFailsAtOnceSayingSo() async throws {
        let url = "http://127.0.0.1:\(freePort())/eole/"
        let options = TransportOptions(connectTimeout: .seconds(60), requestTimeout: .seconds(60), readTimeout: .seconds(30))
        let down = try HTTPTransport(base: url, options: options)
        let start = ContinuousClock.now
        let error = try await Bounded.run("refused", seconds: 90) { () async -> FetchError? in
            do throws(FetchError) { _ = try await down.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        let elapsed = ContinuousClock.now - start
        await down.shutdown()
        #expect(error == .network(url: url + "index.json", reason: "connection refused"), "\(String(describing: error))")
        // Milliseconds here, plus slack for a loaded CI machine; the timeouts are 60 s.
        #expect(elapsed < .seconds(10), "a refused connection is final; took \(elapsed)")
    }

    /// A name that resolves to several addresses, none listening: each address's refusal is named.
    @Test func aRefusedConnectionToEveryAddressOfANameNamesThem() async throws {
        let port = freePort()
        let url = "http://localhost:\(port)/eole/"
        let down = try HTTPTransport(base: url, options: TransportOptions(connectTimeout: .seconds(60), requestTimeout: .seconds(60)))
        let error = try await Bounded.run("refused", seconds: 90) { () async -> FetchError? in
            do throws(FetchError) { _ = try await down.fetch("index.json", maxBytes: 1 << 20); return nil } catch { return error }
        }
        await down.shutdown()
        guard case .network(let failed, let reason) = error else {
            Issue.record("expected a network error, got \(String(describing: error))")
            return
        }
        #expect(failed == url + "index.json")
        #expect(reason.contains("connection refused by ") && reason.contains(":\(port)"), "\(reason)")
    }

    @Test func durationsConvertToTheNanosecond() {
        #expect(HTTPTransport.timeAmount(.milliseconds(500)).nanoseconds == 500_000_000)
        #expect(HTTPTransport.timeAmount(.seconds(2) + .microseconds(3)).nanoseconds == 2_000_003_000)
        #expect(HTTPTransport.seconds(.milliseconds(1500)) == 1.5)
    }
}
