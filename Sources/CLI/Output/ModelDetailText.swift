import ZephirCore

/// `models show` for a person.
enum ModelDetailText {
    static func render(_ detail: ModelDetail, candidates: [Candidate]?) -> String {
        var lines = ["\(detail.release)/\(detail.name)  (\(detail.origin.rawValue))"]
        if !detail.description.isEmpty { lines.append("  \(detail.description)") }
        if let parent = detail.parent { lines.append("  parent:   \(detail.release)/\(parent)") }
        if let source = detail.source { lines.append("  source:   \(source)" + (detail.sourceVersion.map { " (version \($0))" } ?? "")) }
        if let local = detail.local { lines.append("  created:  \(local.createdAt)") }
        if let problem = detail.problem {
            lines.append("  PROBLEM:  \(problem)")
            for override in detail.local?.overrides ?? [] { lines.append("    sets \(override.name) = \(override.value)") }
        }
        lines.append("  services: " + (detail.services.isEmpty ? "none" : detail.services.joined(separator: ", ")))
        lines.append("  variables (\(detail.variables.count)):")
        let width = detail.variables.map(\.variable.name.count).max() ?? 0
        for entry in detail.variables {
            let v = entry.variable
            var text = "    " + SyncReportText.pad(v.name, width) + "  " + SyncReportText.pad(v.type.rawValue, 8)
            if let value = entry.value {
                text += "  = \(value)  (set here" + (v.defaultValue.map { "; default \($0))" } ?? ")")
            } else if let value = v.defaultValue {
                text += "  = \(value)"
            }
            if v.mandatory { text += "  [mandatory]" }
            if let choices = v.choices { text += "  {\(choices.joined(separator: ", "))}" }
            lines.append(text)
        }
        if let candidates {
            lines.append("  offered by:")
            if candidates.isEmpty { lines.append("    no installed source offers this key (local model)") }
            for candidate in candidates { lines.append("    " + ModelExplanation.describe(candidate)) }
        }
        return lines.joined(separator: "\n")
    }
}
