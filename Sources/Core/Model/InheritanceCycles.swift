/// Finds cycles in a parent relation, in linear time.
public enum InheritanceCycles {
    /// Each cycle once, starting at its smallest name, in sorted order.
    /// - Parameter parents: each name's parent; a parent missing from the keys ends a chain.
    public static func find(parents: [String: String?]) -> [[String]] {
        var state: [String: Int] = [:]   // 1 = on the current path, 2 = done
        var cycles: [[String]] = []
        for start in parents.keys.sorted() where state[start] == nil {
            var path: [String] = []
            var current: String? = start
            while let name = current, parents[name] != nil, state[name] == nil {
                state[name] = 1
                path.append(name)
                current = parents[name] ?? nil
            }
            if let name = current, state[name] == 1, let index = path.firstIndex(of: name) {
                let cycle = Array(path[index...])
                let smallest = cycle.indices.min { cycle[$0] < cycle[$1] }!
                cycles.append(Array(cycle[smallest...] + cycle[..<smallest]))
            }
            for name in path { state[name] = 2 }
        }
        return cycles.sorted { $0[0] < $1[0] }
    }
}
