import Foundation

// zephir-models-bench: the benchmark of docs/performance.md. See `BenchOptions.usage`.

do {
    if try Micro.run(Array(CommandLine.arguments.dropFirst())) { exit(0) }
} catch {
    FileHandle.standardError.write(Data("zephir-models-bench: \(error)\n".utf8))
    exit(1)
}
let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("zephir-models-bench: \(error)\n".utf8))
    exit(64)
}

func log(_ text: String) { FileHandle.standardError.write(Data("· \(text)\n".utf8)) }

do {
    let fm = FileManager.default
    try fm.createDirectory(at: options.work, withIntermediateDirectories: true)
    let keyPrefix = options.work.appendingPathComponent("keys/bench")
    try? fm.removeItem(at: keyPrefix.deletingLastPathComponent())
    try ChildProcess.run([options.binary, "keygen", "--out", keyPrefix.path], in: options.work)
    let key = URL(fileURLWithPath: keyPrefix.path + ".key"), publicKey = URL(fileURLWithPath: keyPrefix.path + ".pub")

    var results: [SizeResult] = []
    for size in options.sizes {
        let runs = options.runs(for: size)
        let bench = BenchCase(size: size, folder: options.work.appendingPathComponent("\(size.models)x\(size.variables)"),
                              binary: options.binary, key: key, publicKey: publicKey)
        log("\(size): generating bundles")
        try bench.prepare()
        if let server = options.store {
            results.append(try PostgresRun.measure(bench, runs: runs, server: server, options: options))
            if !options.keep { try? fm.removeItem(at: bench.folder) }
            continue
        }
        var result = SizeResult(size: size, largestFile: bench.largestFile())
        for run in 1...runs {
            log("\(size): run \(run)/\(runs)")
            try bench.reset()
            result.cold.append(try bench.sync(bench.config1, expect: "applied", modelsAdded: size.models))
            if run == 1 { result.rows = try bench.rowCount() }
            result.unchanged.append(try bench.sync(bench.config1, expect: "unchanged"))
            result.oneModel.append(try bench.sync(bench.config2, expect: "applied", modelsChanged: 1))
            result.peer.append(try bench.peer(options.peer, python: options.python, database: bench.folder.appendingPathComponent("peer.db").path))

            let start = DispatchTime.now().uptimeNanoseconds
            let scan = try Floor.scan(tree: bench.bundle1.appendingPathComponent("tree"))
            let scanned = DispatchTime.now().uptimeNanoseconds
            try Floor.insert(rows: result.rows, path: bench.folder.appendingPathComponent("floor.db").path)
            let inserted = DispatchTime.now().uptimeNanoseconds
            result.floorScan.append(Double(scanned - start) / 1e9)
            result.floorInsert.append(Double(inserted - scanned) / 1e9)
            result.bytes = scan.bytes
            result.files = scan.files
            log(String(format: "%@: cold %.3f s, unchanged %.3f s, one model %.3f s, peer %.3f s, floor %.3f + %.3f s; anon KiB %d / %d / %d", "\(size)",
                       result.cold.last!.seconds, result.unchanged.last!.seconds, result.oneModel.last!.seconds, result.peer.last!.seconds,
                       result.floorScan.last!, result.floorInsert.last!, result.cold.last!.peakAnon / 1024, result.unchanged.last!.peakAnon / 1024,
                       result.oneModel.last!.peakAnon / 1024))
        }
        results.append(result)
        if !options.keep { try? fm.removeItem(at: bench.folder) }
    }
    if let server = options.store {
        print(PostgresReport.render(results, server: server))
    } else {
        print(Report.render(results, options: options))
    }
} catch {
    FileHandle.standardError.write(Data("zephir-models-bench: \(error)\n".utf8))
    exit(1)
}
