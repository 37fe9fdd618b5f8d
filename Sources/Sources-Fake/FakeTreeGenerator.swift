import Foundation
import ZephirCore

/// The size and seed of a generated tree.
public struct FakeTreeParameters: Sendable, Hashable {
    /// Seeds the generator: the same seed and sizes give the same bytes.
    public var seed: UInt64
    /// Releases, spread over versions 2.7, 2.8, … (three releases per version).
    public var releases: Int
    /// Server models per release.
    public var models: Int
    /// Variables per model (own ones plus the parent's ones it redefines).
    public var variables: Int

    public static let maxReleases = 1_000
    public static let maxModels = 100_000
    public static let maxVariables = 100_000

    public init(seed: UInt64 = 1, releases: Int = 1, models: Int = 10, variables: Int = 20) {
        self.seed = seed
        self.releases = releases
        self.models = models
        self.variables = variables
    }
}

/// One file of a generated tree.
public struct GeneratedFile: Sendable {
    /// Relative to the tree's root (`releases/2.7.0/servermodels/amon.yml`).
    public var path: String
    public var contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// Generates a deterministic EOLE-like datasource tree (SPEC §4) of any size, for tests and
/// benchmarks. Everything derives from a SplitMix64 stream seeded by the parameters, never from
/// the time or a dictionary's order, so the same parameters always give the same bytes.
///
/// Each release has 8–16 application services, each depending only on earlier ones, and
/// `models` server models: eolebase (the root), amon, scribe, horus, seth, sphynx, zephir, hapy,
/// eclair, then module-0001, module-0002…; every model but eolebase derives from an earlier
/// one (inheritance depth at most 4) and lists 1–4 services. Each model has `variables`
/// variables of every type, about a tenth of a child's redefining a variable of its parent.
public enum FakeTreeGenerator {
    /// Every file, sorted by path.
    public static func generate(_ p: FakeTreeParameters) -> [GeneratedFile] {
        var files: [GeneratedFile] = []
        forEachFile(p) { files.append($0) }
        return files
    }

    /// Calls `body` for every file in path order, building one file at a time.
    public static func forEachFile(_ p: FakeTreeParameters, _ body: (GeneratedFile) throws -> Void) rethrows {
        let releaseCount = max(p.releases, 0)
        // Releases in path order ("releases/2.10.0/" sorts before "releases/2.7.0/").
        let releases = (0..<releaseCount).map { (index: $0, name: releaseName($0)) }
            .sorted { ($0.name + "/").utf8.lexicographicallyPrecedes(($1.name + "/").utf8) }
        for release in releases {
            let plan = ReleasePlan(parameters: p, index: release.index, releaseCount: releaseCount)
            let prefix = "releases/\(plan.name)/"
            for service in plan.services.sorted(by: { byteOrder($0.name + ".yml", $1.name + ".yml") }) {
                try body(GeneratedFile(path: prefix + "applicationservices/\(service.name).yml", contents: serviceFile(service)))
            }
            try body(GeneratedFile(path: prefix + "release.yml", contents: releaseFile(plan)))
            let order = plan.models.indices.sorted { byteOrder(plan.models[$0].name + ".yml", plan.models[$1].name + ".yml") }
            for k in order {
                try body(GeneratedFile(path: prefix + "servermodels/\(plan.models[k].name).yml", contents: modelFile(plan, k)))
            }
        }
        let versionCount = releaseCount == 0 ? 0 : (releaseCount - 1) / releasesPerVersion + 1
        let versions = (0..<versionCount).sorted { byteOrder(versionName($0) + ".yml", versionName($1) + ".yml") }
        for v in versions {
            try body(GeneratedFile(path: "versions/\(versionName(v)).yml", contents: versionFile(v)))
        }
    }

    /// Writes the tree under `folder`, creating it and its subfolders.
    public static func write(_ p: FakeTreeParameters, to folder: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var created = Set<String>()
        try forEachFile(p) { file in
            let url = folder.appendingPathComponent(file.path)
            let parent = url.deletingLastPathComponent()
            if created.insert(parent.path).inserted {
                try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            }
            try Data(file.contents).write(to: url)
        }
    }

    // MARK: - Names

    static let releasesPerVersion = 3

    static func versionName(_ v: Int) -> String { "2.\(7 + v)" }

    static func releaseName(_ r: Int) -> String { "\(versionName(r / releasesPerVersion)).\(r % releasesPerVersion)" }

