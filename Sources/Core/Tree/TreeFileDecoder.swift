/// Decodes one file of a datasource tree (SPEC §4) from its bytes, strictly.
///
/// It checks everything one file can tell: the keys, their types, names, the name against the
/// file name, dates, statuses, and that every default fits its variable's type. References to
/// other files are checked by ``TreeValidator``.
public struct TreeFileDecoder: Sendable {
    public let limits: YAMLLimits
    /// Whether models may take ``ModelEventDecoder`` (tests compare it with the strict path).
    var decodesModelsFromEvents = true

    public init(limits: YAMLLimits = .default) { self.limits = limits }

    /// - Parameters:
    ///   - path: the file's path relative to the tree's root; it decides what the file must hold.
    /// - Throws: ``TreeError``.
    public func decode(path: String, bytes: [UInt8]) throws(TreeError) -> TreeFile {
        let location = try TreePath.classify(path)
        // Models, almost all of a bundle's bytes, take the fast path when it is sure; the strict one explains everything else.
        if decodesModelsFromEvents, case .model(let release, let expected) = location,
           let model = ModelEventDecoder(limits: limits).decode(bytes, expected: expected) {
            return .model(release: release, model)
        }
        let root: YAMLNode
        do {
            root = try YAMLReader(limits: limits).read(bytes)
        } catch {
            throw TreeError(file: path, line: error.mark?.line, .yaml(error))
        }
        switch location {
        case .version(let expected):
            let m = try MappingReader(root, file: path, allowed: Keys.version)
            let name = try checkedName(m, expected: expected)
            let end = try m.optionalText("end_of_support")
            if let end, !DateSyntax.isDate(end) {
                throw TreeError(file: path, line: m.line("end_of_support"), .invalidValue(key: "end_of_support", value: end, expected: "a date YYYY-MM-DD"))
            }
            return .version(Version(name: name, label: try m.text("label"), endOfSupport: end))
        case .release(let expected):
            let m = try MappingReader(root, file: path, allowed: Keys.release)
            let name = try checkedName(m, expected: expected)
            let statusText = try m.text("status")
            guard let status = Release.Status(rawValue: statusText) else {
                let all = Release.Status.allCases.map(\.rawValue).joined(separator: ", ")
                throw TreeError(file: path, line: m.line("status"), .invalidValue(key: "status", value: statusText, expected: "one of \(all)"))
            }
            let date = try m.text("date")
            guard DateSyntax.isDate(date) else {
                throw TreeError(file: path, line: m.line("date"), .invalidValue(key: "date", value: date, expected: "a date YYYY-MM-DD"))
            }
            return .release(Release(name: name, version: try m.name("version"), status: status, date: date))
        case .service(let release, let expected):
            let m = try MappingReader(root, file: path, allowed: Keys.service)
            let name = try checkedName(m, expected: expected)
            let packages = try m.textList("packages").map(\.0)
            let depends = try m.nameList("depends")
            return .service(release: release, ApplicationService(
                name: name, description: try m.optionalText("description") ?? "", packages: packages, depends: depends))
        case .model(let release, let expected):
            let m = try MappingReader(root, file: path, allowed: Keys.model)
            let name = try checkedName(m, expected: expected)
            let parent = try m.optionalName("parent")
            if parent == name {
                throw TreeError(file: path, line: m.line("parent"), .inheritanceCycle(release: release, models: [name]))
            }
            let model = ServerModel(
                name: name, description: try m.optionalText("description") ?? "", parent: parent,
                services: try m.nameList("services"), variables: try variables(m.node("variables"), file: path))
            return .model(release: release, model)
        }
    }

    /// The keys each kind of mapping allows, made once.
    private enum Keys {
        static let version = ["name", "label", "end_of_support"]
        static let release = ["name", "version", "status", "date"]
        static let service = ["name", "description", "packages", "depends"]
        static let model = ["name", "description", "parent", "services", "variables"]
        static let variable = ["type", "default", "mandatory", "description", "choices"]
    }

    /// Decodes a file for a run that keeps models out of memory: its outline (a model without
    /// its variables, anything else whole) and, for a model, the ``TreeFileCodec`` record of its
    /// whole content. A model the event decoder takes is never built as a value.
    /// - Throws: ``TreeError``, as ``decode(path:bytes:)``.
    public func decodeOutlined(path: String, bytes: [UInt8]) throws(TreeError) -> (outline: TreeFile, record: [UInt8]?) {
        if decodesModelsFromEvents, case .model(let release, let expected) = try TreePath.classify(path),
           let (outline, record) = ModelEventDecoder(limits: limits).record(bytes, release: release, expected: expected) {
            return (.model(release: release, outline), record)
        }
        let file = try decode(path: path, bytes: bytes)
        guard case .model = file else { return (file, nil) }
        return (LayerOutline.outline(of: file), TreeFileCodec.encode(file))
    }

    private func checkedName(_ m: MappingReader, expected: String) throws(TreeError) -> String {
        let name = try m.text("name")
        guard name == expected else { throw TreeError(file: m.file, line: m.line("name"), .nameMismatch(name: name, expected: expected)) }
        return name
    }

