import FakeSource
import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// A seeded mutation fuzzer for the readers of untrusted bytes: envelopes, index payloads and
/// tree files are mutated (bit flips, random bytes, truncation, deletion, duplication, splicing,
/// syntax tokens) and fed to `Envelope.parse`, `IndexPolicy.verify`, `BundleIndex.parse`,
/// `YAMLReader` and `TreeFileDecoder`. Nothing may crash; each input decodes or throws the
/// reader's typed error, within a time bound.
///
/// `ZEPHIR_FUZZ_ITERATIONS` inputs per reader (default 2,000 in CI), `ZEPHIR_FUZZ_SEED` to
/// replay a run; libFuzzer is documented in docs/security.md.
@Suite struct MutationFuzzTests {
    static let iterations = environmentInt("ZEPHIR_FUZZ_ITERATIONS", 2_000)
    static let seed = UInt64(environmentInt("ZEPHIR_FUZZ_SEED", 0x5EED))
    /// The longest any single input may take (debug build).
    static let perInputLimit: Duration = .seconds(2)

    static let tokens: [[UInt8]] = [
        "&a ", "*a", "<<: ", "!!str ", "!<tag:x> ", "[", "]", "{", "}", ": ", "- ", "? ", "---\n", "...\n", "|\n  ", ">-\n  ", "\"", "'",
        "\\u0000", "\\ud800", "\u{FEFF}", "%YAML 1.1\n", "#", "\t", "\n", "  ", ",", "null", "~", "true", "0x1F", "1e309", "-0",
        "\"payload\":", "\"signatures\":[]", "\"files\":[", "\"size\":-1", "\"version\":0", "\"path\":\"../x\"", "\"sha256\":\"", "=", "+/", "-_",
    ].map { Array($0.utf8) } + [[0x00], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]]

    /// Applies one to four random mutations.
    static func mutate(_ input: [UInt8], corpus: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count + 1))
            switch rng.next() % 9 {
            case 0 where !bytes.isEmpty:
                let i = min(position, bytes.count - 1)
                bytes[i] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: rng.next())
            case 2:
                bytes = Array(bytes.prefix(position))
            case 3 where !bytes.isEmpty:
                let length = Int(rng.next() % 64) + 1
                bytes.removeSubrange(min(position, bytes.count)..<min(position + length, bytes.count))
            case 4:
                bytes.insert(contentsOf: (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position)
            case 5 where !bytes.isEmpty:
                let start = Int(rng.next() % UInt64(bytes.count))
                let slice = bytes[start..<min(bytes.count, start + 1 + Int(rng.next() % 256))]
                bytes.insert(contentsOf: slice, at: position)
            case 6:
                let other = corpus[Int(rng.next() % UInt64(corpus.count))]
                let cut = other.isEmpty ? 0 : Int(rng.next() % UInt64(other.count))
                bytes = Array(bytes.prefix(position)) + other[cut...]
            case 7:
                bytes.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: position)
            default:
                let token = [UInt8]("[{-\"".utf8)[Int(rng.next() % 4)]
                bytes.insert(contentsOf: Array(repeating: token, count: 1 + Int(rng.next() % 5_000)), at: position)
            }
        }
        return bytes
    }

    /// Feeds `iterations` mutants of `corpus` to `body`, timing each.
    static func fuzz(_ name: String, corpus: [[UInt8]], salt: UInt64, _ body: ([UInt8], Int, inout SplitMix) -> Bool) async {
        var rng = SplitMix(seed: seed ^ salt)
        var accepted = 0
        var slowest: Duration = .zero
        for iteration in 0..<iterations {
            // Share the test pool's few threads with the suites that wait on the network.
            if iteration % 100 == 0 { await Task.yield() }
            let input = mutate(corpus[iteration % corpus.count], corpus: corpus, &rng)
            let start = ContinuousClock.now
            if body(input, iteration % corpus.count, &rng) { accepted += 1 }
            let took = ContinuousClock.now - start
            slowest = max(slowest, took)
            if took > perInputLimit {
                Issue.record("\(name): input \(iteration) (seed \(seed)) took \(took): \(input.prefix(200))")
            }
        }
        print("fuzz \(name): \(iterations) inputs, \(accepted) decoded, \(iterations - accepted) refused with a typed error; slowest \(slowest); seed \(seed)")
    }

    static let envelopes: [[UInt8]] = {
        var two = ForgedBundle()
        two.signers = [Keys.eole, Keys.eoleB]
        return [ForgedBundle().served["index.json"]!, two.served["index.json"]!].map { [UInt8]($0) }
    }()

    static let payloads: [[UInt8]] = {
        let generated = FakeTreeGenerator.generate(FakeTreeParameters(seed: 3, releases: 1, models: 12, variables: 6))
        let files = generated.map { BundleIndex.File(path: $0.path, sha256: SHA256Digest.hex($0.contents), size: $0.contents.count) }
        let large = BundleIndex(source: "fake", version: 7, created: Clock.created, expires: Clock.expires, files: files)
        return [ForgedBundle().index.encoded(), large.encoded()].map { [UInt8]($0) }
    }()

    static let treeFiles: [(path: String, bytes: [UInt8])] = {
        let generated = FakeTreeGenerator.generate(FakeTreeParameters(seed: 4, releases: 1, models: 10, variables: 12))
        let sample = sampleTree().sorted { $0.key < $1.key }.map { (path: $0.key, bytes: $0.value) }
        return sample + generated.prefix(40).map { (path: $0.path, bytes: $0.contents) }
    }()

    @Test func envelopesAndSignedIndexes() async {
        let policies = [SignaturePolicy.requiring(1, of: [Keys.eole, Keys.eoleB]), SignaturePolicy(mode: .off), SignaturePolicy(mode: .warn, keys: [Keys.eole.publicKey])]
        await Self.fuzz("envelope", corpus: Self.envelopes, salt: 1) { bytes, _, rng in
            let data = Data(bytes)
            do throws(TrustError) {
                let envelope = try Envelope.parse(data)
                _ = try? envelope.payloadBytes()
                _ = try? SignatureVerifier(trusted: [Keys.eole.publicKey]).check(envelope)
            } catch {
                #expect(!error.reason.isEmpty && !error.description.isEmpty)
            }
            do throws(TrustError) {
                let verified = try IndexPolicy.verify(envelopeBytes: data, policy: policies[Int(rng.next() % 3)], expectedSource: "eole", now: Clock.now)
                #expect(verified.index.files.allSatisfy { BundlePath.isSafe($0.path) })
                return true
            } catch {
                #expect(!error.reason.isEmpty)
                return false
            }
        }
    }

    @Test func indexPayloads() async {
        await Self.fuzz("index payload", corpus: Self.payloads, salt: 2) { bytes, _, _ in
            do throws(TrustError) {
                let index = try BundleIndex.parse(Data(bytes))
                #expect(index.files.allSatisfy { BundlePath.isSafe($0.path) && $0.size >= 0 && $0.sha256.utf8.count == 64 })
                #expect((try? BundleIndex.parse(index.encoded())) == index, "an accepted index re-encodes to itself")
                return true
            } catch {
                #expect(!error.reason.isEmpty)
                return false
            }
        }
    }

    @Test func yamlDocuments() async {
        await Self.fuzz("yaml", corpus: Self.treeFiles.map(\.bytes), salt: 3) { bytes, _, _ in
            do throws(YAMLError) {
                _ = try YAMLReader().read(bytes)
                return true
            } catch {
                #expect(!error.description.isEmpty)
                return false
            }
        }
    }

    @Test func treeFiles() async {
        let paths = Self.treeFiles.map(\.path) + ["releases/2.7.1/servermodels/x.yml", "releases/../x.yml", "versions/a/b.yml", "releases/2.7.1/other/x.yml"]
        await Self.fuzz("tree file", corpus: Self.treeFiles.map(\.bytes), salt: 4) { bytes, base, rng in
            // Mostly the file's own path, sometimes another one.
            let path = rng.chance(0.8) ? Self.treeFiles[base].path : paths[Int(rng.next() % UInt64(paths.count))]
            do throws(TreeError) {
                _ = try TreeFileDecoder().decode(path: path, bytes: bytes)
                return true
            } catch {
                #expect(error.file == path && !error.description.isEmpty)
                return false
            }
        }
    }
}