    static let namedModels: [(name: String, parent: Int?, description: String)] = [
        ("eolebase", nil, "Module de base EOLE"),
        ("amon", 0, "Pare-feu et proxy d'établissement"),
        ("scribe", 0, "Serveur pédagogique et annuaire de l'établissement"),
        ("horus", 0, "Serveur administratif"),
        ("seth", 0, "Contrôleur de domaine \"Active Directory\""),
        ("sphynx", 0, "Concentrateur du réseau virtuel privé (RVP)"),
        ("zephir", 0, "Serveur de gestion centralisée des modules"),
        ("hapy", 0, "Infrastructure de cloud privé"),
        ("eclair", 2, "Clients légers et postes sans disque, dérivé de scribe"),
    ]

    static func modelName(_ k: Int) -> String {
        k < namedModels.count ? namedModels[k].name : "module-" + padded(k - namedModels.count + 1, 4)
    }

    static let serviceCatalog = ["apache", "bind", "squid", "samba", "postgresql", "nginx", "openldap", "postfix",
                                 "dovecot", "ntp", "openssh", "clamav"]

    static func serviceName(_ i: Int) -> String {
        i < serviceCatalog.count ? serviceCatalog[i] : "svc-" + padded(i + 1, 2)
    }

    /// Variables with a meaningful name; the type follows the name.
    static let themedVariables: [(name: String, type: VariableType, description: String)] = [
        ("nom_machine", .string, "Nom court de la machine"),
        ("ip_eth0", .ip, "Adresse IP de la première carte réseau"),
        ("masque_eth0", .netmask, "Masque de la première carte réseau"),
        ("reseau_eth0", .network, "Réseau de la première carte"),
        ("passerelle_eth0", .ip, "Passerelle par défaut"),
        ("nom_domaine", .domain, "Domaine de l'établissement"),
        ("port_http", .port, "Port du serveur web"),
        ("port_https", .port, "Port du serveur web sécurisé"),
        ("port_ssh", .port, "Port du serveur SSH"),
        ("activer_proxy", .boolean, "Activer le proxy filtrant"),
        ("mode_filtrage", .choice, "Politique de filtrage web"),
        ("nombre_processus", .integer, "Nombre de processus serveurs"),
        ("ip_eth1", .ip, "Adresse IP de la deuxième carte réseau"),
        ("masque_eth1", .netmask, "Masque de la deuxième carte réseau"),
        ("serveur_ntp", .domain, "Serveur de temps"),
        ("activer_ssh", .boolean, "Autoriser les connexions SSH"),
        ("niveau_journal", .choice, "Niveau de détail des journaux"),
        ("taille_cache", .integer, "Taille du cache en Mo"),
        ("libelle_etablissement", .string, "Libellé de l'établissement"),
        ("reseau_admin", .network, "Réseau d'administration"),
        ("dns_primaire", .ip, "Serveur DNS primaire"),
        ("port_ldap", .port, "Port de l'annuaire LDAP"),
        ("domaine_messagerie", .domain, "Domaine de messagerie"),
        ("mode_authentification", .choice, "Méthode d'authentification"),
    ]

    static let choiceSets: [[String]] = [
        ["strict", "souple", "aucun"],
        ["debug", "info", "warning", "error"],
        ["ldap", "local", "kerberos"],
        ["oui", "non"],
        ["true", "false", "auto"],
        ["1", "2", "4", "8"],
    ]

    /// The choices of a themed choice variable (`mode_filtrage`, `mode_filtrage_3`, …).
    static func themedChoices(_ name: String) -> [String]? {
        if name.hasPrefix("mode_filtrage") { return choiceSets[0] }
        if name.hasPrefix("niveau_journal") { return choiceSets[1] }
        if name.hasPrefix("mode_authentification") { return choiceSets[2] }
        return nil
    }

    static let academies = ["dijon", "lyon", "rennes", "creteil", "versailles", "grenoble", "besancon", "nantes"]

    // MARK: - Plans

    struct ServicePlan {
        var name: String
        var description: String
        var packages: [String]
        var depends: [String]
    }

    struct ModelPlan {
        var name: String
        var parent: Int?
        var depth: Int
        var description: String
        var services: [String]
    }

