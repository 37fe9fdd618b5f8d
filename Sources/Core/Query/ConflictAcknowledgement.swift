/// `conflicts ack`: records that a user reviewed conflicts; for `parent-updated`, the child's
/// parent digest moves to the parent's current one, so the conflict does not come back.
public enum ConflictAcknowledgement {
    /// - Returns: the acknowledged conflicts.
    /// - Throws: ``AcknowledgementError`` naming ids that do not exist.
    public static func acknowledge(_ ids: [Int64], in store: any ModelStore) async throws -> [StoredConflict] {
        let all = try await store.conflicts(all: true)
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = ids.filter { byID[$0] == nil }
        guard missing.isEmpty else { throw AcknowledgementError.unknownIDs(missing) }
        var digests: [ModelKey: String] = [:]
        for id in ids {
            guard let stored = byID[id], stored.conflict.kind == .parentUpdated, let key = ModelKey(stored.conflict.subject) else { continue }
            let roots = try await store.rootModels(release: key.release)
            guard let local = try await store.localModel(key) else { continue }
            if let effective = try await EffectiveModel.compute(ModelKey(release: key.release, name: local.parent), roots: roots, store: store),
               let digest = effective.rootChainDigest {
                digests[key] = digest
            }
        }
        _ = try await store.acknowledge(ids, parentDigests: digests)
        return ids.compactMap { byID[$0] }
    }
}

/// Why `conflicts ack` refused.
public enum AcknowledgementError: Error, Sendable, CustomStringConvertible {
    case unknownIDs([Int64])

    public var description: String {
        switch self {
        case .unknownIDs(let ids):
            return "no conflict with id \(ids.map(String.init).joined(separator: ", ")); `zephir-models conflicts --all` lists them"
        }
    }
}
