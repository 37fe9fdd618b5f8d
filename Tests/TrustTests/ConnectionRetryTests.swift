import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// A request that never reached the server for a reason that may pass is tried once more;
/// a refusal is final (see `HTTPTimeoutTests`: it fails at once).
@Suite struct ConnectionRetryTests {
    static let server = NetworkFaultTests.server

    /// The server closes the first connection without answering, as it drops a kept-alive
    /// connection: the fetch is tried once more and gets the file.
    @Test func aConnectionClosedBeforeTheAnswerIsTriedOnceMore() async throws {
        let url = Self.server.url(.closeFirst, on: "index")
        let transport = try HTTPTransport(base: url, options: TransportOptions(connectTimeout: .seconds(10), requestTimeout: .seconds(30)))
        let fetched: Result<Data, FetchError>
        do throws(FetchError) { fetched = .success(try await transport.fetch("index.json", maxBytes: 1 << 20)) } catch { fetched = .failure(error) }
        await transport.shutdown()
        let served = try Data(contentsOf: Self.server.root.appendingPathComponent("index.json"))
        #expect(try fetched.get() == served)
    }

    @Test func onlyFailuresThatMayPassAreTriedAgain() {
        #expect(ConnectionRetry.mayPass(IOError(errnoCode: ECONNRESET, reason: "connect"), method: .GET))
        #expect(ConnectionRetry.mayPass(IOError(errnoCode: ETIMEDOUT, reason: "connect"), method: .PUT))
        #expect(ConnectionRetry.mayPass(HTTPClientError.remoteConnectionClosed, method: .GET))
        #expect(ConnectionRetry.mayPass(HTTPClientError.remoteConnectionClosed, method: .HEAD))
        // A request with effects may have reached the server before it closed the connection.
        #expect(!ConnectionRetry.mayPass(HTTPClientError.remoteConnectionClosed, method: .PUT))
        #expect(!ConnectionRetry.mayPass(HTTPClientError.remoteConnectionClosed, method: .POST))
        // Nothing listens, no route, or no answer within the connect timeout: final.
        #expect(!ConnectionRetry.mayPass(IOError(errnoCode: ECONNREFUSED, reason: "connect"), method: .GET))
        #expect(!ConnectionRetry.mayPass(IOError(errnoCode: ENETUNREACH, reason: "connect"), method: .GET))
        #expect(!ConnectionRetry.mayPass(HTTPClientError.connectTimeout, method: .GET))
        #expect(!ConnectionRetry.mayPass(HTTPClientError.readTimeout, method: .GET))
    }
}
