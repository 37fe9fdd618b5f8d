import ArgumentParser
import Foundation
import ZephirCore

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Lists, shows, derives and draws server models.",
        discussion: """
        Root models come from sources; local child models are derived by users on this instance and are never touched by a sync.

        Examples:
          zephir-models models list --release 2.7.1 --origin root
          zephir-models models show 2.7.1/amon --explain
          zephir-models models derive --parent 2.7.1/amon --name amon-lycee --set mode_filtrage=strict
          zephir-models models graph --release 2.7.1 --format svg > models.svg
        """,
        subcommands: [ListModels.self, ShowModel.self, DeriveModel.self, GraphModels.self]
    )
}

extension ModelSummary.Origin: ExpressibleByArgument {}

struct ListModels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists the models in force, with provenance.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Only this release.")
    var release: String?

    @Option(help: "Only root or only local models.")
    var origin: ModelSummary.Origin?

    func run() async throws {
        try await ExitStatus.guarded {
            let (_, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            let models = try await store.listModels(release: release, origin: origin)
            if options.json { Terminal.json(models); return }
            guard !models.isEmpty else { Terminal.print("No models: run `zephir-models sync` first."); return }
            let width = models.map { $0.release.count + $0.name.count + 1 }.max() ?? 0
            for model in models {
                let from = model.origin == .root ? "from \(model.source ?? "?") v\(model.sourceVersion.map(String.init) ?? "?")" : "local"
                let parent = model.parent.map { "  parent \($0)" } ?? ""
                Terminal.print("\(SyncReportText.pad("\(model.release)/\(model.name)", width))  \(SyncReportText.pad(from, 18))  \(model.variableCount) variables\(parent)")
            }
        }
    }
}

struct ShowModel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Shows one model: provenance, services and effective variables.",
        discussion: "For a local child, the values it sets are marked. `--explain` names every source that offered the key and why the winner won."
    )

    @OptionGroup var options: CommonOptions

    @Argument(help: ArgumentHelp("The model, as RELEASE/NAME.", valueName: "RELEASE/NAME"))
    var key: String

    @Flag(help: "Name every source that offered this key and why the winner won (priority, scope).")
    var explain = false

    func validate() throws {
        guard ModelKey(key) != nil else { throw ValidationError("'\(key)' is not RELEASE/NAME, for example 2.7.1/amon") }
    }

    struct Output: Encodable {
        var model: ModelDetail
        var candidates: [Candidate]?
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let (config, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            let modelKey = ModelKey(key)!
            let detail = try await ModelDetail.load(modelKey, store: store)
            var candidates: [Candidate]?
            if explain || options.json {
                candidates = try await ModelExplanation.candidates(for: modelKey, config: config, adapters: Bootstrap.sources.adapters(for: config), store: store)
            }
            if options.json { Terminal.json(Output(model: detail, candidates: candidates)); return }
            Terminal.print(ModelDetailText.render(detail, candidates: explain ? candidates : nil))
        }
    }
}

struct DeriveModel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Creates a local child model of a root or local model.",
        discussion: """
        Every value set is checked against the parent's effective variables. The child is never changed by a sync; `conflicts` reports what updates do to its parents.

        Example:
          zephir-models models derive --parent 2.7.1/amon --name amon-lycee --set mode_filtrage=strict --add-service eole-extra
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("The parent model, as RELEASE/NAME.", valueName: "RELEASE/NAME"))
    var parent: String

    @Option(help: "The child's name, in the parent's release.")
    var name: String

    @Option(help: "What the child is for.")
    var description = ""

    @Option(name: .customLong("set"), help: ArgumentHelp("A variable value: VAR=VALUE (repeatable).", valueName: "VAR=VALUE"))
    var sets: [String] = []

    @Option(name: .customLong("add-service"), help: ArgumentHelp("An application service of the release to add (repeatable).", valueName: "service"))
    var addServices: [String] = []

    @Option(name: .customLong("remove-service"), help: ArgumentHelp("A service of the parent to remove (repeatable).", valueName: "service"))
    var removeServices: [String] = []

    func validate() throws {
        guard ModelKey(parent) != nil else { throw ValidationError("--parent '\(parent)' is not RELEASE/NAME, for example 2.7.1/amon") }
        for set in sets where !set.contains("=") || set.hasPrefix("=") {
            throw ValidationError("--set '\(set)' is not VAR=VALUE, for example mode_filtrage=strict")
        }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let (_, store) = try Bootstrap.open(options.config)
            try await store.migrate()
            let overrides = sets.map { set -> LocalModel.Override in
                let equals = set.firstIndex(of: "=")!
                return LocalModel.Override(name: String(set[..<equals]), value: String(set[set.index(after: equals)...]))
            }
            let model = try await ModelDerivation.derive(.init(parent: ModelKey(parent)!, name: name, description: description, sets: overrides,
                                                               addServices: addServices, removeServices: removeServices), in: store)
            if options.json { Terminal.json(model); return }
            Terminal.print("created local model \(model.key) (parent \(model.parent), \(model.overrides.count) values set)")
        }
    }
}

struct GraphModels: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case dot, svg
    }

    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draws the inheritance forest of the models in force, in Graphviz's DOT or as SVG.",
        discussion: """
        Each release is a box of its own. Root models are filled with the colour of their source (the legend names them), local children sit apart in a dashed box with dashed links to their parents, and a model with open conflicts has a red border, with the conflict kinds in its tooltip. --format svg runs Graphviz's `dot` (Debian package graphviz); without it, exits 69 and says so.

        Examples:
          zephir-models models graph --release 2.7.1 --format svg > models.svg
          zephir-models models graph | dot -Tpng > models.png
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "Only this release.")
    var release: String?

    @Option(help: "dot (Graphviz's language) or svg (drawn by Graphviz's `dot`).")
    var format: Format = .dot

    func validate() throws {
        if options.json { throw ValidationError("--json does not apply to models graph: choose --format dot or svg") }
    }

    func run() async throws {
        try await ExitStatus.guarded {
            let (config, store) = try Bootstrap.open(options.config)
            let graph = try await ModelGraph.build(config: config, store: store, release: release)
            switch format {
            case .dot: Terminal.print(graph.dot(), terminator: "")
            case .svg: Terminal.write(try Graphviz.render(graph.dot(), format: "svg"))
            }
        }
    }
}
