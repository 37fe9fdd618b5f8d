import Foundation

/// The runs of one size on PostgreSQL (`--store`): each run syncs into a fresh schema (cold,
/// no-change, one model changed), then times the SQLite cold sync of the same bundle (for the
/// memory ratio), the peer into the server and the floor (scan + one `COPY`).
enum PostgresRun {
    static func measure(_ bench: BenchCase, runs: Int, server: PostgresServer, options: BenchOptions) throws -> SizeResult {
        let size = bench.size
        var result = SizeResult(size: size, largestFile: bench.largestFile())
        let schema = "zm_bench_\(getpid())"
        let (config1, config2) = try bench.configs(database: server.storeURL(schema: schema))
        defer { try? server.dropSchema(schema) }
        for run in 1...runs {
            log("\(size): run \(run)/\(runs) on PostgreSQL")
            try server.dropSchema(schema)
            try bench.reset()
            result.cold.append(try bench.sync(config1, expect: "applied", modelsAdded: size.models))
            if run == 1 { result.rows = try server.rowCount(schema: schema) }
            result.unchanged.append(try bench.sync(config1, expect: "unchanged"))
            result.oneModel.append(try bench.sync(config2, expect: "applied", modelsChanged: 1))
            try bench.reset()   // the SQLite sync starts from an empty fetch cache too
            result.sqliteCold.append(try bench.sync(bench.config1, expect: "applied", modelsAdded: size.models))
            result.peer.append(try bench.peer(options.peer, python: options.python, database: server.url))

            let start = DispatchTime.now().uptimeNanoseconds
            let scan = try Floor.scan(tree: bench.bundle1.appendingPathComponent("tree"))
            result.floorScan.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            result.floorInsert.append(try Floor.copy(rows: result.rows, server: server, schema: schema + "_floor", scratch: bench.folder))
            result.bytes = scan.bytes
            result.files = scan.files
            log(String(format: "%@: cold %.3f s, unchanged %.3f s, one model %.3f s, SQLite cold %.3f s, peer %.3f s, floor %.3f + %.3f s; "
                       + "peak RSS KiB %d (SQLite %d)", "\(size)", result.cold.last!.seconds, result.unchanged.last!.seconds,
                       result.oneModel.last!.seconds, result.sqliteCold.last!.seconds, result.peer.last!.seconds, result.floorScan.last!,
                       result.floorInsert.last!, result.cold.last!.peakRSS / 1024, result.sqliteCold.last!.peakRSS / 1024))
        }
        try server.psql("SET client_min_messages = warning; DROP SCHEMA IF EXISTS peer_loader CASCADE")
        return result
    }
}
