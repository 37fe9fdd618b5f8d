/// Which mirror's index a source takes, and how each mirror fared (SPEC §5.2): the highest
/// version that verifies wins, so a stale mirror first in the list never keeps an instance behind.
struct MirrorSelection {
    /// How each mirror fared, in the configured order.
    private(set) var results: [MirrorResult]
    /// The mirror whose index the run takes; `nil` when none verified.
    let winner: Int?
    /// The mirrors that serve the winning index: the winner first, then the configured order.
    let serving: [Int]
    /// When no mirror verified: the mirror and failure that decide the source's outcome, the
    /// first that did not verify before the first that could not be read.
    let failure: (Int, any Error)

    init(names: [String], heads: [Result<SourceFetcher.Head, any Error>], installedDigest: String?) {
        let verified = heads.enumerated().compactMap { index, head in (try? head.get()).map { (index, $0) } }
        let newest = verified.map(\.1.verified.index.version).max()
        let candidates = verified.filter { $0.1.verified.index.version == newest }
        let chosen = candidates.first { $0.1.verified.digest == installedDigest } ?? candidates.first
        winner = chosen?.0
        serving = chosen.map { chosen in [chosen.0] + candidates.filter { $0.0 != chosen.0 && $0.1.verified.digest == chosen.1.verified.digest }.map(\.0) } ?? []
        let failures = heads.enumerated().compactMap { index, head -> (Int, any Error)? in
            if case .failure(let error) = head { return (index, error) }
            return nil
        }
        failure = failures.first { $0.1 is TrustError } ?? failures.first ?? (0, FetchError.network(url: names.first ?? "", reason: "no mirror is configured"))

        let winnerName = chosen.map { names[$0.0] }
        results = heads.enumerated().map { index, head in
            let name = names[index]
            switch head {
            case .success(let head):
                let version = head.verified.index.version
                if version < newest! {
                    return MirrorResult(mirror: name, status: .stale, version: version,
                                        detail: "serves version \(version); \(winnerName!) serves version \(newest!)")
                }
                if head.verified.digest != chosen!.1.verified.digest {
                    return MirrorResult(mirror: name, status: .rejected, version: version, reason: "equivocation",
                                        detail: "serves another index than \(winnerName!) for version \(version) (payload SHA-256 \(head.verified.digest) against \(chosen!.1.verified.digest)); the publisher signed two different bundles with one version, or a key leaked")
                }
                return MirrorResult(mirror: name, status: .served, version: version)
            case .failure(let error):
                // Behind what is installed while another mirror serves the source: a mirror not yet updated.
                if case TrustError.rollback(let installed, let offered) = error, let newest {
                    return MirrorResult(mirror: name, status: .stale, version: offered,
                                        detail: "serves version \(offered), older than version \(installed) already installed; \(winnerName!) serves version \(newest)")
                }
                let (status, reason) = FailoverTransport.classify(error)
                return MirrorResult(mirror: name, status: status, reason: reason, detail: "\(error)")
            }
        }
    }

    /// Takes the failures of mirrors while they served files.
    mutating func record(_ failures: [MirrorResult]) {
        for failure in failures {
            guard let index = results.firstIndex(where: { $0.mirror == failure.mirror }) else { continue }
            var result = failure
            result.version = results[index].version
            result.detail = "served the index of version \(result.version.map(String.init) ?? "?") but failed on a file, and another mirror took over: \(failure.detail ?? "")"
            results[index] = result
        }
    }
}
