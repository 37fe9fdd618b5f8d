/// `models show --explain`: every source that offered a key and why the winner won, from the
/// installed layers and the current configuration (priorities and scopes).
public enum ModelExplanation {
    public static func candidates(for key: ModelKey, config: Config, adapters: [String: any SourceAdapter], store: any ModelStore) async throws -> [Candidate] {
        let layers = try await StoredLayers.loadAll(config: config, adapters: adapters, from: store)
        return Resolver.resolve(layers).candidates[key] ?? []
    }

    /// One line per candidate: `eole (priority 100): won`.
    public static func describe(_ candidate: Candidate) -> String {
        let why: String
        switch candidate.outcome {
        case .won: why = "won"
        case .shadowed: why = "shadowed by a source of higher priority"
        case .outOfScope: why = "ignored: outside this source's scope"
        case .notAllowed: why = "ignored: this kind of source may not define it"
        }
        return "\(candidate.source) (priority \(candidate.priority)): \(why)"
    }
}