    /// A release's structure: its services and models, without the variables.
    struct ReleasePlan {
        var parameters: FakeTreeParameters
        var index: Int
        var name: String
        var version: String
        var status: Release.Status
        var date: String
        var services: [ServicePlan] = []
        var models: [ModelPlan] = []

        init(parameters p: FakeTreeParameters, index r: Int, releaseCount: Int) {
            parameters = p
            index = r
            name = FakeTreeGenerator.releaseName(r)
            let v = r / FakeTreeGenerator.releasesPerVersion
            version = FakeTreeGenerator.versionName(v)
            let lastVersion = (releaseCount - 1) / FakeTreeGenerator.releasesPerVersion
            if r == releaseCount - 1 && releaseCount > 1 {
                status = .testing
            } else if v == lastVersion {
                status = .stable
            } else if v == lastVersion - 1 {
                status = .oldstable
            } else {
                status = .eol
            }
            var rng = SplitMix64(p.seed, 1, UInt64(r))
            date = civilDate(daysSince1970: 17_897 + r * 91 + rng.below(30)) // from 2019-01-01

            let serviceCount = 8 + rng.below(9)
            for i in 0..<serviceCount {
                let name = FakeTreeGenerator.serviceName(i)
                var depends: [String] = []
                if i > 0 {
                    for j in rng.distinct(min(rng.below(3), i), below: i) { depends.append(FakeTreeGenerator.serviceName(j)) }
                }
                var packages = [i < FakeTreeGenerator.serviceCatalog.count ? name : "eole-" + name]
                if rng.chance(40) { packages.append(packages[0] + "-common") }
                if rng.chance(20) { packages.append("eole-" + name + "-conf") }
                services.append(ServicePlan(name: name, description: "Service \(name) pour EOLE \(self.name)", packages: packages, depends: depends))
            }

            let modelCount = max(p.models, 0)
            models.reserveCapacity(modelCount)
            for k in 0..<modelCount {
                var parent: Int?
                var description: String
                if k < FakeTreeGenerator.namedModels.count {
                    parent = FakeTreeGenerator.namedModels[k].parent
                    description = FakeTreeGenerator.namedModels[k].description
                } else {
                    let roll = rng.below(100)
                    var pick: Int
                    if roll < 50 {
                        pick = 0
                    } else if roll < 75 {
                        pick = 1 + rng.below(min(k, FakeTreeGenerator.namedModels.count) - 1)
                    } else {
                        pick = rng.below(k)
                    }
                    if models[pick].depth >= 4 { pick = models[pick].parent ?? 0 }
                    parent = pick
                    description = "Module généré n°\(k - FakeTreeGenerator.namedModels.count + 1), dérivé de \(models[pick].name)"
                }
                let serviceTotal = 1 + rng.below(4)
                let chosen = rng.distinct(serviceTotal, below: services.count).map { services[$0].name }
                models.append(ModelPlan(name: FakeTreeGenerator.modelName(k), parent: parent, depth: parent.map { models[$0].depth + 1 } ?? 0,
                                        description: description, services: chosen))
            }
        }

        /// How many of model `k`'s variables redefine its parent's.
        func redefinedCount(_ k: Int) -> Int {
            let v = max(parameters.variables, 0)
            return models[k].parent == nil || v < 2 ? 0 : max(1, v / 10)
        }

        func ownCount(_ k: Int) -> Int { max(parameters.variables, 0) - redefinedCount(k) }

        /// Own variable `j` of model `k`: its name is unique in the release.
        func ownVariable(_ k: Int, _ j: Int) -> Variable {
            var rng = SplitMix64(parameters.seed, 2 &+ (UInt64(index) << 8), UInt64(k) << 32 | UInt64(j))
            let total = max(parameters.variables, 1)
            let g = k * total + j
            let themes = FakeTreeGenerator.themedVariables
            let name: String, type: VariableType, description: String
            if g < themes.count {
                (name, type, description) = themes[g]
            } else if rng.chance(40) {
                let theme = themes[g % themes.count]
                name = "\(theme.name)_\(g / themes.count)"
                type = theme.type
                description = "\(theme.description) (n°\(g / themes.count))"
            } else {
                name = "var-" + FakeTreeGenerator.padded(g, 4)
                type = VariableType.allCases[rng.below(VariableType.allCases.count)]
                description = "Variable générée \(name) de type \(type.rawValue)"
            }
            let choices = type == .choice
                ? FakeTreeGenerator.themedChoices(name) ?? FakeTreeGenerator.choiceSets[rng.below(FakeTreeGenerator.choiceSets.count)] : nil
            let mandatory = rng.chance(20)
            let value = rng.chance(mandatory ? 50 : 90) ? FakeTreeGenerator.defaultValue(type, choices: choices, rng: &rng) : nil
            return Variable(name: name, type: type, defaultValue: value, mandatory: mandatory,
                            description: rng.chance(90) ? description : "", choices: choices)
        }

