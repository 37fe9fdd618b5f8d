import Foundation

/// The benchmark's command line.
struct BenchOptions {
    struct Size: Hashable, CustomStringConvertible {
        var models: Int
        var variables: Int
        var description: String { "\(models) × \(variables)" }
    }

    var binary: String
    var peer: String
    var work: URL
    var sizes: [Size] = [Size(models: 100, variables: 100), Size(models: 300, variables: 300)]
    var runs = 5
    /// Runs of the largest size (`--large`), which take minutes each for the peer.
    var largeRuns = 3
    var large = false
    var keep = false
    /// `--store`: a PostgreSQL server to measure instead of SQLite.
    var store: PostgresServer?
    /// `--python`: the interpreter of the peer.
    var python = "python3"

    static let largeSize = Size(models: 1_000, variables: 1_000)

    static let usage = """
        usage: zephir-models-bench [--binary PATH] [--peer PATH] [--work DIR] [--sizes MxV,...] [--runs N]
                                   [--large] [--large-runs N] [--keep] [--store postgres://…] [--python PATH]

        Times the release `zephir-models` binary as an operator runs it (cold sync, no-change sync,
        sync after one model changed), the peer loader on the same bundles, and the floor (libyaml
        event scan + one prepared INSERT in one transaction), and prints a markdown table of medians.

          --binary PATH     zephir-models to run (default: beside this executable)
          --peer PATH       the peer loader (default: ../shared/bench/peer_loader.py)
          --work DIR        scratch folder for bundles and databases (default: /tmp/zephir-models-bench)
          --sizes MxV,...   models × variables of one release each (default: 100x100,300x300)
          --runs N          runs per size (default: 5)
          --large           add 1000x1000
          --large-runs N    runs of 1000x1000 (default: 3)
          --keep            keep the scratch folder
          --store URL       measure PostgreSQL instead: postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=…],
                            a server this user may create schemas on. Each run syncs into a fresh schema;
                            the peer loads its `peer_loader` schema (psycopg 3, Debian's python3-psycopg),
                            the floor COPYs the rows into a fresh table with psql, and the SQLite cold sync
                            of the same bundle is timed too, for the memory ratio
          --python PATH     the peer's interpreter (default: python3, or with --store the first of
                            python3 and /usr/bin/python3 that imports psycopg)
        """

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("zephir-models").path
        var options = BenchOptions(binary: beside, peer: "../shared/bench/peer_loader.py",
                                   work: URL(fileURLWithPath: "/tmp/zephir-models-bench"))
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw BenchError("\(flag) needs a value\n\n\(usage)") }
            return next
        }
        func count(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), n >= 1 else { throw BenchError("\(flag) \(text): expected a positive integer") }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--binary": options.binary = try value(flag)
            case "--peer": options.peer = try value(flag)
            case "--work": options.work = URL(fileURLWithPath: try value(flag))
            case "--runs": options.runs = try count(flag)
            case "--large-runs": options.largeRuns = try count(flag)
            case "--large": options.large = true
            case "--keep": options.keep = true
            case "--store": options.store = try PostgresServer(url: try value(flag))
            case "--python": options.python = try value(flag)
            case "--sizes":
                options.sizes = try value(flag).split(separator: ",").map { item in
                    let parts = item.split(separator: "x").compactMap { Int($0) }
                    guard parts.count == 2, parts[0] >= 1, parts[1] >= 0 else { throw BenchError("--sizes \(item): expected MODELSxVARIABLES, such as 300x300") }
                    return Size(models: parts[0], variables: parts[1])
                }
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                throw BenchError("unknown argument \(flag)\n\n\(usage)")
            }
        }
        if options.large && !options.sizes.contains(largeSize) { options.sizes.append(largeSize) }
        options.binary = URL(fileURLWithPath: options.binary).standardizedFileURL.path
        options.peer = URL(fileURLWithPath: options.peer).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: options.binary) else {
            throw BenchError("\(options.binary) is not an executable; build it with `swift build -c release --product zephir-models` or pass --binary")
        }
        guard FileManager.default.fileExists(atPath: options.peer) else { throw BenchError("\(options.peer) not found; pass --peer") }
        if options.store != nil {
            let candidates = arguments.contains("--python") ? [options.python] : ["python3", "/usr/bin/python3"]
            guard let python = candidates.first(where: { PostgresServer.importsPsycopg($0) }) else {
                throw BenchError("none of \(candidates.joined(separator: ", ")) imports psycopg 3, the peer's PostgreSQL driver; "
                    + "install python3-psycopg (Debian) or pass --python")
            }
            options.python = python
        }
        return options
    }

    func runs(for size: Size) -> Int { size == Self.largeSize ? largeRuns : runs }
}