    private func variables(_ node: YAMLNode?, file: String) throws(TreeError) -> [Variable] {
        guard let node else { return [] }
        if case .scalar(let s) = node, s.isPlain, PlainScalar.resolve(s.text) == .null { return [] }
        guard case .mapping(let pairs, _) = node else {
            throw TreeError(file: file, line: node.mark.line, .wrongType(key: "variables", expected: "a mapping of variable names to variables", found: node.kindDescription))
        }
        var result: [Variable] = []
        result.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            guard EntityName.isValid(key.text) else {
                throw TreeError(file: file, line: key.mark.line, .invalidName(key: "variables", value: key.text))
            }
            result.append(try variable(named: key.text, value, file: file))
        }
        return result
    }

    private func variable(named name: String, _ node: YAMLNode, file: String) throws(TreeError) -> Variable {
        let m = try MappingReader(node, file: file, allowed: Keys.variable, context: "variables.\(name)")
        let typeText = try m.text("type")
        guard let type = VariableType(rawValue: typeText) else {
            let all = VariableType.allCases.map(\.rawValue).joined(separator: ", ")
            throw TreeError(file: file, line: m.line("type"), .invalidValue(key: "type", value: typeText, expected: "one of \(all)"))
        }
        var choices: [String]?
        if type == .choice {
            guard m.has("choices") else {
                throw TreeError(file: file, line: m.line("type"), .invalidChoices(variable: name, reason: "a choice variable needs 'choices', a list of the allowed values"))
            }
            let items = try m.textList("choices")
            guard !items.isEmpty else {
                throw TreeError(file: file, line: m.line("choices"), .invalidChoices(variable: name, reason: "'choices' is empty; list the allowed values"))
            }
            var seen = Set<String>()
            for (value, line) in items where !seen.insert(value).inserted {
                throw TreeError(file: file, line: line, .duplicateItem(key: "choices", value: value))
            }
            choices = items.map(\.0)
        } else if m.has("choices") {
            throw TreeError(file: file, line: m.line("choices"), .invalidChoices(variable: name, reason: "'choices' is only for type choice, and this variable is \(type.rawValue)"))
        }
        var defaultValue: String?
        if let node = m.node("default") {
            let value = try defaultText(node, type: type, variable: name, file: file)
            if let reason = type.problem(with: value, choices: choices ?? []) {
                throw TreeError(file: file, line: node.mark.line, .invalidDefault(variable: name, type: type, value: value, reason: reason))
            }
            defaultValue = value
        }
        return Variable(name: name, type: type, defaultValue: defaultValue, mandatory: try m.optionalBool("mandatory") ?? false,
                        description: try m.optionalText("description") ?? "", choices: choices)
    }

    /// The canonical text of a default; integers, ports and booleans must be written as such, not quoted.
    private func defaultText(_ node: YAMLNode, type: VariableType, variable: String, file: String) throws(TreeError) -> String {
        guard case .scalar(let s) = node else {
            throw TreeError(file: file, line: node.mark.line, .invalidDefault(variable: variable, type: type, value: node.kindDescription, reason: "a default is a single value"))
        }
        switch Self.canonicalDefault(s.text, isPlain: s.isPlain, type: type) {
        case .success(let text):
            return text
        case .failure(.null):
            throw TreeError(file: file, line: s.mark.line, .invalidDefault(variable: variable, type: type, value: "null", reason: "remove 'default' when there is none"))
        case .failure(.notAnInteger):
            throw TreeError(file: file, line: s.mark.line, .invalidDefault(variable: variable, type: type, value: s.text, reason: "expected an unquoted integer"))
        case .failure(.notABoolean):
            throw TreeError(file: file, line: s.mark.line, .invalidDefault(variable: variable, type: type, value: s.text, reason: "expected true or false, unquoted"))
        case .failure(.aBoolean(let b)):
            throw TreeError(file: file, line: s.mark.line, .invalidDefault(variable: variable, type: type, value: b ? "true" : "false", reason: "a boolean does not fit"))
        }
    }

    /// Why a default scalar does not fit its variable's type (before its value is checked).
    enum DefaultProblem: Error {
        case null, notAnInteger, notABoolean, aBoolean(Bool)
    }

    /// The canonical text of a default scalar written as `text`, plain or not, for a variable of `type`.
    static func canonicalDefault(_ text: String, isPlain: Bool, type: VariableType) -> Result<String, DefaultProblem> {
        let resolved: PlainScalar = isPlain ? PlainScalar.resolve(text) : .string
        switch (type, resolved) {
        case (_, .null):
            return .failure(.null)
        case (.integer, .int(let n)), (.port, .int(let n)):
            return .success(String(n))
        case (.integer, _), (.port, _):
            return .failure(.notAnInteger)
        case (.boolean, .bool(let b)):
            return .success(b ? "true" : "false")
        case (.boolean, _):
            return .failure(.notABoolean)
        case (_, .bool(let b)) where type != .string:
            return .failure(.aBoolean(b))
        default:
            return .success(text)
        }
    }
}