        /// Every variable of model `k`: its own, then the redefinitions of its parent's.
        func variables(_ k: Int) -> [Variable] {
            var result: [Variable] = []
            let own = ownCount(k)
            result.reserveCapacity(own + redefinedCount(k))
            for j in 0..<own { result.append(ownVariable(k, j)) }
            guard let parent = models[k].parent else { return result }
            var rng = SplitMix64(parameters.seed, 3 &+ (UInt64(index) << 8), UInt64(k))
            for j in rng.distinct(redefinedCount(k), below: ownCount(parent)) {
                var variable = ownVariable(parent, j)
                if rng.chance(80) { variable.defaultValue = FakeTreeGenerator.defaultValue(variable.type, choices: variable.choices, rng: &rng) }
                if rng.chance(20) { variable.mandatory.toggle() }
                variable.description = "\(variable.description.isEmpty ? variable.name : variable.description) (redéfinie pour \(models[k].name))"
                result.append(variable)
            }
            return result
        }
    }

    // MARK: - Values

    static func defaultValue(_ type: VariableType, choices: [String]?, rng: inout SplitMix64) -> String {
        switch type {
        case .string:
            let n = rng.below(10_000)
            switch rng.below(8) {
            case 0: return "Établissement n°\(n)"
            case 1: return "chemin C:\\donnees\\\(n)"
            case 2: return "texte \"cité\" \(n)"
            case 3: return "ligne 1\nligne 2\t\(n)"
            case 4: return ["true", "null", "8080", "2.7", "", "- tiret", "# dièse", "clé: valeur"][rng.below(8)]
            default: return "valeur-\(n)"
            }
        case .integer:
            return String(rng.below(100) < 80 ? rng.below(10_000) : rng.below(2_000_001) - 1_000_000)
        case .boolean:
            return rng.chance(50) ? "true" : "false"
        case .port:
            let common = [21, 22, 25, 53, 80, 110, 143, 389, 443, 636, 993, 3128, 5432, 8080, 8443]
            return String(rng.chance(60) ? common[rng.below(common.count)] : 1 + rng.below(65_535))
        case .ip:
            if rng.chance(20) {
                return "2001:db8:\(hex(rng.below(0x10000))):\(hex(rng.below(0x10000)))::\(hex(1 + rng.below(0xffff)))"
            }
            let first = [10, 172, 192][rng.below(3)]
            return "\(first).\(rng.below(256)).\(rng.below(256)).\(1 + rng.below(254))"
        case .netmask:
            return dotted(mask(8 + rng.below(23)))
        case .network:
            if rng.chance(20) { return "2001:db8:\(hex(rng.below(0x10000)))::/48" }
            let prefix = 8 + rng.below(21)
            let bits = (UInt32(10) << 24 | UInt32(truncatingIfNeeded: rng.next()) & 0x00ff_ffff) & mask(prefix)
            return "\(dotted(bits))/\(prefix)"
        case .domain:
            let academie = academies[rng.below(academies.count)]
            switch rng.below(3) {
            case 0: return "ac-\(academie).fr"
            case 1: return "etab-\(rng.below(1000)).ac-\(academie).fr"
            default: return "srv\(rng.below(100)).example.org"
            }
        case .choice:
            let list = choices ?? ["a"]
            return list[rng.below(list.count)]
        }
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    static func dotted(_ bits: UInt32) -> String {
        "\(bits >> 24).\(bits >> 16 & 0xff).\(bits >> 8 & 0xff).\(bits & 0xff)"
    }

    static func hex(_ n: Int) -> String { String(n, radix: 16) }

    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    // MARK: - Files

    static func versionFile(_ v: Int) -> [UInt8] {
        var w = YAMLWriter()
        w.key("name"); w.quoted(versionName(v)); w.newline()
        w.key("label"); w.quoted("EOLE \(versionName(v))"); w.newline()
        w.key("end_of_support"); w.quoted("\(2022 + 2 * v)-06-30"); w.newline()
        return w.bytes
    }

    static func releaseFile(_ plan: ReleasePlan) -> [UInt8] {
        var w = YAMLWriter()
        w.key("name"); w.quoted(plan.name); w.newline()
        w.key("version"); w.quoted(plan.version); w.newline()
        w.key("status"); w.raw(plan.status.rawValue); w.newline()
        w.key("date"); w.quoted(plan.date); w.newline()
        return w.bytes
    }

    static func serviceFile(_ service: ServicePlan) -> [UInt8] {
        var w = YAMLWriter()
        w.key("name"); w.quoted(service.name); w.newline()
        w.key("description"); w.quoted(service.description); w.newline()
        w.key("packages"); w.list(service.packages); w.newline()
        w.key("depends"); w.list(service.depends); w.newline()
        return w.bytes
    }

    static func modelFile(_ plan: ReleasePlan, _ k: Int) -> [UInt8] {
        let model = plan.models[k]
        var w = YAMLWriter()
        w.bytes.reserveCapacity(64 + 160 * max(plan.parameters.variables, 0))
        w.key("name"); w.quoted(model.name); w.newline()
        w.key("description"); w.quoted(model.description); w.newline()
        if let parent = model.parent { w.key("parent"); w.quoted(plan.models[parent].name); w.newline() }
        w.key("services"); w.list(model.services); w.newline()
        let variables = plan.variables(k)
        if !variables.isEmpty {
            w.raw("variables:\n")
            for variable in variables {
                w.raw("  "); w.quoted(variable.name); w.raw(":\n")
                w.raw("    type: "); w.raw(variable.type.rawValue); w.newline()
                if let choices = variable.choices { w.raw("    choices: "); w.list(choices); w.newline() }
                if let value = variable.defaultValue {
                    w.raw("    default: ")
                    switch variable.type {
                    case .integer, .port, .boolean: w.raw(value)
                    default: w.quoted(value)
                    }
                    w.newline()
                }
                if variable.mandatory { w.raw("    mandatory: true\n") }
                if !variable.description.isEmpty { w.raw("    description: "); w.quoted(variable.description); w.newline() }
            }
        }
        return w.bytes
    }
}

/// Hand-written YAML: block mappings with double-quoted scalars and flow lists.
struct YAMLWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func newline() { bytes.append(0x0A) }
    mutating func key(_ name: String) { raw(name); bytes.append(0x3A); bytes.append(0x20) }

    /// A double-quoted scalar, with `"`, `\` and control characters escaped.
    mutating func quoted(_ text: String) {
        bytes.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0..<0x20, 0x7F:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    /// A flow list of double-quoted scalars: `["a", "b"]`.
    mutating func list(_ items: [String]) {
        bytes.append(0x5B)
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(0x2C); bytes.append(0x20) }
            quoted(item)
        }
        bytes.append(0x5D)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same on every platform.
struct SplitMix64 {
    var state: UInt64

    init(state: UInt64) { self.state = state }

    /// A stream for one purpose, derived from the seed and two coordinates.
    init(_ seed: UInt64, _ a: UInt64, _ b: UInt64) {
        var mixer = SplitMix64(state: seed)
        let s1 = mixer.next() ^ (a &* 0x9E37_79B9_7F4A_7C15)
        var second = SplitMix64(state: s1)
        state = second.next() ^ (b &* 0xD1B5_4A32_D192_ED03)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (`n` > 0).
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    /// True `percent` times in a hundred.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// `count` distinct numbers below `n`, sorted.
    mutating func distinct(_ count: Int, below n: Int) -> [Int] {
        let wanted = min(count, n)
        guard wanted > 0 else { return [] }
        if wanted * 2 > n {
            var all = Array(0..<n)
            for i in 0..<wanted { all.swapAt(i, i + below(n - i)) }
            return all[0..<wanted].sorted()
        }
        var seen = Set<Int>()
        var picked: [Int] = []
        while picked.count < wanted {
            let x = below(n)
            if seen.insert(x).inserted { picked.append(x) }
        }
        return picked.sorted()
    }
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
func civilDate(daysSince1970 days: Int) -> String {
    let (y, m, d) = CivilCalendar.date(fromDays: Int64(days))
    return "\(y)-\(FakeTreeGenerator.padded(m, 2))-\(FakeTreeGenerator.padded(d, 2))"
}
